package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The values a hostile receiver echoes in the redaction tests.
const (
	leakSecret   = "s3cr3t+/value=42"
	leakHeader   = "hv-K3y-value-123"
	leakPassword = "p@ss:w0rd-x"
	leakToken    = "tok-S3cret-abc"
)

// leakForms spells v every way an output could carry it: as is, JSON-
// and URL-escaped, hex and base64 (standard and URL, padded or not).
func leakForms(v string) []string {
	j, _ := json.Marshal(v)
	b := []byte(v)
	forms := []string{
		v, string(j[1 : len(j)-1]), url.QueryEscape(v), url.PathEscape(v),
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
	return forms
}

// echoReceiver answers every request 200 with the verify challenge (when
// there is one), every form of every value in its body and headers, and
// the request's own headers: the worst a receiver can do to a report.
func echoReceiver(t *testing.T, values ...string) *httptest.Server {
	t.Helper()
	var all []string
	for _, v := range values {
		all = append(all, leakForms(v)...)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var env struct {
			Verify struct {
				Challenge string `json:"challenge"`
			} `json:"verify"`
		}
		_ = json.Unmarshal(body, &env)
		for i, f := range all {
			w.Header().Set(fmt.Sprintf("X-Echo-%d", i), f)
		}
		for k, vs := range r.Header {
			w.Header()["X-Request-"+k] = vs
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"challenge": env.Verify.Challenge, "echo": strings.Join(all, " "), "headers": r.Header,
			"request": string(body),
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// assertNoLeak fails for every form of every value found in out (HTML and
// XML entities decoded first, so an escaped spelling is caught too).
func assertNoLeak(t *testing.T, where, out string, values ...string) {
	t.Helper()
	decoded := html.UnescapeString(out)
	for _, v := range values {
		for _, f := range leakForms(v) {
			if strings.Contains(out, f) || strings.Contains(decoded, f) {
				t.Errorf("%s: %q (a form of %q) leaked", where, f, v)
			}
		}
	}
}

func TestCheckRedactsEverythingAnEchoingReceiverSends(t *testing.T) {
	rcv := echoReceiver(t, leakSecret, leakHeader, leakPassword)
	target := strings.Replace(rcv.URL, "http://", "http://user:"+url.PathEscape(leakPassword)+"@", 1) + "/"
	u, err := url.Parse(target)
	require.NoError(t, err)
	p, _ := u.User.Password()
	require.Equal(t, leakPassword, p, "the URL carries the password")

	dir := t.TempDir()
	formats := []string{"json", "junit", "markdown", "markdown-summary", "html", "cucumber"}
	args := []string{"check", "--url", target, "--secret", leakSecret, "--header", "X-Api-Key=" + leakHeader, "--verbose", "--seed", "7"}
	for _, f := range formats {
		args = append(args, "--report", f+"="+filepath.Join(dir, f))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code, stdout, stderr := revhook(ctx, args...)
	require.Equal(t, exitFail, code, stderr)
	assert.Contains(t, stdout, "[REDACTED]", "the echoes were there to redact")
	assertNoLeak(t, "console", stdout+stderr, leakSecret, leakHeader, leakPassword)
	for _, f := range formats {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Contains(t, string(b), "REDACTED", f)
		assertNoLeak(t, f+" report", string(b), leakSecret, leakHeader, leakPassword)
	}
	// A bad --url never quotes its password either.
	code, _, stderr = revhook(ctx, "check", "--url", "http://user:"+url.PathEscape(leakPassword)+"@127.0.0.1:99999/", "--secret", leakSecret)
	assert.Equal(t, exitUsage, code, stderr)
	assertNoLeak(t, "usage error", stderr, leakPassword)
}

func TestServeRedactsEverythingAnEchoingReceiverSends(t *testing.T) {
	rcv := echoReceiver(t, leakSecret, leakHeader, leakPassword, leakToken)
	target := strings.Replace(rcv.URL, "http://", "http://user:"+url.PathEscape(leakPassword)+"@", 1) + "/"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	out, errOut := newServeOutput(), newServeOutput()
	done := make(chan int, 1)
	go func() {
		done <- runServe(runCtx, []string{"--addr", "127.0.0.1:0", "--state", "memory", "--token", leakToken, "--time-scale", "0.001", "--timeout", "2s", "--schedule", ""}, out, errOut)
	}()
	base := out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
	call := func(method, path, body string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+leakToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	create, _ := json.Marshal(map[string]any{
		"event_types": []string{"work_created"}, "url": target, "secret": leakSecret,
		"headers": []map[string]string{{"name": "x-api-key", "value": leakHeader}},
	})
	code, body := call("POST", "/webhooks.create", string(create))
	require.Equal(t, 201, code, body)
	out.waitFor(ctx, t, regexp.MustCompile(`unverified -> active`))
	code, body = call("POST", "/simulator/events", `{"type":"work_created"}`)
	require.Equal(t, 202, code, body)
	out.waitFor(ctx, t, regexp.MustCompile(`work_created #1 ok 200`))
	code, log := call("GET", "/simulator/deliveries", "")
	require.Equal(t, 200, code, log)
	assert.Contains(t, log, "REDACTED", "the echoes were there to redact")
	stop()
	<-done
	assertNoLeak(t, "GET /simulator/deliveries", log, leakSecret, leakHeader, leakPassword, leakToken)
	assertNoLeak(t, "serve's stdout", out.String(), leakSecret, leakHeader, leakPassword, leakToken)
	assertNoLeak(t, "serve's stderr", errOut.String(), leakSecret, leakHeader, leakPassword, leakToken)
}
