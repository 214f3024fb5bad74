package mockapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/simulator/webhook"
)

// previewBytes bounds the response preview kept in the log.
const previewBytes = 256

// applyLocked feeds in to h's machine, logs a transition and carries out the
// step's actions. s.mu must be held.
func (s *Server) applyLocked(h *hook, in webhook.Input, why string) webhook.Step {
	n, st := h.m.Next(in)
	if st.Changed() || n.Exhausted != h.m.Exhausted {
		defer s.saveHookLocked(h)
	}
	h.m = n
	var entry deliverylog.Entry
	if st.Changed() {
		msg := st.Reason
		if why != "" {
			msg = why + ": " + st.Reason
		}
		entry = deliverylog.Entry{Kind: KindTransition, WebhookID: h.id, From: string(st.From), To: string(st.To),
			APIStatus: APIStatus(st.To), ConsecutiveFailures: n.Exhausted, Message: msg}
	}
	for _, a := range st.Actions {
		switch a {
		case webhook.StartVerify:
			s.startVerifyLocked(h)
		case webhook.StartReverify:
			s.startReverifyLocked(h)
		case webhook.StopVerify:
			s.stopVerifyLocked(h)
		case webhook.FailQueued:
			s.failQueuedLocked(h)
		}
	}
	if st.Changed() {
		// After the actions, so a degraded entry shows its first re-verify.
		entry.NextVerify = h.verifying.next
		s.addEntry(entry)
	}
	return st
}

// stopVerifyLocked abandons h's running verify loop, if any.
func (s *Server) stopVerifyLocked(h *hook) {
	h.verifyGen++
	s.cancelTaskLocked(h.verify)
	h.verify = nil
	h.verifying = verifyProgress{}
}

// failQueuedLocked cancels every queued or retrying delivery of h: they end
// without another invocation (an attempt in flight is aborted and recorded).
func (s *Server) failQueuedLocked(h *hook) {
	h.deliverGen++
	for _, t := range h.deliveries {
		s.cancelTaskLocked(t)
	}
	h.deliveries = nil
}

// verifyTarget is what a verify loop needs of its webhook, copied under the
// lock so the loop never reads h unguarded.
type verifyTarget struct {
	id, url string
	signer  *signature.Signer
	header  http.Header
	gen     uint64
	red     *redact.Redactor
}

// startVerifyTaskLocked stops h's verify loop and registers the next one,
// holding waits timers when idle, as h's running loop.
func (s *Server) startVerifyTaskLocked(h *hook, waits int) (context.Context, *task, verifyTarget) {
	s.stopVerifyLocked(h)
	ctx, t := s.startTaskLocked(waits)
	h.verify = t
	return ctx, t, verifyTarget{id: h.id, url: h.url, signer: h.signer, header: h.header, gen: h.verifyGen, red: s.redactorLocked(h)}
}

// redactorLocked removes from what h's receiver answered — the delivery
// log's response previews, errors and messages (addEntry, through
// s.redactors), the last verify result — h's secret in every form, the
// values of its custom headers, its URL's password and the API token: a
// receiver that echoes them must not publish them. s.mu must be held.
func (s *Server) redactorLocked(h *hook) *redact.Redactor {
	extra := append(redact.URLPassword(h.url), s.cfg.Token)
	for _, vs := range h.header {
		extra = append(extra, vs...)
	}
	return redact.New(h.secret, extra...)
}

// startVerifyLocked starts verification with a fresh window: a verify
// request now, again every VerifyEvery, until VerifyWindow has passed.
func (s *Server) startVerifyLocked(h *hook) {
	if s.closed {
		return
	}
	// Two timers when idle: the window and the next retry.
	ctx, tk, t := s.startVerifyTaskLocked(h, 2)
	// The window starts now, at the create/update request.
	window := s.clk.NewTimer(s.cfg.VerifyWindow)
	h.verifying = verifyProgress{kind: VerifyWindow, windowEnds: s.dueAt(s.cfg.VerifyWindow)}
	go func() {
		defer s.endTask(tk)
		defer window.Stop()
		s.verifyLoop(ctx, t, window.C())
	}()
}

// newVerify builds and encodes a verify event with a fresh challenge for t;
// ok is false (and the failure noted in the log) when it cannot be encoded.
func (s *Server) newVerify(t verifyTarget) (ev event.Event, body []byte, challenge string, ok bool) {
	challenge = s.gen.Challenge()
	ev = s.gen.Verify(t.id, challenge)
	body, ok = s.encodeVerify(t, ev)
	return ev, body, challenge, ok
}

// encodeVerify encodes ev; ok is false (and the failure noted in the log)
// when it cannot be encoded.
func (s *Server) encodeVerify(t verifyTarget, ev event.Event) ([]byte, bool) {
	body, err := ev.Encode()
	if err != nil {
		s.note(t.id, ev.ID, "could not encode the verify event: "+err.Error())
		return nil, false
	}
	return body, true
}

// dueAt is when a wait of d on the mock's clock ends, in the clock's time
// (a clock.Scaled clock tells real time but shortens waits by TimeScale).
func (s *Server) dueAt(d time.Duration) time.Time {
	return s.clk.Now().Add(clock.Scale(d, s.cfg.TimeScale))
}

// progress runs f on the verify progress of t's webhook if t's loop is
// still the running one.
func (s *Server) progress(t verifyTarget, f func(p *verifyProgress)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.hooks[t.id]; ok && h.verifyGen == t.gen {
		f(&h.verifying)
	}
}

// verifyLoop sends verify requests for t every VerifyEvery until one is
// answered correctly or the window ends. Each attempt is a new invocation:
// the same event (id and challenge) with its own timestamp and signature,
// or, with Config.SameBytesOnRetry, the first attempt's bytes again.
func (s *Server) verifyLoop(ctx context.Context, t verifyTarget, window <-chan time.Time) {
	ev, body, challenge, ok := s.newVerify(t)
	if !ok {
		return
	}
	for attempt := 1; ; attempt++ {
		if attempt > 1 && !s.cfg.SameBytesOnRetry {
			ev.Timestamp = s.clk.Now()
			if body, ok = s.encodeVerify(t, ev); !ok {
				return
			}
		}
		s.progress(t, func(p *verifyProgress) { p.attempts, p.next = attempt, time.Time{} })
		if s.verifyOnce(ctx, t, ev, body, challenge, attempt) {
			s.verifyResult(t, webhook.Verified, "")
			return
		}
		s.progress(t, func(p *verifyProgress) { // before the timer: see startReverifyLocked
			if at := s.dueAt(s.cfg.VerifyEvery); at.Before(p.windowEnds) {
				p.next = at
			}
		})
		next := s.clk.NewTimer(s.cfg.VerifyEvery)
		select {
		case <-ctx.Done():
			next.Stop()
			return
		case <-window:
			next.Stop()
			s.verifyResult(t, webhook.VerifyExpired, fmt.Sprintf("%d verify attempts in %s", attempt, s.cfg.VerifyWindow))
			return
		case <-next.C():
		}
		// A retry falling due together with the window's end is not made.
		select {
		case <-window:
			s.verifyResult(t, webhook.VerifyExpired, fmt.Sprintf("%d verify attempts in %s", attempt, s.cfg.VerifyWindow))
			return
		default:
		}
	}
}

// startReverifyLocked starts the degraded state's periodic verify: one
// verify request every ReverifyEvery until one is answered correctly. Each
// round is a new verify event (new id, challenge and timestamp).
func (s *Server) startReverifyLocked(h *hook) {
	if s.closed {
		return
	}
	// One timer when idle: the wait for the next round.
	ctx, tk, t := s.startVerifyTaskLocked(h, 1)
	h.verifying = verifyProgress{kind: VerifyReverify, next: s.dueAt(s.cfg.ReverifyEvery)}
	go func() {
		defer s.endTask(tk)
		for round := 1; ; round++ {
			// The due time is recorded before the timer exists: a test's
			// fake clock sees the mock idle as soon as the timer is there,
			// and the simulator view must say when it is due by then.
			if round > 1 {
				s.progress(t, func(p *verifyProgress) { p.next = s.dueAt(s.cfg.ReverifyEvery) })
			}
			wait := s.clk.NewTimer(s.cfg.ReverifyEvery)
			select {
			case <-ctx.Done():
				wait.Stop()
				return
			case <-wait.C():
			}
			ev, body, challenge, ok := s.newVerify(t)
			if !ok {
				return
			}
			s.progress(t, func(p *verifyProgress) { p.attempts, p.next = round, time.Time{} })
			if s.verifyOnce(ctx, t, ev, body, challenge, round) {
				s.verifyResult(t, webhook.Verified, fmt.Sprintf("re-verify %d", round))
				return
			}
		}
	}()
}

// verifyOnce sends one verify request, logs it and records it as the
// webhook's last verify; it reports whether the endpoint answered 200 with
// the same challenge.
func (s *Server) verifyOnce(ctx context.Context, t verifyTarget, ev event.Event, body []byte, challenge string, attempt int) bool {
	hdr := make(http.Header, len(t.header)+2)
	for k, v := range t.header {
		hdr[k] = v
	}
	hdr.Set("Content-Type", "application/json")
	hdr.Set(signature.Header, t.signer.Sign(body))
	at := s.clk.Now()
	resp := s.poster.Post(ctx, t.url, body, hdr)
	ok, reason := verifyAnswer(resp, challenge)
	if ctx.Err() != nil && !ok {
		reason = "aborted: " + reason
	}
	reason = t.red.String(reason)
	s.progress(t, func(*verifyProgress) {
		if h := s.hooks[t.id]; h != nil {
			h.lastVerify = &VerifyOutcome{Time: at, EventID: ev.ID, Attempt: attempt, OK: ok, Status: resp.Status, Error: reason}
		}
	})
	s.addEntry(deliverylog.Entry{
		Time: at, Kind: KindAttempt, WebhookID: t.id, EventID: ev.ID, EventType: "verify",
		Timestamp: event.FormatTimestamp(ev.Timestamp, ev.Precision),
		Attempt:   attempt, Status: resp.Status, LatencyMS: resp.Latency.Milliseconds(),
		Error: reason, ResponsePreview: preview(t.red.Bytes(resp.Body), previewBytes), Delivered: ok,
	})
	return ok
}

// verifyAnswer checks a verify response: 200 and a JSON object whose
// "challenge" is exactly the one sent.
func verifyAnswer(resp delivery.Response, challenge string) (bool, string) {
	if resp.Err != nil {
		return false, resp.Err.Error()
	}
	if resp.Status != http.StatusOK {
		return false, fmt.Sprintf("verify answered %d, want 200", resp.Status)
	}
	var got struct {
		Challenge *string `json:"challenge"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(resp.Body), &got); err != nil {
		return false, "verify answer is not a JSON object with a challenge: " + truncate(err.Error(), 80)
	}
	if got.Challenge == nil {
		return false, "verify answer has no \"challenge\" field"
	}
	if *got.Challenge != challenge {
		return false, "verify answer echoed a different challenge"
	}
	return true, ""
}

// verifyResult applies a verify outcome if the loop that produced it is
// still h's current one.
func (s *Server) verifyResult(t verifyTarget, in webhook.Input, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[t.id]
	if !ok || h.verifyGen != t.gen || s.closed {
		return
	}
	st := s.applyLocked(h, in, why)
	if !st.Changed() && in == webhook.VerifyExpired {
		s.note(h.id, "", st.Reason+" ("+why+"); object events are not delivered")
	}
}

// shutdownNote is the note of a delivery a shutdown interrupted.
func shutdownNote(durable bool) string {
	if durable {
		return "interrupted by the shutdown: the state file keeps it, and serve resumes it when it starts again"
	}
	return "not delivered: the mock shut down (in memory: nothing resumes it)"
}

func attemptEntry(a delivery.Attempt, webhookID string) deliverylog.Entry {
	if a.WebhookID == "" {
		a.WebhookID = webhookID
	}
	return deliverylog.FromAttempt(a)
}

// deliveryResult applies one event's outcome to its webhook.
func (s *Server) deliveryResult(tk *task, webhookID string, gen uint64, r delivery.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.taskWaitsLocked(tk, -1)
	if tk.queued > 0 {
		tk.queued--
		s.queued--
	}
	h, ok := s.hooks[webhookID]
	evID := r.Job.Event.ID
	switch {
	case s.closed:
		if !r.Delivered {
			s.note(webhookID, evID, shutdownNote(s.store != nil))
		}
	case !ok:
		if !r.Delivered {
			s.note(webhookID, evID, "not delivered: the webhook was deleted")
		}
	case h.deliverGen != gen:
		if !r.Delivered {
			s.note(webhookID, evID, fmt.Sprintf("failed without further invocation: the webhook is %s", h.m.State))
		}
	case r.Delivered:
		s.applyLocked(h, webhook.EventDelivered, "")
	case !r.Exhausted():
		msg := "not delivered"
		if r.Err != nil {
			msg += ": " + r.Err.Error()
		}
		s.note(webhookID, evID, msg)
	default:
		st := s.applyLocked(h, webhook.EventExhausted, fmt.Sprintf("event %s", shortID(evID)))
		if !st.Changed() {
			s.addEntry(deliverylog.Entry{Kind: KindNote, WebhookID: webhookID, EventID: evID, ConsecutiveFailures: h.m.Exhausted,
				Message: fmt.Sprintf("exhausted its %d attempts (%d of %d consecutive before degraded)",
					len(r.Attempts), h.m.Exhausted, s.cfg.DegradedAfter)})
		}
	}
}

// shortID returns the last segment of a DON id.
func shortID(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 && i+1 < len(id) {
		return id[i+1:]
	}
	return id
}
