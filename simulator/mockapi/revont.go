package mockapi

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Revont-style bounds.
const (
	maxRevontEvents      = 100
	maxRevontEventLen    = 128
	maxRevontDescription = 512
)

// revontHook is a webhook of the second vendor's API (seed 004). The mock
// stores and lists them; it delivers DevRev events only to DevRev-style
// webhooks.
type revontHook struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
	CreatedAt   string   `json:"created_at"`
	Status      string   `json:"status"`
}

// revontCreated is the create answer: the webhook plus its secret, shown
// this once only.
type revontCreated struct {
	revontHook
	Secret string `json:"secret"`
}

type revontCreateRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description *string  `json:"description"`
}

func (s *Server) revontCollection(w http.ResponseWriter, r *http.Request) *Error {
	if r.Method == http.MethodGet {
		s.mu.Lock()
		defer s.mu.Unlock()
		out := make([]revontHook, 0, len(s.revOrder))
		for _, id := range s.revOrder {
			out = append(out, *s.revont[id])
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": out})
		return nil
	}
	var req revontCreateRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	if req.URL == "" {
		return missingField("url", "give the HTTPS destination URL")
	}
	if e := validateURL(req.URL, true); e != nil {
		e.Detail = "url must be a valid https:// URL; plain HTTP is not accepted"
		if e.Reason != "" {
			e.Reason = e.Detail
		}
		return e
	}
	if len(req.Events) == 0 {
		return missingField("events", "subscribe to at least one event, e.g. [\"call.ended\"]")
	}
	if len(req.Events) > maxRevontEvents {
		return invalidField("events", "%d events; the limit is %d", len(req.Events), maxRevontEvents)
	}
	events := make([]string, 0, len(req.Events))
	for _, ev := range req.Events {
		if strings.TrimSpace(ev) == "" || len(ev) > maxRevontEventLen {
			return invalidField("events", "every event must be a non-empty name of at most %d bytes", maxRevontEventLen)
		}
		events = append(events, ev)
	}
	h := revontHook{URL: req.URL, Events: events, Status: "active"}
	if req.Description != nil {
		if len(*req.Description) > maxRevontDescription {
			return invalidField("description", "%d bytes; the limit is %d", len(*req.Description), maxRevontDescription)
		}
		h.Description = *req.Description
	}
	h.CreatedAt = s.clk.Now().UTC().Format(time.RFC3339)
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.revont) >= s.cfg.MaxWebhooks {
		return conflict("too many webhooks", "the mock holds at most %d; delete some with DELETE /v1/webhooks/{id}", s.cfg.MaxWebhooks)
	}
	h.ID = s.revontIDLocked()
	s.revont[h.ID] = &h
	s.revOrder = append(s.revOrder, h.ID)
	s.saveRevontLocked(&h)
	if e := s.syncStore(); e != nil {
		delete(s.revont, h.ID)
		s.revOrder = s.revOrder[:len(s.revOrder)-1]
		return e
	}
	writeJSON(w, http.StatusCreated, revontCreated{revontHook: h, Secret: "whsec_" + hex.EncodeToString(secret)})
	return nil
}

// revontIDLocked returns a fresh id like wh_01HX9ABCDE; s.mu must be held.
func (s *Server) revontIDLocked() string {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := []byte("wh_01")
		for _, c := range b {
			id = append(id, crockford[int(c)%len(crockford)])
		}
		if _, taken := s.revont[string(id)]; !taken {
			return string(id)
		}
	}
}

func (s *Server) revontDelete(w http.ResponseWriter, r *http.Request) *Error {
	id, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), "/v1/webhooks/"))
	if err != nil {
		return invalidID("id", "%s", truncate(err.Error(), 100))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.revont[id]; !ok {
		return notFound("webhook not found", "no webhook has id %q", truncate(id, 128))
	}
	delete(s.revont, id)
	s.dropRevont(id)
	for i, o := range s.revOrder {
		if o == id {
			s.revOrder = append(s.revOrder[:i], s.revOrder[i+1:]...)
			break
		}
	}
	if e := s.syncStore(); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
