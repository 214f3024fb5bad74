package load

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/revhook/revhook/simulator/delivery"
)

// Latency histogram range: 1 µs to 1 h at 3 significant digits (~60 KiB,
// whatever the number of attempts); longer latencies count as 1 h.
const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(time.Hour)
	histDigits  = 3
)

// MaxReasons bounds the distinct failure reasons Stats keeps; later
// reasons are counted under OtherReasons.
const MaxReasons = 32

// OtherReasons is the reason under which failures beyond MaxReasons
// distinct reasons are counted.
const OtherReasons = "other reasons"

// Stats folds a run's attempts and results into running figures as they
// come, in constant memory. It is safe for concurrent use.
type Stats struct {
	mu         sync.Mutex
	generated  int
	events     int
	delivered  int
	exhausted  int
	aborted    int
	attempts   int
	duplicates int
	failed     int // failed attempts
	reasons    map[string]int
	hist       *hdrhistogram.Histogram
	max        time.Duration // exact, where the histogram rounds
}

// NewStats returns empty statistics.
func NewStats() *Stats {
	return &Stats{reasons: map[string]int{}, hist: hdrhistogram.New(histLowest, histHighest, histDigits)}
}

// Generated counts one event made and handed towards the engine (a few
// may wait in a buffer until the engine takes them).
func (s *Stats) Generated() {
	s.mu.Lock()
	s.generated++
	s.mu.Unlock()
}

// Attempt folds in one attempt: its latency (when a request was made) and,
// when it failed, its reason.
func (s *Stats) Attempt(a delivery.Attempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Duplicate {
		s.duplicates++
	} else {
		s.attempts++
	}
	if a.Latency > 0 { // a dropped attempt made no request
		_ = s.hist.RecordValue(min(max(int64(a.Latency), histLowest), histHighest))
		s.max = max(s.max, a.Latency)
	}
	if a.Delivered {
		return
	}
	s.failed++
	reason := a.Err
	if reason == "" {
		reason = "failed"
	}
	if _, ok := s.reasons[reason]; !ok && len(s.reasons) >= MaxReasons {
		reason = OtherReasons
	}
	s.reasons[reason]++
}

// Result folds in one finished event.
func (s *Stats) Result(r delivery.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events++
	switch {
	case r.Delivered:
		s.delivered++
	case r.Exhausted():
		s.exhausted++
	default:
		s.aborted++
	}
}

// Reason is one failure reason and how many attempts failed with it.
type Reason struct {
	Reason string
	Count  int
}

// Figures is a snapshot of Stats.
type Figures struct {
	// Generated counts events made for the engine (during a run, up to
	// the engine's concurrency of them may still wait to be taken; a
	// Summary counts only those taken); Events those finished.
	Generated, Events int
	// Delivered, Exhausted and Aborted split Events: delivered, failed
	// after every attempt, stopped early (interrupted, not encodable).
	Delivered, Exhausted, Aborted int
	// Attempts counts attempts (duplicates apart), Failed the attempts
	// (duplicates included) that did not deliver.
	Attempts, Duplicates, Failed int
	// Latencies counts the attempts that made a request; the percentiles
	// and Max are of their latencies (0 when there is none).
	Latencies                int
	Mean, P50, P90, P99, Max time.Duration
	// Reasons are the failed attempts by reason, most frequent first.
	Reasons []Reason
}

// Pending is how many generated events have not finished.
func (f Figures) Pending() int { return f.Generated - f.Events }

// SuccessRatio is the share of finished events that were delivered (0
// when none finished).
func (f Figures) SuccessRatio() float64 {
	if f.Events == 0 {
		return 0
	}
	return float64(f.Delivered) / float64(f.Events)
}

// Snapshot returns the figures so far.
func (s *Stats) Snapshot() Figures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := Figures{
		Generated: s.generated, Events: s.events, Delivered: s.delivered, Exhausted: s.exhausted,
		Aborted: s.aborted, Attempts: s.attempts, Duplicates: s.duplicates, Failed: s.failed,
		Latencies: int(s.hist.TotalCount()),
	}
	if f.Latencies > 0 {
		f.Mean = time.Duration(s.hist.Mean())
		f.Max = s.max
		ps := s.hist.ValueAtPercentilesSlice([]float64{50, 90, 99})
		// The histogram answers the top of a value's bucket: never above the exact max.
		f.P50, f.P90, f.P99 = min(time.Duration(ps[0]), f.Max), min(time.Duration(ps[1]), f.Max), min(time.Duration(ps[2]), f.Max)
	}
	for r, n := range s.reasons {
		f.Reasons = append(f.Reasons, Reason{r, n})
	}
	slices.SortFunc(f.Reasons, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return f
}
