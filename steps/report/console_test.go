package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func consoleOf(r *Report, v Verbosity) string {
	var buf bytes.Buffer
	WriteConsole(&buf, r, v)
	return buf.String()
}

const (
	sampleHeader  = "target http://127.0.0.1:8089/ · run " + sampleRunID + " · seed 42\n"
	sampleSummary = "verdict: FAIL — 3 passed, 2 failed (MUST), 1 warning, 1 INFO not met, 2 blocked, 1 skipped in 1.23s\n"
	sampleBlocked = "" +
		"BLOCK SIG-03  MUST    An event without X-DevRev-Signature is refused\n" +
		"                      blocked by ACK-01: not observed: the correctly signed control event was not acknowledged\n" +
		"BLOCK VER-04  SHOULD  A verify event with a bad signature is not answered with the challenge\n" +
		"                      blocked by VER-02: not observed: the control verify was not answered\n"
)

func TestConsoleNormal(t *testing.T) {
	want := sampleHeader +
		"PASS  VER-01  MUST    A signed verify event gets 200 and the challenge back\n" +
		"FAIL  SIG-02  MUST    An event with a wrong signature is refused\n" +
		"                      receiver answered 200 to an event signed with a wrong key\n" +
		"FAIL  ACK-01  MUST    A valid event is acknowledged with 2xx within 3 s\n" +
		"                      no response within 3s\n" +
		"WARN  RPL-01  SHOULD  A correctly signed event with a stale timestamp (10 min old) is refused\n" +
		"                      receiver answered 200 to an event timestamped 10 minutes ago\n" +
		"SKIP  ROB-03  SHOULD  A method other than POST gets 405\n" +
		"                      excluded by --skip\n" +
		"INFO  SEC-01  INFO    The endpoint is served over HTTPS (not met)\n" +
		"                      plain http (expected on loopback in development)\n" +
		"PASS  FWD-01  MUST    An unknown event type is acknowledged | not 5xx\n" +
		sampleBlocked +
		"PASS  DUP-01  MUST    A duplicate delivery is acknowledged with 2xx\n" +
		"                      note: failed while other scenarios ran; passed when re-run alone\n" +
		sampleSummary
	assert.Equal(t, want, consoleOf(sampleReport(), Normal))
}

func TestConsoleQuiet(t *testing.T) {
	want := sampleHeader +
		"FAIL  SIG-02  MUST    An event with a wrong signature is refused\n" +
		"                      receiver answered 200 to an event signed with a wrong key\n" +
		"FAIL  ACK-01  MUST    A valid event is acknowledged with 2xx within 3 s\n" +
		"                      no response within 3s\n" +
		"WARN  RPL-01  SHOULD  A correctly signed event with a stale timestamp (10 min old) is refused\n" +
		"                      receiver answered 200 to an event timestamped 10 minutes ago\n" +
		sampleBlocked +
		sampleSummary
	assert.Equal(t, want, consoleOf(sampleReport(), Quiet), "quiet keeps failures, warnings and blocked requirements")
}

func TestConsoleVerbose(t *testing.T) {
	out := consoleOf(sampleReport(), Verbose)
	for _, want := range []string{
		"                      pass  Challenge of 1 character\n",
		"                      fail  Wrong key — answered 200\n",
		"                      --- exchange 1 of 1 ---\n",
		"                      > POST http://127.0.0.1:8089/\n",
		"                      > X-DevRev-Signature: 9b1c0e3f",
		"                      < 200 (3ms)\n",
		"                      curl -sS -X POST",
		"INFO  SEC-01  INFO    The endpoint is served over HTTPS (not met)\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.True(t, strings.HasSuffix(out, sampleSummary))
	assert.Contains(t, out, "                      revhook replay --report report.json SIG-02 --exchange 1\n")
	// Evidence only for requirements not met: SIG-02, RPL-01 and blocked SIG-03.
	assert.Equal(t, 3, strings.Count(out, "--- exchange"))
}

func TestConsoleSummaryLines(t *testing.T) {
	pass := &Report{DurationMS: 250, Requirements: []Requirement{
		{ID: "SIG-01", Level: LevelMust, Title: "ok", Status: StatusPass},
		{ID: "SEC-01", Level: LevelInfo, Title: "https", Status: StatusPass},
	}}
	pass.Finish()
	tests := []struct {
		name string
		r    *Report
		want string
	}{
		{"pass with INFO met", pass, "INFO  SEC-01  INFO    https (met)\nverdict: PASS — 2 passed, 0 failed (MUST), 0 warnings, 0 INFO not met, 0 blocked, 0 skipped in 0.25s\n"},
		{"zero requirements", &Report{}, "no requirement selected\nverdict: PASS — 0 passed, 0 failed (MUST), 0 warnings, 0 INFO not met, 0 blocked, 0 skipped in 0.00s\n"},
		{"interrupted", &Report{Interrupted: true, Verdict: VerdictFail}, "verdict: FAIL (INTERRUPTED, partial) — 0 passed, 0 failed (MUST), 0 warnings, 0 INFO not met, 0 blocked, 0 skipped in 0.00s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := consoleOf(tt.r, Normal)
			assert.True(t, strings.HasSuffix(out, tt.want), out)
		})
	}
	WriteConsole(&bytes.Buffer{}, nil, Verbose) // no panic
}

func TestConsoleLongTitlesAndReasons(t *testing.T) {
	r := &Report{Requirements: []Requirement{{
		ID: "SIG-05", Level: LevelMust, Status: StatusFail,
		Title:  strings.Repeat("long title ", 20),
		Reason: "multi\nline\n\treason",
	}}}
	out := consoleOf(r, Normal)
	first := strings.SplitN(out, "\n", 2)[0]
	assert.LessOrEqual(t, len([]rune(first)), 22+consoleTitleWidth)
	assert.True(t, strings.HasSuffix(first, "…"))
	assert.Contains(t, out, "\n                      multi line reason\n")
	assert.Contains(t, consoleOf(r, Verbose), strings.Repeat("long title ", 19)+"long title\n", "verbose keeps the whole title")
}

func TestConsoleColour(t *testing.T) {
	// A regular file is not a terminal: no colour, whatever NO_COLOR says.
	f, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, useColor(f))
	assert.False(t, useColor(&bytes.Buffer{}))
	assert.False(t, useColor((*os.File)(nil)))

	c := console{color: true}
	assert.Equal(t, "\x1b[1m\x1b[31mFAIL \x1b[0m", c.badge(BadgeFail))
	assert.Equal(t, "\x1b[1m\x1b[35mBLOCK\x1b[0m", c.badge(BadgeBlock), "blocked is never painted like a pass")
	assert.Equal(t, "PASS ", console{}.badge(BadgePass))

	// A terminal, when the machine has one to open.
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		t.Log("no controlling terminal; skipping the terminal case")
		return
	}
	defer tty.Close()
	t.Setenv("TERM", "xterm")
	t.Setenv("NO_COLOR", "")
	os.Unsetenv("NO_COLOR")
	assert.True(t, useColor(tty))
	t.Setenv("NO_COLOR", "1")
	assert.False(t, useColor(tty))
}

func TestConsoleInterruptedComesFirst(t *testing.T) {
	r := sampleReport()
	r.Interrupted = true
	out := consoleOf(r, Quiet)
	assert.True(t, strings.HasPrefix(out, interruptedText+"\n"), out)
	assert.Contains(t, out, "(INTERRUPTED, partial)")
}
