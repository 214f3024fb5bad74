//go:build unix

package action_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const secret = "action-secret-0123"

// Bounds of every wait in these tests.
const (
	buildTimeout = 5 * time.Minute
	runTimeout   = 2 * time.Minute
)

// binDir holds the revhook binary the tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "revhook-action-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// revhookBin builds revhook once for every test of the package.
var revhookBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "revhook")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/revhook").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// result is one run of run.sh.
type result struct {
	code            int
	stdout, stderr  string
	outputs         map[string]string
	summary         string
	elapsed         time.Duration
	reportsDir, dir string
}

// runAction runs action/run.sh in a temporary working directory with
// GITHUB_OUTPUT and GITHUB_STEP_SUMMARY pointed at temporary files and env
// added (RH_* inputs); {bin} in env values is replaced by the revhook binary.
func runAction(t *testing.T, env map[string]string) result {
	t.Helper()
	bin, err := revhookBin()
	require.NoError(t, err)
	dir := t.TempDir()
	output, summary := filepath.Join(dir, "github_output"), filepath.Join(dir, "step_summary")
	require.NoError(t, os.WriteFile(summary, []byte("earlier step\n"), 0o600))
	script, err := filepath.Abs("run.sh")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = dir
	for _, kv := range os.Environ() { // the Go toolchain's settings, not the caller's inputs
		if !strings.HasPrefix(kv, "RH_") && !strings.HasPrefix(kv, "REVHOOK_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "WEBHOOK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "REVHOOK_BIN="+bin, "GITHUB_OUTPUT="+output, "GITHUB_STEP_SUMMARY="+summary, "RUNNER_TEMP="+dir)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+strings.ReplaceAll(v, "{bin}", bin))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err = cmd.Run()
	r := result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start), dir: dir}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	if ctx.Err() != nil {
		t.Fatalf("run.sh did not finish within %s: %v\nstdout:\n%s\nstderr:\n%s", runTimeout, err, r.stdout, r.stderr)
	}
	r.outputs = map[string]string{}
	if b, err := os.ReadFile(output); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				r.outputs[k] = v
			}
		}
	}
	b, err := os.ReadFile(summary)
	require.NoError(t, err)
	r.summary = string(b)
	r.reportsDir = filepath.Join(dir, "revhook-reports")
	return r
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// closed reports whether nothing listens on port any more.
func closed(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err == nil {
		c.Close()
	}
	return err != nil
}

// TestActionAgainstReceivers runs the action's steps against the reference
// receiver (passes), a faulty one (fails), and receiver commands that go
// wrong, and checks the exit code, the outputs, the job summary and that
// the receiver is stopped.
func TestActionAgainstReceivers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds revhook and runs check")
	}
	tests := []struct {
		name        string
		env         func(port int) map[string]string
		code        int
		verdict     string // "" when the step must fail before check runs
		inSummary   string
		inStderr    string
		maxDuration time.Duration
	}{
		{
			name: "reference receiver passes, args quoted like a shell",
			env: func(port int) map[string]string {
				return map[string]string{"RH_RECEIVER_COMMAND": fmt.Sprintf("{bin} receiver --addr 127.0.0.1:%d --quiet", port),
					"RH_ARGS": `--only '@must && ~@slow' --quiet`}
			},
			code: 0, verdict: "pass", inSummary: "PASS",
		},
		{
			name: "faulty receiver fails the step",
			env: func(port int) map[string]string {
				return map[string]string{"RH_RECEIVER_COMMAND": fmt.Sprintf("{bin} receiver --addr 127.0.0.1:%d --fault no-signature-check", port)}
			},
			code: 1, verdict: "fail", inSummary: "SIG-02",
		},
		{
			name: "no receiver command and nothing listening",
			env:  func(int) map[string]string { return map[string]string{} },
			code: 1, verdict: "fail", inSummary: "FAIL",
		},
		{
			name: "bad args: check's usage error propagates",
			env: func(port int) map[string]string {
				return map[string]string{"RH_RECEIVER_COMMAND": fmt.Sprintf("{bin} receiver --addr 127.0.0.1:%d --quiet", port),
					"RH_ARGS": "--timeout -1s"}
			},
			code: 2, verdict: "error", inSummary: "could not run (exit 2)",
		},
		{
			name: "receiver command exits",
			env: func(int) map[string]string {
				return map[string]string{"RH_RECEIVER_COMMAND": "echo cannot start >&2; exit 7"}
			},
			code:     1,
			inStderr: "the receiver command exited (status 7)",
		},
		{
			name: "port never opens",
			env: func(int) map[string]string {
				return map[string]string{"RH_RECEIVER_COMMAND": "sleep 60", "RH_WAIT_TIMEOUT": "1"}
			},
			code: 1, inStderr: "did not open 127.0.0.1:", maxDuration: 20 * time.Second,
		},
		{
			name:     "unbalanced quote in args",
			env:      func(int) map[string]string { return map[string]string{"RH_ARGS": "--only 'SIG-01"} },
			code:     1,
			inStderr: "cannot split the args input",
		},
		{
			name:     "missing secret",
			env:      func(int) map[string]string { return map[string]string{"REVHOOK_SECRET": ""} },
			code:     1,
			inStderr: "the secret input is required",
		},
		{
			name:     "bad wait-timeout",
			env:      func(int) map[string]string { return map[string]string{"RH_WAIT_TIMEOUT": "soon"} },
			code:     1,
			inStderr: "wait-timeout must be a number of seconds",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := freePort(t)
			env := map[string]string{"RH_URL": fmt.Sprintf("http://127.0.0.1:%d/", port), "REVHOOK_SECRET": secret}
			for k, v := range tt.env(port) {
				env[k] = v
			}
			r := runAction(t, env)
			assert.Equal(t, tt.code, r.code, "exit code\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.True(t, closed(port), "the receiver was stopped")
			assert.NotContains(t, r.stdout+r.stderr+r.summary, secret, "the secret is never printed")
			if tt.maxDuration > 0 {
				assert.Less(t, r.elapsed, tt.maxDuration)
			}
			if tt.inStderr != "" {
				assert.Contains(t, r.stderr, "::error title=revhook::")
				assert.Contains(t, r.stderr, tt.inStderr)
			}
			if tt.verdict == "" {
				assert.Equal(t, "earlier step\n", r.summary, "no summary when check did not run")
				return
			}
			assert.Equal(t, tt.verdict, r.outputs["verdict"])
			assert.Equal(t, fmt.Sprint(tt.code), r.outputs["exit-code"])
			assert.True(t, strings.HasPrefix(r.summary, "earlier step\n"), "the summary is appended, not overwritten")
			assert.Contains(t, r.summary, tt.inSummary)
			assert.NotContains(t, r.stdout, "no markdown-summary report", "this revhook has the markdown-summary format")
			if tt.verdict == "error" {
				return
			}
			for _, k := range []string{"junit", "html", "json", "markdown-summary"} {
				require.NotEmpty(t, r.outputs[k], k)
				assert.FileExists(t, r.outputs[k], k)
				assert.Equal(t, r.reportsDir, filepath.Dir(r.outputs[k]), k)
			}
		})
	}
}

// TestActionBuildsRevhook: without REVHOOK_BIN the action builds revhook
// from its own checkout (GITHUB_ACTION_PATH), as it does on GitHub.
func TestActionBuildsRevhook(t *testing.T) {
	if testing.Short() {
		t.Skip("builds revhook")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	port := freePort(t)
	r := runAction(t, map[string]string{
		"REVHOOK_BIN": "", "GITHUB_ACTION_PATH": root,
		"RH_URL": fmt.Sprintf("http://127.0.0.1:%d/", port), "REVHOOK_SECRET": secret,
		"RH_RECEIVER_COMMAND": fmt.Sprintf("{bin} receiver --addr 127.0.0.1:%d --quiet", port),
		"RH_ARGS":             "--only SIG-01,VER-01",
	})
	assert.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "building revhook from "+root)
	assert.FileExists(t, filepath.Join(r.dir, "revhook-action", "revhook"))
	assert.Equal(t, "pass", r.outputs["verdict"])
}

// TestActionFallsBackToMarkdown: a revhook without the markdown-summary
// format (before v0.2) gets the full markdown report into the job summary.
func TestActionFallsBackToMarkdown(t *testing.T) {
	bin, err := revhookBin()
	require.NoError(t, err)
	old := filepath.Join(t.TempDir(), "old-revhook")
	require.NoError(t, os.WriteFile(old, []byte(`#!/usr/bin/env bash
for a in "$@"; do
  case $a in markdown-summary=*) echo 'revhook check: --report: unknown report format "markdown-summary"' >&2; exit 2 ;; esac
done
exec "`+bin+`" "$@"
`), 0o700))
	port := freePort(t)
	r := runAction(t, map[string]string{
		"REVHOOK_BIN": old, "RH_URL": fmt.Sprintf("http://127.0.0.1:%d/", port), "REVHOOK_SECRET": secret,
		"RH_RECEIVER_COMMAND": fmt.Sprintf("{bin} receiver --addr 127.0.0.1:%d --quiet", port),
		"RH_ARGS":             "--only SIG-01",
	})
	assert.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "this revhook has no markdown-summary report")
	assert.Contains(t, r.summary, "SIG-01")
	assert.FileExists(t, r.outputs["markdown-summary"])
}

// TestActionPortAlreadyTaken: the action never checks a process it did not start.
func TestActionPortAlreadyTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	r := runAction(t, map[string]string{
		"RH_URL": fmt.Sprintf("http://127.0.0.1:%d/hook", port), "REVHOOK_SECRET": secret,
		"RH_RECEIVER_COMMAND": fmt.Sprintf("{bin} receiver --addr 127.0.0.1:%d", port),
	})
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, fmt.Sprintf("something already listens on 127.0.0.1:%d", port))
	assert.Empty(t, r.outputs, "check did not run")
}

// TestActionYAML checks action.yml's wiring: the inputs the README documents,
// each one handed to run.sh, Go set up only when absent, the outputs taken
// from the check step.
func TestActionYAML(t *testing.T) {
	raw, err := os.ReadFile("../action.yml")
	require.NoError(t, err)
	var a struct {
		Inputs map[string]struct {
			Required bool
			Default  *string
		}
		Outputs map[string]struct{ Value string }
		Runs    struct {
			Using string
			Steps []struct {
				ID, If, Uses, Run, Shell string
				Env                      map[string]string
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &a))
	inputs := []string{"url", "secret", "receiver-command", "wait-timeout", "args", "go-version", "reports-dir"}
	var names []string
	for n := range a.Inputs {
		names = append(names, n)
	}
	assert.ElementsMatch(t, inputs, names)
	assert.True(t, a.Inputs["url"].Required)
	assert.True(t, a.Inputs["secret"].Required)
	assert.Equal(t, "composite", a.Runs.Using)

	var setupGo, check bool
	for _, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			setupGo = true
			assert.Equal(t, "steps.go.outputs.present != 'true'", s.If, "Go is set up only when absent")
		}
		if s.ID != "check" {
			continue
		}
		check = true
		assert.Contains(t, s.Run, "$GITHUB_ACTION_PATH/action/run.sh")
		assert.Equal(t, "bash", s.Shell)
		for _, in := range inputs {
			if in == "go-version" {
				continue
			}
			found := false
			for _, v := range s.Env {
				found = found || v == "${{ inputs."+in+" }}"
			}
			assert.True(t, found, "input %s is handed to run.sh", in)
		}
		assert.Equal(t, "${{ inputs.secret }}", s.Env["REVHOOK_SECRET"], "the secret travels in the environment")
	}
	assert.True(t, setupGo, "a setup-go step")
	assert.True(t, check, "a step with id check")
	for name, o := range a.Outputs {
		assert.Equal(t, "${{ steps.check.outputs."+name+" }}", o.Value, name)
	}
}
