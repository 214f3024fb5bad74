package harness

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sendOnce sends a small signed body to h's receiver in a fresh scenario.
func sendOnce(t *testing.T, h *Harness, hdr ...string) *Exchange {
	t.Helper()
	sc := h.NewScenario("send", "send", "SIG-01", "MUST")
	header := SignedHeader(h.Sign([]byte(`{}`)), false)
	for i := 0; i+1 < len(hdr); i += 2 {
		header.Set(hdr[i], hdr[i+1])
	}
	return h.Send(context.Background(), sc, Request{What: "a request", Body: []byte(`{}`), Header: header}, true)
}

func TestSendBoundsWhatItReads(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/headers":
			for i := 0; i < 10; i++ {
				w.Header().Set("X-Flood-"+string(rune('A'+i)), strings.Repeat("h", 8<<10))
			}
			w.WriteHeader(http.StatusOK)
		case "/body":
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat("b", 32<<10))
			for i := 0; i < 64; i++ { // 2 MiB, or until the harness hangs up
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	})
	h := newHarness(t, srv.URL+"/headers", nil)
	x := sendOnce(t, h)
	require.Error(t, x.Err)
	assert.EqualError(t, x.Err, "the response headers exceeded 64 KiB")
	assert.Contains(t, x.Outcome(), "no answer (the response headers exceeded 64 KiB)")

	h = newHarness(t, srv.URL+"/body", nil)
	x = sendOnce(t, h)
	require.NoError(t, x.Err)
	assert.Equal(t, http.StatusOK, x.Status)
	assert.Len(t, x.RespBody, MaxResponseBytes)
}

func TestSendLateAndNoAnswer(t *testing.T) {
	const timeout = 100 * time.Millisecond
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that a hang-up cancels r's context
		switch r.URL.Path {
		case "/late": // the receiver's own pace: past the deadline, within the grace
			time.Sleep(timeout + 50*time.Millisecond)
			http.Error(w, "busy", http.StatusBadRequest)
		case "/never":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handlers
	h := newHarness(t, srv.URL+"/late", func(o *Options) { o.Timeout, o.Grace = timeout, 5*time.Second })
	x := sendOnce(t, h)
	require.NoError(t, x.Err)
	assert.True(t, x.Late)
	assert.Equal(t, http.StatusBadRequest, x.Status)
	assert.Greater(t, x.Latency, timeout)
	assert.True(t, x.Answered())
	assert.Contains(t, x.Outcome(), "400 busy after ")
	assert.False(t, h.Silent())

	h = newHarness(t, srv.URL+"/never", func(o *Options) { o.Timeout = timeout })
	start := time.Now()
	x = sendOnce(t, h)
	require.Error(t, x.Err)
	assert.EqualError(t, x.Err, "timeout: no answer within 150ms (the 100ms deadline and 50ms of grace)")
	assert.Less(t, time.Since(start), 5*time.Second, "bounded by the deadline and its grace")
	assert.False(t, x.Answered())
	assert.True(t, h.Silent())
}

func TestSendTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/hook"
	require.NoError(t, ln.Close())
	x := sendOnce(t, newHarness(t, closed, nil))
	assert.EqualError(t, x.Err, "connection refused")

	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hangup":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case "/redirect":
			http.Redirect(w, r, "https://hooks.example.com/final", http.StatusFound)
		}
	})
	x = sendOnce(t, newHarness(t, srv.URL+"/hangup", nil))
	assert.EqualError(t, x.Err, "the receiver closed the connection without a complete answer")

	x = sendOnce(t, newHarness(t, srv.URL+"/redirect", nil))
	require.NoError(t, x.Err)
	assert.Equal(t, http.StatusFound, x.Status, "redirects are not followed")
	assert.Contains(t, x.Outcome(), "a redirect to https://hooks.example.com/final")
}

func TestSendSharesNoConnection(t *testing.T) {
	var conns atomic.Int64
	var got atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Clone())
		w.WriteHeader(http.StatusOK)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	h := newHarness(t, srv.URL, func(o *Options) { o.Header = http.Header{"X-Api-Key": {"gateway-key"}} })
	for i := 0; i < 3; i++ {
		x := sendOnce(t, h)
		require.NoError(t, x.Err)
	}
	assert.Equal(t, int64(3), conns.Load(), "one connection per request")
	assert.Equal(t, int64(3), h.Requests())
	hd := got.Load().(http.Header)
	assert.Equal(t, "gateway-key", hd.Get("X-Api-Key"), "--header values go with every request")
	assert.Equal(t, UserAgent, hd.Get("User-Agent"))
	assert.NotEmpty(t, hd.Get("X-Devrev-Signature"))
}

// TestSlotsWidenOnlyForAStalledReceiver: a request that got no answer
// while nothing else was answered lets every waiting scenario start; a
// receiver that answers, however slowly, keeps the bound.
func TestSlotsWidenOnlyForAStalledReceiver(t *testing.T) {
	const timeout = 200 * time.Millisecond
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.Header.Get("X-Test") {
		case "hang":
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "slow":
			time.Sleep(timeout + 20*time.Millisecond) // answers, late
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handlers
	opts := func(o *Options) { o.Timeout, o.Grace, o.Concurrency = timeout, timeout, 1 }
	// secondSlot reports whether a second scenario can start while the
	// first holds the only slot.
	secondSlot := func(h *Harness) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*timeout)
		defer cancel()
		if err := h.Begin(ctx); err != nil {
			return false
		}
		h.End()
		return true
	}

	t.Run("stalled", func(t *testing.T) {
		h := newHarness(t, srv.URL, opts)
		require.NoError(t, h.Begin(context.Background()))
		defer h.End()
		require.False(t, secondSlot(h), "one slot")
		x := sendOnce(t, h, "X-Test", "hang")
		<-started
		require.Error(t, x.Err)
		assert.True(t, h.Silent())
		assert.True(t, secondSlot(h), "widened")
	})

	t.Run("slow but answering", func(t *testing.T) {
		h := newHarness(t, srv.URL, opts)
		require.NoError(t, h.Begin(context.Background()))
		defer h.End()
		x := sendOnce(t, h, "X-Test", "slow")
		require.NoError(t, x.Err)
		assert.True(t, x.Late)
		assert.False(t, h.Silent())
		assert.False(t, secondSlot(h), "still one slot")
	})

	t.Run("one request unanswered while others are answered", func(t *testing.T) {
		h := newHarness(t, srv.URL, opts)
		require.NoError(t, h.Begin(context.Background()))
		defer h.End()
		done := make(chan *Exchange)
		go func() { done <- sendOnce(t, h, "X-Test", "hang") }()
		<-started
		require.NoError(t, sendOnce(t, h).Err, "answered while the other waits")
		x := <-done
		require.Error(t, x.Err)
		// Answered after the unanswered request was sent: not silent. But
		// nothing was answered during the whole deadline before it gave
		// up, so the waves of scenarios are let through at once.
		assert.False(t, h.Silent(), "answered after the unanswered request was sent")
		assert.True(t, secondSlot(h), "widened: no answer for a whole deadline")
		go func() { done <- sendOnce(t, h, "X-Test", "hang") }()
		<-started
		require.Error(t, (<-done).Err)
		assert.True(t, h.Silent(), "nothing answered since")
		require.NoError(t, sendOnce(t, h).Err)
		assert.False(t, h.Silent(), "answering again")
	})
}

func TestSlotsHonourTheContext(t *testing.T) {
	s := newSlots(1)
	require.NoError(t, s.acquire(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.acquire(ctx) }()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	s.release()
	require.NoError(t, s.acquire(context.Background()), "the cancelled waiter took no slot")
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status int
		header string
		want   time.Duration
		ok     bool
	}{
		{"429 without Retry-After", 429, "", time.Second, true},
		{"429 in seconds", 429, "7", 7 * time.Second, true},
		{"429 as a date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"429 with a date past", 429, now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"429 unreadable", 429, "soon", time.Second, true},
		{"503 with Retry-After", 503, "2", 2 * time.Second, true},
		{"503 without: an error, not back-pressure", 503, "", 0, false},
		{"500 with Retry-After", 500, "2", 0, false},
		{"200", 200, "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := &Exchange{Status: tc.status, RespHeader: http.Header{}}
			if tc.header != "" {
				x.RespHeader.Set("Retry-After", tc.header)
			}
			got, ok := x.retryAfter(now)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

// A receiver that answers 429 is asked again, as DevRev would, within the
// harness's bounds; a burst's requests (FirstAnswer) are judged as they
// were first answered.
func TestSendRetriesBackPressure(t *testing.T) {
	cases := []struct {
		name        string
		first429s   int    // answered 429 before 200
		retryAfter  string // of the 429s
		firstAnswer bool
		wantStatus  int
		wantWaits   int
		throttle    string // "" when not throttled
	}{
		{"two 429s then 200", 2, "0", false, 200, 2, ""},
		{"429 for ever", 100, "0", false, 429, BackoffTries, "still so after 3 retries"},
		{"a Retry-After longer than the check waits", 100, "60", false, 429, 0, "retry after 60.0 s, longer than the check waits"},
		{"a burst's request is not retried", 2, "0", true, 429, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tc.first429s {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			h := newHarness(t, srv.URL, nil)
			sc := h.NewScenario("send", "send", "SIG-01", "MUST")
			x := h.Send(context.Background(), sc, Request{What: "a request", Body: []byte(`{}`), FirstAnswer: tc.firstAnswer}, true)
			assert.Equal(t, tc.wantStatus, x.Status)
			assert.Len(t, x.Waited, tc.wantWaits)
			if tc.throttle == "" {
				assert.Empty(t, x.Throttle)
			} else {
				assert.Contains(t, x.Throttle, tc.throttle)
				assert.Contains(t, x.Outcome(), tc.throttle, "the reason says so")
			}
		})
	}
}

// What a receiver kept rate-limiting was not observed: the scenario is
// blocked by the load requirement, whatever its steps concluded (a 429 is
// no refusal of a bad signature); the load requirement itself fails, and
// the transport requirement keeps its verdict.
func TestThrottledScenarios(t *testing.T) {
	h := offline(t)
	throttled := &Exchange{What: "the control", Status: 429, Throttle: "rate limited: …"}
	cases := []struct {
		req       string
		stepErr   error
		exchanges []*Exchange
		want      string // "pass", "fail" or "blocked"
	}{
		{"SIG-02", nil, []*Exchange{throttled}, "blocked"},
		{"SIG-02", Failf("accepted a bad signature"), []*Exchange{throttled}, "blocked"},
		{"SIG-02", nil, []*Exchange{{Status: 401}}, "pass"},
		{"SIG-01", Failf("answered 429"), []*Exchange{throttled}, "blocked"},
		{CoversLoad, nil, []*Exchange{throttled}, "fail"},
		{CoversTransport, Failf("plain http"), []*Exchange{throttled}, "fail"},
		{CoversTransport, nil, []*Exchange{throttled}, "pass"},
	}
	for _, tc := range cases {
		t.Run(tc.req, func(t *testing.T) {
			sc := h.NewScenario(tc.req, tc.req, tc.req, "MUST")
			for _, x := range tc.exchanges {
				sc.Record(x, true)
			}
			sc.Finish(sc.Throttled(tc.stepErr))
			switch tc.want {
			case "pass":
				assert.True(t, sc.Passed(), sc.Reason())
			case "fail":
				assert.False(t, sc.Passed())
				assert.Nil(t, sc.BlockedBy())
			case "blocked":
				assert.Equal(t, []string{CoversLoad}, sc.BlockedBy())
				assert.Contains(t, sc.Reason(), "rate-limited")
			}
		})
	}
}
