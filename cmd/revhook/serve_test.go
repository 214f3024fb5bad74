package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
)

// serveOutput is a stdout that signals every write.
type serveOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newServeOutput() *serveOutput { return &serveOutput{changed: make(chan struct{})} }

func (o *serveOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return n, err
}

func (o *serveOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor blocks until re matches the output, returning the first submatch.
func (o *serveOutput) waitFor(ctx context.Context, t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	for {
		o.mu.Lock()
		m, ch := re.FindStringSubmatch(o.buf.String()), o.changed
		o.mu.Unlock()
		if m != nil {
			return m[len(m)-1]
		}
		select {
		case <-ctx.Done():
			t.Fatalf("output never matched %s:\n%s", re, o.String())
		case <-ch:
		}
	}
}

func TestServeLifecycleAndGracefulShutdown(t *testing.T) {
	rcv := mocktest.NewReceiver(clock.Real())
	defer rcv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	out, errOut := newServeOutput(), &bytes.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runServe(runCtx, []string{"--addr", "127.0.0.1:0", "--token", "tok-1", "--time-scale", "0.001", "--timeout", "2s", "--state", "memory"}, out, errOut)
	}()
	base := out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
	// serve prints the console line after the listening line: wait for it
	// too rather than assume both writes have happened. A token given by
	// --token is never printed.
	out.waitFor(ctx, t, regexp.MustCompile(`(?m)^console: `))
	assert.Contains(t, out.String(), "token: the one given by --token (not printed)")

	post := func(path, body string) (int, map[string]any) {
		return postAPI(ctx, t, base, "tok-1", path, body)
	}
	code, m := post("/webhooks.create", `{"event_types":["work_created"],"url":"`+rcv.URL+`","headers":[{"name":"x-api-key","value":"k-1"}]}`)
	require.Equal(t, 201, code, m)
	out.waitFor(ctx, t, regexp.MustCompile(`unverified -> active`))
	code, m = post("/simulator/events", `{"type":"work_created"}`)
	require.Equal(t, 202, code, m)
	require.NoError(t, rcv.WaitFor(ctx, func(r []mocktest.Request) bool { return len(r) == 2 }))
	out.waitFor(ctx, t, regexp.MustCompile(`attempt +webhook/\S+ work_created #1 ok 200`))
	assert.Equal(t, "k-1", rcv.Of("work_created")[0].Header.Get("X-Api-Key"), "the webhook's custom header reaches the receiver")

	// An attempt in flight at shutdown is aborted and recorded; exit 0 in time.
	rcv.AnswerEvents(mocktest.Hang)
	code, _ = post("/simulator/events", `{"type":"work_created"}`)
	require.Equal(t, 202, code)
	require.NoError(t, rcv.WaitFor(ctx, func(r []mocktest.Request) bool { return len(r) == 3 }))
	start := time.Now()
	stop()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, errOut.String())
	case <-ctx.Done():
		t.Fatal("serve did not stop")
	}
	assert.Less(t, time.Since(start), serveShutdownGrace+time.Second)
	assert.Regexp(t, `work_created #1 FAIL .*(abort|cancel)`, out.String())
	assert.Contains(t, out.String(), "stopped (")
	assert.NotContains(t, out.String(), "tok-1", "a token the user chose is never printed")
}

// TestServeVerifyRetries: by default each verify retry carries its own
// timestamp and signature; --same-bytes-on-retry re-sends the same bytes.
func TestServeVerifyRetries(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		same bool
	}{
		{"re-stamped by default", nil, false},
		{"--same-bytes-on-retry", []string{"--same-bytes-on-retry"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := mocktest.NewReceiver(clock.Real())
			defer rcv.Close()
			rcv.AnswerVerify(mocktest.Fail(500))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			runCtx, stop := context.WithCancel(ctx)
			out := newServeOutput()
			done := make(chan int, 1)
			args := append([]string{"--addr", "127.0.0.1:0", "--token", "tok-2", "--time-scale", "0.001", "--timeout", "2s", "--quiet", "--state", "memory"}, tc.args...)
			go func() { done <- runServe(runCtx, args, out, &bytes.Buffer{}) }()
			defer func() { stop(); <-done }()
			base := out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
			out.waitFor(ctx, t, regexp.MustCompile(`(?m)^state: .*/simulator/webhooks`))
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/webhooks.create", strings.NewReader(`{"url":"`+rcv.URL+`"}`))
			req.Header.Set("Authorization", "Bearer tok-2")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, 201, resp.StatusCode)
			require.NoError(t, rcv.WaitFor(ctx, func(r []mocktest.Request) bool { return len(r) >= 2 }))
			got := rcv.Requests()
			assert.Equal(t, got[0].ID, got[1].ID, "one verify event")
			assert.Equal(t, tc.same, bytes.Equal(got[0].Body, got[1].Body), "same bytes")
			assert.Equal(t, tc.same, got[0].Signature == got[1].Signature, "same signature")
		})
	}
}

func TestServeUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero time scale", []string{"--time-scale", "0"}, "--time-scale"},
		{"negative time scale", []string{"--time-scale", "-1"}, "--time-scale"},
		{"bad timeout", []string{"--timeout", "0s"}, "--timeout"},
		{"bad degraded-after", []string{"--degraded-after", "0"}, "--degraded-after"},
		{"bad reverify", []string{"--reverify-every", "-1s"}, "--reverify-every"},
		{"bad verify window", []string{"--verify-window", "0s"}, "--verify-window"},
		{"bad log size", []string{"--log-size", "0"}, "--log-size"},
		{"bad schedule", []string{"--schedule", "30s,soon"}, "--schedule"},
		{"negative schedule", []string{"--schedule", "-30s"}, "--schedule"},
		{"bad encoding", []string{"--encoding", "rot13"}, "--encoding"},
		{"bad key encoding", []string{"--key-encoding", "hex"}, "--key-encoding"},
		{"bad precision", []string{"--precision", "ps"}, "--precision"},
		{"token with space", []string{"--token", "a b"}, "--token"},
		{"bad addr", []string{"--addr", "127.0.0.1:99999"}, "--addr"},
		{"stray argument", []string{"now"}, "unexpected argument"},
		{"unknown flag", []string{"--colour"}, "colour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runServe(t.Context(), append(tc.args, "--state", "memory"), &out, &errOut)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut.String(), tc.want)
			assert.NotContains(t, out.String(), "listening")
		})
	}
}

func TestParseScheduleAndFormat(t *testing.T) {
	s, err := parseSchedule(" 30s, 3m ")
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{30 * time.Second, 3 * time.Minute}, s)
	s, err = parseSchedule("")
	require.NoError(t, err)
	assert.Empty(t, s)
	assert.Equal(t, "300ms, 1.8s", describeSchedule([]time.Duration{30 * time.Second, 3 * time.Minute}, 0.01))

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	line := formatEntry(deliverylog.Entry{Time: at, Kind: "attempt", WebhookID: "don:integration:dvrv-us-1:devo/x:webhook/W1",
		EventID: "don:integration:dvrv-us-1:devo/x:webhook/W1:webhook_event/E1", EventType: "work_created",
		Attempt: 2, Status: 500, LatencyMS: 12, Error: "HTTP 500 is not 2xx"})
	assert.Equal(t, "03:04:05.000 attempt    webhook/W1 work_created #2 FAIL 500 12ms webhook_event/E1  HTTP 500 is not 2xx", line)
	line = formatEntry(deliverylog.Entry{Time: at, Kind: "transition", WebhookID: "w", From: "active", To: "degraded", Message: "why"})
	assert.Equal(t, "03:04:05.000 transition w active -> degraded  why", line)
}

// postAPI POSTs body to the mock at base+path with token and returns the
// status and the decoded JSON answer.
func postAPI(ctx context.Context, t *testing.T, base, token, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}
