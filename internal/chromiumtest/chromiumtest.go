// Package chromiumtest finds Debian's headless Chromium for the tests that
// look at what revhook shows a person (the HTML report, the live console),
// and holds the flags every such run needs on this project's machines.
package chromiumtest

import (
	"os"
	"os/exec"
	"testing"
)

// Environment knobs shared by the browser tests.
const (
	// EnvRequire=1 turns a missing chromium into a failure (CI sets it).
	EnvRequire = "REVHOOK_REQUIRE_CHROMIUM"
	// EnvKeepRender names a directory to keep screenshots and renders in,
	// for a person to look at.
	EnvKeepRender = "REVHOOK_RENDER_DIR"
)

// Find returns the chromium binary, or skips the test — fails it when
// EnvRequire=1 — when there is none.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("chromium not found in PATH and %s=1 (install Debian's chromium package)", EnvRequire)
	}
	t.Skipf("chromium not installed; set %s=1 to make this a failure", EnvRequire)
	return ""
}

// Flags are the switches every headless run needs here, without their
// leading dashes: headless, no sandbox (tests run as root), and no
// background networking (the machine's closed network refuses it).
func Flags() []string {
	return []string{
		"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"disable-background-networking", "disable-component-update", "disable-sync",
		"disable-extensions", "hide-scrollbars", "mute-audio",
	}
}
