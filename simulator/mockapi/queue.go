package mockapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/revhook/revhook/simulator/delivery"
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
func (s *Server) deliverLocked(t *target, b *batch, first int, replay bool) {
	webhookID, gen, n := t.h.id, t.gen, len(t.ids)
	recs := make(map[string]deliveryRecord, n)
	if s.store != nil {
		for i, id := range t.ids {
			recs[id] = deliveryRecord{EventID: id, WebhookID: webhookID, Batch: b.p.key, Index: first + i, Replay: replay}
		}
	}
	seed := s.cfg.Seed*1_000_003 + s.seq.Add(1)
	eng := delivery.New(delivery.Config{
		Client: s.client, Clock: s.clk, Schedule: s.cfg.Schedule, Concurrency: min(s.cfg.Concurrency, n),
		MaxPending:       min(maxPendingPerDelivery, max(n, s.cfg.Concurrency)),
		SameBytesOnRetry: s.cfg.SameBytesOnRetry,
		DuplicateRate:    t.faults.DuplicateRate, ReorderWindow: t.faults.ReorderWindow, Seed: seed,
		OnAttempt: func(a delivery.Attempt) {
			e := attemptEntry(a, webhookID)
			e.Replay = replay
			s.addEntry(e)
			s.attemptSaved(recs[a.EventID], a, a.Number)
		},
	})
	// One timer per event when idle: its retry wait. Each result gives its
	// share back; endTask gives back those of jobs never dispatched.
	// The task holds the events' places in the queue until each result.
	ctx, tk := s.startTaskLocked(n)
	tk.queued = n
	t.h.deliveries = append(liveTasks(t.h.deliveries), tk)
	go func() {
		defer s.endTask(tk)
		jobs := make(chan delivery.Job)
		go s.produce(ctx, jobs, t, b, first)
		eng.DeliverStream(ctx, jobs, func(r delivery.Result) {
			s.deliveryEnded(recs[r.Job.Event.ID], b)
			s.deliveryResult(tk, webhookID, gen, r)
		})
	}()
}

// produce builds t's jobs one at a time, as the engine takes them.
func (s *Server) produce(ctx context.Context, jobs chan<- delivery.Job, t *target, b *batch, first int) {
	defer close(jobs)
	for i, id := range t.ids {
		job, err := delivery.EncodedJob(b.event(first+i, id, t.h.id, s.clk.Now()))
		if err != nil {
			s.note(t.h.id, id, "not delivered: "+err.Error())
			continue
		}
		job.URL, job.Signer, job.Header, job.DropFirst = t.url, t.signer, t.header, t.faults.DropFirst
		select {
		case jobs <- job:
		case <-ctx.Done():
			return
		}
	}
}
