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

func TestFakeAfterFunc(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	var order []string
	f.AfterFunc(3*time.Minute, func() { order = append(order, "3m") })
	f.AfterFunc(30*time.Second, func() { order = append(order, "30s-a") })
	f.AfterFunc(30*time.Second, func() { order = append(order, "30s-b") })
	stopped := f.AfterFunc(time.Minute, func() { order = append(order, "stopped") })
	assert.Nil(t, stopped.C(), "an AfterFunc timer has no channel")
	assert.Equal(t, 4, f.Waiters())
	assert.True(t, stopped.Stop())
	assert.Equal(t, 3, f.Waiters())

	f.Advance(29 * time.Second)
	assert.Empty(t, order, "not a nanosecond early")
	f.Advance(time.Second)
	assert.Equal(t, []string{"30s-a", "30s-b"}, order, "due functions ran by Advance, equal deadlines in creation order")
	f.Advance(time.Hour)
	assert.Equal(t, []string{"30s-a", "30s-b", "3m"}, order)
	assert.Zero(t, f.Waiters())
	d, ok := f.NextDeadline()
	assert.False(t, ok, "no deadline left, got %v", d)
}

func TestFakeAfterFuncMayUseTheClock(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	var at time.Time
	f.AfterFunc(time.Second, func() {
		at = f.Now() // the clock is unlocked when fn runs
		f.AfterFunc(time.Second, func() {})
	})
	f.Advance(time.Second)
	assert.Equal(t, time.Unix(1, 0), at)
	assert.Equal(t, 1, f.Waiters())
}

func TestFakeAfterFuncNowRunsAtOnce(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	ran := make(chan struct{})
	tm := f.AfterFunc(0, func() { close(ran) })
	<-ran
	assert.False(t, tm.Stop())
	assert.Zero(t, f.Waiters())
}

// Stopping many timers keeps the count and the order of the rest exact.
func TestFakeStopManyKeepsOrder(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	var timers []Timer
	var fired []int
	for i := range 1000 {
		timers = append(timers, f.AfterFunc(time.Second, func() { fired = append(fired, i) }))
	}
	for i, tm := range timers {
		if i%3 != 0 {
			assert.True(t, tm.Stop())
		}
	}
	assert.Equal(t, 334, f.Waiters())
	next, ok := f.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, time.Unix(1, 0), next)
	f.Advance(time.Second)
	require.Len(t, fired, 334)
	for k, i := range fired {
		assert.Equal(t, 3*k, i)
	}
}

func TestRealAndScaledAfterFunc(t *testing.T) {
	for _, c := range []Clock{Real(), Scaled(Real(), 0.001)} {
		ran := make(chan struct{})
		tm := c.AfterFunc(time.Millisecond, func() { close(ran) })
		assert.Nil(t, tm.C())
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatal("AfterFunc never ran")
		}
		assert.False(t, tm.Stop(), "already fired")
		never := c.AfterFunc(time.Hour, func() { t.Error("stopped timer ran") })
		assert.True(t, never.Stop())
	}
}

func TestScaledAfterFuncShortensDelays(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	ran := false
	Scaled(f, 0.001).AfterFunc(3*time.Minute, func() { ran = true })
	f.Advance(179 * time.Millisecond)
	assert.False(t, ran, "fired early")
	f.Advance(time.Millisecond)
	assert.True(t, ran)
}
