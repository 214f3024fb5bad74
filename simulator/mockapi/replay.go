package mockapi

import (
	"net/http"
	"sync"

	"github.com/revhook/revhook/simulator/webhook"
)

// DefaultReplayKeep is how many of the latest events can be replayed.
const DefaultReplayKeep = 100_000

// replayRef is what re-delivering one event needs: its group (webhook and
// trigger) and its payload's index in the trigger, not its bytes.
type replayRef struct {
	g   *group
	idx int
}

// replayStore remembers the latest events by id, up to a capacity (the
// oldest are forgotten first). With a state file their groups keep them
// across a restart. It has its own lock: triggers fill it without the
// server's.
type replayStore struct {
	mu   sync.Mutex
	refs map[string]replayRef
	ring []string // ids in arrival order, a ring of the capacity
	next int
}

func newReplayStore(capacity int) *replayStore {
	return &replayStore{refs: make(map[string]replayRef), ring: make([]string, capacity)}
}

// add remembers ids, the events of g, and returns the groups none of whose
// events it remembers any longer.
func (r *replayStore) add(g *group, ids []string) []*group {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(ids) > 1024 && len(r.refs) < len(r.ring)/2 {
		// Sized once for a big trigger: growing a map of 100 000 entries
		// step by step costs more than the trigger's own work.
		refs := make(map[string]replayRef, len(r.ring))
		for k, v := range r.refs {
			refs[k] = v
		}
		r.refs = refs
	}
	g.mu.Lock()
	g.inWindow += len(ids)
	g.mu.Unlock()
	var forgot []*group
	for i, id := range ids {
		if old := r.ring[r.next]; old != "" {
			if og := r.refs[old].g; og != nil {
				og.mu.Lock()
				og.inWindow--
				if og.inWindow == 0 {
					forgot = append(forgot, og)
				}
				og.mu.Unlock()
			}
			delete(r.refs, old)
		}
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
		r.refs[id] = replayRef{g: g, idx: g.first + i}
	}
	return forgot
}

// len returns how many events it remembers.
func (r *replayStore) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.refs)
}

func (r *replayStore) get(id string) (replayRef, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, ok := r.refs[id]
	return ref, ok
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
	h, ok := s.hooks[ref.g.webhookID]
	b := ref.g.b
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
	if r := s.record(t, b, ref.idx, eventID, true); r != nil { // a replay is pending by its own record
		s.holdBatch(b, 1)
		r.Due = s.clk.Now()
		s.saveDelivery(r)
	}
	s.deliverLocked(t, b, ref.idx, true, 1)
	return ReplayResponse{EventID: eventID, WebhookID: h.id}, nil
}
