package mockapi

import "context"

// task is one piece of background work (a verify loop, a re-verify loop,
// the delivery of one trigger's events) as Pending counts it.
//
// Pending is exact only if, for every task, the clock timers it holds are
// never more than its share of the count, and equal to it only while it is
// blocked on the clock with nothing left to do. Work in flight holds fewer
// timers than its share (an attempt holds no retry timer), so it never
// looks idle. Cancelling is the one case that needs care: the cancelled
// goroutine still holds its timers until it wakes, stops them and records
// its outcome, so a cancelled task's share grows by one until it has ended.
// Without that, the woken goroutine's timers would still match its share
// and the mock would look idle before, for example, the events that were
// waiting for a retry are noted as failed.
type task struct {
	cancel    context.CancelFunc
	waits     int  // this task's share of Server.waits
	queued    int  // this task's events counted in Server.queued
	cancelled bool // cancelTaskLocked has run
	ended     bool // endTask has run
}

// startTaskLocked registers background work holding waits timers when idle
// and returns the context that cancelTaskLocked ends. The caller runs the
// work in a goroutine that calls endTask when done. s.mu must be held.
func (s *Server) startTaskLocked(waits int) (context.Context, *task) {
	ctx, cancel := context.WithCancel(s.root)
	t := &task{cancel: cancel}
	s.tasks[t] = struct{}{}
	s.wg.Add(1)
	s.taskWaitsLocked(t, waits)
	if s.closed { // born cancelled: s.root is done
		s.cancelTaskLocked(t)
	}
	return ctx, t
}

// taskWaitsLocked changes t's share of the Pending count by n. s.mu must be
// held.
func (s *Server) taskWaitsLocked(t *task, n int) {
	t.waits += n
	s.addWaitsLocked(n)
}

// cancelTaskLocked cancels t's context and counts t as busy (one more than
// its timers) until it has ended. s.mu must be held.
func (s *Server) cancelTaskLocked(t *task) {
	if t == nil || t.ended || t.cancelled {
		return
	}
	t.cancelled = true
	s.taskWaitsLocked(t, 1)
	t.cancel()
}

// endTask removes what is left of t's share of the Pending count. The task's
// goroutine calls it last, once every timer it made is stopped or fired.
func (s *Server) endTask(t *task) {
	s.mu.Lock()
	t.ended = true
	delete(s.tasks, t)
	s.taskWaitsLocked(t, -t.waits)
	s.queued -= t.queued
	t.queued = 0
	s.mu.Unlock()
	t.cancel()
	s.wg.Done()
}

// liveTasks returns ts without the tasks that have ended. s.mu must be held.
func liveTasks(ts []*task) []*task {
	out := ts[:0]
	for _, t := range ts {
		if !t.ended {
			out = append(out, t)
		}
	}
	clear(ts[len(out):])
	return out
}
