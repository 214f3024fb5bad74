package clock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireNotFired fails the test with msg when tm has fired.
func requireNotFired(t *testing.T, tm Timer, msg string) {
	t.Helper()
	select {
	case <-tm.C():
		t.Fatal(msg)
	default:
	}
}

func TestFakeFiresTimersInDeadlineOrder(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	late := f.NewTimer(3 * time.Minute)
	early := f.NewTimer(30 * time.Second)
	assert.Equal(t, 2, f.Waiters())

	f.Advance(29 * time.Second)
	requireNotFired(t, early, "timer fired before its deadline")
	f.Advance(time.Second)
	assert.Equal(t, start.Add(30*time.Second), <-early.C())
	assert.Equal(t, 1, f.Waiters())
	f.Advance(3 * time.Minute)
	assert.Equal(t, start.Add(3*time.Minute), <-late.C())
}

func TestFakeStop(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	assert.True(t, tm.Stop())
	assert.False(t, tm.Stop())
	assert.Zero(t, f.Waiters())
	f.Advance(time.Hour)
	requireNotFired(t, tm, "stopped timer fired")
}

func TestSleepHonoursContextAndClock(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Sleep(ctx, f, time.Minute) }()
	require.NoError(t, f.BlockUntil(context.Background(), 1))
	f.Advance(time.Minute)
	assert.NoError(t, <-done)

	go func() { done <- Sleep(ctx, f, time.Minute) }()
	require.NoError(t, f.BlockUntil(context.Background(), 1))
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		d      time.Duration
		factor float64
		want   time.Duration
	}{
		{3 * time.Minute, 0.001, 180 * time.Millisecond},
		{30 * time.Second, 0.01, 300 * time.Millisecond},
		{time.Second, 1, time.Second},
		{time.Second, 0, time.Second},
		{time.Nanosecond, 0.001, time.Nanosecond},
	} {
		assert.Equal(t, tc.want, Scale(tc.d, tc.factor), "%v x %v", tc.d, tc.factor)
	}
}

func TestScaledClockShortensDelays(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	s := Scaled(f, 0.001)
	tm := s.NewTimer(3 * time.Minute)
	f.Advance(179 * time.Millisecond)
	requireNotFired(t, tm, "fired early")
	f.Advance(time.Millisecond)
	<-tm.C()
	assert.Equal(t, f.Now(), s.Now())
}
