package delivery

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
)

// bigEvent is a job's event whose body is long and compressible enough to
// be parked deflated while it waits for a retry.
func bigEvent(i int) event.Event {
	ev := testEvent(i)
	ev.Payload = event.Object{"work": event.Object{"type": "issue", "body": strings.Repeat("the receiver is down; ", 100)}}
	return ev
}

func TestParkerRoundTrip(t *testing.T) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	body, err := bigEvent(1).Encode()
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		body   []byte
		packed bool
	}{
		{"short body is kept as is", []byte(`{"id":"evt-1"}`), false},
		{"incompressible body is kept as is", random, false},
		{"JSON body is deflated", body, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p parker
			packed := p.deflate(tc.body)
			if !tc.packed {
				assert.Nil(t, packed)
				return
			}
			require.NotNil(t, packed)
			assert.Less(t, len(packed), len(tc.body)/2)
			for range 2 { // a pooled inflater gives the same bytes
				got, err := p.inflate(packed, len(tc.body))
				require.NoError(t, err)
				assert.Equal(t, tc.body, got)
			}
			_, err := p.inflate(packed[:len(packed)/2], len(tc.body))
			assert.Error(t, err, "a truncated body is an error, not short bytes")
		})
	}
}

// With SameBytesOnRetry, bodies parked between attempts go out
// byte-identical with the same signature, and results hand back the job's
// bytes.
func TestParkedRetriesSendTheSameBytes(t *testing.T) {
	s := newSink(t, func(n int) int {
		if n <= 4 { // both events fail their first two attempts
			return 503
		}
		return 200
	})
	fake := clock.NewFake(t0)
	signer := testSigner(t)
	given, err := bigEvent(1).Encode()
	require.NoError(t, err)
	orig := bytes.Clone(given)
	require.NotNil(t, new(parker).deflate(given), "the body is parked while it waits")
	jobs := []Job{
		{Event: bigEvent(1), Body: given, URL: s.srv.URL, Signer: signer},
		{Event: bigEvent(2), URL: s.srv.URL, Signer: signer}, // encoded by the engine
	}
	e := New(Config{Clock: fake, Concurrency: 1, SameBytesOnRetry: true})
	done := make(chan []Result, 1)
	go func() { done <- e.DeliverAll(context.Background(), jobs, nil) }()
	blockUntil(t, fake, 2)
	fake.Advance(30 * time.Second)
	blockUntil(t, fake, 2)
	fake.Advance(3 * time.Minute)
	res := <-done
	require.Len(t, res, 2)
	for i, r := range res {
		assert.True(t, r.Delivered, "job %d", i)
		assert.Len(t, r.Attempts, 3)
		id := jobs[i].Event.ID
		s.mu.Lock()
		bodies, sigs := s.bodies[id], s.sigs[id]
		s.mu.Unlock()
		require.Len(t, bodies, 3)
		assert.Equal(t, []string{bodies[0], bodies[0], bodies[0]}, bodies, "job %d: same bytes on every attempt", i)
		assert.Equal(t, []string{sigs[0], sigs[0], sigs[0]}, sigs, "job %d: same signature on every attempt", i)
		assert.Equal(t, signer.Sign([]byte(bodies[0])), sigs[0])
	}
	assert.Equal(t, orig, []byte(s.bodies[jobs[0].Event.ID][0]))
	assert.Equal(t, orig, res[0].Job.Body, "the given body comes back")
	assert.Nil(t, res[1].Job.Body, "an engine-encoded body is not put into the job")
}

// A job cancelled while parked still hands back its body.
func TestCancelWhileParkedRestoresBody(t *testing.T) {
	s := newSink(t, func(int) int { return 503 })
	fake := clock.NewFake(t0)
	body, err := bigEvent(1).Encode()
	require.NoError(t, err)
	orig := bytes.Clone(body)
	ctx, cancel := context.WithCancel(context.Background())
	e := New(Config{Clock: fake})
	done := make(chan []Result, 1)
	go func() {
		done <- e.DeliverAll(ctx, []Job{{Event: bigEvent(1), Body: body, URL: s.srv.URL}}, nil)
	}()
	blockUntil(t, fake, 1)
	cancel()
	res := <-done
	require.Len(t, res, 1)
	assert.ErrorIs(t, res[0].Err, context.Canceled)
	assert.Len(t, res[0].Attempts, 1)
	assert.Equal(t, "HTTP 503 is not 2xx", res[0].Attempts[0].Err)
	assert.Equal(t, orig, res[0].Job.Body)
}

// BenchmarkPark: deflating a catalogue event's body as it starts waiting
// for a retry, and inflating it back for the attempt (the failure path's
// cost), with the share of the bytes a parked body keeps.
func BenchmarkPark(b *testing.B) {
	g := event.NewGenerator(event.Options{Seed: 1})
	ev, err := g.New("work_created", g.WebhookID())
	require.NoError(b, err)
	body, err := ev.Encode()
	require.NoError(b, err)
	var p parker
	var packed int
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		z := p.deflate(body)
		if _, err := p.inflate(z, len(body)); err != nil {
			b.Fatal(err)
		}
		packed = len(z)
	}
	b.ReportMetric(float64(packed)/float64(len(body)), "kept-ratio")
}
