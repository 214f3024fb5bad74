package mockapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/store"
	"github.com/revhook/revhook/simulator/webhook"
)

// Fault-injection bounds.
const (
	maxReorderWindow = 1000
	maxDropFirst     = 100
)

// Faults are fault-injection settings for deliveries to one webhook: the
// defaults of every trigger that does not set its own.
type Faults struct {
	// DuplicateRate is the probability (0..1) that an event is delivered twice.
	DuplicateRate float64 `json:"duplicate_rate"`
	// ReorderWindow is how many queued events may be shuffled among each other.
	ReorderWindow int `json:"reorder_window"`
	// DropFirst fails the first N attempts of every event without sending them.
	DropFirst int `json:"drop_first"`
}

// faultFields are optional fault settings in a request body.
type faultFields struct {
	DuplicateRate *float64 `json:"duplicate_rate"`
	ReorderWindow *int     `json:"reorder_window"`
	DropFirst     *int     `json:"drop_first"`
}

func (f faultFields) validate() *Error {
	if r := f.DuplicateRate; r != nil && (math.IsNaN(*r) || *r < 0 || *r > 1) {
		return invalidField("duplicate_rate", "duplicate_rate is a probability from 0 to 1")
	}
	if w := f.ReorderWindow; w != nil && (*w < 0 || *w > maxReorderWindow) {
		return invalidField("reorder_window", "reorder_window must be 0 to %d", maxReorderWindow)
	}
	if d := f.DropFirst; d != nil && (*d < 0 || *d > maxDropFirst) {
		return invalidField("drop_first", "drop_first must be 0 to %d", maxDropFirst)
	}
	return nil
}

// over returns base with the fields f sets replaced.
func (f faultFields) over(base Faults) Faults {
	if f.DuplicateRate != nil {
		base.DuplicateRate = *f.DuplicateRate
	}
	if f.ReorderWindow != nil {
		base.ReorderWindow = *f.ReorderWindow
	}
	if f.DropFirst != nil {
		base.DropFirst = *f.DropFirst
	}
	return base
}

// TriggerRequest is the body of POST /simulator/events.
type TriggerRequest struct {
	// Type is the catalogue event type to emit (required).
	Type string `json:"type"`
	// Count is how many events to emit to each webhook (default 1).
	Count *int `json:"count"`
	// Payload replaces the generated payload (the value of the field named
	// after Type); it must be a JSON object.
	Payload json.RawMessage `json:"payload"`
	// WebhookID restricts the trigger to one webhook (id or display id).
	WebhookID string `json:"webhook_id"`
	faultFields
}

// TriggeredEvent is one event emitted by a trigger: its DON id, its type and
// the webhook it is delivered to (event ids are per webhook in DevRev's DON
// scheme, so the list has one element).
type TriggeredEvent struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Webhooks []string `json:"webhooks"`
}

// SkippedWebhook is a subscribed webhook that got no delivery, and why.
type SkippedWebhook struct {
	WebhookID string `json:"webhook_id"`
	// Status is the webhook's status as DevRev's API shows it; State is the
	// sender's internal state (degraded shows as status active).
	Status string `json:"status"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// TriggerResponse is the 202 answer of POST /simulator/events.
type TriggerResponse struct {
	// Queued is how many events were queued for delivery.
	Queued  int              `json:"queued"`
	Events  []TriggeredEvent `json:"events"`
	Skipped []SkippedWebhook `json:"skipped,omitempty"`
}

func (s *Server) simEvents(w http.ResponseWriter, r *http.Request) *Error {
	var req TriggerRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	resp, e := s.Trigger(req)
	if e != nil {
		return e
	}
	writeTrigger(w, resp)
	return nil
}

// writeTrigger answers 202 with resp, encoding one event at a time: the
// answer to a trigger of 100 000 events is ~20 MB, never held whole.
func writeTrigger(w http.ResponseWriter, resp TriggerResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusAccepted)
	bw := bufio.NewWriterSize(w, 32<<10)
	fmt.Fprintf(bw, `{"queued":%d,"events":[`, resp.Queued)
	for i, ev := range resp.Events {
		if i > 0 {
			bw.WriteByte(',')
		}
		writeEvent(bw, ev)
	}
	bw.WriteByte(']')
	if len(resp.Skipped) > 0 {
		b, _ := json.Marshal(resp.Skipped)
		bw.WriteString(`,"skipped":`)
		bw.Write(b)
	}
	bw.WriteString("}\n")
	_ = bw.Flush()
}

// Trigger emits events as POST /simulator/events does: Count events of Type
// to every active webhook subscribed to it (or only to WebhookID). Degraded
// webhooks get the events failed without invocation; unverified and
// inactive ones are skipped. Delivery runs in the background.
func (s *Server) Trigger(req TriggerRequest) (TriggerResponse, *Error) {
	if req.Type == "" {
		return TriggerResponse{}, missingField("type", "give a catalogue event type, e.g. work_created")
	}
	if !event.Known(req.Type) {
		return TriggerResponse{}, invalidEnum("type", req.Type, event.Types())
	}
	count := 1
	if req.Count != nil {
		count = *req.Count
	}
	if count < 1 || count > s.cfg.MaxCount {
		return TriggerResponse{}, invalidField("count", "count must be 1 to %d", s.cfg.MaxCount)
	}
	if e := req.faultFields.validate(); e != nil {
		return TriggerResponse{}, e
	}
	var payload event.Object
	if p := bytes.TrimSpace(req.Payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if p[0] != '{' {
			return TriggerResponse{}, wrongType("payload", "object", jsonValueKind(p))
		}
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&payload); err != nil {
			return TriggerResponse{}, jsonError(err)
		}
	}

	targets, resp, e := s.pickTargets(req, count)
	if e != nil {
		return TriggerResponse{}, e
	}
	b, e := s.newBatch(req.Type, count, payload)
	if e != nil {
		s.release(count * len(targets))
		return TriggerResponse{}, e
	}
	for _, t := range targets {
		t.ids = make([]string, count)
		for i := range t.ids {
			t.ids[i] = s.gen.EventID(t.h.id)
			resp.Events = append(resp.Events, TriggeredEvent{ID: t.ids[i], Type: req.Type, Webhooks: []string{t.h.id}})
		}
	}
	if e := s.enqueue(b, targets); e != nil {
		return TriggerResponse{}, e
	}
	resp.Queued = count * len(targets)
	return resp, nil
}

// enqueue starts delivering b to targets (event i of t.ids is payload i):
// their events, reserved in the queue, are made replayable, written to the
// state file and delivered in the background.
func (s *Server) enqueue(b *batch, targets []*target) *Error {
	n := 0
	for _, t := range targets {
		t.g = s.newGroup(b, t.h.id, t.ids, 0)
		n += len(t.ids)
	}
	if e := s.syncStore(); e != nil { // the groups are written
		s.release(n)
		return e
	}
	for _, t := range targets {
		s.startDelivery(t, b, len(targets))
	}
	return nil
}

// startDelivery delivers b to t unless t's webhook changed since t was
// taken. The server's lock is taken per webhook, so that the API answers
// between the webhooks of a big trigger.
func (s *Server) startDelivery(t *target, b *batch, fanout int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.hooks[t.h.id]; s.closed || !ok || h != t.h || h.deliverGen != t.gen {
		s.queued -= len(t.ids)
		why := "not delivered: the webhook changed while the trigger was queued"
		if s.closed {
			why = shutdownNote(s.store != nil)
		}
		for i, id := range t.ids {
			s.note(t.h.id, id, why)
			s.deliveryEnded(s.record(t, b, i, id, false)) // kept at a shutdown
		}
		return
	}
	s.deliverLocked(t, b, 0, false, fanout)
}

// pickTargets chooses the webhooks a trigger reaches and reserves their
// events in the queue. Degraded webhooks get their events failed without
// invocation (noted); unverified and inactive ones are skipped.
func (s *Server) pickTargets(req TriggerRequest, count int) ([]*target, TriggerResponse, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := TriggerResponse{Events: []TriggeredEvent{}}
	if s.closed {
		return nil, resp, &Error{Status: http.StatusServiceUnavailable, Type: TypeServiceUnavailable, Message: "the mock is shutting down", Detail: "no new events"}
	}
	var hooks []*hook
	if req.WebhookID != "" {
		h, e := s.lookupLocked(req.WebhookID)
		if e != nil {
			return nil, resp, e
		}
		if !h.subscribed(req.Type) {
			return nil, resp, conflict("webhook not subscribed", "%s is not subscribed to %s (its event_types: %v)", h.displayID, req.Type, h.eventTypes)
		}
		hooks = append(hooks, h)
	} else {
		for _, id := range s.order {
			if h := s.hooks[id]; h.subscribed(req.Type) {
				hooks = append(hooks, h)
			}
		}
	}
	if len(hooks)*count > maxEventsPerTrigger {
		return nil, resp, notPermitted("count", fmt.Sprintf("%d webhooks × count %d exceeds %d events per call; lower count or use webhook_id",
			len(hooks), count, maxEventsPerTrigger))
	}
	var targets []*target
	for _, h := range hooks {
		switch h.m.State {
		case webhook.Active:
			targets = append(targets, &target{h: h, gen: h.deliverGen, url: h.url, signer: h.signer, header: h.header,
				faults: req.faultFields.over(h.faults)})
		case webhook.Degraded:
			for i := 0; i < count; i++ {
				id := s.gen.EventID(h.id)
				s.addEntry(deliverylog.Entry{Kind: KindNote, WebhookID: h.id, EventID: id, EventType: req.Type,
					Message: "failed without invocation: the webhook is degraded"})
			}
			resp.Skipped = append(resp.Skipped, SkippedWebhook{h.id, APIStatus(h.m.State), string(h.m.State), "degraded: events are failed without invocation until a verify succeeds"})
		default:
			resp.Skipped = append(resp.Skipped, SkippedWebhook{h.id, APIStatus(h.m.State), string(h.m.State), string(h.m.State) + ": receives no object events"})
		}
	}
	if e := s.reserveLocked(count * len(targets)); e != nil {
		return nil, resp, e
	}
	return targets, resp, nil
}

// newBatch builds the count payloads of a trigger (or uses the given one),
// outside the server's lock.
func (s *Server) newBatch(typ string, count int, payload event.Object) (*batch, *Error) {
	b := s.emptyBatch(typ, count)
	for i := range b.payloads {
		ev, err := s.gen.New(typ, "")
		if err != nil {
			return nil, invalidEnum("type", typ, event.Types())
		}
		b.prec = ev.Precision
		if payload != nil {
			ev.Payload = payload
		}
		if b.payloads[i], err = freeze(ev.Payload); err != nil {
			return nil, invalidField("payload", "%s", truncate(err.Error(), 200))
		}
	}
	return b, nil
}

// emptyBatch returns a batch of n payloads of typ to fill, with its key in
// the state file.
func (s *Server) emptyBatch(typ string, n int) *batch {
	b := &batch{typ: typ, payloads: make([]event.Object, n), p: &persisted{key: s.batchSeq.Add(1)}}
	if s.store != nil {
		s.store.Put(store.Meta, []byte("batch"), store.U64(b.p.key))
	}
	return b
}

// writeEvent writes ev as JSON: by hand when its strings need no escaping
// (DON ids and type names), which is ten times faster than json.Marshal.
func writeEvent(bw *bufio.Writer, ev TriggeredEvent) {
	if len(ev.Webhooks) != 1 || !plainJSON(ev.ID) || !plainJSON(ev.Type) || !plainJSON(ev.Webhooks[0]) {
		b, _ := json.Marshal(ev) // strings only: always encodes
		bw.Write(b)
		return
	}
	bw.WriteString(`{"id":"`)
	bw.WriteString(ev.ID)
	bw.WriteString(`","type":"`)
	bw.WriteString(ev.Type)
	bw.WriteString(`","webhooks":["`)
	bw.WriteString(ev.Webhooks[0])
	bw.WriteString(`"]}`)
}

// plainJSON reports whether s is written in JSON as it is, between quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// faultsRequest is the body of POST /simulator/faults.
type faultsRequest struct {
	WebhookID string `json:"webhook_id"`
	faultFields
}

func (s *Server) simFaults(w http.ResponseWriter, r *http.Request) *Error {
	var req faultsRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	if e := req.faultFields.validate(); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, e := s.lookupLocked(req.WebhookID)
	if e != nil {
		return e
	}
	h.faults = req.faultFields.over(h.faults)
	s.saveHookLocked(h)
	if e := s.syncStore(); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_id": h.id, "faults": h.faults})
	return nil
}

// maxLogLimit bounds ?limit= of the delivery log.
const maxLogLimit = 1 << 20

func (s *Server) simDeliveries(w http.ResponseWriter, r *http.Request) *Error {
	q, e := query(r, "webhook_id", "event_id", "kind", "delivered", "status", "limit")
	if e != nil {
		return e
	}
	f := deliverylog.Filter{WebhookID: q.Get("webhook_id"), EventID: q.Get("event_id"), Kind: q.Get("kind")}
	switch f.Kind {
	case "", KindAttempt, KindTransition, KindNote:
	default:
		return invalidEnum("kind", f.Kind, []string{KindAttempt, KindTransition, KindNote})
	}
	if v := q.Get("delivered"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalidEnum("delivered", v, []string{"true", "false"})
		}
		f.Delivered = &b
	}
	status := -1
	if v := q.Get("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 999 {
			return invalidField("status", "status is an HTTP status code (0 for no response), got %q", truncate(v, 32))
		}
		status = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxLogLimit {
			return invalidField("limit", "limit is a whole number from 0 to %d, got %q", maxLogLimit, truncate(v, 32))
		}
		f.Limit = n
	}
	limit := f.Limit
	if status >= 0 {
		f.Limit = 0 // filter by status first, then keep the newest limit
	}
	entries := s.log.List(f)
	if status >= 0 {
		kept := entries[:0]
		for _, e := range entries {
			if e.Kind == KindAttempt && e.Status == status {
				kept = append(kept, e)
			}
		}
		entries = kept
		if limit > 0 && len(entries) > limit {
			entries = entries[len(entries)-limit:]
		}
	}
	if entries == nil {
		entries = []deliverylog.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries, "total": s.log.Len()})
	return nil
}
