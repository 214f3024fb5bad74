package mockapi

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/revhook/revhook/simulator/store"
	"github.com/revhook/revhook/simulator/webhook"
)

// DefaultReplayKeep is how many of the latest events can be replayed.
const DefaultReplayKeep = 100_000

// replayRef is what re-delivering one event needs: its webhook and its
// payload (an index into its trigger's shared batch), not its bytes.
type replayRef struct {
	webhookID string
	group     *replayGroup
	idx       int
}

// replayGroup is the events one trigger sent to one webhook: one record in
// the state file (their ids), kept while any of them can be replayed.
type replayGroup struct {
	key  uint64
	b    *batch
	left int // its ids still remembered
}

// replayRecord is a replayGroup as the state file keeps it: event i of ids
// is payload first+i of trigger Batch.
type replayRecord struct {
	WebhookID string   `json:"webhook"`
	Batch     uint64   `json:"batch"`
	First     int      `json:"first,omitempty"`
	IDs       []string `json:"ids"`
}

// replayStore remembers the latest events by id, up to a capacity (the
// oldest are forgotten first), in memory and, with a state file, on disk so
// an event delivered before a restart can be replayed after it. It has its
// own lock: triggers fill it without the server's.
type replayStore struct {
	st   *store.Store // nil: memory only
	mu   sync.Mutex
	refs map[string]replayRef
	ring []string // ids in arrival order, a ring of the capacity
	next int
	seq  uint64 // last group key
}

func newReplayStore(capacity int, st *store.Store) *replayStore {
	return &replayStore{st: st, refs: make(map[string]replayRef), ring: make([]string, capacity)}
}

// add remembers ids, event first+i of b for webhookID each, as a group
// written to the state file (key 0) or read from it (its key). It returns
// the batches of the groups it forgot entirely.
func (r *replayStore) add(webhookID string, b *batch, ids []string, first int, key uint64) []*batch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key == 0 {
		r.seq++
		key = r.seq
		if r.st != nil {
			v, _ := json.Marshal(replayRecord{WebhookID: webhookID, Batch: b.p.key, First: first, IDs: ids}) // strings: always encodes
			r.st.Put(store.Replays, store.U64(key), v)
		}
	}
	r.seq = max(r.seq, key)
	if len(ids) > 1024 && len(r.refs) < len(r.ring)/2 {
		// Sized once for a big trigger: growing a map of 100 000 entries
		// step by step costs more than the trigger's own work.
		refs := make(map[string]replayRef, len(r.ring))
		for k, v := range r.refs {
			refs[k] = v
		}
		r.refs = refs
	}
	g := &replayGroup{key: key, b: b, left: len(ids)}
	var forgot []*batch
	for i, id := range ids {
		if old := r.ring[r.next]; old != "" {
			if og := r.refs[old].group; og != nil {
				if og.left--; og.left == 0 {
					forgot = append(forgot, og.b)
					if r.st != nil {
						r.st.Delete(store.Replays, store.U64(og.key))
					}
				}
			}
			delete(r.refs, old)
		}
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
		r.refs[id] = replayRef{webhookID: webhookID, group: g, idx: first + i}
	}
	return forgot
}

func (r *replayStore) get(id string) (replayRef, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.refs[id]
	return ref, ok
}

// remember makes ids (events first+i of b to webhookID) replayable; the
// state file keeps b while any of them is.
func (s *Server) remember(webhookID string, b *batch, ids []string, first int) {
	s.holdBatch(b, 1)
	for _, old := range s.replays.add(webhookID, b, ids, first, 0) {
		s.releaseBatch(old)
	}
}

// restoreReplays reads the replayable events of the state file, in the
// order they were sent, loading their triggers into batches.
func (s *Server) restoreReplays(batches map[uint64]*batch) error {
	var recs []replayRecord
	var keys []uint64
	err := s.store.ForEach(store.Replays, func(k, v []byte) error {
		var r replayRecord
		if err := json.Unmarshal(v, &r); err != nil || len(k) != 8 {
			return fmt.Errorf("a replay record is not valid: %v", err)
		}
		recs, keys = append(recs, r), append(keys, binary.BigEndian.Uint64(k))
		return nil
	})
	if err != nil {
		return err
	}
	for i, r := range recs {
		b, err := s.loadBatch(batches, r.Batch)
		if err != nil {
			return err
		}
		if b == nil || r.First+len(r.IDs) > len(b.payloads) {
			s.store.Delete(store.Replays, store.U64(keys[i]))
			continue
		}
		b.p.left.Add(1)
		for _, old := range s.replays.add(r.WebhookID, b, r.IDs, r.First, keys[i]) {
			s.releaseBatch(old)
		}
	}
	return nil
}

// ReplayRequest is the body of POST /simulator/replay.
type ReplayRequest struct {
	// EventID is the DON id of a delivered (or failed) event.
	EventID string `json:"event_id"`
}

// ReplayResponse is the 202 answer of POST /simulator/replay.
type ReplayResponse struct {
	EventID   string `json:"event_id"`
	WebhookID string `json:"webhook_id"`
}

func (s *Server) simReplay(w http.ResponseWriter, r *http.Request) *Error {
	var req ReplayRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	resp, e := s.Replay(req.EventID)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusAccepted, resp)
	return nil
}

// Replay re-delivers an event to its webhook as a new invocation: the same
// id and payload, a fresh timestamp and signature, its attempts logged with
// replay set. The webhook must be active.
func (s *Server) Replay(eventID string) (ReplayResponse, *Error) {
	if eventID == "" {
		return ReplayResponse{}, missingField("event_id", "give the id of a delivered event (GET /simulator/deliveries lists them)")
	}
	ref, ok := s.replays.get(eventID)
	if !ok {
		return ReplayResponse{}, notFound("no such event", "%s is not one of the latest %d events the mock triggered", truncate(eventID, 200), len(s.replays.ring))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ReplayResponse{}, &Error{Status: http.StatusServiceUnavailable, Type: TypeServiceUnavailable, Message: "the mock is shutting down", Detail: "no new deliveries"}
	}
	h, ok := s.hooks[ref.webhookID]
	b := ref.group.b
	if !ok {
		return ReplayResponse{}, notFound("no such webhook", "the webhook of %s was deleted", truncate(eventID, 200))
	}
	if h.m.State != webhook.Active {
		return ReplayResponse{}, conflict("webhook not active", "%s is %s; only an active webhook receives a replay", h.displayID, h.m.State)
	}
	if s.replaying[eventID] {
		return ReplayResponse{}, conflict("replay in progress", "%s is being replayed; replay it again once that ends (GET /simulator/deliveries?event_id=…)", truncate(eventID, 200))
	}
	if e := s.reserveLocked(1); e != nil {
		return ReplayResponse{}, e
	}
	s.replaying[eventID] = true
	t := &target{h: h, gen: h.deliverGen, url: h.url, signer: h.signer, header: h.header, faults: h.faults, ids: []string{eventID}}
	t.faults.DuplicateRate, t.faults.ReorderWindow = 0, 0
	if s.store != nil {
		s.holdBatch(b, 1)
		s.saveDelivery(deliveryRecord{EventID: eventID, WebhookID: h.id, Batch: b.p.key, Index: ref.idx, Due: s.clk.Now(), Replay: true})
	}
	s.deliverLocked(t, b, ref.idx, true, 1)
	return ReplayResponse{EventID: eventID, WebhookID: h.id}, nil
}
