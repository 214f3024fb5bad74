package harness

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
)

// Bounds on what a feature file may ask for.
const (
	MaxBurst     = 200     // concurrent deliveries in one step
	MaxEventKiB  = 4 << 10 // 4 MiB
	MaxChallenge = 4096    // characters
	// Fanout is how many requests of the catalogue sweep are in flight:
	// one, since concurrency is ACK-02's subject, not ACK-03's (a receiver
	// that handles one event at a time must not fail ACK-03 for it).
	Fanout = 1
	// RetryPause is the pause before a retry of an abandoned attempt: long
	// enough for a receiver on a busy machine to have started on the
	// abandoned one, as it has by the time DevRev's retry arrives (a
	// receiver whose fault shows only then must show it every run).
	RetryPause = 500 * time.Millisecond
)

// SendVaried sends the scenario's base event of typ with v applied as "it".
func (h *Harness) SendVaried(ctx context.Context, sc *Scenario, typ string, v Variation, what string) (*Exchange, error) {
	ev, b, err := h.BuildBase(sc, typ, v)
	if err != nil {
		return nil, err
	}
	x := h.Send(ctx, sc, Request{What: what, Method: b.Method, Body: b.Body, Header: b.Header, Recipe: b.Recipe}, true)
	if typ == "verify" {
		x.Challenge, _ = ev.Payload["challenge"].(string)
	}
	return x, nil
}

// SendVerify sends a correctly signed verify event carrying challenge.
func (h *Harness) SendVerify(ctx context.Context, sc *Scenario, challenge, what string) (*Exchange, error) {
	ev, err := sc.Event("verify")
	if err != nil {
		return nil, err
	}
	ev.Payload["challenge"] = challenge
	b, err := h.Build(ev, Correct())
	if err != nil {
		return nil, err
	}
	x := h.Send(ctx, sc, Request{What: what, Body: b.Body, Header: b.Header, Recipe: b.Recipe}, true)
	x.Challenge = challenge
	return x, nil
}

// RandomChallenge returns a random challenge of n characters.
func (sc *Scenario) RandomChallenge(n int) (string, error) {
	if n < 1 || n > MaxChallenge {
		return "", Harnessf("challenge length %d outside 1..%d", n, MaxChallenge)
	}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(sc.Challenge())
	}
	return b.String()[:n], nil
}

// SendLarge sends the base event of typ grown to kib KiB.
func (h *Harness) SendLarge(ctx context.Context, sc *Scenario, typ string, kib int) error {
	if kib < 1 || kib > MaxEventKiB {
		return Harnessf("event size %d KiB outside 1..%d", kib, MaxEventKiB)
	}
	ev, err := sc.Event(typ)
	if err != nil {
		return err
	}
	base, err := Encode(ev)
	if err != nil {
		return err
	}
	body, err := PadTo(ev, kib<<10)
	if err != nil {
		return err
	}
	h.Send(ctx, sc, Request{
		What: fmt.Sprintf("a correctly signed %s event of %d KiB", typ, kib), Body: body,
		Header: SignedHeader(h.Sign(body), false), Recipe: Recipe{Base: base, PadTo: kib << 10},
	}, true)
	return nil
}

// SendBodyless sends a request with method and no body (ROB-03).
func (h *Harness) SendBodyless(ctx context.Context, sc *Scenario, method string) {
	h.Send(ctx, sc, Request{What: "a " + method + " request", Method: method, Header: http.Header{}, Recipe: Recipe{Variation: ""}}, true)
}

// SendSame sends the scenario's last exchange again as it was (DUP-01).
func (h *Harness) SendSame(ctx context.Context, sc *Scenario, what string) error {
	first, err := sc.Last()
	if err != nil {
		return err
	}
	h.Send(ctx, sc, Request{What: what, Method: first.Method, Body: first.Body, Header: first.Header, Recipe: first.Recipe}, true)
	return nil
}

// SendRestamped sends the scenario's last exchange again as DevRev
// retries it: same event id and payload, a new timestamp and signature.
func (h *Harness) SendRestamped(ctx context.Context, sc *Scenario, what string) error {
	first, err := sc.Last()
	if err != nil {
		return err
	}
	ev, err := ParseEvent(first.Body)
	if err != nil {
		return Harnessf("reading the first attempt back: %w", err)
	}
	ev.Timestamp = h.opt.Clock.Now()
	if !ev.Timestamp.After(first.sentAt()) {
		ev.Timestamp = first.sentAt().Add(time.Microsecond)
	}
	b, err := h.Build(ev, Correct())
	if err != nil {
		return err
	}
	h.Send(ctx, sc, Request{What: what, Body: b.Body, Header: b.Header, Recipe: b.Recipe}, true)
	return nil
}

// sentAt is the timestamp the exchange's body carries (zero if none).
func (x *Exchange) sentAt() time.Time {
	ev, err := ParseEvent(x.Body)
	if err != nil {
		return time.Time{}
	}
	return ev.Timestamp
}

// PauseBeforeRetry waits RetryPause on the harness clock.
func (h *Harness) PauseBeforeRetry(ctx context.Context) error {
	if err := clock.Sleep(ctx, h.opt.Clock, RetryPause); err != nil {
		return Harnessf("pause before the retry: %w", err)
	}
	return nil
}

// FirstAttempt sends the base event of typ correctly signed over a raw
// connection and cuts it: after half of its body (half) or right after the
// whole request. The cut attempt becomes "it", to be retried.
func (h *Harness) FirstAttempt(ctx context.Context, sc *Scenario, typ string, half bool) error {
	_, b, err := h.BuildBase(sc, typ, Correct())
	if err != nil {
		return err
	}
	n := len(b.Body)
	if half {
		n /= 2
	}
	start := time.Now()
	sendErr := h.SendCut(ctx, b.Body, b.Header, n)
	x := &Exchange{
		What: fmt.Sprintf("a first attempt of a correctly signed %s event", typ), Control: true,
		Method: http.MethodPost, Header: b.Header, Body: b.Body, Latency: time.Since(start),
		Raw: RawNote(n, len(b.Body), start), Recipe: b.Recipe,
	}
	if sendErr != nil {
		x.Err = sendErr
		sc.Record(x, false)
		return sc.Blame(&Blocked{By: []string{CoversTime}, Msg: fmt.Sprintf("not observed: could not make the first attempt (%v), so its retry could not be checked", sendErr)}, x)
	}
	x.Err = fmt.Errorf("no answer read: %s", x.Raw)
	sc.Record(x, false)
	sc.SetLast(x)
	return nil
}

// SendMany posts bodies at the same time (at most limit in flight), all
// recorded as sent, in order. It holds the gate exclusively: no other
// scenario's request shares the receiver with the load.
func (h *Harness) SendMany(ctx context.Context, sc *Scenario, reqs []Request, limit int) {
	h.gate.Lock()
	defer h.gate.Unlock()
	xs := make([]*Exchange, len(reqs))
	sweep(len(reqs), limit, func(i int) bool {
		xs[i] = h.patiently(ctx, reqs[i])
		return xs[i].Err != nil
	})
	for _, x := range xs {
		sc.Record(x, true)
	}
}

// correctRequests builds one correctly signed request per event.
func (h *Harness) correctRequests(evs []event.Event, what func(i int) string) ([]Request, error) {
	reqs := make([]Request, len(evs))
	for i, ev := range evs {
		b, err := h.Build(ev, Correct())
		if err != nil {
			return nil, err
		}
		reqs[i] = Request{What: what(i), Body: b.Body, Header: b.Header, Recipe: b.Recipe}
	}
	return reqs, nil
}

// SendBurst sends n copies of the base event of typ, each with its own id,
// at the same time (ACK-02).
func (h *Harness) SendBurst(ctx context.Context, sc *Scenario, n int, typ string) error {
	if n < 1 || n > MaxBurst {
		return Harnessf("burst of %d outside 1..%d", n, MaxBurst)
	}
	evs := make([]event.Event, n)
	for i := range evs {
		ev, err := sc.Event(typ)
		if err != nil {
			return err
		}
		evs[i] = ev
	}
	reqs, err := h.correctRequests(evs, func(i int) string {
		return fmt.Sprintf("correctly signed %s event %d of a burst of %d", typ, i+1, n)
	})
	if err != nil {
		return err
	}
	for i := range reqs {
		reqs[i].FirstAnswer = true // taking the load at once is the subject
	}
	h.SendMany(ctx, sc, reqs, n)
	return nil
}

// SendSameConcurrently sends n copies of one event (same id, same bytes)
// at the same time (DUP-01).
func (h *Harness) SendSameConcurrently(ctx context.Context, sc *Scenario, typ string, n int) error {
	if n < 2 || n > MaxBurst {
		return Harnessf("%d copies outside 2..%d", n, MaxBurst)
	}
	ev, err := sc.Event(typ)
	if err != nil {
		return err
	}
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = ev
	}
	reqs, err := h.correctRequests(evs, func(i int) string {
		return fmt.Sprintf("copy %d of %d of the same correctly signed %s event, sent at the same time", i+1, n, typ)
	})
	if err != nil {
		return err
	}
	h.SendMany(ctx, sc, reqs, n)
	return nil
}

// SendCatalogue sends one conservative event of every catalogue type but
// verify, Fanout at a time (ACK-03).
func (h *Harness) SendCatalogue(ctx context.Context, sc *Scenario) error {
	var evs []event.Event
	for _, t := range event.Types() {
		if t == "verify" { // answered with its challenge: the VER requirements
			continue
		}
		ev, err := sc.Event(t)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	reqs, err := h.correctRequests(evs, func(i int) string { return "a correctly signed " + evs[i].Type + " event" })
	if err != nil {
		return err
	}
	h.SendMany(ctx, sc, reqs, Fanout)
	return nil
}

// sweep runs f(i) for i in [0,n) with width workers; after the first call
// that reports a timeout it adds workers until all of the rest run at once,
// so that a receiver that stopped answering costs one more deadline, not
// n/width of them.
func sweep(n, width int, f func(i int) (timedOut bool)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	var widen sync.Once
	var worker func()
	worker = func() {
		defer wg.Done()
		for i := range jobs {
			if f(i) {
				widen.Do(func() {
					extra := n - width
					wg.Add(max(extra, 0))
					for k := 0; k < extra; k++ {
						go worker()
					}
				})
			}
		}
	}
	wg.Add(min(width, n))
	for k := 0; k < min(width, n); k++ {
		go worker()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// orderOffsets are ORD-01's types and their true times relative to now:
// created, updated, deleted, a millisecond apart — never before the dates
// their payloads carry, which a receiver may check its events against.
var orderOffsets = map[string]time.Duration{"work_created": 0, "work_updated": time.Millisecond, "work_deleted": 2 * time.Millisecond}

// SendOutOfOrder delivers events of one work item in the given order
// (ORD-01); their timestamps tell the true order.
func (h *Harness) SendOutOfOrder(ctx context.Context, sc *Scenario, order string) error {
	var types []string
	for _, t := range strings.Split(order, ",") {
		t = strings.TrimSpace(t)
		if _, ok := orderOffsets[t]; !ok {
			return Harnessf("unsupported type %q in an order (want work_created, work_updated, work_deleted)", t)
		}
		types = append(types, t)
	}
	created, err := sc.Event("work_created")
	if err != nil {
		return err
	}
	work, err := MainObject(created)
	if err != nil {
		return err
	}
	id, _ := work["id"].(string)
	display, _ := work["display_id"].(string)
	if id == "" {
		return Harnessf("the work_created payload has no work id")
	}
	now := h.opt.Clock.Now()
	for i, typ := range types {
		ev := created
		if typ != "work_created" {
			if ev, err = sc.Event(typ); err != nil {
				return err
			}
			sameObject(ev.Payload, id, display)
		}
		ev.ID = sc.NewID()
		ev.Timestamp = now.Add(orderOffsets[typ])
		b, err := h.Build(ev, Correct())
		if err != nil {
			return err
		}
		x := h.Send(ctx, sc, Request{What: fmt.Sprintf("delivery %d of %d: the %s event of work %s", i+1, len(types), typ, display), Body: b.Body, Header: b.Header, Recipe: b.Recipe}, true)
		if x.Err != nil {
			break // no answer: the rest would each wait out the deadline too
		}
	}
	return nil
}

// sameObject points a work payload at one work item: every "work" and
// "old_work" object gets its id and display id, and a top-level "id" too.
func sameObject(p event.Object, id, display string) {
	if _, ok := p["id"]; ok {
		p["id"] = id
	}
	for _, k := range []string{"work", "old_work"} {
		if m, ok := p[k].(map[string]any); ok {
			m["id"] = id
			if display != "" {
				m["display_id"] = display
			}
		}
	}
}

// SendMalformedSeries sends every malformed body one after another (ROB-01).
func (h *Harness) SendMalformedSeries(ctx context.Context, sc *Scenario) error {
	for _, v := range MalformedVariations() {
		x, err := h.SendVaried(ctx, sc, BaseType, v, "a correctly signed body that is "+v.Name)
		if err != nil {
			return err
		}
		if x.Err != nil {
			break // no answer: the rest would each wait out the deadline too
		}
	}
	return nil
}

// SendControlTampered sends the signature of the scenario's accepted
// control with the control's body changed the way the tamper variation
// name says, under a fresh event id (SIG-04: a receiver that caches the
// signatures it verified accepts any body sent under one of them; the
// fresh id keeps its deduplication out of it).
func (h *Harness) SendControlTampered(ctx context.Context, sc *Scenario, name string) error {
	c := sc.ControlExchange()
	if c == nil {
		return Harnessf("scenario %q has no accepted control event to send again", sc.Name)
	}
	v, err := Find(TamperVariations(), name)
	if err != nil {
		return err
	}
	ev, err := ParseEvent(c.Body)
	if err != nil {
		return Harnessf("reading the control back: %w", err)
	}
	ev.ID = sc.NewID()
	body, err := Encode(ev)
	if err != nil {
		return err
	}
	if body, err = v.Tamper(body); err != nil {
		return err
	}
	h.Send(ctx, sc, Request{
		What: fmt.Sprintf("the accepted control's signature on its body changed (%s) under a new event id", name),
		Body: body, Header: c.Header,
		Recipe: Recipe{NotReplayable: "it reuses the signature of an event the receiver accepted earlier in the run; re-run `revhook check --only SIG-04`"},
	}, true)
	return nil
}
