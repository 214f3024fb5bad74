// Package load is revhook's load generator: one streaming pipeline that
// makes events while earlier ones are delivered (at a given rate or as fast
// as the receiver takes them), hands them to the delivery engine, and folds
// every attempt and result into running figures (counts, latency
// percentiles from an HDR histogram, failures by reason) as they come.
//
// Memory is bounded by the engine's concurrency and the events waiting for
// a retry (at most MaxWaiting), never by the number of events: nothing is
// kept per event once it finished. Payloads makes the events cheaply.
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
)

// DefaultMaxWaiting bounds the events a run holds at once (in flight or
// waiting for a retry) when Config.MaxWaiting is zero. DevRev keeps sending
// new events while earlier ones wait for their retries, so a receiver that
// is down must not slow the generator down until this many wait: ~3.6 KB
// each for a catalogue event (its body deflated, its attempt records, its
// timer), ~230 MiB at the bound. Beyond it the generator waits for a slot.
const DefaultMaxWaiting = 1 << 16

// MaxRate is the highest rate a run accepts: the pacer computes each
// event's due time in nanoseconds from the start.
const MaxRate = 1e6

// Config configures a Run.
type Config struct {
	// Delivery configures the engine. Its OnAttempt, if set, is called
	// after the run's statistics saw the attempt; its MaxPending is
	// replaced by MaxWaiting.
	Delivery delivery.Config
	// Next makes the next job. It is called from one goroutine, once per
	// event, just before the event is handed to the engine.
	Next func() (delivery.Job, error)
	// Count is how many events the run sends (at least 1).
	Count int
	// Rate is events per second, at most MaxRate; 0 sends each event as
	// soon as the engine can take it.
	Rate float64
	// Clock paces the events; clock.Real() when nil. (Retries wait on
	// Delivery.Clock.)
	Clock clock.Clock
	// MaxWaiting bounds the events held at once, in flight or waiting for
	// a retry; DefaultMaxWaiting when zero.
	MaxWaiting int
	// OnResult, if set, is called as each event finishes, one call at a
	// time, after the statistics saw it.
	OnResult func(delivery.Result)
}

// Summary is the outcome of a run.
type Summary struct {
	Figures
	// Elapsed runs from the start to the last result.
	Elapsed time.Duration
	// Generating runs from the start to the last event handed to the
	// engine; for a paced run at least the time the rate needs.
	Generating time.Duration
	// Interrupted reports that ctx ended before every event finished.
	// (Figures.Generated is then the events the engine dispatched.)
	Interrupted bool
}

// Rate is the achieved rate: events handed to the engine per second of
// generation.
func (s Summary) Rate() float64 {
	return float64(s.Generated) / max(s.Generating.Seconds(), 1e-9)
}

// Run is one load run. Create it with New, start it with Run; Figures may
// be read from any goroutine meanwhile (a live progress line).
type Run struct {
	cfg    Config
	stats  *Stats
	engine *delivery.Engine
	mu     sync.Mutex
	start  time.Time
}

// New checks cfg and returns a run ready to start.
func New(cfg Config) (*Run, error) {
	switch {
	case cfg.Next == nil:
		return nil, errors.New("load: Config.Next is required")
	case cfg.Count < 1:
		return nil, fmt.Errorf("load: Count must be at least 1, got %d", cfg.Count)
	case !(cfg.Rate >= 0 && cfg.Rate <= MaxRate):
		return nil, fmt.Errorf("load: Rate must be 0 to %g events per second, got %v", MaxRate, cfg.Rate)
	case cfg.MaxWaiting < 0:
		return nil, fmt.Errorf("load: MaxWaiting must not be negative, got %d", cfg.MaxWaiting)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.MaxWaiting == 0 {
		cfg.MaxWaiting = DefaultMaxWaiting
	}
	r := &Run{cfg: cfg, stats: NewStats()}
	dc := cfg.Delivery
	dc.MaxPending = cfg.MaxWaiting
	onAttempt := dc.OnAttempt
	dc.OnAttempt = func(a delivery.Attempt) {
		r.stats.Attempt(a)
		if onAttempt != nil {
			onAttempt(a)
		}
	}
	r.engine = delivery.New(dc)
	return r, nil
}

// Engine returns the run's delivery engine (for its effective settings).
func (r *Run) Engine() *delivery.Engine { return r.engine }

// Figures returns the figures so far.
func (r *Run) Figures() Figures { return r.stats.Snapshot() }

// Elapsed is the time since the run started (0 before).
func (r *Run) Elapsed() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start.IsZero() {
		return 0
	}
	return r.cfg.Clock.Now().Sub(r.start)
}

// Run sends the events and returns when every one finished, or ctx ended
// (the summary then counts what was sent, and Interrupted is set), or Next
// failed (the error is returned with the summary of what was sent).
func (r *Run) Run(parent context.Context) (Summary, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	c := r.cfg.Clock
	start := c.Now()
	r.mu.Lock()
	r.start = start
	r.mu.Unlock()

	jobs := make(chan delivery.Job, jobBuffer(r.cfg.Delivery.Concurrency))
	var genErr error
	var generating time.Duration
	go func() {
		defer close(jobs)
		generating, genErr = r.generate(ctx, jobs, start)
		if genErr != nil {
			cancel()
		}
	}()
	r.engine.DeliverStream(ctx, jobs, func(res delivery.Result) {
		r.stats.Result(res)
		if r.cfg.OnResult != nil {
			r.cfg.OnResult(res)
		}
	})
	for range jobs { // the engine stops reading when ctx ends
	}
	s := Summary{Figures: r.stats.Snapshot(), Elapsed: c.Now().Sub(start), Generating: generating}
	// The engine gives every event it dispatched a result; events made but
	// still in the buffer, or read but not dispatched when ctx ended, were
	// never sent.
	s.Generated = s.Events
	s.Interrupted = genErr == nil && parent.Err() != nil && (s.Aborted > 0 || s.Generated < r.cfg.Count)
	if s.Generating == 0 {
		s.Generating = s.Elapsed
	}
	return s, genErr
}

// generate hands Count jobs to the engine, each at its due time, and
// returns when the last was taken: the generation time.
func (r *Run) generate(ctx context.Context, jobs chan<- delivery.Job, start time.Time) (time.Duration, error) {
	c := r.cfg.Clock
	for i := range r.cfg.Count {
		if r.cfg.Rate > 0 {
			due := dueAt(i, r.cfg.Rate)
			if wait := due - c.Now().Sub(start); wait > 0 {
				if err := clock.Sleep(ctx, c, wait); err != nil {
					return 0, nil
				}
			}
		}
		job, err := r.cfg.Next()
		if err != nil {
			return 0, fmt.Errorf("event %d: %w", i+1, err)
		}
		select {
		case jobs <- job:
			r.stats.Generated()
		case <-ctx.Done():
			return 0, nil
		}
	}
	took := c.Now().Sub(start)
	if r.cfg.Rate > 0 { // the last event is due 1/rate before the end
		took = max(took, dueAt(r.cfg.Count, r.cfg.Rate))
	}
	return took, nil
}

// dueAt is when event i (0-based) of a run at rate is due after its start.
// Each due time is computed from the start, so rounding never accumulates
// and a generator that fell behind catches up at once.
func dueAt(i int, rate float64) time.Duration {
	return time.Duration(math.Round(float64(i) / rate * float64(time.Second)))
}

// jobBuffer is how many made events may wait for the engine: enough that
// the generator works in batches instead of one hand-over per event.
func jobBuffer(concurrency int) int {
	if concurrency <= 0 {
		concurrency = delivery.DefaultConcurrency
	}
	return concurrency
}
