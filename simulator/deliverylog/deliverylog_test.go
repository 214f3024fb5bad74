package deliverylog

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
)

func seqs(es []Entry) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func TestRingDropsOldest(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		adds     int
		want     []uint64
		dropped  uint64
	}{
		{"empty", 3, 0, []uint64{}, 0},
		{"under capacity", 3, 2, []uint64{1, 2}, 0},
		{"exactly full", 3, 3, []uint64{1, 2, 3}, 0},
		{"wrapped once", 3, 4, []uint64{2, 3, 4}, 1},
		{"wrapped many times", 3, 11, []uint64{9, 10, 11}, 8},
		{"capacity one", 1, 5, []uint64{5}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.capacity)
			for i := 0; i < tt.adds; i++ {
				got := l.Add(Note("", fmt.Sprint(i)))
				assert.Equal(t, uint64(i+1), got.Seq)
			}
			assert.Equal(t, tt.want, seqs(l.List(Filter{})))
			assert.Equal(t, len(tt.want), l.Len())
			assert.Equal(t, tt.dropped, l.Dropped())
			assert.Equal(t, uint64(tt.adds), l.Total())
			assert.Equal(t, tt.capacity, l.Cap())
		})
	}
}

func TestDefaultCapacity(t *testing.T) {
	assert.Equal(t, DefaultCapacity, New(0).Cap())
	assert.Equal(t, DefaultCapacity, New(-5).Cap())
}

func TestAddStampsTime(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := NewWithClock(4, clock.NewFake(t0))
	assert.Equal(t, t0, l.Add(Note("w", "stamped")).Time)
	given := t0.Add(-time.Hour)
	assert.Equal(t, given, l.Add(Entry{Kind: KindNote, Time: given}).Time, "an explicit time is kept")
}

func TestFilter(t *testing.T) {
	yes, no := true, false
	l := New(100)
	l.Add(Entry{Kind: KindAttempt, WebhookID: "w1", EventID: "e1", Attempt: 1, Status: 500})
	l.Add(Entry{Kind: KindAttempt, WebhookID: "w1", EventID: "e1", Attempt: 2, Status: 200, Delivered: true})
	l.Add(Entry{Kind: KindAttempt, WebhookID: "w2", EventID: "e2", Attempt: 1, Status: 200, Delivered: true})
	l.Add(Transition("w1", "unverified", "active", "verify answered"))
	l.Add(Note("w2", "hello"))
	tests := []struct {
		name string
		f    Filter
		want []uint64
	}{
		{"all", Filter{}, []uint64{1, 2, 3, 4, 5}},
		{"by webhook", Filter{WebhookID: "w1"}, []uint64{1, 2, 4}},
		{"by event", Filter{EventID: "e1"}, []uint64{1, 2}},
		{"by kind", Filter{Kind: KindTransition}, []uint64{4}},
		{"delivered", Filter{Delivered: &yes}, []uint64{2, 3}},
		{"failed", Filter{Delivered: &no}, []uint64{1}},
		{"limit keeps newest, oldest first", Filter{Limit: 2}, []uint64{4, 5}},
		{"limit with filter", Filter{WebhookID: "w1", Limit: 2}, []uint64{2, 4}},
		{"limit larger than matches", Filter{EventID: "e2", Limit: 10}, []uint64{3}},
		{"after seq", Filter{AfterSeq: 3}, []uint64{4, 5}},
		{"no match", Filter{WebhookID: "nope"}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, seqs(l.List(tt.f)))
		})
	}
}

func TestFromAttempt(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := FromAttempt(delivery.Attempt{
		EventID: "e", WebhookID: "w", Type: "work_created", URL: "http://x/", Number: 2, Of: 3,
		Duplicate: true, At: at, Status: 503, Latency: 1500 * time.Millisecond,
		Err: "HTTP 503 is not 2xx", ResponsePreview: "busy",
	})
	assert.Equal(t, Entry{
		Time: at, Kind: KindAttempt, WebhookID: "w", EventID: "e", EventType: "work_created",
		Attempt: 2, Status: 503, LatencyMS: 1500, Error: "HTTP 503 is not 2xx",
		ResponsePreview: "busy", Duplicate: true,
	}, e)
}

func TestConcurrentAdd(t *testing.T) {
	const writers, each, capacity = 8, 500, 1000
	l := New(capacity)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				l.Add(Note(fmt.Sprint(w), ""))
				if i%50 == 0 {
					l.List(Filter{Limit: 10})
				}
			}
		}()
	}
	wg.Wait()
	got := l.List(Filter{})
	require.Len(t, got, capacity)
	for i := 1; i < len(got); i++ {
		require.Equal(t, got[i-1].Seq+1, got[i].Seq, "entries are contiguous and ordered")
	}
	assert.Equal(t, uint64(writers*each), got[len(got)-1].Seq)
}

func BenchmarkAdd(b *testing.B) {
	l := New(10_000)
	e := Entry{Kind: KindAttempt, WebhookID: "w", EventID: "e", Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		l.Add(e)
	}
}

// TestEntryJSONOmitsUnsetSimulatorFields: the simulator's fields of a
// transition (api_status, consecutive_failures, next_verify) and an
// attempt's timestamp appear only when set.
func TestEntryJSONOmitsUnsetSimulatorFields(t *testing.T) {
	b, err := json.Marshal(Entry{Kind: KindNote, Message: "m"})
	require.NoError(t, err)
	for _, k := range []string{"api_status", "consecutive_failures", "next_verify", "timestamp"} {
		assert.NotContains(t, string(b), `"`+k+`"`)
	}
	at := time.Date(2026, 11, 23, 10, 1, 0, 0, time.UTC)
	b, err = json.Marshal(Entry{Kind: KindTransition, From: "active", To: "degraded", APIStatus: "active",
		ConsecutiveFailures: 3, NextVerify: at})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"api_status":"active","consecutive_failures":3,"next_verify":"2026-11-23T10:01:00Z"`)
}
