package delivery

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// watchdog bounds every wait in these tests; it is never reached when the
// code under test is correct.
const watchdog = 10 * time.Second

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// sink is a scripted receiver that records what it got.
type sink struct {
	srv *httptest.Server

	mu       sync.Mutex
	ids      []string // event ids in arrival order
	bodies   map[string][]string
	sigs     map[string][]string
	inflight atomic.Int32
	maxIn    atomic.Int32
	status   func(n int) int // status for the n-th request (1-based)
	n        atomic.Int32
}

func newSink(t *testing.T, status func(n int) int) *sink {
	t.Helper()
	s := &sink{bodies: map[string][]string{}, sigs: map[string][]string{}, status: status}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for {
			m := s.maxIn.Load()
			if in <= m || s.maxIn.CompareAndSwap(m, in) {
				break
			}
		}
		body, _ := io.ReadAll(r.Body)
		id := eventID(body)
		s.mu.Lock()
		s.ids = append(s.ids, id)
		s.bodies[id] = append(s.bodies[id], string(body))
		s.sigs[id] = append(s.sigs[id], r.Header.Get(signature.Header))
		s.mu.Unlock()
		code := 200
		if s.status != nil {
			code = s.status(int(s.n.Add(1)))
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ids)
}

// eventID pulls the id out of a body built by testEvent (`{"id":"…",`).
func eventID(body []byte) string {
	const prefix = `{"id":"`
	if len(body) < len(prefix) {
		return ""
	}
	rest := body[len(prefix):]
	for i, c := range rest {
		if c == '"' {
			return string(rest[:i])
		}
	}
	return ""
}

func testEvent(i int) event.Event {
	return event.Event{
		ID:        fmt.Sprintf("evt-%03d", i),
		WebhookID: "don:integration:dvrv-us-1:devo/test:webhook/1",
		Timestamp: t0,
		Type:      "work_created",
		Payload:   event.Object{"work": event.Object{"type": "issue", "title": fmt.Sprint("title ", i)}},
	}
}

func testSigner(t testing.TB) *signature.Signer {
	t.Helper()
	s, err := signature.NewSigner("s3cr3t-value", signature.Hex, signature.KeyRaw)
	require.NoError(t, err)
	return s
}

func jobs(t testing.TB, url string, n int) []Job {
	out := make([]Job, n)
	signer := testSigner(t)
	for i := range out {
		out[i] = Job{Event: testEvent(i), URL: url, Signer: signer}
	}
	return out
}

// attempts collects OnAttempt calls on a channel.
func attemptsChan() (chan Attempt, func(Attempt)) {
	ch := make(chan Attempt, 1024)
	return ch, func(a Attempt) { ch <- a }
}

func recv(t *testing.T, ch <-chan Attempt) Attempt {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(watchdog):
		t.Fatal("no attempt within the watchdog")
		return Attempt{}
	}
}

func blockUntil(t *testing.T, f *clock.Fake, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), watchdog)
	defer cancel()
	require.NoError(t, f.BlockUntil(ctx, n), "the engine did not reach its wait")
}

func TestDefaults(t *testing.T) {
	assert.Equal(t, []time.Duration{30 * time.Second, 3 * time.Minute}, DefaultSchedule())
	e := New(Config{})
	assert.Equal(t, 3, e.Attempts())
	assert.Equal(t, DefaultConcurrency, e.Config().Concurrency)
	assert.NotNil(t, e.Config().Client)
	assert.NotNil(t, e.Config().Clock)
	assert.Equal(t, 1, New(Config{Schedule: []time.Duration{}}).Attempts(), "an empty schedule means one attempt")
	assert.Equal(t, 1.0, New(Config{DuplicateRate: 7}).Config().DuplicateRate)
	assert.Equal(t, 0.0, New(Config{DuplicateRate: -1}).Config().DuplicateRate)
}

func TestDeliverSignsRawBody(t *testing.T) {
	s := newSink(t, nil)
	signer := testSigner(t)
	job := Job{Event: testEvent(1), URL: s.srv.URL, Signer: signer}
	// Stamped at the event's own time, the body is the encoded event.
	res := New(Config{Clock: clock.NewFake(t0)}).Deliver(context.Background(), job)
	require.True(t, res.Delivered)
	require.NoError(t, res.Err)
	require.Len(t, res.Attempts, 1)
	a := res.Attempts[0]
	assert.Equal(t, Attempt{
		EventID: "evt-001", WebhookID: job.Event.WebhookID, Type: "work_created", URL: s.srv.URL,
		Number: 1, Of: 3, At: t0, Timestamp: "2026-11-23T10:00:00.000000000Z",
		Status: 200, Latency: a.Latency, Delivered: true,
	}, a)
	want := job.Event.MustEncode()
	assert.Equal(t, []string{string(want)}, s.bodies["evt-001"])
	v, err := signature.NewVerifier("s3cr3t-value", signature.KeyRaw)
	require.NoError(t, err)
	assert.True(t, v.Verify(want, s.sigs["evt-001"][0]))
	assert.Equal(t, signer.Sign(want), s.sigs["evt-001"][0])
}

func TestDeliverUsesGivenBodyAndNoSignerMeansNoHeader(t *testing.T) {
	s := newSink(t, nil)
	body := []byte(`{"id":"raw-1",  "odd":   "spacing"}`)
	res := New(Config{}).Deliver(context.Background(), Job{Event: testEvent(1), Body: body, URL: s.srv.URL})
	require.True(t, res.Delivered)
	assert.Equal(t, []string{string(body)}, s.bodies["raw-1"], "the bytes are sent exactly as given")
	assert.Equal(t, []string{""}, s.sigs["raw-1"])
}

func TestDeliverEncodeError(t *testing.T) {
	ev := testEvent(1)
	ev.Payload = event.Object{"bad": make(chan int)}
	res := New(Config{}).Deliver(context.Background(), Job{Event: ev, URL: "http://127.0.0.1:1/"})
	assert.ErrorContains(t, res.Err, "encode event evt-001")
	assert.Empty(t, res.Attempts, "nothing is sent")
	assert.False(t, res.Exhausted())
}

// TestRetryScheduleOrderAndSpacing drives the default schedule by hand and
// checks the attempts happen at exactly t0, t0+30s and t0+3m30s.
func TestRetryScheduleOrderAndSpacing(t *testing.T) {
	s := newSink(t, func(int) int { return 500 })
	fake := clock.NewFake(t0)
	ch, onAttempt := attemptsChan()
	e := New(Config{Clock: fake, OnAttempt: onAttempt})
	done := make(chan Result, 1)
	go func() { done <- e.Deliver(context.Background(), jobs(t, s.srv.URL, 1)[0]) }()

	first := recv(t, ch)
	assert.Equal(t, t0, first.At)
	assert.Equal(t, 1, first.Number)
	assert.Equal(t, 500, first.Status)
	assert.Equal(t, "HTTP 500 is not 2xx", first.Err)

	blockUntil(t, fake, 1)
	next, _ := fake.NextDeadline()
	assert.Equal(t, t0.Add(30*time.Second), next, "second attempt is due 30 s after the first failed")
	fake.Advance(30*time.Second - time.Nanosecond)
	assert.Equal(t, 1, fake.Waiters(), "not a nanosecond early")
	assert.Empty(t, ch)
	fake.Advance(time.Nanosecond)
	second := recv(t, ch)
	assert.Equal(t, t0.Add(30*time.Second), second.At)
	assert.Equal(t, 2, second.Number)

	blockUntil(t, fake, 1)
	next, _ = fake.NextDeadline()
	assert.Equal(t, t0.Add(3*time.Minute+30*time.Second), next, "third attempt is due 3 min after the second failed")
	fake.Advance(3*time.Minute - time.Nanosecond)
	assert.Empty(t, ch)
	fake.Advance(time.Nanosecond)
	third := recv(t, ch)
	assert.Equal(t, t0.Add(3*time.Minute+30*time.Second), third.At)
	assert.Equal(t, 3, third.Number)

	res := <-done
	assert.False(t, res.Delivered)
	assert.True(t, res.Exhausted())
	assert.NoError(t, res.Err)
	assert.Equal(t, []int{1, 2, 3}, numbers(res.Attempts))
	assert.Len(t, s.received(), 3)
	assert.Equal(t, 0, fake.Waiters(), "no retry after the last attempt")
}

func numbers(as []Attempt) []int {
	out := make([]int, len(as))
	for i, a := range as {
		out[i] = a.Number
	}
	return out
}

func TestRetryStopsAtSuccess(t *testing.T) {
	s := newSink(t, func(n int) int { return map[bool]int{true: 503, false: 204}[n == 1] })
	fake := clock.NewFake(t0)
	e := New(Config{Clock: fake})
	done := make(chan Result, 1)
	go func() { done <- e.Deliver(context.Background(), jobs(t, s.srv.URL, 1)[0]) }()
	blockUntil(t, fake, 1)
	fake.Advance(30 * time.Second)
	res := <-done
	assert.True(t, res.Delivered)
	assert.Equal(t, []int{1, 2}, numbers(res.Attempts))
	assert.Equal(t, []bool{false, true}, []bool{res.Attempts[0].Delivered, res.Attempts[1].Delivered})
	assert.Equal(t, 0, fake.Waiters())
}

func TestCustomScheduleAndSingleAttempt(t *testing.T) {
	tests := []struct {
		name     string
		schedule []time.Duration
		wantAt   []time.Duration
	}{
		{"single attempt", []time.Duration{}, []time.Duration{0}},
		{"two quick retries", []time.Duration{time.Second, 2 * time.Second}, []time.Duration{0, time.Second, 3 * time.Second}},
		{"four attempts", []time.Duration{1, 1, 1}, []time.Duration{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, func(int) int { return 500 })
			fake := clock.NewFake(t0)
			e := New(Config{Clock: fake, Schedule: tt.schedule})
			done := make(chan Result, 1)
			go func() { done <- e.Deliver(context.Background(), jobs(t, s.srv.URL, 1)[0]) }()
			for range tt.schedule {
				blockUntil(t, fake, 1)
				d, _ := fake.NextDeadline()
				fake.Advance(d.Sub(fake.Now()))
			}
			res := <-done
			require.Len(t, res.Attempts, len(tt.wantAt))
			for i, a := range res.Attempts {
				assert.Equal(t, t0.Add(tt.wantAt[i]), a.At)
				assert.Equal(t, len(tt.wantAt), a.Of)
			}
			assert.True(t, res.Exhausted())
		})
	}
}

func TestCancelStopsRetriesPromptly(t *testing.T) {
	s := newSink(t, func(int) int { return 500 })
	fake := clock.NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	e := New(Config{Clock: fake})
	done := make(chan Result, 1)
	go func() { done <- e.Deliver(ctx, jobs(t, s.srv.URL, 1)[0]) }()
	blockUntil(t, fake, 1)
	cancel()
	select {
	case res := <-done:
		assert.ErrorIs(t, res.Err, context.Canceled)
		assert.Len(t, res.Attempts, 1)
		assert.False(t, res.Exhausted())
	case <-time.After(watchdog):
		t.Fatal("Deliver did not return after cancel")
	}
	assert.Equal(t, 0, fake.Waiters(), "the retry timer was released")
	assert.Len(t, s.received(), 1)
}

func TestCancelDuringAttemptIsRecordedAsAborted(t *testing.T) {
	entered, stop := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // so the server notices the client going away
		close(entered)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	go func() {
		done <- New(Config{Clock: clock.NewFake(t0)}).Deliver(ctx, Job{Event: testEvent(1), URL: srv.URL})
	}()
	<-entered
	cancel()
	res := <-done
	require.Len(t, res.Attempts, 1)
	assert.Contains(t, res.Attempts[0].Err, "aborted")
	assert.ErrorIs(t, res.Err, context.Canceled)
}

func TestDropFirst(t *testing.T) {
	tests := []struct {
		drop      int
		delivered bool
		sent      int
	}{
		{0, true, 1},
		{1, true, 1},
		{2, true, 1},
		{3, false, 0},
		{10, false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("drop ", tt.drop), func(t *testing.T) {
			s := newSink(t, nil)
			job := jobs(t, s.srv.URL, 1)[0]
			job.DropFirst = tt.drop
			res := New(Config{Schedule: []time.Duration{1, 1}}).Deliver(context.Background(), job)
			assert.Equal(t, tt.delivered, res.Delivered)
			assert.Len(t, s.received(), tt.sent, "dropped attempts never reach the receiver")
			for i, a := range res.Attempts {
				if i < tt.drop {
					assert.Equal(t, ErrDropped.Error(), a.Err)
					assert.Zero(t, a.Status)
					assert.Empty(t, a.Timestamp, "a dropped attempt carries nothing")
				} else {
					assert.NotEmpty(t, a.Timestamp)
				}
			}
		})
	}
}

func TestDeliverAllBoundsConcurrencyAndKeepsJobOrder(t *testing.T) {
	s := newSink(t, nil)
	js := jobs(t, s.srv.URL, 200)
	var calls atomic.Int32
	var attempts atomic.Int32
	e := New(Config{Concurrency: 4, OnAttempt: func(Attempt) { attempts.Add(1) }})
	res := e.DeliverAll(context.Background(), js, func(Result) { calls.Add(1) })
	require.Len(t, res, 200)
	for i, r := range res {
		assert.Equal(t, js[i].Event.ID, r.Job.Event.ID, "results are in job order")
		assert.True(t, r.Delivered)
	}
	assert.Equal(t, int32(200), calls.Load())
	assert.Equal(t, int32(200), attempts.Load())
	assert.Len(t, s.received(), 200)
	assert.LessOrEqual(t, s.maxIn.Load(), int32(4), "never more than Concurrency requests in flight")
	assert.Positive(t, s.maxIn.Load())
}

func TestDeliverAllDuplicates(t *testing.T) {
	run := func(seed uint64) (dups []string, s *sink) {
		s = newSink(t, nil)
		e := New(Config{DuplicateRate: 0.5, Seed: seed, SameBytesOnRetry: true})
		for _, r := range e.DeliverAll(context.Background(), jobs(t, s.srv.URL, 200), nil) {
			require.True(t, r.Delivered)
			switch len(r.Attempts) {
			case 1:
			case 2:
				d := r.Attempts[1]
				assert.True(t, d.Duplicate)
				assert.True(t, d.Delivered)
				assert.Equal(t, 1, d.Number)
				assert.False(t, r.Attempts[0].Duplicate)
				dups = append(dups, r.Job.Event.ID)
			default:
				t.Fatalf("%d attempts for %s", len(r.Attempts), r.Job.Event.ID)
			}
		}
		return dups, s
	}
	dups, s := run(42)
	assert.InDelta(t, 100, len(dups), 35, "about half the events are duplicated")
	assert.Len(t, s.received(), 200+len(dups))
	for _, id := range dups {
		require.Len(t, s.bodies[id], 2)
		assert.Equal(t, s.bodies[id][0], s.bodies[id][1], "same bytes")
		assert.Equal(t, s.sigs[id][0], s.sigs[id][1], "same signature")
	}
	again, _ := run(42)
	assert.Equal(t, dups, again, "the same seed duplicates the same events")
	other, _ := run(43)
	assert.NotEqual(t, dups, other, "another seed duplicates others")

	s0 := newSink(t, nil)
	New(Config{}).DeliverAll(context.Background(), jobs(t, s0.srv.URL, 50), nil)
	assert.Len(t, s0.received(), 50, "no duplicates by default")

	sAll := newSink(t, nil)
	New(Config{DuplicateRate: 1}).DeliverAll(context.Background(), jobs(t, sAll.srv.URL, 30), nil)
	assert.Len(t, sAll.received(), 60, "rate 1 duplicates every delivered event")
}

// tickClock is a clock whose Now moves 1 ms forward at every call; its
// timers are the real clock's.
type tickClock struct {
	clock.Clock
	mu  sync.Mutex
	now time.Time
}

func (c *tickClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// A duplicate is a new invocation: same id, its own timestamp, a valid
// signature over its own bytes.
func TestDuplicatesAreRestamped(t *testing.T) {
	s := newSink(t, nil)
	e := New(Config{DuplicateRate: 1, Clock: &tickClock{Clock: clock.Real(), now: t0}})
	res := e.DeliverAll(context.Background(), jobs(t, s.srv.URL, 5), nil)
	v, err := signature.NewVerifier("s3cr3t-value", signature.KeyRaw)
	require.NoError(t, err)
	for _, r := range res {
		require.Len(t, r.Attempts, 2)
		first, dup := r.Attempts[0], r.Attempts[1]
		require.True(t, dup.Duplicate)
		assert.NotEqual(t, first.Timestamp, dup.Timestamp)
		id := r.Job.Event.ID
		s.mu.Lock()
		bodies, sigs := s.bodies[id], s.sigs[id]
		s.mu.Unlock()
		require.Len(t, bodies, 2)
		for i, a := range []Attempt{first, dup} {
			assert.Equal(t, event.FormatTimestamp(a.At, event.Nanoseconds), a.Timestamp)
			assert.Equal(t, stampOf(t, bodies[i]), a.Timestamp, "the body carries the attempt's timestamp")
			assert.True(t, v.Verify([]byte(bodies[i]), sigs[i]), "the signature covers the re-stamped bytes")
		}
		assert.NotEqual(t, sigs[0], sigs[1])
	}
}

// stampOf is the top-level timestamp of a body.
func stampOf(t *testing.T, body string) string {
	t.Helper()
	v, err := event.EnvelopeTimestamp([]byte(body))
	require.NoError(t, err)
	return v
}

func TestDuplicatesOnlyForDeliveredEvents(t *testing.T) {
	s := newSink(t, func(int) int { return 500 })
	res := New(Config{DuplicateRate: 1, Schedule: []time.Duration{}}).DeliverAll(context.Background(), jobs(t, s.srv.URL, 10), nil)
	for _, r := range res {
		assert.Len(t, r.Attempts, 1)
	}
	assert.Len(t, s.received(), 10)
}

func TestDeliverAllReorders(t *testing.T) {
	const n, w = 60, 10
	run := func(window int, seed uint64) []string {
		s := newSink(t, nil)
		// One worker: arrival order is dispatch order.
		New(Config{Concurrency: 1, ReorderWindow: window, Seed: seed}).DeliverAll(context.Background(), jobs(t, s.srv.URL, n), nil)
		return s.received()
	}
	inOrder := make([]string, n)
	for i := range inOrder {
		inOrder[i] = testEvent(i).ID
	}
	assert.Equal(t, inOrder, run(0, 7), "no window: job order")
	assert.Equal(t, inOrder, run(1, 7), "window 1: job order")

	got := run(w, 7)
	assert.NotEqual(t, inOrder, got, "a window of 10 reorders")
	for lo := 0; lo < n; lo += w {
		assert.ElementsMatch(t, inOrder[lo:lo+w], got[lo:lo+w], "events only move within their window")
	}
	assert.Equal(t, got, run(w, 7), "the same seed gives the same order")
	assert.NotEqual(t, got, run(w, 8), "another seed another order")
	moved := 0
	for i := range got {
		if got[i] != inOrder[i] {
			moved++
		}
	}
	assert.Greater(t, moved, n/2, "most events moved")

	partial := func() []string {
		s := newSink(t, nil)
		New(Config{Concurrency: 1, ReorderWindow: 4, Seed: 3}).DeliverAll(context.Background(), jobs(t, s.srv.URL, 6), nil)
		return s.received()
	}()
	assert.ElementsMatch(t, inOrder[4:6], partial[4:6], "a partial last window is shuffled in place")
}

// TestDeliverAllRetriesDoNotHoldWorkers shows that with one worker, three
// failing events all get their first attempt before any retry, and that
// their retries follow the schedule.
func TestDeliverAllRetriesDoNotHoldWorkers(t *testing.T) {
	s := newSink(t, func(int) int { return 500 })
	fake := clock.NewFake(t0)
	ch, onAttempt := attemptsChan()
	e := New(Config{Clock: fake, Concurrency: 1, OnAttempt: onAttempt})
	done := make(chan []Result, 1)
	go func() { done <- e.DeliverAll(context.Background(), jobs(t, s.srv.URL, 3), nil) }()
	for i := 0; i < 3; i++ {
		a := recv(t, ch)
		assert.Equal(t, 1, a.Number)
		assert.Equal(t, t0, a.At)
	}
	blockUntil(t, fake, 3)
	fake.Advance(30 * time.Second)
	for i := 0; i < 3; i++ {
		a := recv(t, ch)
		assert.Equal(t, 2, a.Number)
		assert.Equal(t, t0.Add(30*time.Second), a.At)
	}
	blockUntil(t, fake, 3)
	fake.Advance(3 * time.Minute)
	for i := 0; i < 3; i++ {
		a := recv(t, ch)
		assert.Equal(t, 3, a.Number)
		assert.Equal(t, t0.Add(3*time.Minute+30*time.Second), a.At)
	}
	res := <-done
	for _, r := range res {
		assert.True(t, r.Exhausted())
		assert.Equal(t, []int{1, 2, 3}, numbers(r.Attempts))
	}
}

func TestDeliverAllCancel(t *testing.T) {
	s := newSink(t, func(int) int { return 500 })
	fake := clock.NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	ch, onAttempt := attemptsChan()
	// Two jobs pending at most: the other 8 wait for admission.
	e := New(Config{Clock: fake, Concurrency: 2, MaxPending: 2, OnAttempt: onAttempt})
	done := make(chan []Result, 1)
	go func() { done <- e.DeliverAll(ctx, jobs(t, s.srv.URL, 10), nil) }()
	recv(t, ch)
	recv(t, ch)
	blockUntil(t, fake, 2)
	cancel()
	var res []Result
	select {
	case res = <-done:
	case <-time.After(watchdog):
		t.Fatal("DeliverAll did not return after cancel")
	}
	require.Len(t, res, 10)
	for i, r := range res {
		assert.ErrorIs(t, r.Err, context.Canceled, "job %d", i)
		assert.Equal(t, testEvent(i).ID, r.Job.Event.ID)
		assert.LessOrEqual(t, len(r.Attempts), 1)
	}
	assert.Len(t, s.received(), 2)
	assert.Equal(t, 0, fake.Waiters())
}

func TestDeliverStream(t *testing.T) {
	s := newSink(t, nil)
	in := make(chan Job)
	var got []string
	done := make(chan struct{})
	e := New(Config{Concurrency: 1, ReorderWindow: 5, Seed: 1, DuplicateRate: 0.3})
	go func() {
		defer close(done)
		e.DeliverStream(context.Background(), in, func(r Result) {
			assert.True(t, r.Delivered)
			got = append(got, r.Job.Event.ID)
		})
	}()
	for _, j := range jobs(t, s.srv.URL, 23) {
		in <- j
	}
	close(in)
	select {
	case <-done:
	case <-time.After(watchdog):
		t.Fatal("DeliverStream did not finish")
	}
	assert.Len(t, got, 23, "every job reported once, the partial last window included")
	want := make([]string, 23)
	for i := range want {
		want[i] = testEvent(i).ID
	}
	assert.ElementsMatch(t, want, got)
	assert.NotEqual(t, want, got, "reordered within windows")
	assert.Greater(t, len(s.received()), 23, "some duplicates were sent")
}

func TestDeliverStreamCancel(t *testing.T) {
	s := newSink(t, nil)
	in := make(chan Job) // never closed
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(Config{}).DeliverStream(ctx, in, nil)
	}()
	in <- jobs(t, s.srv.URL, 1)[0]
	cancel()
	select {
	case <-done:
	case <-time.After(watchdog):
		t.Fatal("DeliverStream did not return after cancel")
	}
}

func TestOnAttemptPreview(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(400)
		_, _ = w.Write([]byte("bad signature \xff"))
		_, _ = w.Write(make([]byte, 1000))
	}))
	t.Cleanup(srv.Close)
	res := New(Config{Schedule: []time.Duration{}}).Deliver(context.Background(), Job{Event: testEvent(1), URL: srv.URL})
	require.Len(t, res.Attempts, 1)
	p := res.Attempts[0].ResponsePreview
	assert.Contains(t, p, "bad signature \uFFFD")
	assert.LessOrEqual(t, len(p), PreviewBytes+3)
	assert.Equal(t, "HTTP 400 is not 2xx", res.Attempts[0].Err)
}

// Retried jobs of a receiver that answers the same body share one preview.
func TestPreviewIsSharedWhenRepeated(t *testing.T) {
	e := New(Config{})
	a := e.preview([]byte("receiver down"))
	b := e.preview([]byte("receiver down"))
	c := e.preview([]byte("something else"))
	assert.Equal(t, "receiver down", b)
	assert.Same(t, unsafe.StringData(a), unsafe.StringData(b), "the same answer is held once")
	assert.Equal(t, "something else", c)
	assert.Equal(t, "bad \uFFFD", e.preview([]byte("bad \xff")))
	assert.Equal(t, "bad \uFFFD", e.preview([]byte("bad \xff")), "invalid UTF-8 is repaired every time")
}

func TestEncodedJob(t *testing.T) {
	ev := testEvent(1)
	ev.Extra = event.Object{"trace": "x"}
	want, err := ev.Encode()
	require.NoError(t, err)
	job, err := EncodedJob(ev)
	require.NoError(t, err)
	assert.Equal(t, want, job.Body)
	assert.Nil(t, job.Event.Payload)
	assert.Nil(t, job.Event.Extra)
	assert.Equal(t, ev.ID, job.Event.ID)
	assert.Equal(t, ev.WebhookID, job.Event.WebhookID)
	assert.Equal(t, ev.Type, job.Event.Type)
	assert.Equal(t, ev.Timestamp, job.Event.Timestamp)
	assert.NotNil(t, ev.Payload, "the caller's event is left as it was")

	ev.Payload = event.Object{"work": event.Object{"bad": make(chan int)}}
	_, err = EncodedJob(ev)
	assert.ErrorContains(t, err, "encode event evt-001")
}

// Job.Header reaches the receiver on every attempt, and can neither
// replace nor duplicate Content-Type, User-Agent or the signature, in any
// letter case.
func TestJobHeaderIsSentButCannotOverride(t *testing.T) {
	type seen struct {
		header http.Header
		body   []byte
	}
	got := make(chan seen, 4)
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), body}
		if n.Add(1) == 1 {
			w.WriteHeader(503)
		}
	}))
	t.Cleanup(srv.Close)
	extra := http.Header{
		"X-Api-Key":          {"k-123"},
		"X-Multi":            {"a", "b"},
		"Content-Type":       {"text/plain"},
		"content-type":       {"text/html"},
		"user-agent":         {"forged-agent"},
		"X-Devrev-Signature": {"forged"},
		"x-devrev-signature": {"forged-too"},
	}
	before := extra.Clone()
	job := jobs(t, srv.URL, 1)[0]
	job.Header = extra
	res := New(Config{Schedule: []time.Duration{time.Nanosecond}}).Deliver(context.Background(), job)
	require.True(t, res.Delivered)
	require.Len(t, res.Attempts, 2)
	for i := range 2 {
		s := <-got
		assert.Equal(t, []string{"k-123"}, s.header.Values("X-Api-Key"), "attempt %d", i+1)
		assert.Equal(t, []string{"a", "b"}, s.header.Values("X-Multi"))
		assert.Equal(t, []string{"application/json"}, s.header.Values("Content-Type"))
		assert.Equal(t, []string{DefaultUserAgent}, s.header.Values("User-Agent"))
		assert.Equal(t, []string{job.Signer.Sign(s.body)}, s.header.Values(signature.Header))
	}
	assert.Equal(t, before, extra, "the job's header is not modified")
}
