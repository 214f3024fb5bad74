package load

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/event"
)

// sink is a receiver answering status and counting requests; each request
// is also announced on seen (buffered: tests wait for the n-th request).
type sink struct {
	srv  *httptest.Server
	hits atomic.Int64
	seen chan struct{}
}

func newSink(t *testing.T, status int) *sink {
	t.Helper()
	s := &sink{seen: make(chan struct{}, 1<<12)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.hits.Add(1)
		w.WriteHeader(status)
		s.seen <- struct{}{}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// await waits for n more requests.
func (s *sink) await(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-s.seen:
		case <-time.After(10 * time.Second): // a bound on a hang, not a synchronisation
			t.Fatalf("waited 10 s for a request; %d so far", s.hits.Load())
		}
	}
}

// nextJob returns a Next that makes small distinct jobs for url.
func nextJob(url string) func() (delivery.Job, error) {
	g := event.NewGenerator(event.Options{Seed: 1})
	wid := g.WebhookID()
	return func() (delivery.Job, error) {
		ev := event.Event{ID: g.EventID(wid), WebhookID: wid, Type: "work_created", Payload: event.Object{"work": event.Object{"id": "x"}}}
		return delivery.EncodedJob(ev)
	}
}

func withURL(next func() (delivery.Job, error), url string) func() (delivery.Job, error) {
	return func() (delivery.Job, error) {
		j, err := next()
		j.URL = url
		return j, err
	}
}

func TestRunDeliversEveryEventAndFoldsFigures(t *testing.T) {
	s := newSink(t, http.StatusOK)
	var results, attempts atomic.Int64
	r, err := New(Config{
		Delivery: delivery.Config{Concurrency: 4, OnAttempt: func(delivery.Attempt) { attempts.Add(1) }},
		Next:     withURL(nextJob(s.srv.URL), s.srv.URL),
		Count:    50,
		OnResult: func(delivery.Result) { results.Add(1) },
	})
	require.NoError(t, err)
	sum, err := r.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(50), s.hits.Load())
	assert.Equal(t, int64(50), results.Load())
	assert.Equal(t, int64(50), attempts.Load(), "the caller's OnAttempt still sees every attempt")
	assert.Equal(t, 50, sum.Generated)
	assert.Equal(t, 50, sum.Delivered)
	assert.Equal(t, 50, sum.Attempts)
	assert.Equal(t, 50, sum.Latencies)
	assert.False(t, sum.Interrupted)
	assert.Equal(t, 1.0, sum.SuccessRatio())
	assert.Positive(t, sum.P50)
	assert.LessOrEqual(t, sum.P50, sum.P99)
	assert.LessOrEqual(t, sum.P99, sum.Max)
	assert.Positive(t, sum.Rate())
	assert.Empty(t, sum.Reasons)
}

// DevRev keeps sending new events while earlier ones wait for their
// retries: events waiting for a retry hold no worker and do not hold the
// generator back until MaxWaiting of them wait. The retry clock is fake and
// never moves until the test says so, so no timing is involved.
func TestRunRetriesDoNotThrottleGenerationUpToMaxWaiting(t *testing.T) {
	for _, tt := range []struct {
		name       string
		maxWaiting int
		firsts     int // first attempts sent before any retry falls due
	}{
		{"default bound", 0, 100},
		{"bound of 10", 10, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, http.StatusServiceUnavailable)
			fake := clock.NewFake(time.Unix(0, 0))
			r, err := New(Config{
				Delivery:   delivery.Config{Concurrency: 1, Clock: fake, Schedule: []time.Duration{time.Hour}},
				Next:       withURL(nextJob(s.srv.URL), s.srv.URL),
				Count:      100,
				Clock:      fake,
				MaxWaiting: tt.maxWaiting,
			})
			require.NoError(t, err)
			done := make(chan Summary, 1)
			go func() {
				sum, err := r.Run(context.Background())
				assert.NoError(t, err)
				done <- sum
			}()
			s.await(t, tt.firsts)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, fake.BlockUntil(ctx, tt.firsts), "every sent event waits for its retry")
			f := r.Figures()
			assert.Equal(t, tt.firsts, f.Attempts, "first attempts only, no retry yet")
			assert.LessOrEqual(t, f.Generated, tt.firsts+1+jobBuffer(1), "the generator waits for a slot (one event in the engine's hand, the buffer full)")
			// Let every retry fall due, as often as needed.
			go func() {
				for fake.BlockUntil(ctx, 1) == nil {
					fake.Advance(time.Hour)
				}
			}()
			select {
			case sum := <-done:
				assert.Equal(t, 100, sum.Exhausted)
				assert.Equal(t, 200, sum.Attempts)
				assert.Equal(t, []Reason{{"HTTP 503 is not 2xx", 200}}, sum.Reasons)
				assert.Equal(t, 0.0, sum.SuccessRatio())
			case <-ctx.Done():
				require.Fail(t, "the run did not end")
			}
		})
	}
}

func TestRunPacesEventsAtRate(t *testing.T) {
	s := newSink(t, http.StatusOK)
	fake := clock.NewFake(time.Unix(0, 0))
	r, err := New(Config{
		Delivery: delivery.Config{Concurrency: 2, Clock: fake},
		Next:     withURL(nextJob(s.srv.URL), s.srv.URL),
		Count:    5,
		Rate:     10,
		Clock:    fake,
	})
	require.NoError(t, err)
	done := make(chan Summary, 1)
	go func() {
		sum, err := r.Run(context.Background())
		assert.NoError(t, err)
		done <- sum
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 1; i < 5; i++ {
		require.NoError(t, fake.BlockUntil(ctx, 1), "the pacer waits for event %d", i+1)
		assert.Equal(t, i, r.Figures().Generated, "event %d is not due before %s", i+1, dueAt(i, 10))
		fake.Advance(100 * time.Millisecond)
	}
	sum := <-done
	assert.Equal(t, 5, sum.Delivered)
	assert.Equal(t, 500*time.Millisecond, sum.Generating, "5 events at 10/s take 0.5 s")
	assert.InDelta(t, 10.0, sum.Rate(), 1e-9)
}

func TestDueAt(t *testing.T) {
	assert.Equal(t, time.Duration(0), dueAt(0, 3))
	assert.Equal(t, 333333333*time.Nanosecond, dueAt(1, 3))
	assert.Equal(t, time.Second, dueAt(3, 3), "no rounding error accumulates")
	assert.Equal(t, time.Second, dueAt(1_000_000, MaxRate))
}

func TestRunInterruptedCountsWhatWasSent(t *testing.T) {
	s := newSink(t, http.StatusInternalServerError)
	fake := clock.NewFake(time.Unix(0, 0))
	r, err := New(Config{
		Delivery: delivery.Config{Concurrency: 2, Clock: fake},
		Next:     withURL(nextJob(s.srv.URL), s.srv.URL),
		Count:    1000,
		Rate:     1, // one event now, the next in a second of fake time
		Clock:    fake,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Summary, 1)
	go func() {
		sum, err := r.Run(ctx)
		assert.NoError(t, err)
		done <- sum
	}()
	s.await(t, 1)
	bctx, bcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer bcancel()
	require.NoError(t, fake.BlockUntil(bctx, 2), "the pacer and the retry wait")
	cancel()
	sum := <-done
	assert.True(t, sum.Interrupted)
	assert.Equal(t, 1, sum.Generated)
	assert.Equal(t, 1, sum.Aborted)
	assert.Equal(t, 1, sum.Attempts)
}

func TestRunStopsWhenNextFails(t *testing.T) {
	s := newSink(t, http.StatusOK)
	next := withURL(nextJob(s.srv.URL), s.srv.URL)
	n := 0
	r, err := New(Config{
		Next: func() (delivery.Job, error) {
			if n++; n == 4 {
				return delivery.Job{}, errors.New("boom")
			}
			return next()
		},
		Count: 10,
	})
	require.NoError(t, err)
	sum, err := r.Run(context.Background())
	require.ErrorContains(t, err, "event 4: boom")
	assert.LessOrEqual(t, sum.Generated, 3, "the run stops at once: events still in the buffer are not sent")
	assert.Equal(t, sum.Generated, sum.Events, "every event sent has a result")
	assert.False(t, sum.Interrupted)
}

func TestNewRefusesBadConfig(t *testing.T) {
	next := func() (delivery.Job, error) { return delivery.Job{}, nil }
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no next", Config{Count: 1}, "Next is required"},
		{"no events", Config{Next: next}, "Count must be at least 1"},
		{"negative rate", Config{Next: next, Count: 1, Rate: -1}, "Rate must be"},
		{"rate beyond the pacer", Config{Next: next, Count: 1, Rate: 2e6}, "Rate must be"},
		{"NaN rate", Config{Next: next, Count: 1, Rate: nanRate()}, "Rate must be"},
		{"negative bound", Config{Next: next, Count: 1, MaxWaiting: -1}, "MaxWaiting"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func nanRate() float64 { zero := 0.0; return zero / zero }
