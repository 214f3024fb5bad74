// Package clock abstracts time so that protocol delays (the 30 s / 3 min retry
// schedule, the 3 min verify window, the degraded re-verify period) can run in
// real time, scaled down from the CLI, or driven by hand in tests.
//
// Engine code never calls time.Sleep or time.After directly: it asks a Clock.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once after d (as this clock counts it).
	NewTimer(d time.Duration) Timer
	// AfterFunc returns a timer that calls f once after d, in a goroutine of
	// the clock's choosing; its C is nil. It holds no channel, so it is the
	// cheaper timer when many wait at once (about 140 bytes against 250).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a one-shot timer created by a Clock.
type Timer interface {
	// C is the channel the timer's time is sent on (nil for AfterFunc).
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was still pending.
	Stop() bool
}

// Sleep waits for d on c, or until ctx is done, whichever comes first. It
// returns ctx.Err() when the context ended the wait.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return realTimer{time.AfterFunc(d, f)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Scaled returns a clock whose delays are the ones asked for multiplied by
// factor (0.01 makes 3 min last 1.8 s). Now is base's time, unscaled, so
// timestamps stay real. A factor <= 0 is treated as 1.
func Scaled(base Clock, factor float64) Clock {
	if factor <= 0 {
		factor = 1
	}
	return scaledClock{base: base, factor: factor}
}

type scaledClock struct {
	base   Clock
	factor float64
}

func (s scaledClock) Now() time.Time { return s.base.Now() }

func (s scaledClock) NewTimer(d time.Duration) Timer {
	return s.base.NewTimer(Scale(d, s.factor))
}

func (s scaledClock) AfterFunc(d time.Duration, f func()) Timer {
	return s.base.AfterFunc(Scale(d, s.factor), f)
}

// Scale multiplies d by factor, rounding to the nearest nanosecond and never
// turning a positive duration into zero.
func Scale(d time.Duration, factor float64) time.Duration {
	if factor <= 0 || factor == 1 {
		return d
	}
	out := time.Duration(float64(d)*factor + 0.5)
	if d > 0 && out <= 0 {
		out = 1
	}
	return out
}

// Fake is a manual clock for tests: time moves only when Advance is called.
// It is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
	// timers holds the pending timers in creation order, and stopped ones
	// until the next compaction (Stop is O(1): thousands of retry timers
	// can be stopped at once); pending counts the pending ones.
	timers  []*fakeTimer
	pending int
	changed chan struct{} // closed and replaced whenever a timer is added
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer registers a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		t.ch <- f.now
		t.fired = true
		return t
	}
	f.addLocked(t)
	return t
}

// addLocked registers a pending timer. f.mu must be held.
func (f *Fake) addLocked(t *fakeTimer) {
	f.timers = append(f.timers, t)
	f.pending++
	close(f.changed)
	f.changed = make(chan struct{})
}

// compactLocked drops stopped timers from f.timers. f.mu must be held.
func (f *Fake) compactLocked() {
	kept := f.timers[:0]
	for _, t := range f.timers {
		if !t.fired {
			kept = append(kept, t)
		}
	}
	clear(f.timers[len(kept):])
	f.timers = kept
}

// AfterFunc registers a timer that calls fn when the fake time reaches
// now+d. Advance calls it, after the timers it fires are sent and the clock
// is unlocked, in the goroutine calling Advance: fn must not block. With
// d <= 0 fn runs at once in its own goroutine, as with time.AfterFunc.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), fn: fn}
	if d <= 0 {
		t.fired = true
		go fn()
		return t
	}
	f.addLocked(t)
	return t
}

// Advance moves the fake time forward by d, firing every timer that falls
// due, in order of their deadlines (AfterFunc functions run last, in that
// order, once the clock is unlocked).
func (f *Fake) Advance(d time.Duration) {
	var fns []func()
	f.mu.Lock()
	f.now = f.now.Add(d)
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
	kept := f.timers[:0]
	for _, t := range f.timers {
		if t.fired { // stopped
			continue
		}
		if t.at.After(f.now) {
			kept = append(kept, t)
			continue
		}
		t.fired = true
		f.pending--
		if t.fn != nil {
			fns = append(fns, t.fn)
		} else {
			t.ch <- t.at
		}
	}
	clear(f.timers[len(kept):])
	f.timers = kept
	f.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Waiters returns how many timers are pending.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pending
}

// BlockUntil waits until at least n timers are pending or ctx is done. Tests
// use it to know that the code under test has reached its next wait, instead
// of sleeping.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		pending, changed := f.pending, f.changed
		f.mu.Unlock()
		if pending >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// NextDeadline returns the earliest pending timer's deadline, and false when
// no timer is pending.
func (f *Fake) NextDeadline() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	found := false
	for _, t := range f.timers {
		if !t.fired && (!found || t.at.Before(next)) {
			next, found = t.at, true
		}
	}
	return next, found
}

type fakeTimer struct {
	f  *Fake
	at time.Time
	ch chan time.Time // NewTimer's
	fn func()         // AfterFunc's
	// fired is set once the timer fired or was stopped: it is no longer
	// pending.
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if t.fired {
		return false
	}
	t.fired = true // stopped: dropped from f.timers by the next compaction
	t.f.pending--
	if len(t.f.timers) > 64 && t.f.pending < len(t.f.timers)/2 {
		t.f.compactLocked()
	}
	return true
}
