package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/load"
	"github.com/revhook/revhook/simulator/signature"
)

// recorder is a receiver that records every request and answers status.
type recorder struct {
	srv    *httptest.Server
	status int
	first  chan struct{} // closed on the first request
	seen   chan struct{} // one token per request (dropped when full)
	once   sync.Once
	mu     sync.Mutex
	reqs   []recorded
}

type recorded struct {
	header http.Header
	body   []byte
	path   string
}

func newRecorder(t *testing.T, status int) *recorder {
	t.Helper()
	r := &recorder{status: status, first: make(chan struct{}), seen: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{req.Header.Clone(), body, req.URL.Path})
		r.mu.Unlock()
		r.once.Do(func() { close(r.first) })
		select {
		case r.seen <- struct{}{}:
		default:
		}
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// next is ready after a request arrived (since the last receive).
func (r *recorder) next() <-chan struct{} { return r.seen }

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"http://127.0.0.1:8089/", ""},
		{"https://example.com/hooks/devrev?x=1", ""},
		{"http://[::1]:80/", ""},
		{"", "must start with http:// or https://"},
		{"127.0.0.1:8089", "must start with http:// or https://"},
		{"ftp://example.com/", "must start with http:// or https://"},
		{"http://", "has no host"},
		{"http:///path", "has no host"},
		{"http://[::1", "not a URL"},
		{"://x", "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := validateURL(tt.in)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		in      string
		want    setArg
		wantErr string
	}{
		{"work.title=Disk full", setArg{"work.title", "Disk full"}, ""},
		{"work.priority=p1", setArg{"work.priority", "p1"}, ""},
		{"work.count=3", setArg{"work.count", "3"}, ""},
		{"work.title=", setArg{"work.title", ""}, ""},
		{"work.body=a=b", setArg{"work.body", "a=b"}, ""},
		{" work.title =x", setArg{"work.title", "x"}, ""},
		{"work.title", setArg{}, "is not path=value"},
		{"=x", setArg{}, "malformed path"},
		{".work=x", setArg{}, "malformed path"},
		{"work.=x", setArg{}, "malformed path"},
		{"work..title=x", setArg{}, "malformed path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSet(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.True(t, strings.HasPrefix(err.Error(), "--set: "), err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadData(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, wantErr string
	}{
		{"object", `{"work": {"title": "x"}}`, ""},
		{"object with spaces", "\n  {\"work\": {}}  \n", ""},
		{"array", `[1,2]`, "is not a JSON object"},
		{"broken", `{"work":`, "is not a JSON object"},
		{"empty", ``, "is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			require.NoError(t, os.WriteFile(p, []byte(tt.content), 0o600))
			got, err := readData(p)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, strings.TrimSpace(tt.content), string(got))
		})
	}
	_, err := readData(filepath.Join(dir, "missing.json"))
	assert.ErrorContains(t, err, "cannot read")
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte(" "), maxDataBytes+1), 0o600))
	_, err = readData(big)
	assert.ErrorContains(t, err, "larger than 16 MiB")
}

// TestSendUsageErrorsExitTwoBeforeSending runs every bad invocation against
// a live receiver and checks exit 2, a one-line error naming the flag, and
// that nothing was sent.
func TestSendUsageErrorsExitTwoBeforeSending(t *testing.T) {
	t.Setenv("REVHOOK_SECRET", "")
	t.Setenv("REVHOOK_TOKEN", "")
	rec := newRecorder(t, 200)
	u := rec.srv.URL + "/"
	ok := []string{"--url", u, "--secret", cliSecret}
	notJSON := writeFile(t, "bad.json", "not json")
	data := writeFile(t, "ok.json", `{"work": {"type": "issue", "title": "x"}}`)
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"missing url", []string{"--secret", cliSecret}, "--url"},
		{"url without scheme", []string{"--url", "127.0.0.1:1/", "--secret", cliSecret}, "--url"},
		{"url with another scheme", []string{"--url", "ftp://h/", "--secret", cliSecret}, "--url"},
		{"url without host", []string{"--url", "http:///x", "--secret", cliSecret}, "--url"},
		{"missing secret", []string{"--url", u}, "--secret"},
		{"short secret", []string{"--url", u, "--secret", "short"}, "--secret"},
		{"long secret", []string{"--url", u, "--secret", strings.Repeat("s", 33)}, "--secret"},
		{"unknown type", append(ok, "--type", "work_exploded"), "--type"},
		{"zero count", append(ok, "--count", "0"), "--count"},
		{"negative count", append(ok, "--count", "-3"), "--count"},
		{"huge count", append(ok, "--count", "10000000000"), "--count"},
		{"zero concurrency", append(ok, "--concurrency", "0"), "--concurrency"},
		{"duplicates above 1", append(ok, "--duplicates", "1.5"), "--duplicates"},
		{"negative duplicates", append(ok, "--duplicates", "-0.1"), "--duplicates"},
		{"NaN duplicates", append(ok, "--duplicates", "NaN"), "--duplicates"},
		{"negative reorder", append(ok, "--reorder", "-1"), "--reorder"},
		{"negative drop-first", append(ok, "--drop-first", "-1"), "--drop-first"},
		{"zero time-scale", append(ok, "--time-scale", "0"), "--time-scale"},
		{"negative time-scale", append(ok, "--time-scale", "-1"), "--time-scale"},
		{"zero timeout", append(ok, "--timeout", "0s"), "--timeout"},
		{"bad schedule", append(ok, "--schedule", "30s,soon"), "--schedule"},
		{"negative schedule", append(ok, "--schedule", "-30s"), "--schedule"},
		{"bad precision", append(ok, "--precision", "ps"), "--precision"},
		{"bad encoding", append(ok, "--encoding", "base32"), "--encoding"},
		{"bad key encoding", append(ok, "--key-encoding", "hex"), "--key-encoding"},
		{"secret not base64", append(ok, "--key-encoding", "base64"), "--secret: secret is not valid base64"},
		{"unreadable data", append(ok, "--data", filepath.Join(t.TempDir(), "nope.json")), "--data"},
		{"data not JSON", append(ok, "--data", notJSON), "--data"},
		{"set without =", append(ok, "--set", "work.title"), "--set"},
		{"set with empty path", append(ok, "--set", "=x"), "--set"},
		{"set through a string", append(ok, "--set", "work.title.x=1"), "--set"},
		{"set through data's string", append(ok, "--data", data, "--set", "work.title.deeper=1"), "--set"},
		{"rate without duration", append(ok, "--rate", "10"), "--duration"},
		{"duration without rate", append(ok, "--duration", "1s"), "--rate"},
		{"negative rate", append(ok, "--rate", "-1", "--duration", "1s"), "--rate"},
		{"rate and count", append(ok, "--rate", "10", "--duration", "1s", "--count", "5"), "--count"},
		{"too many load events", append(ok, "--rate", "1000000", "--duration", "2h"), "--rate"},
		{"rate beyond the pacer", append(ok, "--rate", "2e6", "--duration", "1ms"), "--rate"},
		{"header without =", append(ok, "--header", "X-Api-Key"), "--header"},
		{"header with a bad name", append(ok, "--header", "X Api=k3y-value-secret"), "--header"},
		{"header with an empty name", append(ok, "--header", "=k3y-value-secret"), "--header"},
		{"header replacing the signature", append(ok, "--header", "x-devrev-signature=k3y-value-secret"), "--header"},
		{"header replacing the content type", append(ok, "--header", "Content-Type=k3y-value-secret"), "--header"},
		{"header with a line break", append(ok, "--header", "X-Api-Key=k3y-value-secret\r\nX-Evil: 1"), "--header"},
		{"nine headers", append(ok, "--header", "A=1", "--header", "B=1", "--header", "C=1", "--header", "D=1",
			"--header", "E=1", "--header", "F=1", "--header", "G=1", "--header", "H=1", "--header", "I=1"), "--header"},
		{"server and header", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--header", "X-Api-Key=k3y-value-secret"}, "--header"},
		{"server and print", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--print"}, "--print"},
		{"print and duplicates", append(ok, "--print", "--duplicates", "0.5"), "--print"},
		{"server bad url", []string{"--server", "localhost:8088", "--token", "t"}, "--server"},
		{"server without token", []string{"--server", "http://127.0.0.1:1"}, "--token"},
		{"server and url", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--url", u}, "--server"},
		{"server and set", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--set", "work.title=x"}, "--set"},
		{"server unknown type", []string{"--server", "http://127.0.0.1:1", "--token", "t", "--type", "nope"}, "--type"},
		{"stray argument", append(ok, "extra"), "unexpected argument"},
		{"unknown flag", append(ok, "--colour"), "-colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := revhook(context.Background(), append([]string{"send"}, tt.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.flag)
			assert.Empty(t, stdout)
			if !strings.Contains(tt.name, "flag") {
				assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			}
			assert.NotContains(t, stderr, cliSecret, "the secret is never printed")
			assert.NotContains(t, stderr, "k3y-value-secret", "header values are never printed")
		})
	}
	assert.Empty(t, rec.requests(), "nothing was sent")
}

func TestSendHelp(t *testing.T) {
	code, _, _ := revhook(context.Background(), "send", "--help")
	assert.Equal(t, exitOK, code)
}

var attemptLine = regexp.MustCompile(`^\+(\d+\.\d{3})s  (\S+)  (attempt (\d)/(\d)|duplicate  ) +(\d{3}|error)  \S+`)

func attemptLines(out string) [][]string {
	var lines [][]string
	for _, l := range strings.Split(out, "\n") {
		if m := attemptLine.FindStringSubmatch(l); m != nil {
			lines = append(lines, m)
		}
	}
	return lines
}

func TestSendDeliversToReferenceReceiver(t *testing.T) {
	var hits atomic.Int64
	u := referenceURL(t, &hits)
	code, stdout, stderr := revhook(context.Background(), "send", "--url", u, "--secret", cliSecret, "--type", "work_created", "--count", "20", "--seed", "5")
	require.Equal(t, exitOK, code, stderr+stdout)
	lines := attemptLines(stdout)
	require.Len(t, lines, 20, stdout)
	ids := map[string]bool{}
	for _, m := range lines {
		assert.Equal(t, "attempt 1/3", m[3])
		assert.Equal(t, "200", m[6])
		assert.Contains(t, m[2], ":webhook_event/")
		ids[m[2]] = true
	}
	assert.Len(t, ids, 20, "distinct event ids")
	assert.Equal(t, int64(20), hits.Load())
	assert.Contains(t, stdout, "20 events: 20 delivered, 0 failed after every attempt (20 attempts)")
	assert.Contains(t, stdout, "seed 5")
}

func TestSendSecretFromEnvironment(t *testing.T) {
	t.Setenv("REVHOOK_SECRET", cliSecret)
	var hits atomic.Int64
	code, stdout, stderr := revhook(context.Background(), "send", "--url", referenceURL(t, &hits), "--quiet")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, attemptLines(stdout), "--quiet prints no attempt lines")
	assert.Contains(t, stdout, "1 event: 1 delivered")
	assert.Equal(t, int64(1), hits.Load())
}

// TestSendRetriesAgainstFailingReceiver: a receiver answering 500 gets three
// attempts spaced by the schedule scaled by --time-scale, and send exits 1.
func TestSendRetriesAgainstFailingReceiver(t *testing.T) {
	rec := newRecorder(t, 500)
	code, stdout, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--time-scale", "0.001", "--timeout", "2s")
	require.Equal(t, exitFail, code, stderr)
	lines := attemptLines(stdout)
	require.Len(t, lines, 3, stdout)
	var at []float64
	for i, m := range lines {
		assert.Equal(t, strconv.Itoa(i+1), m[4], "attempts in order")
		assert.Equal(t, "3", m[5])
		assert.Equal(t, "500", m[6])
		f, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		at = append(at, f)
	}
	assert.GreaterOrEqual(t, at[1]-at[0], 0.030, "30s scaled to 30ms")
	assert.GreaterOrEqual(t, at[2]-at[1], 0.180, "3m scaled to 180ms")
	assert.Contains(t, stdout, "HTTP 500 is not 2xx; next attempt in 30ms")
	assert.Contains(t, stdout, "HTTP 500 is not 2xx; next attempt in 180ms")
	assert.Contains(t, stdout, "gave up after 3 attempts")
	assert.Contains(t, stdout, "1 event: 0 delivered, 1 failed after every attempt (3 attempts)")
	assert.Len(t, rec.requests(), 3)
}

func TestSendScaledTimeoutNote(t *testing.T) {
	rec := newRecorder(t, 500)
	code, _, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--time-scale", "0.001", "--schedule", "")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "the scaled response deadline 3ms is very short")
}

func TestSendUnreachableExitsOne(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	code, stdout, _ := revhook(context.Background(), "send", "--url", u, "--secret", cliSecret, "--schedule", "")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stdout, "attempt 1/1  error")
	assert.Contains(t, stdout, "connection refused")
}

func TestSendDuplicatesReorderAndDropFirst(t *testing.T) {
	rec := newRecorder(t, 200)
	code, stdout, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--count", "30", "--duplicates", "1", "--reorder", "10", "--concurrency", "1", "--seed", "9")
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, rec.requests(), 60, "every event delivered twice")
	dups := 0
	for _, m := range attemptLines(stdout) {
		if strings.HasPrefix(m[3], "duplicate") {
			dups++
		}
	}
	assert.Equal(t, 30, dups)
	assert.Contains(t, stdout, "30 events: 30 delivered, 0 failed after every attempt (30 attempts, 30 duplicates)")
	// A duplicate is a new invocation of the same event, as DevRev makes
	// it: same id and payload, its own timestamp and a valid signature.
	v, err := signature.NewVerifier(cliSecret, signature.KeyRaw)
	require.NoError(t, err)
	stamp := regexp.MustCompile(`"timestamp":"[^"]*"`)
	seen := map[string]recorded{}
	for _, r := range rec.requests() {
		var env struct{ ID string }
		require.NoError(t, json.Unmarshal(r.body, &env))
		assert.True(t, v.Verify(r.body, r.header.Get(signature.Header)))
		if first, ok := seen[env.ID]; ok {
			assert.Equal(t, stamp.ReplaceAllString(string(first.body), ""), stamp.ReplaceAllString(string(r.body), ""))
		}
		seen[env.ID] = r
	}

	// --same-bytes-on-retry: the duplicate repeats the bytes and signature.
	same := newRecorder(t, 200)
	code, _, stderr = revhook(context.Background(), "send", "--url", same.srv.URL, "--secret", cliSecret,
		"--count", "5", "--duplicates", "1", "--concurrency", "1", "--seed", "9", "--same-bytes-on-retry")
	require.Equal(t, exitOK, code, stderr)
	seen = map[string]recorded{}
	for _, r := range same.requests() {
		var env struct{ ID string }
		require.NoError(t, json.Unmarshal(r.body, &env))
		if first, ok := seen[env.ID]; ok {
			assert.Equal(t, first.body, r.body)
			assert.Equal(t, first.header.Get(signature.Header), r.header.Get(signature.Header))
		}
		seen[env.ID] = r
	}

	rec2 := newRecorder(t, 200)
	code, stdout, _ = revhook(context.Background(), "send", "--url", rec2.srv.URL, "--secret", cliSecret,
		"--drop-first", "1", "--schedule", "1ms")
	require.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "attempt 1/2  error")
	assert.Contains(t, stdout, delivery.ErrDropped.Error())
	assert.Len(t, rec2.requests(), 1, "the dropped attempt never reached the receiver")
}

func TestSendDataAndSet(t *testing.T) {
	rec := newRecorder(t, 200)
	data := writeFile(t, "work.json", `{"work": {"type": "issue", "title": "from file", "custom_fields": {"tnt__x": 1.50}}}`)
	code, _, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--data", data, "--set", "work.title=Disk full", "--set", "work.priority=p0", "--set", "work.count=3",
		"--encoding", "base64", "--precision", "us")
	require.Equal(t, exitOK, code, stderr)
	reqs := rec.requests()
	require.Len(t, reqs, 1)
	var env struct {
		ID, Type, Timestamp string
		Work                map[string]any `json:"work_created"`
	}
	require.NoError(t, json.Unmarshal(reqs[0].body, &env))
	assert.Equal(t, "work_created", env.Type)
	work := env.Work["work"].(map[string]any)
	assert.Equal(t, "Disk full", work["title"])
	assert.Equal(t, "p0", work["priority"])
	assert.Equal(t, 3.0, work["count"])
	assert.Equal(t, "issue", work["type"])
	assert.Regexp(t, `\.\d{6}Z$`, env.Timestamp, "--precision us")
	v, err := signature.NewVerifier(cliSecret, signature.KeyRaw)
	require.NoError(t, err)
	sig := reqs[0].header.Get(signature.Header)
	assert.Len(t, sig, 44, "base64 of 32 bytes")
	assert.True(t, v.Verify(reqs[0].body, sig))
	assert.Equal(t, "application/json", reqs[0].header.Get("Content-Type"))
}

func TestSendGeneratedPayloadWithSet(t *testing.T) {
	rec := newRecorder(t, 200)
	code, _, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--set", `work.title="Disk full"`, "--seed", "1")
	require.Equal(t, exitOK, code, stderr)
	reqs := rec.requests()
	require.Len(t, reqs, 1)
	assert.Contains(t, string(reqs[0].body), `"title":"Disk full"`)
}

func TestSendLoadGenerator(t *testing.T) {
	var hits atomic.Int64
	u := referenceURL(t, &hits)
	code, stdout, stderr := revhook(context.Background(), "send", "--url", u, "--secret", cliSecret,
		"--rate", "200", "--duration", "300ms", "--concurrency", "4", "--quiet")
	require.Equal(t, exitOK, code, stderr+stdout)
	assert.Equal(t, int64(60), hits.Load())
	assert.Empty(t, attemptLines(stdout), "--quiet: the summary, not attempts")
	assert.Regexp(t, `achieved rate \d+\.\d/s \(requested 200/s\); success ratio 100\.00% \(60/60\); latency p50 \S+ p90 \S+ p99 \S+`, stdout)
	assert.NotContains(t, stdout+stderr, "\r", "no progress line when stderr is not a terminal")
}

// DevRev keeps sending new events while earlier ones wait for their
// retries: a receiver that is down must not throttle the generator. With
// concurrency 1 the engine's default would hold 64 events at most, so
// events 65… would go out only after the first ones were exhausted. The
// retry is an hour away, so every first attempt must reach the receiver
// while all earlier events wait; the test then interrupts the run. It
// waits for requests, never for time (the old form raced a 200/s rate
// against scaled retries and failed on a loaded machine).
func TestSendLoadRetriesDoNotThrottleGeneration(t *testing.T) {
	rec := newRecorder(t, http.StatusServiceUnavailable)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type out struct {
		code           int
		stdout, stderr string
	}
	done := make(chan out, 1)
	go func() {
		code, stdout, stderr := revhook(ctx, "send", "--url", rec.srv.URL, "--secret", cliSecret,
			"--rate", "1000", "--duration", "100ms", "--concurrency", "1", "--schedule", "1h", "--timeout", "3s", "--quiet")
		done <- out{code, stdout, stderr}
	}()
	deadline := time.After(20 * time.Second) // bounds a hang; not a synchronisation
	for len(rec.requests()) < 100 {
		select {
		case o := <-done:
			t.Fatalf("send ended before every first attempt: exit %d\n%s%s", o.code, o.stdout, o.stderr)
		case <-deadline:
			t.Fatalf("only %d of 100 first attempts reached the receiver", len(rec.requests()))
		case <-rec.next():
		}
	}
	ids := map[string]bool{}
	for _, r := range rec.requests() {
		var ev struct{ ID string }
		require.NoError(t, json.Unmarshal(r.body, &ev))
		ids[ev.ID] = true
	}
	assert.Len(t, ids, 100, "100 distinct events, each sent once, all waiting for their retry")
	cancel()
	o := <-done
	assert.Equal(t, exitInterrupted, o.code, o.stderr)
	assert.Contains(t, o.stdout, "100 events: 0 delivered, 0 failed after every attempt, 100 not finished")
	assert.Contains(t, o.stdout, "failed attempts by reason: 100 × HTTP 503 is not 2xx")
}

// The job of an event carries its encoded body and labels, the plan's URL,
// signer, fault setting and extra headers.
func TestSendPlanJob(t *testing.T) {
	g := event.NewGenerator(event.Options{Seed: 1})
	ev, err := g.New("work_created", g.WebhookID())
	require.NoError(t, err)
	body, err := ev.Encode()
	require.NoError(t, err)
	ev.Payload = nil
	p := &sendPlan{url: "http://127.0.0.1:1/", dropFirst: 1, header: http.Header{"X-Api-Key": {"k"}}}
	job := p.job(ev, body)
	assert.Equal(t, body, job.Body)
	assert.Equal(t, ev, job.Event)
	assert.Equal(t, p.url, job.URL)
	assert.Equal(t, 1, job.DropFirst)
	assert.Equal(t, p.header, job.Header)
}

func TestProgressLine(t *testing.T) {
	f := load.Figures{Generated: 10, Events: 1, Delivered: 1, P50: 2 * time.Millisecond, P99: 4 * time.Millisecond}
	assert.Equal(t, "[   2.0s] sent 10/100  5.0/s  delivered 1  failed 0  pending 9  p50 2.00ms  p99 4.00ms",
		progressLine(f, 2*time.Second, 100))
}

func TestPrintSummary(t *testing.T) {
	var b bytes.Buffer
	s := load.Summary{
		Figures: load.Figures{
			Generated: 4, Events: 4, Delivered: 3, Exhausted: 1, Attempts: 6, Failed: 3,
			P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 3 * time.Millisecond, Max: 4 * time.Millisecond,
			Reasons: []load.Reason{{Reason: "HTTP 500 is not 2xx", Count: 2}, {Reason: "timeout after 3s: no response", Count: 1}},
		},
		Elapsed: 2 * time.Second, Generating: time.Second,
	}
	printSummary(&syncWriter{w: &b}, &sendPlan{count: 4, rate: 4}, s)
	assert.Equal(t, "4 events: 3 delivered, 1 failed after every attempt (6 attempts) in 2s\n"+
		"achieved rate 4.0/s (requested 4/s); success ratio 75.00% (3/4); latency p50 1.00ms p90 2.00ms p99 3.00ms max 4.00ms\n"+
		"failed attempts by reason: 2 × HTTP 500 is not 2xx; 1 × timeout after 3s: no response\n", b.String())
}

func TestFormatAttempt(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	base := delivery.Attempt{EventID: "evt", Of: 3, At: start.Add(1500 * time.Millisecond)}
	tests := []struct {
		name string
		mod  func(a *delivery.Attempt)
		next time.Duration
		want string
	}{
		{"delivered", func(a *delivery.Attempt) {
			a.Number, a.Status, a.Latency, a.Delivered = 1, 200, 1234*time.Microsecond, true
		}, 0,
			"+1.500s  evt  attempt 1/3  200  1.23ms"},
		{"failed with retry", func(a *delivery.Attempt) {
			a.Number, a.Status, a.Latency, a.Err = 1, 500, 12*time.Millisecond, "HTTP 500 is not 2xx"
		}, 30 * time.Second,
			"+1.500s  evt  attempt 1/3  500  12.0ms  HTTP 500 is not 2xx; next attempt in 30s"},
		{"timeout, last", func(a *delivery.Attempt) {
			a.Number, a.Latency, a.Err = 3, 3*time.Second, "timeout after 3s: no response"
		}, 0,
			"+1.500s  evt  attempt 3/3  error  3.00s  timeout after 3s: no response; gave up after 3 attempts"},
		{"duplicate", func(a *delivery.Attempt) { a.Number, a.Of, a.Duplicate, a.Status, a.Delivered = 1, 1, true, 204, true }, 0,
			"+1.500s  evt  duplicate     204  0ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			tt.mod(&a)
			assert.Equal(t, tt.want, formatAttempt(a, start, tt.next))
		})
	}
}

// fakeMock answers POST /simulator/events like `revhook serve` does.
func fakeMock(t *testing.T, status int, answer string) (*httptest.Server, <-chan map[string]any, <-chan http.Header) {
	t.Helper()
	bodies, headers := make(chan map[string]any, 1), make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/simulator/events" {
			http.Error(w, "wrong endpoint "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		bodies <- m
		headers <- r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, bodies, headers
}

func TestSendViaServer(t *testing.T) {
	answer := `{"events":[{"id":"don:integration:dvrv-us-1:devo/x:webhook/a:webhook_event/1","type":"issue_created","webhooks":["don:integration:dvrv-us-1:devo/x:webhook/a"]},
	  {"id":"don:integration:dvrv-us-1:devo/x:webhook/b:webhook_event/2","type":"issue_created","webhooks":["don:integration:dvrv-us-1:devo/x:webhook/b"]}],
	  "skipped":[{"webhook_id":"don:integration:dvrv-us-1:devo/x:webhook/c","status":"unverified","reason":"not verified yet"}]}`
	srv, bodies, headers := fakeMock(t, http.StatusAccepted, answer)
	data := writeFile(t, "p.json", `{"work": {"type": "issue", "title": "mine"}}`)
	code, stdout, stderr := revhook(context.Background(), "send", "--server", srv.URL+"/", "--token", "tok123",
		"--type", "work_created", "--count", "2", "--data", data, "--duplicates", "0.5", "--reorder", "3", "--drop-first", "1",
		"--webhook-id", "webhook/a")
	require.Equal(t, exitOK, code, stderr)
	body, h := <-bodies, <-headers
	assert.Equal(t, "Bearer tok123", h.Get("Authorization"))
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Equal(t, map[string]any{
		"type": "work_created", "count": 2.0, "payload": map[string]any{"work": map[string]any{"type": "issue", "title": "mine"}},
		"webhook_id": "webhook/a", "duplicate_rate": 0.5, "reorder_window": 3.0, "drop_first": 1.0,
	}, body)
	assert.Contains(t, stdout, "queued don:integration:dvrv-us-1:devo/x:webhook/a:webhook_event/1  issue_created  -> don:integration:dvrv-us-1:devo/x:webhook/a")
	assert.Contains(t, stdout, "skipped don:integration:dvrv-us-1:devo/x:webhook/c (unverified): not verified yet")
	assert.Contains(t, stdout, "2 events queued by "+srv.URL)
}

func TestSendViaServerMinimalRequestAndTokenFromEnv(t *testing.T) {
	t.Setenv("REVHOOK_TOKEN", "from-env")
	srv, bodies, headers := fakeMock(t, http.StatusAccepted, `{"events":[]}`)
	code, stdout, stderr := revhook(context.Background(), "send", "--server", srv.URL)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, map[string]any{"type": "work_created", "count": 1.0}, <-bodies, "fault settings only when given")
	assert.Equal(t, "Bearer from-env", (<-headers).Get("Authorization"))
	assert.Contains(t, stdout, "no active webhook is subscribed to work_created")
}

func TestSendViaServerErrors(t *testing.T) {
	srv, _, _ := fakeMock(t, http.StatusUnauthorized, `{"type":"unauthenticated","message":"bad token"}`)
	code, stdout, stderr := revhook(context.Background(), "send", "--server", srv.URL, "--token", "wrong")
	assert.Equal(t, exitFail, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, `answered 401: {"type":"unauthenticated","message":"bad token"}`)

	down := httptest.NewServer(http.NotFoundHandler())
	u := down.URL
	down.Close()
	code, _, stderr = revhook(context.Background(), "send", "--server", u, "--token", "t")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "/simulator/events")
}

func TestSendInterrupted(t *testing.T) {
	rec := newRecorder(t, 500)
	ctx, cancel := context.WithCancel(context.Background())
	type out struct {
		code           int
		stdout, stderr string
	}
	done := make(chan out, 1)
	go func() {
		code, stdout, stderr := revhook(ctx, "send", "--url", rec.srv.URL, "--secret", cliSecret, "--timeout", "2s")
		done <- out{code, stdout, stderr}
	}()
	// The first attempt fails; the retry is 30 s away. Interrupt while waiting.
	select {
	case <-rec.first:
	case <-time.After(10 * time.Second):
		t.Fatal("no first attempt")
	}
	cancel()
	select {
	case o := <-done:
		assert.Equal(t, exitInterrupted, o.code, "Ctrl-C: 130, after the summary")
		assert.Contains(t, o.stdout, "1 not finished")
		assert.Contains(t, o.stdout, "interrupted after 1 of 1 events")
	case <-time.After(10 * time.Second):
		t.Fatal("send did not stop after cancel")
	}
}

// --header reaches the receiver on every attempt; its value is never printed.
func TestSendExtraHeaders(t *testing.T) {
	rec := newRecorder(t, 500)
	const key = "k3y-value-secret"
	code, stdout, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--header", "X-Api-Key="+key, "--header", "x_tenant=acme", "--schedule", "1ms", "--time-scale", "1")
	require.Equal(t, exitFail, code, stderr)
	reqs := rec.requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		assert.Equal(t, key, r.header.Get("X-Api-Key"))
		assert.Equal(t, "acme", r.header.Get("X_tenant"))
		assert.NotEmpty(t, r.header.Get(signature.Header))
	}
	assert.Contains(t, stdout, "extra headers X-Api-Key X_tenant")
	assert.NotContains(t, stdout+stderr, key)
}

// --print writes what would be sent, signed, and sends nothing.
func TestSendPrint(t *testing.T) {
	rec := newRecorder(t, 200)
	code, stdout, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--print", "--count", "3", "--seed", "4", "--header", "X-Api-Key=k3y-value-secret")
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, rec.requests(), "nothing sent")
	assert.NotContains(t, stdout, "k3y-value-secret")
	v, err := signature.NewVerifier(cliSecret, signature.KeyRaw)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		var p struct {
			Method, URL string
			Headers     map[string]string
			Body        json.RawMessage
		}
		require.NoError(t, json.Unmarshal([]byte(l), &p), l)
		assert.Equal(t, "POST", p.Method)
		assert.Equal(t, rec.srv.URL, p.URL)
		assert.Equal(t, "application/json", p.Headers["Content-Type"])
		assert.Equal(t, redactedHeader, p.Headers["X-Api-Key"])
		assert.True(t, v.Verify(p.Body, p.Headers[signature.Header]), "signed over the exact body")
	}
	// The same seed prints the same events (timestamps apart).
	_, again, _ := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret, "--print", "--count", "3", "--seed", "4")
	strip := regexp.MustCompile(`"\d{4}-\d\d-\d\dT[^"]*"|"X-Devrev-Signature":"[^"]*"|"X-DevRev-Signature":"[^"]*"|"X-Api-Key":"[^"]*",?`)
	assert.Equal(t, strip.ReplaceAllString(stdout, ""), strip.ReplaceAllString(again, ""))
}

// Beyond the pool of generated payloads, events stay distinct: their own
// ids and their own subject objects.
func TestSendManyEventsStayDistinct(t *testing.T) {
	rec := newRecorder(t, 200)
	code, _, stderr := revhook(context.Background(), "send", "--url", rec.srv.URL, "--secret", cliSecret,
		"--count", "150", "--concurrency", "8", "--quiet")
	require.Equal(t, exitOK, code, stderr)
	reqs := rec.requests()
	require.Len(t, reqs, 150)
	ids, works := map[string]bool{}, map[string]bool{}
	for _, r := range reqs {
		var env struct {
			ID   string
			Work struct {
				Work struct {
					DisplayID string `json:"display_id"`
				}
			} `json:"work_created"`
		}
		require.NoError(t, json.Unmarshal(r.body, &env))
		ids[env.ID] = true
		works[env.Work.Work.DisplayID] = true
	}
	assert.Len(t, ids, 150)
	assert.Len(t, works, 150)
}
