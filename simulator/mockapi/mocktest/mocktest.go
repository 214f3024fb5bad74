// Package mocktest drives the mock DevRev (simulator/mockapi) in tests: a
// scripted receiver whose answers a test chooses, and Settle/Advance, which
// move a clock.Fake only once the mock is idle, so that every protocol delay
// (retry schedule, verify window, degraded re-verify) happens exactly on
// time and in order, in milliseconds.
package mocktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/signature"
)

// Answer is how the receiver answers one kind of request.
type Answer struct {
	// Echo answers a verify request 200 with {"challenge": <same>} (for
	// other events: 200 {}).
	Echo bool
	// Status is the status to answer when not echoing (200 when zero).
	Status int
	// Hang never answers: the request is held until the sender gives up.
	Hang bool
	// WrongChallenge answers verify 200 with a different challenge.
	WrongChallenge bool
}

// Common answers.
var (
	Echo = Answer{Echo: true}
	OK   = Answer{Status: http.StatusOK}
	Hang = Answer{Hang: true}
)

// Fail answers with status.
func Fail(status int) Answer { return Answer{Status: status} }

// Request is one request the receiver got.
type Request struct {
	// At is the receiver's clock when the request arrived.
	At time.Time
	// Type, ID and WebhookID come from the envelope.
	Type, ID, WebhookID string
	// Challenge is verify.challenge, for verify events.
	Challenge string
	// Signature is the X-DevRev-Signature header.
	Signature string
	// Timestamp is the envelope's timestamp, as sent.
	Timestamp string
	// Header is the request's headers (custom headers included).
	Header http.Header
	// Body is the raw body.
	Body []byte
	// Aborted reports that the sender gave up before an answer (Hang).
	Aborted bool
}

// SignedWith reports whether the request's signature verifies with secret.
func (r Request) SignedWith(secret string) bool {
	v, err := signature.NewVerifier(secret, signature.KeyRaw)
	return err == nil && v.Verify(r.Body, r.Signature)
}

// Receiver is a scripted webhook endpoint on a loopback httptest server.
type Receiver struct {
	// URL is the endpoint to register.
	URL string

	srv     *httptest.Server
	clk     clock.Clock
	stop    chan struct{}
	mu      sync.Mutex
	verify  Answer
	events  Answer
	reqs    []Request
	changed chan struct{} // closed and replaced on every new or aborted request
	closing sync.Once
}

// NewReceiver starts a receiver that echoes verify and acknowledges events;
// clk stamps Request.At.
func NewReceiver(clk clock.Clock) *Receiver {
	r := &Receiver{clk: clk, verify: Echo, events: OK, stop: make(chan struct{}), changed: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL + "/hook"
	return r
}

// Close stops the receiver, releasing hung requests.
func (r *Receiver) Close() {
	r.closing.Do(func() { close(r.stop) })
	r.srv.Close()
}

// AnswerVerify sets how verify requests are answered from now on.
func (r *Receiver) AnswerVerify(a Answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verify = a
}

// AnswerEvents sets how every other event is answered from now on.
func (r *Receiver) AnswerEvents(a Answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = a
}

// Requests returns every request received so far, in arrival order.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// WaitFor blocks until cond holds for the requests received so far, or ctx
// is done.
func (r *Receiver) WaitFor(ctx context.Context, cond func([]Request) bool) error {
	for {
		r.mu.Lock()
		ok, ch := cond(append([]Request(nil), r.reqs...)), r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("receiver: condition not met: %w", ctx.Err())
		case <-ch:
		}
	}
}

// notifyLocked wakes WaitFor; r.mu must be held.
func (r *Receiver) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Of returns the requests of one event type.
func (r *Receiver) Of(typ string) []Request {
	var out []Request
	for _, q := range r.Requests() {
		if q.Type == typ {
			out = append(out, q)
		}
	}
	return out
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 4<<20))
	var env struct {
		ID        string `json:"id"`
		WebhookID string `json:"webhook_id"`
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Verify    struct {
			Challenge string `json:"challenge"`
		} `json:"verify"`
	}
	_ = json.Unmarshal(body, &env)
	q := Request{At: r.clk.Now(), Type: env.Type, ID: env.ID, WebhookID: env.WebhookID,
		Challenge: env.Verify.Challenge, Signature: req.Header.Get(signature.Header), Timestamp: env.Timestamp,
		Header: req.Header.Clone(), Body: body}
	r.mu.Lock()
	a := r.events
	if env.Type == "verify" {
		a = r.verify
	}
	idx := len(r.reqs)
	r.reqs = append(r.reqs, q)
	r.notifyLocked()
	r.mu.Unlock()

	switch {
	case a.Hang:
		select {
		case <-req.Context().Done():
		case <-r.stop:
		}
		r.mu.Lock()
		r.reqs[idx].Aborted = true
		r.notifyLocked()
		r.mu.Unlock()
		return
	case a.Echo && env.Type == "verify":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": env.Verify.Challenge})
	case a.WrongChallenge && env.Type == "verify":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": "not-" + env.Verify.Challenge})
	case a.Echo:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	default:
		st := a.Status
		if st == 0 {
			st = http.StatusOK
		}
		w.WriteHeader(st)
	}
}

// Settle waits until the mock's background work is idle: every verify loop,
// re-verify loop and event in delivery is blocked on fake's timers (nothing
// in flight). It returns ctx's error if that does not happen in time.
func Settle(ctx context.Context, fake *clock.Fake, s *mockapi.Server) error {
	for {
		want, changed := s.Pending()
		have := fake.Waiters()
		select {
		case <-changed:
			// The count moved while the timers were counted: the two
			// numbers are of different moments, so compare them again.
			continue
		default:
		}
		// The mock counts so that busy work always holds fewer timers than
		// its share, so equal numbers read at one moment mean idle.
		if have == want {
			return nil
		}
		// Wake on a new timer or on a change of the mock's pending count;
		// every timer stop in the mock is followed by such a change.
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-changed:
				cancel()
			case <-wctx.Done():
			}
		}()
		err := fake.BlockUntil(wctx, have+1)
		cancel()
		if ctx.Err() != nil {
			w, _ := s.Pending()
			return fmt.Errorf("mock not idle: %d timers pending, %d expected when idle: %w", fake.Waiters(), w, ctx.Err())
		}
		_ = err
	}
}

// Advance moves fake forward by d the way real time would pass for the
// mock: it settles, fires the next timer due within d, settles again, and so
// on, so work woken at one deadline sets its next timer before time moves on.
func Advance(ctx context.Context, fake *clock.Fake, s *mockapi.Server, d time.Duration) error {
	target := fake.Now().Add(d)
	for {
		if err := Settle(ctx, fake, s); err != nil {
			return err
		}
		next, ok := fake.NextDeadline()
		if !ok || next.After(target) {
			fake.Advance(target.Sub(fake.Now()))
			return Settle(ctx, fake, s)
		}
		fake.Advance(next.Sub(fake.Now()))
	}
}
