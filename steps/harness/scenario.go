package harness

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/event"
)

// Failure is a scenario failing because of what the receiver did (or did
// not do): its message is the reason shown in the report.
type Failure struct{ Msg string }

// Error returns the reason.
func (f *Failure) Error() string { return f.Msg }

// Failf returns a *Failure.
func Failf(format string, a ...any) error { return &Failure{Msg: fmt.Sprintf(format, a...)} }

// Blocked is a scenario that could not observe what it checks because a
// precondition failed: the requirements in By cover that precondition.
type Blocked struct {
	By  []string
	Msg string
}

// Error returns the reason.
func (b *Blocked) Error() string { return b.Msg }

// HarnessError is a scenario failing because the harness itself broke (a
// step it cannot build): the run's results are void.
type HarnessError struct{ Err error }

// Error implements error.
func (h *HarnessError) Error() string { return "harness: " + h.Err.Error() }

// Unwrap returns the underlying error.
func (h *HarnessError) Unwrap() error { return h.Err }

// Harnessf returns a *HarnessError.
func Harnessf(format string, a ...any) error {
	return &HarnessError{Err: fmt.Errorf(format, a...)}
}

// IsHarnessFailure reports whether err means the harness broke rather than
// the receiver failing: anything that is neither a Failure nor Blocked (an
// undefined step, a recovered panic, a HarnessError).
func IsHarnessFailure(err error) bool {
	if err == nil {
		return false
	}
	var f *Failure
	var b *Blocked
	return !errors.As(err, &f) && !errors.As(err, &b)
}

// Scenario is the state of one scenario run: what it sent, what it blames,
// and how it ended. It is safe for concurrent use by its steps.
type Scenario struct {
	// Key identifies the scenario across runs (its feature and name); the
	// seed of its events derives from it.
	Key   string
	Name  string
	ReqID string
	Level string

	h   *Harness
	gen *event.Generator

	mu        sync.Mutex
	start     time.Time
	end       time.Time
	err       error
	finished  bool
	exchanges []*Exchange
	sent      []*Exchange // made by the When steps (not controls)
	blamed    []*Exchange
	last      *Exchange
	bases     map[string]*event.Event // the scenario's base event of each type, once built
	attached  []*Exchange             // detection probes shown as evidence
	note      string
}

// Record adds an exchange; sent ones become "it" for the Then steps.
func (sc *Scenario) Record(x *Exchange, sent bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.exchanges = append(sc.exchanges, x)
	if sent {
		sc.sent = append(sc.sent, x)
		sc.last = x
	}
}

// Blame marks exchanges as the evidence of err and returns err (nil stays nil).
func (sc *Scenario) Blame(err error, xs ...*Exchange) error {
	if err == nil {
		return nil
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, x := range xs {
		if x != nil {
			sc.blamed = append(sc.blamed, x)
		}
	}
	return err
}

// Last returns the last sent exchange ("it").
func (sc *Scenario) Last() (*Exchange, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.last == nil {
		return nil, Harnessf("scenario %q checks an answer before sending anything", sc.Name)
	}
	return sc.last, nil
}

// SetLast makes x "it" without recording it again.
func (sc *Scenario) SetLast(x *Exchange) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.last = x
}

// Sent returns the exchanges made by the When steps, in order.
func (sc *Scenario) Sent() []*Exchange {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]*Exchange(nil), sc.sent...)
}

// ControlExchange returns the scenario's first control exchange, if any.
func (sc *Scenario) ControlExchange() *Exchange {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, x := range sc.exchanges {
		if x.Control {
			return x
		}
	}
	return nil
}

// Attach shows exchanges made outside the scenario (detection probes) as
// its evidence.
func (sc *Scenario) Attach(xs ...*Exchange) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.attached = append(sc.attached, xs...)
}

// Throttled applies the back-pressure rule to how the scenario's steps
// ended (err): an exchange the receiver kept rate-limiting past what the
// harness waits (Exchange.Throttle) was not observed — a 429 is no
// refusal of a bad signature, nor a refusal of a good one — so the
// scenario is blocked by CoversLoad, whatever its steps concluded; the
// scenario of CoversLoad itself fails for it. A harness error stays, and
// so does CoversTransport's verdict (it judges the URL and TLS).
func (sc *Scenario) Throttled(err error) error {
	if IsHarnessFailure(err) || sc.ReqID == CoversTransport {
		return err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, x := range sc.exchanges {
		if x.Throttle == "" {
			continue
		}
		sc.blamed = append(sc.blamed, x)
		if sc.ReqID == CoversLoad {
			return Failf("the receiver rate-limits the check's load: %s got %s", x.What, x.Outcome())
		}
		return &Blocked{By: []string{CoversLoad}, Msg: fmt.Sprintf("not observed: the receiver rate-limited the check: %s got %s", x.What, x.Outcome())}
	}
	return err
}

// Finish records how the scenario ended.
func (sc *Scenario) Finish(err error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.end = time.Now()
	sc.err = err
	sc.finished = true
}

// Err returns how the scenario ended (nil: passed).
func (sc *Scenario) Err() error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.err
}

// Finished reports whether the scenario ran to its end.
func (sc *Scenario) Finished() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.finished
}

// Passed reports whether the scenario ended without error.
func (sc *Scenario) Passed() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.finished && sc.err == nil
}

// BlockedBy returns the requirements that blocked the scenario (nil when
// it passed or is a root failure).
func (sc *Scenario) BlockedBy() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var b *Blocked
	if errors.As(sc.err, &b) {
		return b.By
	}
	return nil
}

// Reason is the one-line reason of a failed or blocked scenario.
func (sc *Scenario) Reason() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.finished {
		return "scenario did not run to completion"
	}
	if sc.err == nil {
		return ""
	}
	msg := sc.err.Error()
	var f *Failure
	var b *Blocked
	switch {
	case errors.As(sc.err, &f):
		msg = f.Msg // without godog's "before scenario hook failed:" and the like
	case errors.As(sc.err, &b):
		msg = b.Msg
	}
	return strings.Join(strings.Fields(msg), " ")
}

// Note returns the scenario's note ("" if none).
func (sc *Scenario) Note() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.note
}

// SetNote qualifies the scenario's verdict.
func (sc *Scenario) SetNote(n string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.note = n
}

// Duration is how long the scenario ran.
func (sc *Scenario) Duration() (start, end time.Time) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.start, sc.end
}

// Blamed reports whether x is evidence of the scenario's failure.
func (sc *Scenario) Blamed(x *Exchange) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, y := range sc.blamed {
		if y == x {
			return true
		}
	}
	return false
}

// EvidenceExchanges picks what to show for a failed scenario: probes and
// controls first, then the blamed exchanges (or the last one), at most limit.
func (sc *Scenario) EvidenceExchanges(limit int) []*Exchange {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var out []*Exchange
	add := func(x *Exchange) {
		if len(out) >= limit {
			return
		}
		for _, y := range out {
			if y == x {
				return
			}
		}
		out = append(out, x)
	}
	for _, x := range sc.attached {
		add(x)
	}
	for _, x := range sc.exchanges {
		if x.Control {
			add(x)
		}
	}
	blamed := sc.blamed
	if len(blamed) == 0 && len(sc.exchanges) > 0 {
		blamed = sc.exchanges[len(sc.exchanges)-1:]
	}
	for _, x := range blamed {
		add(x)
	}
	return out
}

// Replace takes over what other, a re-run of the same scenario, showed.
func (sc *Scenario) Replace(other *Scenario) {
	other.mu.Lock()
	exchanges, sent, blamed, last := other.exchanges, other.sent, other.blamed, other.last
	err, finished, start, end := other.err, other.finished, other.start, other.end
	other.mu.Unlock()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.exchanges, sc.sent, sc.blamed, sc.last = exchanges, sent, blamed, last
	sc.err, sc.finished, sc.start, sc.end = err, finished, start, end
	sc.note = "confirmed when re-run alone"
}
