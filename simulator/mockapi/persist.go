package mockapi

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/simulator/store"
	"github.com/revhook/revhook/simulator/webhook"
)

// Durable state (Config.Store, issue 13). What is kept:
//   - a record per webhook (hookRecord), rewritten on every change, and
//     per webhook of the Revont-style API (revontRecord);
//   - a record per trigger (batchRecord: its shared payloads) and per
//     trigger and webhook (groupRecord: its event ids, and a bitset of the
//     deliveries that ended), kept while one of its deliveries is pending
//     or one of its events can be replayed (groups.go);
//   - a record per delivery whose attempt failed (deliveryRecord: webhook,
//     trigger, payload index, attempts made, when the next is due) and per
//     replay in progress, deleted at its end — never its bytes, which are
//     rebuilt from the trigger's payload;
//   - the delivery log, pruned past its capacity.
//
// An attempt in flight at a crash left its record as it was before the
// attempt, so it is made again after the restart (at-least-once). A
// shutdown keeps the records of every delivery it interrupted.

// Restored is what a server read back from its state file when it started.
type Restored struct {
	// Webhooks and RevontWebhooks count the webhooks of each API.
	Webhooks, RevontWebhooks int
	// Pending counts the deliveries resumed: each makes its next attempt
	// when it falls due.
	Pending int
	// Replayable counts the events POST /simulator/replay can re-deliver.
	Replayable int
}

// Restored reports what the server read back from its state file (zeros
// without one, or for a new file).
func (s *Server) Restored() Restored { return s.restored }

// hookRecord is a webhook as the state file keeps it.
type hookRecord struct {
	ID         string        `json:"id"`
	Display    int           `json:"display"`
	URL        string        `json:"url"`
	EventTypes []string      `json:"event_types"`
	Secret     string        `json:"secret"`
	Headers    []Header      `json:"headers,omitempty"`
	Created    time.Time     `json:"created"`
	Modified   time.Time     `json:"modified"`
	State      webhook.State `json:"state"`
	Exhausted  int           `json:"exhausted,omitempty"`
	Faults     Faults        `json:"faults"`
}

// batchRecord is a trigger's shared payloads.
type batchRecord struct {
	Type      string            `json:"type"`
	Precision event.Precision   `json:"precision"`
	Payloads  []json.RawMessage `json:"payloads"`
}

// deliveryRecord is one delivery in progress. The state file has it once
// an attempt failed (Attempts > 0) or for a replay; a delivery of a group
// not yet attempted is pending by its group's record alone.
type deliveryRecord struct {
	EventID   string    `json:"id"`
	WebhookID string    `json:"webhook"`
	Batch     uint64    `json:"batch"`
	Index     int       `json:"index"`
	Attempts  int       `json:"attempts,omitempty"`
	Due       time.Time `json:"due"`
	Replay    bool      `json:"replay,omitempty"`

	g *group // nil for a replay
	b *batch
}

func (r *deliveryRecord) key() []byte {
	if r.Replay {
		return []byte("replay:" + r.EventID)
	}
	return []byte(r.EventID)
}

// persisted is what a batch needs to be kept in the state file. Its lock
// orders the changes of the count with the writes they queue: a release
// to zero and a hold from zero cannot swap their Delete and Put.
type persisted struct {
	key  uint64
	mu   sync.Mutex
	left int64 // holders: its groups, its replays in progress
}

// adopt counts one more holder of a batch read from the state file (its
// record is there already).
func (p *persisted) adopt() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.left++
}

// held reports whether anything holds the batch.
func (p *persisted) held() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.left > 0
}

// errStore is the 503 of a state file that cannot be written.
func errStore(err error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Type: TypeServiceUnavailable,
		Message: "the state file could not be written", Detail: truncate(err.Error(), 400)}
}

// syncStore waits for the state file to hold every change made so far.
func (s *Server) syncStore() *Error {
	if s.store == nil {
		return nil
	}
	if err := s.store.Sync(); err != nil {
		return errStore(err)
	}
	return nil
}

// saveHookLocked queues h's record. s.mu must be held.
func (s *Server) saveHookLocked(h *hook) {
	if s.store == nil {
		return
	}
	b, _ := json.Marshal(hookRecord{ID: h.id, Display: h.display, URL: h.url, EventTypes: h.eventTypes, Secret: h.secret,
		Headers: h.headers, Created: h.created, Modified: h.modified, State: h.m.State, Exhausted: h.m.Exhausted, Faults: h.faults})
	s.store.Put(store.Hooks, []byte(h.id), b)
	s.store.Put(store.Meta, []byte("display"), store.U64(uint64(s.display)))
}

// dropHook queues the removal of a webhook's record.
func (s *Server) dropHook(id string) {
	if s.store != nil {
		s.store.Delete(store.Hooks, []byte(id))
	}
}

// holdBatch counts n more holders of b (its groups, its replays in
// progress), writing its record when it had none.
func (s *Server) holdBatch(b *batch, n int) {
	if s.store == nil || n == 0 {
		return
	}
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	if b.p.left += int64(n); b.p.left != int64(n) {
		return
	}
	rec := batchRecord{Type: b.typ, Precision: b.prec, Payloads: make([]json.RawMessage, len(b.payloads))}
	for i, p := range b.payloads {
		rec.Payloads[i], _ = event.Marshal(p) // frozen payloads always encode
	}
	v, _ := json.Marshal(rec)
	s.store.Put(store.Batches, store.U64(b.p.key), v)
}

// releaseBatch counts one holder of b as gone.
func (s *Server) releaseBatch(b *batch) {
	if s.store == nil {
		return
	}
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	if b.p.left--; b.p.left == 0 {
		s.store.Delete(store.Batches, store.U64(b.p.key))
	}
}

func (s *Server) saveDelivery(r *deliveryRecord) {
	v, _ := json.Marshal(r)
	s.store.Put(store.Deliveries, r.key(), v)
}

// attemptSaved records a failed attempt of rec as its number n: the next is
// due after the schedule's pause. A shutdown's aborted attempts are not
// counted (the attempt is made again after the restart).
func (s *Server) attemptSaved(rec *deliveryRecord, a delivery.Attempt, n int) {
	if s.store == nil || rec == nil || a.Delivered || a.Duplicate || s.closing.Load() || n > len(s.cfg.Schedule) {
		return
	}
	rec.Attempts = n
	rec.Due = a.At.Add(clock.Scale(s.cfg.Schedule[n-1], s.cfg.TimeScale))
	s.saveDelivery(rec)
}

// deliveryEnded removes rec once its delivery ended, unless the mock is
// shutting down (the delivery resumes after a restart).
func (s *Server) deliveryEnded(rec *deliveryRecord) {
	if s.store == nil || s.closing.Load() || rec == nil {
		return
	}
	s.recs.Delete(string(rec.key()))
	if rec.Attempts > 0 || rec.Replay {
		s.store.Delete(store.Deliveries, rec.key())
	}
	if rec.g != nil {
		s.ended(rec.g, rec.Index-rec.g.first)
	} else {
		s.releaseBatch(rec.b)
	}
}

// addLogRecord keeps a log entry in the state file.
func (s *Server) addLogRecord(e deliverylog.Entry) {
	if s.store == nil {
		return
	}
	v, _ := json.Marshal(e)
	s.store.AppendLog(v)
}

// restore loads the state file into a new server: webhooks (unverified ones
// verify again, degraded ones re-verify), the delivery log, and every
// pending delivery, resumed on its schedule.
func (s *Server) restore() error {
	st := s.store
	for _, c := range []struct {
		key string
		set func(uint64)
	}{
		{"display", func(n uint64) { s.display = int(n) }},
		{"batch", s.batchSeq.Store},
		{"group", s.groupSeq.Store},
	} {
		n, err := s.metaCount(c.key)
		if err != nil {
			return err
		}
		c.set(n)
	}
	var entries []deliverylog.Entry
	if err := st.ForEach(store.Log, func(_, v []byte) error {
		var e deliverylog.Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("a delivery log record is not valid: %w", err)
		}
		entries = append(entries, e)
		return nil
	}); err != nil {
		return err
	}
	for _, e := range entries {
		s.log.Add(e)
	}
	var hooks []hookRecord
	if err := st.ForEach(store.Hooks, func(_, v []byte) error {
		var r hookRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("a webhook record is not valid: %w", err)
		}
		hooks = append(hooks, r)
		return nil
	}); err != nil {
		return err
	}
	slices.SortFunc(hooks, func(a, b hookRecord) int { return a.Display - b.Display })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range hooks {
		if err := s.restoreHookLocked(r); err != nil {
			return err
		}
	}
	if err := s.restoreRevontLocked(); err != nil {
		return err
	}
	batches := map[uint64]*batch{}
	byHook, err := s.restoreGroups(batches)
	if err != nil {
		return err
	}
	for id, recs := range byHook {
		s.resumeHookLocked(s.hooks[id], recs)
		s.restored.Pending += len(recs)
	}
	s.restored.Webhooks, s.restored.RevontWebhooks = len(s.hooks), len(s.revont)
	s.restored.Replayable = s.replays.len()
	// Triggers no group and no replay refers to are dropped.
	return s.store.ForEach(store.Batches, func(k, _ []byte) error {
		if b := batches[binary.BigEndian.Uint64(k)]; b == nil || !b.p.held() {
			s.store.Delete(store.Batches, append([]byte{}, k...))
		}
		return nil
	})
}

// metaCount reads the counter key of the state file's Meta bucket (0 when
// it has none).
func (s *Server) metaCount(key string) (uint64, error) {
	v, err := s.store.Get(store.Meta, []byte(key))
	if err != nil || len(v) != 8 {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// restoreHookLocked rebuilds one webhook and restarts its verify loop.
func (s *Server) restoreHookLocked(r hookRecord) error {
	signer, err := signature.NewSigner(r.Secret, s.cfg.Encoding, s.cfg.KeyEncoding)
	if err != nil {
		return fmt.Errorf("webhook %s: its secret does not suit this serve's --key-encoding: %w", r.ID, err)
	}
	m := webhook.New(s.cfg.DegradedAfter)
	m.State, m.Exhausted = r.State, r.Exhausted
	h := &hook{id: r.ID, display: r.Display, displayID: fmt.Sprintf("webhook-%d", r.Display), url: r.URL, eventTypes: r.EventTypes,
		secret: r.Secret, signer: signer, headers: r.Headers, header: headerOf(r.Headers),
		created: r.Created, modified: r.Modified, m: m, faults: r.Faults}
	s.hooks[h.id] = h
	s.redactors.Store(h.id, s.redactorLocked(h))
	s.order = append(s.order, h.id)
	s.display = max(s.display, r.Display)
	switch m.State {
	case webhook.Unverified:
		s.startVerifyLocked(h)
	case webhook.Degraded:
		s.startReverifyLocked(h)
	}
	return nil
}

// loadBatch reads batch key into cache (nil when the file has none).
func (s *Server) loadBatch(cache map[uint64]*batch, key uint64) (*batch, error) {
	if b, ok := cache[key]; ok {
		return b, nil
	}
	v, err := s.store.Get(store.Batches, store.U64(key))
	if err != nil || v == nil {
		cache[key] = nil
		return nil, err
	}
	var rec batchRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("trigger record %d is not valid: %w", key, err)
	}
	b := &batch{typ: rec.Type, prec: rec.Precision, payloads: make([]event.Object, len(rec.Payloads)), p: &persisted{key: key}}
	for i, raw := range rec.Payloads {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("trigger record %d is not valid: %w", key, err)
		}
		o := make(event.Object, len(fields))
		for k, f := range fields {
			o[k] = f
		}
		b.payloads[i] = o
	}
	cache[key] = b
	return b, nil
}

// resumeHookLocked delivers recs to h, each from its next attempt when it
// falls due. One timer per delivery when idle: its wait.
func (s *Server) resumeHookLocked(h *hook, recs []*deliveryRecord) {
	ctx, tk := s.startTaskLocked(len(recs))
	tk.queued = len(recs)
	s.queued += len(recs)
	h.deliveries = append(liveTasks(h.deliveries), tk)
	t := &target{h: h, gen: h.deliverGen, url: h.url, signer: h.signer, header: h.header, faults: h.faults}
	var wg sync.WaitGroup
	for _, r := range recs {
		s.recs.Store(string(r.key()), r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.resumeOne(ctx, tk, t, r)
		}()
	}
	go func() {
		wg.Wait()
		s.endTask(tk)
	}()
}

// resumeOne waits until r is due and makes its remaining attempts.
func (s *Server) resumeOne(ctx context.Context, tk *task, t *target, r *deliveryRecord) {
	if r.Replay {
		defer func() {
			s.mu.Lock()
			delete(s.replaying, r.EventID)
			s.mu.Unlock()
		}()
	}
	wait := r.Due.Sub(s.clk.Now())
	if s.cfg.TimeScale != 1 {
		wait = time.Duration(float64(wait) / s.cfg.TimeScale)
	}
	job, err := delivery.EncodedJob(r.b.event(r.Index, r.EventID, t.h.id, s.clk.Now()))
	if err != nil {
		s.note(t.h.id, r.EventID, "not delivered: "+err.Error())
		s.deliveryEnded(r)
		return
	}
	job.URL, job.Signer, job.Header = t.url, t.signer, t.header
	job.DropFirst = max(0, t.faults.DropFirst-r.Attempts)
	// Cancelled before its attempt (its webhook changed): it ends, unless
	// the mock is shutting down (deliveryEnded keeps it then).
	if err := clock.Sleep(ctx, s.clk, wait); err != nil {
		s.deliveryEnded(r)
		s.deliveryResult(tk, t.h.id, t.gen, delivery.Result{Job: job, Err: err})
		return
	}
	// Deliveries due at once after a restart share the first-attempt slots.
	select {
	case s.slots <- struct{}{}:
		s.slotHeld.Store(slotKey(r.EventID, r.Replay), struct{}{})
	case <-ctx.Done():
		s.deliveryEnded(r)
		s.deliveryResult(tk, t.h.id, t.gen, delivery.Result{Job: job, Err: ctx.Err()})
		return
	}
	defer s.releaseSlot(r.EventID, r.Replay)
	made := min(r.Attempts, len(s.cfg.Schedule))
	eng := delivery.New(delivery.Config{
		Client: s.client, Clock: s.clk, Schedule: s.cfg.Schedule[made:], Concurrency: 1,
		SameBytesOnRetry: s.cfg.SameBytesOnRetry,
		OnAttempt: func(a delivery.Attempt) {
			s.releaseSlot(r.EventID, r.Replay)
			a.Number += made
			e := attemptEntry(a, t.h.id)
			e.Replay = r.Replay
			s.addEntry(e)
			s.attemptSaved(r, a, a.Number)
		},
	})
	res := eng.Deliver(ctx, job)
	s.deliveryEnded(r)
	s.deliveryResult(tk, t.h.id, t.gen, res)
}

// revontRecord is a webhook of the Revont-style API as the state file keeps
// it, with its place in the listing.
type revontRecord struct {
	Seq  uint64     `json:"seq"`
	Hook revontHook `json:"hook"`
}

// saveRevontLocked queues h's record. s.mu must be held.
func (s *Server) saveRevontLocked(h *revontHook) {
	if s.store == nil {
		return
	}
	s.revSeq++
	v, _ := json.Marshal(revontRecord{Seq: s.revSeq, Hook: *h}) // strings: always encodes
	s.store.Put(store.Revont, []byte(h.ID), v)
}

// dropRevont queues the removal of a Revont-style webhook's record.
func (s *Server) dropRevont(id string) {
	if s.store != nil {
		s.store.Delete(store.Revont, []byte(id))
	}
}

// restoreRevontLocked reads the Revont-style webhooks, in the order they
// were created. s.mu must be held.
func (s *Server) restoreRevontLocked() error {
	var recs []revontRecord
	err := s.store.ForEach(store.Revont, func(_, v []byte) error {
		var r revontRecord
		if err := json.Unmarshal(v, &r); err != nil || r.Hook.ID == "" {
			return fmt.Errorf("a /v1/webhooks record is not valid: %v", err)
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(recs, func(a, b revontRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, r := range recs {
		h := r.Hook
		s.revont[h.ID] = &h
		s.revOrder = append(s.revOrder, h.ID)
		s.revSeq = max(s.revSeq, r.Seq)
	}
	return nil
}
