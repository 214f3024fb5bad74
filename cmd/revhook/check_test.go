package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/fixtures/faulty"
	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/steps/report"
)

const cliSecret = "s3cr3t-value-cli"

// counted wraps h and counts the requests it gets.
func counted(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

func referenceURL(t *testing.T, n *atomic.Int64) string {
	t.Helper()
	rcv, err := receiver.New(receiver.Config{Secret: cliSecret})
	require.NoError(t, err)
	srv := httptest.NewServer(counted(rcv, n))
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv.URL + "/"
}

func revhook(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckReferenceReceiverWritesEveryReport(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	code, out, errs := revhook(context.Background(), "check", "--url", url, "--secret", cliSecret,
		"--report", "json="+path("r.json"), "--report", "junit="+path("r.xml"),
		"--report", "markdown="+path("r.md"), "--report", "html="+path("r.html"),
		"--report", "cucumber="+path("r.cucumber.json"))
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	assert.Empty(t, errs)
	assert.Contains(t, out, "PASS  SIG-02")
	assert.Contains(t, out, "verdict: PASS")
	assert.NotContains(t, out, cliSecret)

	var rep map[string]any
	js, err := os.ReadFile(path("r.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(js, &rep))
	assert.Equal(t, "revhook.report/v1", rep["schema"])
	assert.Equal(t, "pass", rep["verdict"])
	assert.Len(t, rep["requirements"], 26)
	assert.Equal(t, version, rep["tool"].(map[string]any)["version"])

	xmlb, err := os.ReadFile(path("r.xml"))
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(xmlb, new(struct{})))
	var cuc []any
	cb, err := os.ReadFile(path("r.cucumber.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(cb, &cuc))
	assert.Len(t, cuc, len(features.Files()))
	for _, f := range []string{"r.json", "r.xml", "r.md", "r.html", "r.cucumber.json"} {
		b, err := os.ReadFile(path(f))
		require.NoError(t, err)
		assert.NotContains(t, string(b), cliSecret, f)
	}
}

func TestCheckSecretFromEnvironmentAndVerbosity(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	t.Setenv("REVHOOK_SECRET", cliSecret)
	code, out, _ := revhook(context.Background(), "check", "--url", url, "--only", "SIG-02,@VER-01", "--quiet")
	assert.Equal(t, exitOK, code, out)
	assert.NotContains(t, out, "PASS  SIG-02", "quiet prints only failures")
	assert.Contains(t, out, "verdict: PASS")

	code, out, _ = revhook(context.Background(), "check", "--url", url, "--only", "@should && ~@info", "--verbose")
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "VER-03")
	assert.NotContains(t, out, "SIG-02")
}

func TestCheckFailingReceiverExitsOne(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	code, out, _ := revhook(context.Background(), "check", "--url", srv.URL, "--secret", cliSecret, "--only", "SIG-02")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "FAIL  SIG-02")
	assert.Contains(t, out, "receiver answered 200")
}

func TestCheckUnreachableExitsOne(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	code, out, _ := revhook(context.Background(), "check", "--url", url, "--secret", cliSecret)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "receiver unreachable")
}

func TestCheckInterruptedExits130(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errs := revhook(ctx, "check", "--url", url, "--secret", cliSecret)
	assert.Equal(t, exitInterrupted, code)
	assert.Contains(t, errs, "interrupted")
}

func TestInterruptedCode(t *testing.T) {
	code, ok := interruptedCode(context.Background())
	assert.False(t, ok)
	assert.Zero(t, code)
	for _, tt := range []struct {
		sig  os.Signal
		want int
	}{{os.Interrupt, 130}, {syscall.SIGTERM, 143}} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(interruption{tt.sig})
		code, ok := interruptedCode(ctx)
		assert.True(t, ok)
		assert.Equal(t, tt.want, code, tt.sig)
	}
}

func TestCheckConfigErrorsExitTwoBeforeSending(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	t.Setenv("REVHOOK_SECRET", "")
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(file, []byte("kept"), 0o644))
	cases := map[string][]string{
		"no url":                {"--secret", cliSecret},
		"bad url":               {"--url", "ftp://x/", "--secret", cliSecret},
		"no secret":             {"--url", url},
		"unknown ID":            {"--url", url, "--secret", cliSecret, "--only", "SIG-99"},
		"unknown skip":          {"--url", url, "--secret", cliSecret, "--skip", "NOPE-1,SIG-98"},
		"bad tag expression":    {"--url", url, "--secret", cliSecret, "--only", "@must &&"},
		"bad encoding":          {"--url", url, "--secret", cliSecret, "--encoding", "rot13"},
		"bad key encoding":      {"--url", url, "--secret", cliSecret, "--key-encoding", "hex"},
		"bad report format":     {"--url", url, "--secret", cliSecret, "--report", "pdf=r.pdf"},
		"report without path":   {"--url", url, "--secret", cliSecret, "--report", "json"},
		"missing report dir":    {"--url", url, "--secret", cliSecret, "--report", "json=" + filepath.Join(dir, "nope", "r.json")},
		"report dir is a file":  {"--url", url, "--secret", cliSecret, "--report", "json=" + filepath.Join(file, "r.json")},
		"report is a dir":       {"--url", url, "--secret", cliSecret, "--report", "json=" + dir},
		"same path twice":       {"--url", url, "--secret", cliSecret, "--report", "json=" + filepath.Join(dir, "r"), "--report", "html=" + filepath.Join(dir, "r")},
		"quiet and verbose":     {"--url", url, "--secret", cliSecret, "--quiet", "--verbose"},
		"zero timeout":          {"--url", url, "--secret", cliSecret, "--timeout", "0s"},
		"stray argument":        {"--url", url, "--secret", cliSecret, "extra"},
		"two reports on stdout": {"--url", url, "--secret", cliSecret, "--report", "json=-", "--report", "junit=-"},
		"bad fail-on":           {"--url", url, "--secret", cliSecret, "--fail-on", "should"},
		"mistyped ID":           {"--url", url, "--secret", cliSecret, "--only", "SIG-2", "--report", "json=" + filepath.Join(dir, "new.json")},
		"existing report kept":  {"--url", url, "--secret", cliSecret, "--only", "XYZ-01", "--report", "json=" + file},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errs := revhook(context.Background(), append([]string{"check"}, args...)...)
			assert.Equal(t, exitUsage, code, "stdout:\n%s\nstderr:\n%s", out, errs)
			assert.NotEmpty(t, errs)
			assert.NotContains(t, errs, cliSecret)
		})
	}
	assert.Zero(t, n.Load(), "configuration errors are reported before any request")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the write check leaves nothing behind")
	kept, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(kept), "an existing report is not truncated before the results")
}

func TestCheckUnwritableReportExitsTwo(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write a read-only file")
	}
	var n atomic.Int64
	url := referenceURL(t, &n)
	ro := filepath.Join(t.TempDir(), "ro.json")
	require.NoError(t, os.WriteFile(ro, nil, 0o444))
	code, _, errs := revhook(context.Background(), "check", "--url", url, "--secret", cliSecret, "--report", "json="+ro)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "cannot be written")
	assert.Zero(t, n.Load())
}

func TestCheckUsageErrorsSuggest(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--only", "SIG-2"}, `unknown requirement ID "SIG-2" (did you mean SIG-02?)`},
		{[]string{"--skip", "VR-01"}, `(did you mean VER-01?)`},
		{[]string{"--encoding", "hexx"}, `--encoding: invalid value "hexx": want auto, hex, base64 (did you mean hex?)`},
		{[]string{"--fail-on", "wran"}, `(did you mean warn?)`},
		{[]string{"--report", "markdown-sumary=x.md"}, `(did you mean markdown-summary?)`},
		{[]string{"--urll", "x"}, `unknown flag --urll (did you mean --url?)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"check", "--url", "http://127.0.0.1:1/", "--secret", cliSecret}, tt.args...)
			code, out, errs := revhook(context.Background(), args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errs, tt.want)
			assert.Equal(t, 1, strings.Count(errs, "\n"), "one line: %q", errs)
		})
	}
}

func TestCheckReportToStdout(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	md := filepath.Join(t.TempDir(), "summary.md")
	code, out, errs := revhook(context.Background(), "check", "--url", url, "--secret", cliSecret, "--only", "SIG-02,VER-01",
		"--report", "json=-", "--report", "markdown-summary="+md)
	require.Equal(t, exitOK, code, errs)
	var doc struct {
		Verdict string
		Summary map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "stdout is the JSON report alone: %q", out)
	assert.Equal(t, "pass", doc.Verdict)
	assert.Equal(t, 2, doc.Summary["passed"])
	assert.Contains(t, errs, "verdict: PASS", "the console goes to stderr")
	assert.Contains(t, errs, "markdown-summary report written to "+md)
	b, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(b), "Webhook receiver conformance: PASS")
}

// faultyURL serves a faulty fixture on plain http.
func faultyURL(t *testing.T, name string) (string, faulty.Fixture) {
	t.Helper()
	fx, ok := faulty.Lookup(name)
	require.True(t, ok, name)
	h := fx.New(cliSecret)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		if c, ok := h.(io.Closer); ok {
			c.Close()
		}
	})
	return srv.URL + "/", fx
}

func TestCheckFailOn(t *testing.T) {
	url, fx := faultyURL(t, "no-timestamp-check")
	var only []string
	for _, id := range fx.Fails {
		if r, ok := features.Lookup(id); ok && r.Level == "SHOULD" {
			only = append(only, id)
		}
	}
	require.NotEmpty(t, only, "the fixture fails a SHOULD: %v", fx.Fails)
	args := []string{"check", "--url", url, "--secret", cliSecret, "--only", strings.Join(only, ",") + ",SIG-01", "--quiet"}
	code, out, _ := revhook(context.Background(), args...)
	assert.Equal(t, exitOK, code, "a SHOULD not met is a warning by default:\n%s", out)
	assert.Contains(t, out, "WARN")
	code, out, _ = revhook(context.Background(), append(args, "--fail-on", "warn")...)
	assert.Equal(t, exitFail, code, "--fail-on warn fails on it:\n%s", out)
	code, _, _ = revhook(context.Background(), append(args, "--fail-on", "must")...)
	assert.Equal(t, exitOK, code)
}

func TestCheckExitCode(t *testing.T) {
	should := func(status string, blocked ...string) *report.Report {
		r := &report.Report{Requirements: []report.Requirement{
			{ID: "SIG-01", Level: report.LevelMust, Status: report.StatusPass},
			{ID: "RPL-01", Level: report.LevelShould, Status: status, BlockedBy: blocked},
			{ID: "SEC-01", Level: report.LevelInfo, Status: report.StatusFail},
		}}
		r.Finish()
		return r
	}
	mustFail := &report.Report{Requirements: []report.Requirement{{ID: "SIG-02", Level: report.LevelMust, Status: report.StatusFail, BlockedBy: []string{"SIG-01"}}}}
	mustFail.Finish()
	tests := []struct {
		name   string
		r      *report.Report
		failOn string
		want   int
	}{
		{"all met", should(report.StatusPass), failOnWarn, exitOK},
		{"should missed, must", should(report.StatusFail), failOnMust, exitOK},
		{"should missed, warn", should(report.StatusFail), failOnWarn, exitFail},
		{"should blocked, warn", should(report.StatusFail, "SIG-01"), failOnWarn, exitFail},
		{"should skipped, warn", should(report.StatusSkip), failOnWarn, exitOK},
		{"blocked must", mustFail, failOnMust, exitFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, checkExitCode(tt.r, tt.failOn))
		})
	}
}

func TestCheckList(t *testing.T) {
	code, out, errs := revhook(context.Background(), "check", "--list")
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "26 requirements")
	for _, r := range features.Requirements() {
		assert.Contains(t, out, r.ID)
	}
	code, out, _ = revhook(context.Background(), "check", "--list", "--only", "@must && ~@slow", "--skip", "SIG-01")
	require.Equal(t, exitOK, code)
	assert.NotContains(t, out, "SIG-01")
	assert.NotContains(t, out, "SHOULD")
	assert.NotContains(t, out, "sender gave up")

	code, _, errs = revhook(context.Background(), "check", "--list", "--only", "XYZ-01")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, "XYZ-01")
}

func TestCatalog(t *testing.T) {
	code, out, _ := revhook(context.Background(), "catalog")
	require.Equal(t, exitOK, code)
	for _, r := range features.Requirements() {
		assert.Contains(t, out, r.ID)
		assert.Contains(t, out, r.Title)
		assert.Contains(t, out, r.Text)
	}
	for _, typ := range event.Types() {
		assert.Contains(t, out, "\n"+typ+"\n")
	}

	code, out, _ = revhook(context.Background(), "catalog", "--json")
	require.Equal(t, exitOK, code)
	var doc struct {
		Requirements []struct{ ID, Level, Title, Text string } `json:"requirements"`
		EventTypes   []string                                  `json:"event_types"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Requirements, 26)
	assert.Equal(t, "VER-01", doc.Requirements[0].ID)
	assert.Equal(t, "MUST", doc.Requirements[0].Level)
	assert.Equal(t, event.Types(), doc.EventTypes)

	code, _, _ = revhook(context.Background(), "catalog", "--yaml")
	assert.Equal(t, exitUsage, code)
	code, _, _ = revhook(context.Background(), "catalog", "--help")
	assert.Equal(t, exitOK, code)
}
