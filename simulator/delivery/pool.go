package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
)

// pool is one DeliverAll or DeliverStream in progress: Concurrency workers
// make attempts, one retry queue per schedule step holds the jobs waiting
// for their next attempt, and at most MaxPending jobs are held at once.
type pool struct {
	e      *Engine
	ctx    context.Context
	finish func(int, Result)
	// work carries a job's next attempt to a worker.
	work chan *run
	// pending holds a token per job held (in flight or waiting).
	pending chan struct{}
	steps   []*stepQueue
	// stop tells the step queues that every job finished.
	stop                       chan struct{}
	jobsWG, stepsWG, workersWG sync.WaitGroup
}

// newPool starts the step queues and the workers of a dispatch.
func (e *Engine) newPool(ctx context.Context, finish func(int, Result)) *pool {
	p := &pool{
		e: e, ctx: ctx, finish: finish,
		work:    make(chan *run),
		pending: make(chan struct{}, e.cfg.MaxPending),
		steps:   make([]*stepQueue, len(e.cfg.Schedule)),
		stop:    make(chan struct{}),
	}
	for k := range p.steps {
		p.steps[k] = &stepQueue{wake: make(chan struct{}, 1)}
		p.stepsWG.Add(1)
		go p.serveStep(p.steps[k])
	}
	for range e.cfg.Concurrency {
		p.workersWG.Add(1)
		go p.worker()
	}
	return p
}

// submit takes a job in, once a MaxPending slot is free, and hands its
// first attempt to a worker. It returns false when ctx ended first.
func (p *pool) submit(idx int, job Job, dupOf func(int) bool) bool {
	select {
	case p.pending <- struct{}{}:
	case <-p.ctx.Done():
		return false
	}
	p.jobsWG.Add(1)
	r := p.e.prepare(job)
	r.idx, r.dup = idx, dupOf(idx)
	if r.err != nil {
		p.done(r)
		return true
	}
	select {
	case p.work <- r:
		return true
	case <-p.ctx.Done():
		r.err = p.ctx.Err()
		p.done(r)
		return false
	}
}

// wait returns once every submitted job finished and the goroutines ended.
func (p *pool) wait() {
	p.jobsWG.Wait()
	close(p.stop)
	p.stepsWG.Wait()
	close(p.work)
	p.workersWG.Wait()
}

// done reports a finished job and frees its slot.
func (p *pool) done(r *run) {
	p.finish(r.idx, p.e.result(r))
	<-p.pending
	p.jobsWG.Done()
}

// fail finishes r with ctx's error.
func (p *pool) fail(r *run) {
	r.err = p.ctx.Err()
	p.done(r)
}

// worker makes attempts until the pool stops.
func (p *pool) worker() {
	defer p.workersWG.Done()
	for r := range p.work {
		p.step(r)
	}
}

// step makes r's next attempt and decides what follows: its duplicate and
// the end, a retry, or the end.
func (p *pool) step(r *run) {
	err := p.ctx.Err()
	if err == nil {
		err = p.e.unpark(r)
	}
	if err != nil {
		r.err = err
		p.done(r)
		return
	}
	n := len(r.tries) + 1 // no duplicate was sent yet
	a := p.e.attempt(p.ctx, r, n, false)
	switch {
	case a.delivered:
		if r.dup && p.ctx.Err() == nil {
			p.e.attempt(p.ctx, r, 1, true)
		}
		p.done(r)
	case p.ctx.Err() != nil:
		p.fail(r)
	case n < p.e.Attempts():
		p.e.park(r)
		p.steps[n-1].push(r, p.e.cfg.Clock, p.e.cfg.Schedule[n-1])
	default:
		p.done(r)
	}
}

// serveStep hands the due jobs of sq to the workers, in FIFO order, until
// the pool stops; once ctx ended it fails the jobs waiting there instead.
func (p *pool) serveStep(sq *stepQueue) {
	defer p.stepsWG.Done()
	for {
		head := sq.popDue()
		if head == nil {
			select {
			case <-sq.wake:
				continue
			case <-p.stop:
				return
			case <-p.ctx.Done():
				p.drainUntilStop(sq, nil)
				return
			}
		}
		select {
		case p.work <- head:
		case <-p.ctx.Done():
			p.drainUntilStop(sq, head)
			return
		}
	}
}

// drainUntilStop fails first (if any) and every job waiting in sq, then,
// until the pool stops, every job that still arrives there.
func (p *pool) drainUntilStop(sq *stepQueue, first *run) {
	if first != nil {
		p.fail(first)
	}
	p.drain(sq)
	for {
		select {
		case <-sq.wake:
			p.drain(sq)
		case <-p.stop:
			return
		}
	}
}

// drain fails every job waiting in sq.
func (p *pool) drain(sq *stepQueue) {
	for _, w := range sq.takeAll() {
		w.t.Stop()
		p.fail(w.r)
	}
}

// stepQueue holds the jobs waiting for one step of the schedule. A job
// entering it gets an AfterFunc timer for the step's delay that marks it
// due; equal delays fall due in FIFO order, so the queue's goroutine only
// ever hands over its due head. A waiting job holds a queue slot and a
// timer (~140 bytes; a channel timer would be ~250), not a goroutine.
type stepQueue struct {
	mu   sync.Mutex
	q    []waiting // guarded by mu, as are the runs' due flags
	wake chan struct{}
}

// waiting is a job in a step queue and its timer.
type waiting struct {
	r *run
	t clock.Timer
}

// push queues r, due after d on c.
func (sq *stepQueue) push(r *run, c clock.Clock, d time.Duration) {
	sq.mu.Lock()
	defer sq.mu.Unlock()
	r.due = false
	sq.q = append(sq.q, waiting{r: r, t: c.AfterFunc(d, func() {
		sq.mu.Lock()
		r.due = true
		sq.mu.Unlock()
		sq.signal()
	})})
}

// signal wakes the queue's goroutine (a wake-up already pending will do).
func (sq *stepQueue) signal() {
	select {
	case sq.wake <- struct{}{}:
	default:
	}
}

// popDue removes and returns the head of the queue if it is due, else nil.
func (sq *stepQueue) popDue() *run {
	sq.mu.Lock()
	defer sq.mu.Unlock()
	if len(sq.q) == 0 || !sq.q[0].r.due {
		return nil
	}
	head := sq.q[0].r
	sq.q[0] = waiting{}
	sq.q = sq.q[1:]
	if len(sq.q) == 0 {
		sq.q = nil // let the backing array go
	}
	return head
}

// takeAll empties the queue and returns what it held.
func (sq *stepQueue) takeAll() []waiting {
	sq.mu.Lock()
	defer sq.mu.Unlock()
	all := sq.q
	sq.q = nil
	return all
}
