package load

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/revhook/revhook/simulator/delivery"
)

func TestStatsPercentiles(t *testing.T) {
	s := NewStats()
	assert.Equal(t, Figures{}, s.Snapshot(), "no attempt: zero figures")
	for i := 100; i >= 1; i-- {
		s.Attempt(delivery.Attempt{Latency: time.Duration(i) * time.Millisecond, Delivered: true})
	}
	s.Attempt(delivery.Attempt{Err: delivery.ErrDropped.Error()}) // dropped: no latency
	f := s.Snapshot()
	assert.Equal(t, 100, f.Latencies)
	assert.Equal(t, 101, f.Attempts)
	// HDR histogram at 3 significant digits: within 0.1 %.
	assert.InEpsilon(t, float64(50*time.Millisecond), float64(f.P50), 1e-3)
	assert.InEpsilon(t, float64(90*time.Millisecond), float64(f.P90), 1e-3)
	assert.InEpsilon(t, float64(99*time.Millisecond), float64(f.P99), 1e-3)
	assert.Equal(t, 100*time.Millisecond, f.Max, "max is exact")
	assert.InEpsilon(t, float64(50500*time.Microsecond), float64(f.Mean), 1e-3)
	assert.Equal(t, []Reason{{delivery.ErrDropped.Error(), 1}}, f.Reasons)
}

func TestStatsCountsResults(t *testing.T) {
	s := NewStats()
	for range 3 {
		s.Generated()
	}
	s.Result(delivery.Result{Delivered: true})
	s.Result(delivery.Result{})                           // exhausted
	s.Result(delivery.Result{Err: fmt.Errorf("stopped")}) // aborted
	s.Attempt(delivery.Attempt{Duplicate: true, Delivered: true, Latency: time.Millisecond})
	f := s.Snapshot()
	assert.Equal(t, Figures{
		Generated: 3, Events: 3, Delivered: 1, Exhausted: 1, Aborted: 1, Duplicates: 1, Latencies: 1,
		Mean: f.Mean, P50: f.P50, P90: f.P90, P99: f.P99, Max: time.Millisecond,
	}, f)
	assert.Equal(t, 0, f.Pending())
	assert.InDelta(t, 1.0/3, f.SuccessRatio(), 1e-9)
}

// A receiver that answers every attempt differently (a request id in the
// reason) cannot grow the reasons without bound.
func TestStatsBoundsReasons(t *testing.T) {
	s := NewStats()
	for i := range MaxReasons + 10 {
		s.Attempt(delivery.Attempt{Err: fmt.Sprintf("HTTP 500 request %d", i)})
	}
	s.Attempt(delivery.Attempt{Err: "HTTP 500 request 0"})
	f := s.Snapshot()
	assert.Len(t, f.Reasons, MaxReasons+1)
	assert.Equal(t, []Reason{{OtherReasons, 10}, {"HTTP 500 request 0", 2}}, f.Reasons[:2], "most frequent first")
	assert.Equal(t, MaxReasons+11, f.Failed)
}
