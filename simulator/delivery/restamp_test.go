package delivery

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// TestEachAttemptIsRestamped: three attempts of one event carry three
// timestamps — the clock's now at each attempt, in the body's own
// precision — and three signatures, each valid over the bytes it came
// with; nothing else in the body changes. With SameBytesOnRetry, the three
// attempts are the job's bytes as given.
func TestEachAttemptIsRestamped(t *testing.T) {
	capture, err := os.ReadFile("../../fixtures/golden/devrev_work_updated.json")
	require.NoError(t, err)
	small, big := testEvent(1), bigEvent(2)
	tests := []struct {
		name string
		job  Job
		prec event.Precision
	}{
		{"event encoded by the engine", Job{Event: small}, event.Nanoseconds},
		{"body parked between attempts", Job{Event: big, Body: big.MustEncode()}, event.Nanoseconds},
		{"DevRev's indented capture, microseconds", Job{Event: testEvent(3), Body: capture}, event.Microseconds},
	}
	start := t0.Add(1500 * time.Millisecond)
	wantAt := []time.Time{start, start.Add(30 * time.Second), start.Add(3*time.Minute + 30*time.Second)}
	v, err := signature.NewVerifier("s3cr3t-value", signature.KeyRaw)
	require.NoError(t, err)
	for _, tt := range tests {
		for _, same := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{false: "", true: ", same bytes"}[same], func(t *testing.T) {
				orig := tt.job.Body
				if orig == nil {
					orig = tt.job.Event.MustEncode()
				}
				origStamp := stampOf(t, string(orig))
				res, bodies, sigs := deliverThreeFailures(t, tt.job, start, same)
				require.Len(t, res.Attempts, 3)
				assert.Equal(t, tt.job.Body, res.Job.Body, "the job's body is handed back as given")
				for i, a := range res.Attempts {
					assert.Equal(t, wantAt[i], a.At)
					assert.True(t, v.Verify([]byte(bodies[i]), sigs[i]), "attempt %d: signature valid over its bytes", i+1)
					assert.Equal(t, a.Timestamp, stampOf(t, bodies[i]), "attempt %d: Attempt.Timestamp is what was sent", i+1)
					if same {
						assert.Equal(t, string(orig), bodies[i], "attempt %d: the bytes as given", i+1)
						assert.Equal(t, origStamp, a.Timestamp)
						continue
					}
					assert.Equal(t, event.FormatTimestamp(wantAt[i], tt.prec), a.Timestamp, "attempt %d: stamped at the attempt", i+1)
					back, err := event.Restamp([]byte(bodies[i]), mustParse(t, origStamp), tt.prec)
					require.NoError(t, err)
					assert.Equal(t, string(orig), string(back), "attempt %d: only the timestamp changed", i+1)
				}
				if !same {
					assert.Len(t, map[string]bool{sigs[0]: true, sigs[1]: true, sigs[2]: true}, 3, "three signatures")
				}
			})
		}
	}
}

// deliverThreeFailures delivers job, signed, through DeliverAll (whose
// retries park the body) to a receiver that always answers 500, on a fake
// clock starting at start, and returns the result with the bodies and
// signatures the receiver got.
func deliverThreeFailures(t *testing.T, job Job, start time.Time, same bool) (Result, []string, []string) {
	t.Helper()
	s := newSink(t, func(int) int { return 500 })
	fake := clock.NewFake(start)
	job.URL, job.Signer = s.srv.URL, testSigner(t)
	ch, onAttempt := attemptsChan()
	e := New(Config{Clock: fake, Concurrency: 1, SameBytesOnRetry: same, OnAttempt: onAttempt})
	done := make(chan []Result, 1)
	go func() { done <- e.DeliverAll(context.Background(), []Job{job}, nil) }()
	blockUntil(t, fake, 1)
	fake.Advance(30 * time.Second)
	blockUntil(t, fake, 1)
	fake.Advance(3 * time.Minute)
	res := <-done
	require.Len(t, res, 1)
	require.Len(t, res[0].Attempts, 3)
	for i := range 3 {
		assert.Equal(t, res[0].Attempts[i].Timestamp, recv(t, ch).Timestamp, "OnAttempt sees attempt %d's timestamp", i+1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bodies, sigs := s.bodies[s.ids[0]], s.sigs[s.ids[0]]
	require.Len(t, bodies, 3)
	return res[0], bodies, sigs
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return at
}
