package console_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/console"
	"github.com/revhook/revhook/simulator/deliverylog"
)

// fakeSource is a Source over a real delivery log and a settable webhook
// list.
type fakeSource struct {
	log   *deliverylog.Log
	mu    sync.Mutex
	hooks []map[string]any
}

func newFakeSource(capacity int) *fakeSource {
	return &fakeSource{log: deliverylog.New(capacity), hooks: []map[string]any{}}
}

func (f *fakeSource) Entries(after uint64, limit int) []deliverylog.Entry {
	return f.log.List(deliverylog.Filter{AfterSeq: after, Limit: limit})
}
func (f *fakeSource) LastSeq() uint64      { return f.log.Total() }
func (f *fakeSource) EventTypes() []string { return []string{"work_created", "work_updated"} }
func (f *fakeSource) Webhooks() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.hooks...)
}

func (f *fakeSource) setHooks(h ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = h
}

func (f *fakeSource) add(n int) {
	for i := 0; i < n; i++ {
		f.log.Add(deliverylog.Entry{Kind: deliverylog.KindAttempt, WebhookID: "w1", EventID: fmt.Sprintf("e%d", i), Attempt: 1, Status: 200, Delivered: true})
	}
}

// sse is one server-sent event.
type sse struct{ id, name, data string }

// readEvents parses a stream into events on the returned channel, closed at
// the end of the stream.
func readEvents(r io.Reader) <-chan sse {
	ch := make(chan sse, 1024)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ch <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return ch
}

// next returns the next event, failing the test when the stream ends or
// ctx is done first.
func next(ctx context.Context, t *testing.T, ch <-chan sse) sse {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "the stream ended")
		return ev
	case <-ctx.Done():
		t.Fatal("no event in time")
		return sse{}
	}
}

// expect reads events until one named name, returning it.
func expect(ctx context.Context, t *testing.T, ch <-chan sse, name string) sse {
	t.Helper()
	for {
		if ev := next(ctx, t, ch); ev.name == name {
			return ev
		}
	}
}

// harness runs a console stream on an httptest server with a fake clock.
type harness struct {
	src  *fakeSource
	fake *clock.Fake
	done chan struct{}
	srv  *httptest.Server
	opts console.Options
}

func newHarness(t *testing.T, src *fakeSource, mod func(*console.Options)) *harness {
	t.Helper()
	h := &harness{src: src, fake: clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), done: make(chan struct{})}
	h.opts = console.Options{Source: src, Clock: h.fake, Done: h.done, Poll: time.Second, Heartbeat: 3 * time.Second,
		WebhooksEvery: 2 * time.Second, Backlog: 10, Batch: 5}
	if mod != nil {
		mod(&h.opts)
	}
	h.srv = httptest.NewServer(console.New(h.opts))
	t.Cleanup(h.srv.Close)
	return h
}

// open connects to the stream; the returned events end with the stream.
func (h *harness) open(ctx context.Context, t *testing.T, lastEventID string) <-chan sse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+console.StreamPath, nil)
	require.NoError(t, err)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := h.srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	return readEvents(resp.Body)
}

// tick lets the stream's poll timer fire once it is waiting on it.
func (h *harness) tick(ctx context.Context, t *testing.T) {
	t.Helper()
	require.NoError(t, h.fake.BlockUntil(ctx, 1), "the stream never waited for its next poll")
	h.fake.Advance(h.opts.Poll)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func seqOf(t *testing.T, ev sse) uint64 {
	t.Helper()
	var e deliverylog.Entry
	require.NoError(t, json.Unmarshal([]byte(ev.data), &e))
	require.Equal(t, fmt.Sprint(e.Seq), ev.id, "the event id is the entry's seq")
	return e.Seq
}

func TestStreamBacklogThenLive(t *testing.T) {
	ctx := testCtx(t)
	src := newFakeSource(100)
	src.add(3)
	src.setHooks(map[string]any{"id": "w1", "state": "active"})
	h := newHarness(t, src, nil)
	ch := h.open(ctx, t, "")

	hello := next(ctx, t, ch)
	require.Equal(t, console.EventHello, hello.name)
	assert.JSONEq(t, `{"event_types":["work_created","work_updated"],"last_seq":3}`, hello.data)
	for want := uint64(1); want <= 3; want++ {
		ev := next(ctx, t, ch)
		require.Equal(t, console.EventEntry, ev.name)
		assert.Equal(t, want, seqOf(t, ev))
	}
	hooks := next(ctx, t, ch)
	require.Equal(t, console.EventWebhooks, hooks.name)
	assert.JSONEq(t, `[{"id":"w1","state":"active"}]`, hooks.data)

	// A new entry arrives at the next poll, with the webhooks if they
	// changed (a state change).
	src.add(1)
	src.setHooks(map[string]any{"id": "w1", "state": "degraded"})
	h.tick(ctx, t)
	ev := next(ctx, t, ch)
	require.Equal(t, console.EventEntry, ev.name)
	assert.Equal(t, uint64(4), seqOf(t, ev))
	hooks = next(ctx, t, ch)
	require.Equal(t, console.EventWebhooks, hooks.name)
	assert.Contains(t, hooks.data, "degraded")

	// Silence: a heartbeat after Heartbeat (3 polls); webhooks that changed
	// without a log entry go out after WebhooksEvery (2 polls).
	src.setHooks(map[string]any{"id": "w1", "state": "active"})
	h.tick(ctx, t)
	h.tick(ctx, t)
	hooks = next(ctx, t, ch)
	require.Equal(t, console.EventWebhooks, hooks.name)
	assert.Contains(t, hooks.data, `"active"`)
	for i := 0; i < 3; i++ {
		h.tick(ctx, t)
	}
	hb := next(ctx, t, ch)
	require.Equal(t, console.EventHeartbeat, hb.name)
	assert.Contains(t, hb.data, "2026-01-02T03:04")
}

func TestStreamBacklogIsBounded(t *testing.T) {
	ctx := testCtx(t)
	src := newFakeSource(1000)
	src.add(500)
	h := newHarness(t, src, nil) // Backlog 10
	ch := h.open(ctx, t, "")
	next(ctx, t, ch) // hello
	var seqs []uint64
	for ev := next(ctx, t, ch); ev.name == console.EventEntry; ev = next(ctx, t, ch) {
		seqs = append(seqs, seqOf(t, ev))
	}
	assert.Equal(t, []uint64{491, 492, 493, 494, 495, 496, 497, 498, 499, 500}, seqs, "the newest Backlog entries, no gap event")
}

func TestStreamResumesFromLastEventID(t *testing.T) {
	tests := []struct {
		name      string
		lastID    string
		wantReset bool
		wantGap   string
		wantSeqs  []uint64
	}{
		{"resume after 5", "5", false, "", []uint64{6, 7, 8}},
		{"far behind: a batch and a gap", "1", false, `{"missed":2}`, []uint64{4, 5, 6, 7, 8}},
		{"ahead of the log (a restarted mock): reset and backlog", "99", true, "", []uint64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"not a number: backlog", "x", false, "", []uint64{1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			src := newFakeSource(100)
			src.add(8)
			h := newHarness(t, src, nil) // Batch 5
			ch := h.open(ctx, t, tc.lastID)
			next(ctx, t, ch) // hello
			var seqs []uint64
			reset, gap := false, ""
			for ev := next(ctx, t, ch); ev.name != console.EventWebhooks; ev = next(ctx, t, ch) {
				switch ev.name {
				case console.EventReset:
					reset = true
				case console.EventGap:
					gap = ev.data
				case console.EventEntry:
					seqs = append(seqs, seqOf(t, ev))
				}
			}
			assert.Equal(t, tc.wantReset, reset)
			assert.Equal(t, tc.wantGap, gap)
			assert.Equal(t, tc.wantSeqs, seqs)
		})
	}
}

func TestStreamEnds(t *testing.T) {
	t.Run("when the mock shuts down: bye", func(t *testing.T) {
		ctx := testCtx(t)
		h := newHarness(t, newFakeSource(10), nil)
		ch := h.open(ctx, t, "")
		expect(ctx, t, ch, console.EventWebhooks)
		close(h.done)
		bye := next(ctx, t, ch)
		require.Equal(t, console.EventBye, bye.name)
		assert.Contains(t, bye.data, "shutting down")
		select {
		case _, ok := <-ch:
			assert.False(t, ok, "nothing after bye")
		case <-ctx.Done():
			t.Fatal("the stream did not end")
		}
	})
	t.Run("when the client goes away", func(t *testing.T) {
		ctx := testCtx(t)
		src := newFakeSource(10)
		opts := console.Options{Source: src, Clock: clock.NewFake(time.Unix(0, 0))}
		w := newBlockingWriter(1 << 20)
		reqCtx, cancel := context.WithCancel(ctx)
		returned := make(chan struct{})
		go func() {
			console.New(opts).ServeHTTP(w, httptest.NewRequestWithContext(reqCtx, http.MethodGet, console.StreamPath, nil))
			close(returned)
		}()
		cancel()
		select {
		case <-returned:
		case <-ctx.Done():
			t.Fatal("the handler did not return when the client went away")
		}
	})
}

// blockingWriter is a ResponseWriter that accepts `free` writes and then
// blocks every write until release is closed: a client that stopped
// reading.
type blockingWriter struct {
	header  http.Header
	mu      sync.Mutex
	buf     bytes.Buffer
	free    int
	blocked chan struct{} // closed when a write blocks
	release chan struct{}
	once    sync.Once
}

func newBlockingWriter(free int) *blockingWriter {
	return &blockingWriter{header: http.Header{}, free: free, blocked: make(chan struct{}), release: make(chan struct{})}
}

func (b *blockingWriter) Header() http.Header { return b.header }
func (b *blockingWriter) WriteHeader(int)     {}
func (b *blockingWriter) Flush()              {}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.free > 0 {
		b.free--
		defer b.mu.Unlock()
		return b.buf.Write(p)
	}
	b.mu.Unlock()
	b.once.Do(func() { close(b.blocked) })
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *blockingWriter) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestStreamSlowClientDoesNotBlockTheMock: while a client does not read,
// the mock keeps logging (the stream holds no lock and the mock never
// waits for it); when the client reads again it gets at most Batch entries,
// the newest, and a gap event saying how many it missed.
func TestStreamSlowClientDoesNotBlockTheMock(t *testing.T) {
	ctx := testCtx(t)
	src := newFakeSource(100_000)
	fake := clock.NewFake(time.Unix(0, 0))
	w := newBlockingWriter(1) // the start goes through, then the client stalls
	opts := console.Options{Source: src, Clock: fake, Poll: time.Second, Batch: 50}
	returned := make(chan struct{})
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		console.New(opts).ServeHTTP(w, httptest.NewRequestWithContext(reqCtx, http.MethodGet, console.StreamPath, nil))
		close(returned)
	}()
	require.NoError(t, fake.BlockUntil(ctx, 1)) // started: the backlog (empty) is out
	src.add(1)
	fake.Advance(time.Second)
	select {
	case <-w.blocked:
	case <-ctx.Done():
		t.Fatal("the stream never wrote the new entry")
	}

	// The client is stuck; the mock logs 10 000 entries regardless.
	logged := make(chan struct{})
	go func() { src.add(10_000); close(logged) }()
	select {
	case <-logged:
	case <-ctx.Done():
		t.Fatal("logging blocked behind a stalled stream")
	}

	close(w.release)
	require.NoError(t, fake.BlockUntil(ctx, 1))
	fake.Advance(time.Second)
	require.NoError(t, fake.BlockUntil(ctx, 1)) // the stream wrote that poll and waits again
	cancel()
	<-returned
	out := w.String()
	gap := regexp.MustCompile(`event: gap\ndata: \{"missed":(\d+)\}`).FindStringSubmatch(out)
	require.NotNil(t, gap, out)
	assert.Equal(t, "9950", gap[1], "10 000 logged while stalled, the newest 50 sent")
	assert.Equal(t, 1+50, strings.Count(out, "event: entry"))
	assert.Contains(t, out, "id: 10001\n")
}

func TestPage(t *testing.T) {
	h := console.New(console.Options{Source: newFakeSource(1)})
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, console.PagePath+"?token=abc", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
		if method == http.MethodHead {
			assert.Empty(t, rec.Body.String())
			continue
		}
		page := rec.Body.String()
		assert.NotContains(t, page, "abc", "the page never carries the token")
		assert.NotContains(t, page, "/*SCRIPT*/")
		assert.NotContains(t, page, "/*STYLE*/")
		assert.NotRegexp(t, `(?i)<script[^>]+src=|<link[^>]+href=|https?://`, page, "nothing is loaded from elsewhere")
		// The CSP allows exactly the inline script and style, by hash.
		csp := rec.Header().Get("Content-Security-Policy")
		for _, tag := range []string{"script", "style"} {
			m := regexp.MustCompile(`(?s)<` + tag + `>(.*?)</` + tag + `>`).FindStringSubmatch(page)
			require.NotNil(t, m, tag)
			sum := sha256.Sum256([]byte(m[1]))
			assert.Contains(t, csp, tag+"-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
		assert.Contains(t, csp, "default-src 'none'")
		assert.Contains(t, csp, "connect-src 'self'")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/elsewhere", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}
