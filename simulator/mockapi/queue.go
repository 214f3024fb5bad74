package mockapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// Queue bounds (issue 13: a trigger never holds the server's lock while its
// events are built, and memory stays bounded under load).
const (
	// DefaultQueueLimit bounds the events queued or being delivered at
	// once, over every trigger; a trigger beyond it is refused with 429.
	// A queued event costs its id and a reference to its trigger's shared
	// payload (~150 B) until it is dispatched.
	DefaultQueueLimit = 500_000
	// queueRetryAfter is the retry_after of a trigger refused for a full
	// queue, in seconds.
	queueRetryAfter = 5
	// maxPendingPerDelivery bounds the jobs one webhook's delivery of one
	// trigger holds at once (in flight or waiting for a retry).
	maxPendingPerDelivery = 128
)

// batch is the events of one trigger: payload i is the object change of
// event i, the same for every webhook the trigger reaches (as one change in
// DevRev fans out to every subscribed webhook, each with its own event id).
// Payloads are frozen (values pre-encoded) and shared read-only.
type batch struct {
	typ      string
	prec     event.Precision
	payloads []event.Object
	// p is its place in the state file.
	p *persisted
}

// event returns event i of b for webhookID with id, stamped at.
func (b *batch) event(i int, id, webhookID string, at time.Time) event.Event {
	return event.Event{ID: id, WebhookID: webhookID, Timestamp: at, Type: b.typ, Payload: b.payloads[i], Precision: b.prec}
}

// freeze returns p with every value encoded once, so encoding an envelope
// around it copies bytes instead of walking maps.
func freeze(p event.Object) (event.Object, error) {
	out := make(event.Object, len(p))
	for k, v := range p {
		b, err := event.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode payload field %q: %w", k, err)
		}
		out[k] = json.RawMessage(b)
	}
	return out, nil
}

// target is what delivering to one webhook needs, copied under the lock.
type target struct {
	h      *hook
	gen    uint64
	url    string
	signer *signature.Signer
	header http.Header
	faults Faults
	ids    []string
	g      *group // the group of ids (nil for a replay)
}

// reserveLocked counts n more events as queued, or refuses them with 429
// when the queue limit would be passed. s.mu must be held.
func (s *Server) reserveLocked(n int) *Error {
	if s.queued+n > s.cfg.QueueLimit {
		ra := queueRetryAfter
		return &Error{Status: http.StatusTooManyRequests, Type: TypeTooManyRequests,
			Message: "the delivery queue is full",
			Detail: fmt.Sprintf("%d events are queued or being delivered and this trigger adds %d; the limit is %d (--queue-limit); retry once some are delivered",
				s.queued, n, s.cfg.QueueLimit),
			RetryAfter: &ra}
	}
	s.queued += n
	return nil
}

// release gives back n queued events.
func (s *Server) release(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued -= n
}

// Queued reports how many events are queued or being delivered.
func (s *Server) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued
}

// deliverLocked delivers events b[0..len(t.ids)) to t's webhook in the
// background, building each job only when the engine takes it, in t.h's
// delivery period t.gen. Results feed the webhook's machine unless it has
// left that period. s.mu must be held; replay marks the attempts as a replay.
func (s *Server) deliverLocked(t *target, b *batch, first int, replay bool, fanout int) {
	webhookID, gen, n := t.h.id, t.gen, len(t.ids)
	// A trigger to many webhooks gives each fewer workers: the goroutines
	// of all its deliveries stay near Concurrency × 16.
	conc := min(s.cfg.Concurrency, n, max(1, s.cfg.Concurrency*16/max(fanout, 1)))
	eng := s.engineLocked(engineKey{dup: t.faults.DuplicateRate, reorder: t.faults.ReorderWindow, replay: replay, conc: conc})
	// One timer per event when idle: its retry wait. Each result gives its
	// share back; endTask gives back those of jobs never dispatched.
	// The task holds the events' places in the queue until each result.
	ctx, tk := s.startTaskLocked(n)
	tk.queued = n
	t.h.deliveries = append(liveTasks(t.h.deliveries), tk)
	go func() {
		defer s.endTask(tk)
		jobs := make(chan delivery.Job)
		handed := make(chan int, 1)
		go func() { handed <- s.produce(ctx, jobs, t, b, first, replay) }()
		// Jobs the engine took but never ran (ctx ended) give their slot back.
		ended := false // a result arrived (one job when replaying)
		defer func() {
			for _, id := range t.ids {
				s.releaseSlot(id, replay)
			}
			// Deliveries that got no result — never handed to the engine,
			// or dropped by it when ctx ended (a reorder window's, one
			// being submitted) — end now, their webhook having changed;
			// unless the mock is shutting down: then they resume after a
			// restart. Before a replay's id may be replayed again below.
			n := <-handed
			if s.store != nil && !(replay && ended) { // an ended replay's id may be another replay's now
				for _, id := range t.ids[:n] {
					if r := s.recOf(id, replay); r != nil { // its result would have ended it
						s.deliveryEnded(r)
					}
				}
				for i, id := range t.ids[n:] {
					s.deliveryEnded(s.record(t, b, first+n+i, id, replay))
				}
			}
			if replay && !ended { // never dispatched: no result cleared it
				s.mu.Lock()
				delete(s.replaying, t.ids[0])
				s.mu.Unlock()
			}
		}()
		eng.DeliverStream(ctx, jobs, func(r delivery.Result) {
			s.releaseSlot(r.Job.Event.ID, replay)
			ended = true
			// Its record ends before its id may be replayed again: a new
			// replay must not find (and share) this one's record.
			s.deliveryEnded(s.recOf(r.Job.Event.ID, replay))
			if replay { // before the result: once idle, it may be replayed again
				s.mu.Lock()
				delete(s.replaying, r.Job.Event.ID)
				s.mu.Unlock()
			}
			s.deliveryResult(tk, webhookID, gen, r)
		})
	}()
}

// record returns the record of delivery id (event idx of b to t's webhook)
// while it is in progress, made on first use; nil without a state file.
// Records are made as deliveries start, so they are bounded by the
// deliveries in flight or waiting for a retry.
func (s *Server) record(t *target, b *batch, idx int, id string, replay bool) *deliveryRecord {
	if s.store == nil {
		return nil
	}
	r := &deliveryRecord{EventID: id, WebhookID: t.h.id, Batch: b.p.key, Index: idx, Replay: replay, g: t.g, b: b}
	v, _ := s.recs.LoadOrStore(string(r.key()), r)
	return v.(*deliveryRecord)
}

// produce builds t's jobs one at a time, as the engine takes them, and
// returns how many it handed over.
func (s *Server) produce(ctx context.Context, jobs chan<- delivery.Job, t *target, b *batch, first int, replay bool) int {
	defer close(jobs)
	for i, id := range t.ids {
		job, err := delivery.EncodedJob(b.event(first+i, id, t.h.id, s.clk.Now()))
		if err != nil {
			s.note(t.h.id, id, "not delivered: "+err.Error())
			s.deliveryEnded(s.record(t, b, first+i, id, replay))
			continue
		}
		job.URL, job.Signer, job.Header, job.DropFirst = t.url, t.signer, t.header, t.faults.DropFirst
		select {
		case s.slots <- struct{}{}:
			s.slotHeld.Store(slotKey(id, replay), struct{}{})
		case <-ctx.Done():
			return i
		}
		s.record(t, b, first+i, id, replay)
		select {
		case jobs <- job:
		case <-ctx.Done():
			s.releaseSlot(id, replay)
			return i
		}
	}
	return len(t.ids)
}

// engineKey is what distinguishes the mock's delivery engines. Engines are
// shared by every delivery with the same key: each holds pools (a parked
// body's deflater is ~1.2 MB) that one engine per trigger and webhook
// multiplied by thousands.
type engineKey struct {
	dup     float64
	reorder int
	replay  bool
	conc    int
}

// engineLocked returns the engine for k, made on first use. s.mu must be
// held.
func (s *Server) engineLocked(k engineKey) *delivery.Engine {
	if e, ok := s.engines[k]; ok {
		return e
	}
	e := delivery.New(delivery.Config{
		Client: s.client, Clock: s.clk, Schedule: s.cfg.Schedule, Concurrency: k.conc,
		MaxPending:       max(k.conc, maxPendingPerDelivery),
		SameBytesOnRetry: s.cfg.SameBytesOnRetry,
		DuplicateRate:    k.dup, ReorderWindow: k.reorder, Seed: s.cfg.Seed*1_000_003 + s.seq.Add(1),
		OnAttempt: func(a delivery.Attempt) {
			if a.Number == 1 && !a.Duplicate {
				s.releaseSlot(a.EventID, k.replay)
			}
			e := deliverylog.FromAttempt(a)
			e.Replay = k.replay
			s.addEntry(e)
			if s.store != nil {
				s.attemptSaved(s.recOf(a.EventID, k.replay), a, a.Number)
			}
		},
	})
	s.engines[k] = e
	return e
}

// recOf is the record of a delivery in progress (nil without a state file).
func (s *Server) recOf(eventID string, replay bool) *deliveryRecord {
	if s.store == nil {
		return nil
	}
	r, _ := s.recs.Load(string((&deliveryRecord{EventID: eventID, Replay: replay}).key()))
	rec, _ := r.(*deliveryRecord)
	return rec
}

// Slots (Server.slots) bound the first attempts in flight over every
// delivery: a job takes one when it is built and gives it back when its
// first attempt ends, so that thousands of deliveries do not all wait for a
// connection at once (and time out waiting).
const (
	minSlots          = 256
	maxSlotsPerWorker = 16
)

func slotKey(eventID string, replay bool) string {
	if replay {
		return "replay:" + eventID
	}
	return eventID
}

// releaseSlot gives back the slot of a job, once.
func (s *Server) releaseSlot(eventID string, replay bool) {
	if _, ok := s.slotHeld.LoadAndDelete(slotKey(eventID, replay)); ok {
		<-s.slots
	}
}
