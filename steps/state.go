package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/simulator/event"
)

// failure is a scenario failing because of what the receiver did (or did
// not do): its message is the reason shown in the report.
type failure struct{ msg string }

// Error returns the reason.
func (f *failure) Error() string { return f.msg }

func failf(format string, a ...any) error { return &failure{msg: fmt.Sprintf(format, a...)} }

// harnessError is a scenario failing because the harness itself broke (a
// step it cannot build, an unknown variant): the run's results are void.
type harnessError struct{ err error }

// Error implements error.
func (h *harnessError) Error() string { return "harness: " + h.err.Error() }

// Unwrap returns the underlying error.
func (h *harnessError) Unwrap() error { return h.err }

func harnessf(format string, a ...any) error {
	return &harnessError{err: fmt.Errorf(format, a...)}
}

// exchange is one request the harness made and what came back.
type exchange struct {
	// what describes the request in a reason: "a work_created event signed
	// with a random signature".
	what    string
	control bool // a control exchange (proves acceptance before a refusal check)
	method  string
	header  http.Header
	body    []byte

	status     int
	respHeader http.Header
	respBody   []byte
	latency    time.Duration
	err        error

	// raw, for an attempt sent over a raw socket and cut short on purpose,
	// says what the harness did ("closed the connection after …").
	raw string
	// challenge is the verify challenge the request carried, if any.
	challenge string
}

// ok reports a complete 2xx answer.
func (x *exchange) ok() bool { return x.err == nil && x.status >= 200 && x.status <= 299 }

// outcome describes the answer in a few words: "401", "no answer (timeout …)".
func (x *exchange) outcome() string {
	if x.err != nil {
		return "no answer (" + x.err.Error() + ")"
	}
	if s := snippet(x.respBody, 100); s != "" {
		return fmt.Sprintf("%d %s", x.status, s)
	}
	return fmt.Sprintf("%d", x.status)
}

// snippet is a one-line, bounded excerpt of a response body.
func snippet(b []byte, limit int) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), limit*4)]), "�")), " ")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// scenarioState travels in the context from step to step of one scenario.
type scenarioState struct {
	pickleID string
	name     string
	reqID    string
	level    string
	tags     []string

	mu        sync.Mutex
	start     time.Time
	end       time.Time
	err       error
	finished  bool
	exchanges []*exchange // every exchange, in order
	sent      []*exchange // those made by the When steps (not controls)
	blamed    []*exchange // those that made the scenario fail
	last      *exchange   // the last When exchange ("it")
	lastEvent *event.Event
	// extra evidence attached from outside the scenario (detection probes).
	attached []*exchange
}

type stateKey struct{}

func withState(ctx context.Context, st *scenarioState) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

func stateOf(ctx context.Context) (*scenarioState, error) {
	st, ok := ctx.Value(stateKey{}).(*scenarioState)
	if !ok {
		return nil, harnessf("no scenario state in the context")
	}
	return st, nil
}

func newScenarioState(sc *godog.Scenario) *scenarioState {
	st := &scenarioState{pickleID: sc.Id, name: sc.Name, start: time.Now()}
	for _, t := range sc.Tags {
		name := strings.TrimPrefix(t.Name, "@")
		st.tags = append(st.tags, name)
		if r, ok := features.Lookup(name); ok && st.reqID == "" {
			st.reqID, st.level = r.ID, r.Level
		}
	}
	return st
}

// record adds an exchange; sent ones become "it" for the Then steps.
func (st *scenarioState) record(x *exchange, sent bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.exchanges = append(st.exchanges, x)
	if sent {
		st.sent = append(st.sent, x)
		st.last = x
	}
}

// blame marks exchanges as the evidence of a failure and returns err.
func (st *scenarioState) blame(err error, xs ...*exchange) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, x := range xs {
		if x != nil {
			st.blamed = append(st.blamed, x)
		}
	}
	return err
}

func (st *scenarioState) lastSent() (*exchange, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.last == nil {
		return nil, harnessf("scenario %q checks an answer before sending anything", st.name)
	}
	return st.last, nil
}

// controlExchange returns the scenario's first control exchange, if any.
func (st *scenarioState) controlExchange() *exchange {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, x := range st.exchanges {
		if x.control {
			return x
		}
	}
	return nil
}

func (st *scenarioState) allSent() []*exchange {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]*exchange(nil), st.sent...)
}

func (st *scenarioState) finish(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.end = time.Now()
	st.err = err
	st.finished = true
}

// passed reports whether the scenario ended without error.
func (st *scenarioState) passed() bool { return st.finished && st.err == nil }

// reason is the one-line reason of a failed scenario.
func (st *scenarioState) reason() string {
	if !st.finished {
		return "scenario did not run to completion"
	}
	if st.err == nil {
		return ""
	}
	msg := st.err.Error()
	var f *failure
	if errors.As(st.err, &f) {
		msg = f.msg // without godog's "before scenario hook failed:" and the like
	}
	return strings.Join(strings.Fields(msg), " ")
}

// isHarnessFailure reports whether err means the harness broke rather than
// the receiver failing: our own harnessError, or anything that is not a
// receiver failure (an undefined step, a recovered panic).
func isHarnessFailure(err error) bool {
	if err == nil {
		return false
	}
	var f *failure
	return !errors.As(err, &f)
}

// evidenceExchanges picks what to show for a failed scenario: its control
// exchanges and probes first, then the blamed exchanges (or the last one),
// at most limit in all.
func (st *scenarioState) evidenceExchanges(limit int) []*exchange {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []*exchange
	add := func(x *exchange) {
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
	for _, x := range st.attached {
		add(x)
	}
	for _, x := range st.exchanges {
		if x.control {
			add(x)
		}
	}
	blamed := st.blamed
	if len(blamed) == 0 && len(st.exchanges) > 0 {
		blamed = st.exchanges[len(st.exchanges)-1:]
	}
	for _, x := range blamed {
		add(x)
	}
	return out
}
