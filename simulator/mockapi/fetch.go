package mockapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/webhook"
)

// fetchRequest is the body of webhooks.fetch (webhooks-fetch-request): the
// webhook and the object to send it.
type fetchRequest struct {
	ID     string `json:"id"`
	Object string `json:"object"`
}

// fetchable are the object kinds webhooks.fetch answers (DevRev's event
// types work_fetched and sla_tracker_fetched): the display id prefix and
// the DON type segment of each, and its event family.
var fetchable = []struct{ prefix, seg, family string }{
	{"ISS", "issue", "work"}, {"TKT", "ticket", "work"}, {"TASK", "task", "work"},
	{"OPP", "opportunity", "work"}, {"SLAT", "sla_tracker", "sla_tracker"},
}

// fetchTarget reads object, a display id (ISS-12) or a DON id
// (don:core:dvrv-us-1:devo/<org>:issue/12) of a fetchable kind, and says
// which event family it belongs to and what the fetch finds. The mock holds
// no objects, so the result follows from the id: a positive number is found
// (ok), any other number or name is not_found, and a DON id of another dev
// org is forbidden. ok is false for ids of other kinds.
func fetchTarget(object, org string) (family, result string, ok bool) {
	num := ""
	if rest, isDON := strings.CutPrefix(object, "don:"); isDON {
		parts := strings.Split(rest, ":")
		if len(parts) != 4 || parts[0] != "core" || !strings.HasPrefix(parts[2], "devo/") {
			return "", "", false
		}
		seg, tail, _ := strings.Cut(parts[3], "/")
		for _, f := range fetchable {
			if f.seg == seg {
				family, num, ok = f.family, tail, true
			}
		}
		if ok && strings.TrimPrefix(parts[2], "devo/") != org {
			return family, event.FetchedForbidden, true
		}
	} else if prefix, tail, found := strings.Cut(object, "-"); found {
		for _, f := range fetchable {
			if f.prefix == prefix {
				family, num, ok = f.family, tail, true
			}
		}
	}
	if !ok {
		return "", "", false
	}
	if n, err := strconv.Atoi(num); err == nil && n > 0 && strconv.Itoa(n) == num {
		return family, event.FetchedOK, true
	}
	return family, event.FetchedNotFound, true
}

// webhooksFetch serves DevRev's beta webhooks.fetch: it answers {} and
// delivers the matching *_fetched event ({id, result, <object>}) to the
// webhook, with retries like any event (fetchTarget says which event and
// result). A degraded webhook gets the event failed without invocation, as
// any event; an unverified or inactive one receives no object events, so
// the request is refused.
func (s *Server) webhooksFetch(w http.ResponseWriter, r *http.Request) *Error {
	var req fetchRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	if req.ID == "" {
		return missingField("id", "give the id (or display id) of the webhook that receives the object")
	}
	if req.Object == "" {
		return missingField("object", "give the id of the object to fetch, e.g. ISS-12345")
	}
	if len(req.Object) > maxIDLen {
		return invalidID("object", "the id is %d bytes; the limit is %d", len(req.Object), maxIDLen)
	}
	family, result, ok := fetchTarget(req.Object, s.gen.Org())
	if !ok {
		e := newError(http.StatusBadRequest, TypeUnexpectedIDType, "unexpected id type in field object",
			"%q is not the id of a work item (ISS-12, TKT-3, TASK-7, OPP-2 or its DON id) or an SLA tracker (SLAT-4 or its DON id)",
			truncate(req.Object, 64))
		e.FieldName = "object"
		return e
	}
	t, e := s.fetchTarget(req.ID, family)
	if e != nil {
		return e
	}
	if t == nil { // degraded: failed without invocation
		writeJSON(w, http.StatusOK, map[string]any{})
		return nil
	}
	ev, err := s.gen.Fetched(family, t.h.id, req.Object, result)
	if err == nil {
		b := s.emptyBatch(ev.Type, 1)
		b.prec = ev.Precision
		if b.payloads[0], err = freeze(ev.Payload); err == nil {
			t.ids = []string{ev.ID}
			if e := s.enqueue(b, []*target{t}); e != nil {
				return e
			}
			writeJSON(w, http.StatusOK, map[string]any{})
			return nil
		}
	}
	s.release(1)
	return internalError(truncate(err.Error(), 200))
}

// fetchTarget reserves the fetched object's event in the queue and returns
// its webhook's target. A degraded webhook gets the event failed without
// invocation (noted; nil target, no error).
func (s *Server) fetchTarget(id, family string) (*target, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, e := s.lookupLocked(id)
	if e != nil {
		return nil, e
	}
	switch h.m.State {
	case webhook.Active:
	case webhook.Degraded:
		s.addEntry(deliverylog.Entry{Kind: KindNote, WebhookID: h.id, EventType: family + "_fetched",
			Message: "failed without invocation: the webhook is degraded"})
		return nil, nil
	default:
		return nil, notPermitted("id", fmt.Sprintf("the webhook is %s and receives no object events; fetched objects go to active webhooks", h.m.State))
	}
	if e := s.reserveLocked(1); e != nil {
		return nil, e
	}
	return &target{h: h, gen: h.deliverGen, url: h.url, signer: h.signer, header: h.header, faults: h.faults}, nil
}
