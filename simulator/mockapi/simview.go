package mockapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// verifyProgress is a webhook's running verify loop, for the simulator's
// view. Guarded by Server.mu; reset when the loop is stopped.
type verifyProgress struct {
	// kind is VerifyWindow or VerifyReverify; "" when no loop runs.
	kind string
	// windowEnds is the end of the verify window (VerifyWindow only).
	windowEnds time.Time
	// next is when the next verify request is due; zero while one is
	// being sent.
	next time.Time
	// attempts counts the verify requests this loop sent.
	attempts int
}

// Kinds of verify loop (VerifyView.Kind).
const (
	// VerifyWindow: after create, update or activate, verify is retried
	// every VerifyEvery until the window ends.
	VerifyWindow = "window"
	// VerifyReverify: a degraded webhook is verified every ReverifyEvery
	// until it answers.
	VerifyReverify = "reverify"
)

// VerifyView is a running verify loop in the simulator's view.
type VerifyView struct {
	// Kind is "window" or "reverify".
	Kind string `json:"kind"`
	// Attempts counts the verify requests this loop sent so far.
	Attempts int `json:"attempts"`
	// NextAt is when the next verify request is due (the next re-verify
	// for kind "reverify"); absent while one is being sent.
	NextAt *time.Time `json:"next_at,omitempty"`
	// WindowEndsAt is when the verify window ends (kind "window").
	WindowEndsAt *time.Time `json:"window_ends_at,omitempty"`
}

// VerifyOutcome is the result of a webhook's latest verify request.
type VerifyOutcome struct {
	// Time is when the request was sent.
	Time time.Time `json:"time"`
	// EventID is the verify event's id.
	EventID string `json:"event_id"`
	// Attempt is its number within its loop.
	Attempt int `json:"attempt"`
	// OK reports a 200 echoing the challenge.
	OK bool `json:"ok"`
	// Status is the HTTP status received, 0 when none.
	Status int `json:"status,omitempty"`
	// Error says why it failed.
	Error string `json:"error,omitempty"`
}

// SimWebhook is the simulator's own view of a webhook (GET
// /simulator/webhooks): the sender's internal state behind the status
// DevRev's API shows.
type SimWebhook struct {
	ID        string `json:"id"`
	DisplayID string `json:"display_id"`
	URL       string `json:"url"`
	// Status is what webhooks.get shows: active, inactive or unverified.
	Status string `json:"status"`
	// State is the sender's internal state: unverified, active, degraded
	// or inactive.
	State string `json:"state"`
	// ConsecutiveFailures counts the events in a row that exhausted their
	// attempts while active; DegradedAfter of them degrade the webhook.
	ConsecutiveFailures int `json:"consecutive_failures"`
	DegradedAfter       int `json:"degraded_after"`
	// Verify is the running verify loop, if any.
	Verify *VerifyView `json:"verify,omitempty"`
	// LastVerify is the outcome of the latest verify request, if any.
	LastVerify *VerifyOutcome `json:"last_verify,omitempty"`
	EventTypes []string       `json:"event_types"`
	// HeaderNames names the custom headers (values are shown by
	// webhooks.get only).
	HeaderNames []string `json:"header_names"`
	// Faults are the webhook's fault-injection defaults.
	Faults Faults `json:"faults"`
}

// simViewLocked renders h for the simulator; s.mu must be held.
func (s *Server) simViewLocked(h *hook) SimWebhook {
	v := SimWebhook{
		ID: h.id, DisplayID: h.displayID, URL: h.url,
		Status: APIStatus(h.m.State), State: string(h.m.State),
		ConsecutiveFailures: h.m.Exhausted, DegradedAfter: s.cfg.DegradedAfter,
		EventTypes: append([]string{}, h.eventTypes...), HeaderNames: []string{}, Faults: h.faults,
	}
	for _, x := range h.headers {
		v.HeaderNames = append(v.HeaderNames, x.Name)
	}
	if p := h.verifying; p.kind != "" {
		v.Verify = &VerifyView{Kind: p.kind, Attempts: p.attempts}
		if !p.next.IsZero() {
			at := p.next
			v.Verify.NextAt = &at
		}
		if !p.windowEnds.IsZero() {
			at := p.windowEnds
			v.Verify.WindowEndsAt = &at
		}
	}
	if h.lastVerify != nil {
		lv := *h.lastVerify
		v.LastVerify = &lv
	}
	return v
}

// SimWebhooks returns the simulator's view of every webhook, in creation
// order.
func (s *Server) SimWebhooks() []SimWebhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SimWebhook, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.simViewLocked(s.hooks[id]))
	}
	return out
}

// simWebhooks serves GET /simulator/webhooks (every webhook, optionally
// filtered by ?state=) and GET /simulator/webhooks/{id} (one
// webhook by DON id or display id; the id may be path-escaped).
func (s *Server) simWebhooks(w http.ResponseWriter, r *http.Request) *Error {
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/simulator/webhooks/"); ok {
		if _, e := query(r); e != nil {
			return e
		}
		id, err := url.PathUnescape(rest)
		if err != nil {
			return invalidID("id", "the id in the path does not unescape: %s", truncate(err.Error(), 100))
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		h, e := s.lookupLocked(id)
		if e != nil {
			return e
		}
		writeJSON(w, http.StatusOK, map[string]any{"webhook": s.simViewLocked(h)})
		return nil
	}
	q, e := query(r, "state")
	if e != nil {
		return e
	}
	state := q.Get("state")
	switch state {
	case "", "unverified", "active", "degraded", "inactive":
	default:
		return invalidEnum("state", state, []string{"unverified", "active", "degraded", "inactive"})
	}
	all := s.SimWebhooks()
	out := all[:0]
	for _, v := range all {
		if state == "" || v.State == state {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}
