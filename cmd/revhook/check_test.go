package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/simulator/event"
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

func TestCheckInterruptedIsAHarnessFailure(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errs := revhook(ctx, "check", "--url", url, "--secret", cliSecret)
	assert.Equal(t, exitInternal, code)
	assert.Contains(t, errs, "harness failure")
}

func TestCheckConfigErrorsExitTwoBeforeSending(t *testing.T) {
	var n atomic.Int64
	url := referenceURL(t, &n)
	t.Setenv("REVHOOK_SECRET", "")
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	cases := map[string][]string{
		"no url":               {"--secret", cliSecret},
		"bad url":              {"--url", "ftp://x/", "--secret", cliSecret},
		"no secret":            {"--url", url},
		"unknown ID":           {"--url", url, "--secret", cliSecret, "--only", "SIG-99"},
		"unknown skip":         {"--url", url, "--secret", cliSecret, "--skip", "NOPE-1,SIG-98"},
		"bad tag expression":   {"--url", url, "--secret", cliSecret, "--only", "@must &&"},
		"bad encoding":         {"--url", url, "--secret", cliSecret, "--encoding", "rot13"},
		"bad key encoding":     {"--url", url, "--secret", cliSecret, "--key-encoding", "hex"},
		"bad report format":    {"--url", url, "--secret", cliSecret, "--report", "pdf=r.pdf"},
		"report without path":  {"--url", url, "--secret", cliSecret, "--report", "json"},
		"missing report dir":   {"--url", url, "--secret", cliSecret, "--report", "json=" + filepath.Join(dir, "nope", "r.json")},
		"report dir is a file": {"--url", url, "--secret", cliSecret, "--report", "json=" + filepath.Join(file, "r.json")},
		"report is a dir":      {"--url", url, "--secret", cliSecret, "--report", "json=" + dir},
		"same path twice":      {"--url", url, "--secret", cliSecret, "--report", "json=" + filepath.Join(dir, "r"), "--report", "html=" + filepath.Join(dir, "r")},
		"quiet and verbose":    {"--url", url, "--secret", cliSecret, "--quiet", "--verbose"},
		"zero timeout":         {"--url", url, "--secret", cliSecret, "--timeout", "0s"},
		"stray argument":       {"--url", url, "--secret", cliSecret, "extra"},
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
