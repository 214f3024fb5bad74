// Package webhook is the life cycle of one registered webhook as DevRev runs
// it (docs/protocol.md §1.2–1.3), as a pure state machine: no clocks, no network,
// no goroutines. The mock server (simulator/mockapi) feeds it what happened
// (a verify succeeded, an event exhausted its attempts, the user changed the
// URL, …) and carries out the actions it returns.
//
//	unverified ──verify echoed──▶ active ──N events exhausted──▶ degraded
//	    ▲  ▲                        │  ▲                            │
//	    │  └──── url/secret changed ┘  └────── verify echoed ───────┘
//	    │
//	    └── activate ── inactive ◀── deactivate (from any state)
package webhook

import "fmt"

// State is a webhook's state inside the sender. DevRev's API shows only
// three of them (webhook-status: active, inactive, unverified); Degraded is
// internal and shows as active there.
type State string

// The four states of docs/protocol.md §1.2–1.3.
const (
	// Unverified: created or changed, waiting for a correct verify echo;
	// receives verify events only.
	Unverified State = "unverified"
	// Active: verified; receives the object events it subscribed to.
	Active State = "active"
	// Degraded: sustained failures; queued events are failed without an
	// invocation and verify is retried periodically.
	Degraded State = "degraded"
	// Inactive: deactivated by its owner; receives nothing.
	Inactive State = "inactive"
)

// ParseState reads a state name.
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case Unverified, Active, Degraded, Inactive:
		return st, nil
	}
	return "", fmt.Errorf("unknown webhook state %q (want unverified, active, degraded or inactive)", s)
}

// Delivers reports whether object events are sent to a webhook in state s.
func (s State) Delivers() bool { return s == Active }

// Input is something that happened to a webhook.
type Input int

// Inputs the mock feeds the machine.
const (
	// Verified: a verify request was answered 200 with the right challenge.
	Verified Input = iota + 1
	// VerifyExpired: the verify window (3 min after create/update) ended
	// without a correct echo.
	VerifyExpired
	// Changed: webhooks.update set a new url or secret.
	Changed
	// Deactivate: webhooks.update with action "deactivate".
	Deactivate
	// Activate: webhooks.update with action "activate".
	Activate
	// EventDelivered: an object event was acknowledged with 2xx.
	EventDelivered
	// EventExhausted: an object event failed every attempt of the schedule.
	EventExhausted
)

var inputNames = map[Input]string{
	Verified: "verified", VerifyExpired: "verify-expired", Changed: "changed",
	Deactivate: "deactivate", Activate: "activate",
	EventDelivered: "event-delivered", EventExhausted: "event-exhausted",
}

// String names the input for logs.
func (i Input) String() string {
	if n, ok := inputNames[i]; ok {
		return n
	}
	return fmt.Sprintf("input(%d)", int(i))
}

// Action is something the driver of the machine must do after a step.
type Action int

// Actions a step can ask for.
const (
	// StartVerify: (re)start verification with a fresh window (3 min);
	// any verification already running is abandoned.
	StartVerify Action = iota + 1
	// StartReverify: start periodic verify requests (degraded state).
	StartReverify
	// StopVerify: abandon any verification or periodic re-verify.
	StopVerify
	// FailQueued: fail every queued or retrying event of this webhook
	// without invoking it (the webhook no longer delivers).
	FailQueued
)

var actionNames = map[Action]string{
	StartVerify: "start-verify", StartReverify: "start-reverify",
	StopVerify: "stop-verify", FailQueued: "fail-queued",
}

// String names the action for logs.
func (a Action) String() string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// DefaultDegradedAfter is how many consecutive exhausted events put an
// active webhook in the degraded state (project choice, a setting).
const DefaultDegradedAfter = 3

// Machine is one webhook's state. The zero value is not useful; use New.
// Machine is a value: Next returns the new machine and never mutates the
// receiver, so callers keep it under their own lock.
type Machine struct {
	// State is the current state.
	State State
	// Exhausted counts consecutive events that exhausted their attempts
	// while active; a delivered event resets it.
	Exhausted int
	// DegradedAfter is the threshold of consecutive exhausted events;
	// values < 1 mean DefaultDegradedAfter.
	DegradedAfter int
}

// New returns the machine of a freshly created webhook: unverified. The
// caller starts verification (the create itself is the first StartVerify).
func New(degradedAfter int) Machine {
	return Machine{State: Unverified, DegradedAfter: degradedAfter}
}

// Step is the outcome of one input.
type Step struct {
	// From and To are the states before and after; equal when nothing moved.
	From, To State
	// Input is what was applied.
	Input Input
	// Actions the driver must carry out, in order.
	Actions []Action
	// Reason explains the step in words, for the delivery log.
	Reason string
}

// Changed reports whether the state moved.
func (s Step) Changed() bool { return s.From != s.To }

func (m Machine) threshold() int {
	if m.DegradedAfter < 1 {
		return DefaultDegradedAfter
	}
	return m.DegradedAfter
}

// Next applies in and returns the new machine and what the driver must do.
// Inputs that make no sense in the current state (a stale verify result for
// an inactive webhook, an event result while unverified) change nothing and
// ask for nothing.
func (m Machine) Next(in Input) (Machine, Step) {
	st := Step{From: m.State, To: m.State, Input: in}
	n := m
	to := func(s State, reason string, acts ...Action) {
		n.State = s
		st.To = s
		st.Reason = reason
		st.Actions = acts
	}
	switch in {
	case Deactivate:
		if m.State != Inactive {
			acts := []Action{StopVerify}
			if m.State == Active {
				acts = append(acts, FailQueued)
			}
			n.Exhausted = 0
			to(Inactive, "deactivated by its owner", acts...)
		} else {
			st.Reason = "already inactive"
		}
	case Activate:
		switch m.State {
		case Inactive:
			to(Unverified, "activated: verification starts again", StartVerify)
		case Unverified:
			to(Unverified, "activated while unverified: verification restarts", StartVerify)
		default:
			st.Reason = "already " + string(m.State)
		}
	case Changed:
		switch m.State {
		case Active:
			n.Exhausted = 0
			to(Unverified, "url or secret changed: the endpoint must verify again", FailQueued, StartVerify)
		case Degraded:
			n.Exhausted = 0
			to(Unverified, "url or secret changed: the endpoint must verify again", StopVerify, StartVerify)
		case Unverified:
			to(Unverified, "url or secret changed: verification restarts", StartVerify)
		case Inactive:
			st.Reason = "url or secret changed while inactive: no verification until activated"
		}
	case Verified:
		switch m.State {
		case Unverified:
			n.Exhausted = 0
			to(Active, "verify challenge echoed", StopVerify)
		case Degraded:
			n.Exhausted = 0
			to(Active, "verify challenge echoed: endpoint healthy again", StopVerify)
		default:
			st.Reason = "verify result ignored: webhook is " + string(m.State)
		}
	case VerifyExpired:
		if m.State == Unverified {
			st.Reason = "verify window ended without a correct echo: stays unverified"
			st.Actions = []Action{StopVerify}
		} else {
			st.Reason = "verify window result ignored: webhook is " + string(m.State)
		}
	case EventDelivered:
		if m.State == Active {
			n.Exhausted = 0
			st.Reason = "event delivered"
		} else {
			st.Reason = "event result ignored: webhook is " + string(m.State)
		}
	case EventExhausted:
		if m.State != Active {
			st.Reason = "event result ignored: webhook is " + string(m.State)
			break
		}
		n.Exhausted = m.Exhausted + 1
		if n.Exhausted >= m.threshold() {
			to(Degraded, fmt.Sprintf("%d consecutive events exhausted their attempts", n.Exhausted), FailQueued, StartReverify)
		} else {
			st.Reason = fmt.Sprintf("event exhausted its attempts (%d of %d before degraded)", n.Exhausted, m.threshold())
		}
	default:
		st.Reason = "unknown input " + in.String()
	}
	return n, st
}
