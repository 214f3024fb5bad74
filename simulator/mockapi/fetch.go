package mockapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/revhook/revhook/simulator/delivery"
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

// webhooksFetch serves DevRev's beta webhooks.fetch: it answers {} and
// delivers the matching *_fetched event ({id, result, <object>}) to the
// webhook, with retries like any event. The mock holds no objects: the
// result follows from the id (see event.Generator.Fetched). A degraded
// webhook gets the event failed without invocation, as any event; an
// unverified or inactive one receives no object events, so the request is
// refused.
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
	s.mu.Lock()
	defer s.mu.Unlock()
	h, e := s.lookupLocked(req.ID)
	if e != nil {
		return e
	}
	ev, err := s.gen.Fetched(h.id, req.Object)
	if errors.Is(err, event.ErrNotFetchable) {
		e := newError(http.StatusBadRequest, TypeUnexpectedIDType, "unexpected id type in field object",
			"%q is not the id of a work item (ISS-12, TKT-3, TASK-7, OPP-2 or its DON id) or an SLA tracker", truncate(req.Object, 64))
		e.FieldName = "object"
		return e
	}
	if err != nil {
		return internalError(truncate(err.Error(), 200))
	}
	switch h.m.State {
	case webhook.Active:
		job, err := delivery.EncodedJob(ev)
		if err != nil {
			return internalError(truncate(err.Error(), 200))
		}
		job.URL, job.Signer, job.Header, job.DropFirst = h.url, h.signer, h.header, h.faults.DropFirst
		s.deliverAllLocked(h, []delivery.Job{job}, h.faults)
	case webhook.Degraded:
		s.addEntry(deliverylog.Entry{Kind: KindNote, WebhookID: h.id, EventID: ev.ID, EventType: ev.Type,
			Message: "failed without invocation: the webhook is degraded"})
	default:
		return notPermitted("id", fmt.Sprintf("the webhook is %s and receives no object events; fetched objects go to active webhooks", h.m.State))
	}
	writeJSON(w, http.StatusOK, map[string]any{})
	return nil
}
