package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
)

// Bounds on what a feature file may ask for.
const (
	maxBurst      = 200     // concurrent deliveries in one step
	maxEventKiB   = 4 << 10 // 4 MiB
	maxChallenge  = 4096    // characters
	fanout        = 16      // concurrent requests of the catalogue sweep
	retryPause    = 150 * time.Millisecond
	ackEveryLimit = 5 // failing deliveries named in one reason
)

// stepDef is one step definition: its keyword, pattern and handler.
type stepDef struct {
	keyword string // Given, When or Then
	expr    *regexp.Regexp
	handler any
}

// steps returns the step definitions of the receiver catalogue, with their
// patterns compiled once per run (godog would compile them per scenario).
// Steps are thin: they build events with simulator/event, sign them with
// simulator/signature and send them with simulator/delivery; scenario state
// travels in the context.
func (e *env) steps() []stepDef {
	defs := []struct {
		keyword, pattern string
		handler          any
	}{
		{"Given", `^the receiver accepts a correctly signed (\S+) event$`, e.control},
		{"Given", `^the receiver answers a correctly signed verify event with its challenge$`, e.controlVerify},
		{"Then", `^the receiver still accepts a correctly signed (\S+) event$`, e.stillAccepts},
		{"When", `^I send a correctly signed (\S+) event$`, e.sendSigned},
		{"When", `^I send a signed verify event with a random challenge of (\d+) characters?$`, e.sendVerifyLen},
		{"When", `^I send a signed verify event with the challenge "((?s:.*))"$`, e.sendVerifyText},
		{"When", `^I send a (\S+) event signed with (.+)$`, e.sendWrongSig},
		{"When", `^I send a (\S+) event without the X-DevRev-Signature header$`, e.sendUnsigned},
		{"When", `^I send a (\S+) event with an empty X-DevRev-Signature header$`, e.sendEmptySig},
		{"When", `^I sign a (\S+) event and then (.+) before sending it$`, e.sendTampered},
		{"When", `^I send a correctly signed (\S+) event written with (.+)$`, e.sendRestyled},
		{"When", `^I send a correctly signed (\S+) event with a timestamp (\d+) (seconds?|minutes?|hours?|days?) in the (past|future)$`, e.sendSkewed},
		{"When", `^I send a correctly signed (\S+) event with a timestamp of (nanosecond|microsecond|millisecond) precision$`, e.sendPrecision},
		{"When", `^I send (\d+) correctly signed (\S+) events at the same time$`, e.sendBurst},
		{"When", `^I send one correctly signed event of every type in the catalogue but verify$`, e.sendCatalogue},
		{"When", `^I send the accepted event again with its signature, after I (.+)$`, e.sendControlTampered},
		{"When", `^I send the same event again$`, e.sendAgain},
		{"When", `^I send the same correctly signed (\S+) event (\d+) times at the same time$`, e.sendSameConcurrently},
		{"When", `^a first attempt of a correctly signed (\S+) event is cut off after half of its body$`, e.cutMidBody},
		{"When", `^a first attempt of a correctly signed (\S+) event is abandoned right after the whole request was written$`, e.abandonAfterWrite},
		{"When", `^the same event is delivered again$`, e.retry},
		{"When", `^after a short pause the same event is delivered again$`, e.retryAfterPause},
		{"When", `^the events of one work item arrive in the order (.+)$`, e.sendOutOfOrder},
		{"When", `^I send a correctly signed event of the new type "([a-z0-9_]+)"$`, e.sendNewType},
		{"When", `^I send a correctly signed (\S+) event with an unknown field in the (envelope|object)$`, e.sendUnknownField},
		{"When", `^I send a correctly signed body that is (.+)$`, e.sendMalformed},
		{"When", `^I send one after another every kind of malformed body, each correctly signed$`, e.sendAllMalformed},
		{"When", `^I send a correctly signed (\S+) event of (\d+) KiB$`, e.sendLarge},
		{"When", `^I send a (GET|HEAD|DELETE|OPTIONS) request to the endpoint$`, e.sendBodyless},
		{"When", `^I send a correctly signed (\S+) event with the method (PUT|PATCH|DELETE)$`, e.sendWithMethod},
		{"Then", `^the receiver acknowledges it with 2xx$`, e.thenAck},
		{"Then", `^the receiver acknowledges it with 2xx within the deadline$`, e.thenAck},
		{"Then", `^the receiver acknowledges every one with 2xx$`, e.thenAckEvery},
		{"Then", `^the receiver acknowledges every one with 2xx within the deadline$`, e.thenAckEvery},
		{"Then", `^the receiver refuses it$`, e.thenRefuse},
		{"Then", `^the receiver refuses it with a 4xx$`, e.then4xx},
		{"Then", `^the receiver refuses each one with a 4xx$`, e.thenEach4xx},
		{"Then", `^the receiver answers (\d{3})$`, e.thenStatus},
		{"Then", `^the receiver answers 200 with the same challenge as JSON$`, e.thenChallenge},
		{"Then", `^the receiver answers within the deadline$`, e.thenVerifyInTime},
		{"Then", `^the answer has the content type application/json$`, e.thenJSONType},
		{"Then", `^the answer does not contain the challenge$`, e.thenNoChallenge},
		{"Then", `^the exchange was made over HTTPS$`, e.thenHTTPS},
	}
	out := make([]stepDef, len(defs))
	for i, d := range defs {
		out[i] = stepDef{keyword: d.keyword, expr: regexp.MustCompile(d.pattern), handler: d.handler}
	}
	return out
}

// register binds the step definitions to sc.
func (e *env) register(sc *godog.ScenarioContext) {
	for _, d := range e.stepDefs {
		switch d.keyword {
		case "Given":
			sc.Given(d.expr, d.handler)
		case "When":
			sc.When(d.expr, d.handler)
		default:
			sc.Then(d.expr, d.handler)
		}
	}
}

// --- controls -------------------------------------------------------------

// refusalSubject names what a refusal check of a requirement refuses.
func refusalSubject(reqID string) string {
	switch {
	case strings.HasPrefix(reqID, "RPL"):
		return "stale or future timestamps"
	case reqID == "VER-04":
		return "withholding the challenge from badly signed verify events"
	}
	return "bad signatures"
}

func (e *env) control(ctx context.Context, typ string) error {
	st, _, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	x := e.postSigned(ctx, st, "a correctly signed "+typ+" control event", body, false)
	x.control = true
	if x.err != nil {
		return st.blame(failf("no answer to the correctly signed control event (%v), so refusal of %s cannot be observed", x.err, refusalSubject(st.reqID)), x)
	}
	if !x.ok() {
		return st.blame(failf("receiver refused the correctly signed control event (%s), so refusal of %s proves nothing", x.outcome(), refusalSubject(st.reqID)), x)
	}
	return nil
}

func (e *env) controlVerify(ctx context.Context) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	ev := e.gen.Verify(e.hook, e.gen.Challenge())
	body, err := encode(ev)
	if err != nil {
		return err
	}
	x := e.postSigned(ctx, st, "a correctly signed verify control event", body, false)
	x.control, x.challenge = true, ev.Payload["challenge"].(string)
	switch {
	case x.err != nil:
		return st.blame(failf("no answer to the correctly signed control verify event (%v), so %s cannot be observed", x.err, refusalSubject(st.reqID)), x)
	case !x.ok() || !strings.Contains(string(x.respBody), x.challenge):
		return st.blame(failf("receiver did not answer the correctly signed control verify event with its challenge (%s), so %s proves nothing", x.outcome(), refusalSubject(st.reqID)), x)
	}
	return nil
}

func (e *env) stillAccepts(ctx context.Context, typ string) error {
	st, _, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	x := e.postSigned(ctx, st, "a correctly signed "+typ+" event sent afterwards", body, false)
	if !x.ok() {
		return st.blame(failf("after the malformed body, a correctly signed %s event was not acknowledged: %s", typ, x.outcome()), x)
	}
	return nil
}

// --- deliveries -----------------------------------------------------------

// sendEvent signs ev correctly and posts it as the scenario's "it".
func (e *env) sendEvent(ctx context.Context, st *scenarioState, what string, ev event.Event) (*exchange, error) {
	body, err := encode(ev)
	if err != nil {
		return nil, err
	}
	return e.sendBody(ctx, st, what, ev, body, e.signer.Sign(body), false), nil
}

func (e *env) sendSigned(ctx context.Context, typ string) error {
	st, ev, err := e.fresh(ctx, typ)
	if err != nil {
		return err
	}
	_, err = e.sendEvent(ctx, st, "a correctly signed "+typ+" event", ev)
	return err
}

func (e *env) sendVerify(ctx context.Context, what, challenge string, extra event.Object) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	ev := e.gen.Verify(e.hook, challenge)
	for k, v := range extra {
		ev.Payload[k] = v
	}
	_, err = e.sendEvent(ctx, st, what, ev)
	return err
}

func (e *env) sendVerifyLen(ctx context.Context, n int) error {
	if n < 1 || n > maxChallenge {
		return harnessf("challenge length %d outside 1..%d", n, maxChallenge)
	}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(e.gen.Challenge())
	}
	return e.sendVerify(ctx, fmt.Sprintf("a signed verify event with a %d-character challenge", n), b.String()[:n], nil)
}

func (e *env) sendVerifyText(ctx context.Context, challenge string) error {
	return e.sendVerify(ctx, fmt.Sprintf("a signed verify event with the challenge %q", challenge), challenge, nil)
}

// sendBody posts body of ev with header value sig (none when omit) as "it".
func (e *env) sendBody(ctx context.Context, st *scenarioState, what string, ev event.Event, body []byte, sig string, omit bool) *exchange {
	st.lastEvent = &ev
	x := e.post(ctx, st, what, body, signedHeader(sig, omit), true)
	if ev.Type == "verify" {
		x.challenge, _ = ev.Payload["challenge"].(string)
	}
	return x
}

// fresh returns the scenario's state and a new event of typ.
func (e *env) fresh(ctx context.Context, typ string) (*scenarioState, event.Event, error) {
	st, err := stateOf(ctx)
	if err != nil {
		return nil, event.Event{}, err
	}
	ev, err := e.newEvent(typ)
	if err != nil {
		return nil, event.Event{}, err
	}
	return st, ev, nil
}

// prepare is fresh with the event encoded.
func (e *env) prepare(ctx context.Context, typ string) (*scenarioState, event.Event, []byte, error) {
	st, ev, err := e.fresh(ctx, typ)
	if err != nil {
		return nil, event.Event{}, nil, err
	}
	body, err := encode(ev)
	return st, ev, body, err
}

func (e *env) sendWrongSig(ctx context.Context, typ, variant string) error {
	st, ev, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	sig, err := e.signVariant(variant, body)
	if err != nil {
		return err
	}
	e.sendBody(ctx, st, fmt.Sprintf("a %s event signed with %s", typ, variant), ev, body, sig, false)
	return nil
}

func (e *env) sendUnsigned(ctx context.Context, typ string) error {
	st, ev, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	e.sendBody(ctx, st, fmt.Sprintf("a %s event without the X-DevRev-Signature header", typ), ev, body, "", true)
	return nil
}

func (e *env) sendEmptySig(ctx context.Context, typ string) error {
	st, ev, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	e.sendBody(ctx, st, fmt.Sprintf("a %s event with an empty X-DevRev-Signature header", typ), ev, body, "", false)
	return nil
}

func (e *env) sendTampered(ctx context.Context, typ, change string) error {
	st, ev, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	sig := e.signer.Sign(body)
	changed, err := tamper(change, body)
	if err != nil {
		return err
	}
	e.sendBody(ctx, st, fmt.Sprintf("a %s event signed and then changed (%s)", typ, change), ev, changed, sig, false)
	return nil
}

// sendControlTampered replays the scenario's accepted control event with
// its id and signature but a changed body.
func (e *env) sendControlTampered(ctx context.Context, change string) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	c := st.controlExchange()
	if c == nil {
		return harnessf("scenario %q has no accepted control event to send again", st.name)
	}
	changed, err := tamper(change, c.body)
	if err != nil {
		return err
	}
	e.post(ctx, st, fmt.Sprintf("the accepted control event sent again with its id and signature but changed (%s)", change), changed, c.header, true)
	return nil
}

func (e *env) sendRestyled(ctx context.Context, typ, style string) error {
	st, ev, err := e.fresh(ctx, typ)
	if err != nil {
		return err
	}
	body, err := restyle(style, ev)
	if err != nil {
		return err
	}
	e.sendBody(ctx, st, fmt.Sprintf("a correctly signed %s event written with %s", typ, style), ev, body, e.signer.Sign(body), false)
	return nil
}

func (e *env) sendSkewed(ctx context.Context, typ string, n int, unit, direction string) error {
	st, ev, err := e.fresh(ctx, typ)
	if err != nil {
		return err
	}
	var d time.Duration
	switch strings.TrimSuffix(unit, "s") {
	case "second":
		d = time.Second
	case "minute":
		d = time.Minute
	case "hour":
		d = time.Hour
	case "day":
		d = 24 * time.Hour
	}
	d *= time.Duration(n)
	if direction == "past" {
		d = -d
	}
	ev.Timestamp = e.clock.Now().Add(d)
	_, err = e.sendEvent(ctx, st, fmt.Sprintf("a correctly signed %s event with a timestamp %d %s in the %s", typ, n, unit, direction), ev)
	return err
}

func (e *env) sendPrecision(ctx context.Context, typ, precision string) error {
	st, ev, err := e.fresh(ctx, typ)
	if err != nil {
		return err
	}
	switch precision {
	case "nanosecond":
		ev.Precision = event.Nanoseconds
	case "microsecond":
		ev.Precision = event.Microseconds
	case "millisecond":
		ev.Precision = event.Milliseconds
	}
	_, err = e.sendEvent(ctx, st, fmt.Sprintf("a correctly signed %s event with a %s-precision timestamp (%s)", typ, precision, event.FormatTimestamp(ev.Timestamp, ev.Precision)), ev)
	return err
}

// sendMany posts correctly signed bodies at the same time (at most limit in
// flight), all recorded as sent, in order. It holds the gate exclusively:
// no other scenario's request shares the receiver with the load.
func (e *env) sendMany(ctx context.Context, st *scenarioState, whats []string, bodies [][]byte, limit int) {
	headers := make([]http.Header, len(bodies))
	for i, b := range bodies {
		headers[i] = signedHeader(e.signer.Sign(b), false)
	}
	xs := make([]*exchange, len(bodies))
	tmp := &scenarioState{}
	if e.slow {
		// The receiver lets correctly signed events time out anyway: there
		// is no load to isolate, only deadlines to wait out together.
		limit = len(bodies)
		e.gate.RLock()
		defer e.gate.RUnlock()
	} else {
		e.gate.Lock()
		defer e.gate.Unlock()
	}
	sweep(len(bodies), limit, func(i int) bool {
		xs[i] = e.postGated(ctx, tmp, whats[i], bodies[i], headers[i], false)
		return xs[i].err != nil
	})
	for _, x := range xs {
		st.record(x, true)
	}
}

func (e *env) sendBurst(ctx context.Context, n int, typ string) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	if n < 1 || n > maxBurst {
		return harnessf("burst of %d outside 1..%d", n, maxBurst)
	}
	types := make([]string, n)
	for i := range types {
		types[i] = typ
	}
	return e.sendNew(ctx, st, types, n, func(i int) string {
		return fmt.Sprintf("correctly signed %s event %d of a burst of %d", typ, i+1, n)
	})
}

func (e *env) sendCatalogue(ctx context.Context) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	var types []string
	for _, t := range event.Types() {
		if t != "verify" { // answered with its challenge: the VER requirements
			types = append(types, t)
		}
	}
	return e.sendNew(ctx, st, types, fanout, func(i int) string {
		return "a correctly signed " + types[i] + " event"
	})
}

// sendNew builds a new event of each of types, described by what(i), and
// sends them all with sendMany.
func (e *env) sendNew(ctx context.Context, st *scenarioState, types []string, limit int, what func(i int) string) error {
	whats := make([]string, len(types))
	bodies := make([][]byte, len(types))
	for i, typ := range types {
		ev, err := e.newEvent(typ)
		if err != nil {
			return err
		}
		if bodies[i], err = encode(ev); err != nil {
			return err
		}
		whats[i] = what(i)
	}
	e.sendMany(ctx, st, whats, bodies, limit)
	return nil
}

func (e *env) sendAgain(ctx context.Context) error {
	st, first, err := lastOf(ctx)
	if err != nil {
		return err
	}
	if first.err != nil {
		return nil // the first delivery got no answer: that fails the scenario already
	}
	e.post(ctx, st, "the same event again (same id, same body, same signature)", first.body, first.header, true)
	return nil
}

func (e *env) sendSameConcurrently(ctx context.Context, typ string, n int) error {
	st, ev, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	if n < 2 || n > maxBurst {
		return harnessf("%d copies outside 2..%d", n, maxBurst)
	}
	st.lastEvent = &ev
	whats := make([]string, n)
	bodies := make([][]byte, n)
	for i := range bodies {
		whats[i] = fmt.Sprintf("copy %d of %d of the same correctly signed %s event, sent at the same time", i+1, n, typ)
		bodies[i] = body
	}
	e.sendMany(ctx, st, whats, bodies, n)
	return nil
}

// firstAttempt sends a correctly signed event over a raw connection and
// cuts it after n body bytes (n < 0: half of the body).
func (e *env) firstAttempt(ctx context.Context, typ string, half bool) error {
	st, ev, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	h := signedHeader(e.signer.Sign(body), false)
	n := len(body)
	if half {
		n = len(body) / 2
	}
	start := time.Now()
	sendErr := e.sendCut(ctx, body, h, n)
	x := &exchange{
		what: fmt.Sprintf("a first attempt of a correctly signed %s event", typ), control: true,
		method: http.MethodPost, header: h, body: body, latency: time.Since(start),
		raw: rawNote(n, len(body), start),
	}
	if sendErr != nil {
		x.err = sendErr
		st.record(x, false)
		return st.blame(failf("could not make the first attempt, so its retry cannot be checked: %v", sendErr), x)
	}
	x.err = fmt.Errorf("no answer read: %s", x.raw)
	st.lastEvent = &ev
	st.record(x, false)
	st.mu.Lock()
	st.last = x // "the same event" refers to it
	st.mu.Unlock()
	return nil
}

func (e *env) cutMidBody(ctx context.Context, typ string) error {
	return e.firstAttempt(ctx, typ, true)
}

func (e *env) abandonAfterWrite(ctx context.Context, typ string) error {
	return e.firstAttempt(ctx, typ, false)
}

func (e *env) retry(ctx context.Context) error {
	st, first, err := lastOf(ctx)
	if err != nil {
		return err
	}
	e.post(ctx, st, "the retry of the same event (same id, same body, same signature)", first.body, first.header, true)
	return nil
}

func (e *env) retryAfterPause(ctx context.Context) error {
	if err := clock.Sleep(ctx, e.clock, retryPause); err != nil {
		return harnessf("pause before the retry: %w", err)
	}
	return e.retry(ctx)
}

// objectKinds are the event types of ORD-01 and what their payloads hold.
var orderTypes = map[string]bool{"work_created": true, "work_updated": true, "work_deleted": true}

func (e *env) sendOutOfOrder(ctx context.Context, order string) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	var types []string
	for _, t := range strings.Split(order, ",") {
		t = strings.TrimSpace(t)
		if !orderTypes[t] {
			return harnessf("unsupported type %q in an order (want work_created, work_updated, work_deleted)", t)
		}
		types = append(types, t)
	}
	created, err := e.newEvent("work_created")
	if err != nil {
		return err
	}
	work, err := mainObject(created)
	if err != nil {
		return err
	}
	id, _ := work["id"].(string)
	display, _ := work["display_id"].(string)
	if id == "" {
		return harnessf("the work_created payload has no work id")
	}
	// The true order is created, updated, deleted, a second apart; the
	// timestamps say so, whatever order the deliveries arrive in.
	now := e.clock.Now()
	offset := map[string]time.Duration{"work_created": -2 * time.Second, "work_updated": -time.Second, "work_deleted": 0}
	for i, typ := range types {
		ev := created
		if typ != "work_created" {
			if ev, err = e.newEvent(typ); err != nil {
				return err
			}
			sameObject(ev.Payload, id, display)
		}
		ev.Timestamp = now.Add(offset[typ])
		body, err := encode(ev)
		if err != nil {
			return err
		}
		x := e.postSigned(ctx, st, fmt.Sprintf("delivery %d of %d: the %s event of work %s", i+1, len(types), typ, display), body, true)
		if x.err != nil {
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

func (e *env) sendNewType(ctx context.Context, typ string) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	if event.Known(typ) {
		return harnessf("%q is in the catalogue; the scenario needs a type that is not", typ)
	}
	obj := strings.TrimSuffix(strings.TrimSuffix(typ, "_created"), "_updated")
	now := e.clock.Now()
	ev := event.Event{
		ID: e.gen.EventID(e.hook), WebhookID: e.hook, Timestamp: now, Type: typ,
		Payload: event.Object{obj: event.Object{
			"type":         obj,
			"id":           fmt.Sprintf("don:core:dvrv-us-1:devo/%s:%s/%d", e.gen.Org(), obj, now.UnixNano()%100000),
			"display_id":   fmt.Sprintf("FUT-%d", now.UnixNano()%1000),
			"created_date": event.FormatTimestamp(now, event.Microseconds),
			"title":        "An object DevRev has not announced yet",
		}},
	}
	_, err = e.sendEvent(ctx, st, fmt.Sprintf("a correctly signed event of the new type %q", typ), ev)
	return err
}

func (e *env) sendUnknownField(ctx context.Context, typ, place string) error {
	st, ev, err := e.fresh(ctx, typ)
	if err != nil {
		return err
	}
	unknown := event.Object{"introduced_in": "2031-01", "nested": event.Object{"list": []any{1, "two", nil, true}, "empty": event.Object{}}}
	switch place {
	case "envelope":
		ev.Extra = event.Object{"delivery_attempt": 1, "schema_version": "v2", "trace_context": unknown}
	case "object":
		obj, err := mainObject(ev)
		if err != nil {
			return err
		}
		obj["future_field"] = unknown
		obj["tnt__field_added_later"] = "value"
	}
	_, err = e.sendEvent(ctx, st, fmt.Sprintf("a correctly signed %s event with unknown fields in the %s", typ, place), ev)
	return err
}

func (e *env) sendMalformed(ctx context.Context, kind string) error {
	st, _, valid, err := e.prepare(ctx, "work_created")
	if err != nil {
		return err
	}
	body, err := malformed(kind, valid)
	if err != nil {
		return err
	}
	e.postSigned(ctx, st, fmt.Sprintf("a correctly signed body that is %s", kind), body, true)
	return nil
}

func (e *env) sendAllMalformed(ctx context.Context) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	for _, kind := range malformedBodies() {
		if err := e.sendMalformed(ctx, kind); err != nil {
			return err
		}
		if x, _ := st.lastSent(); x != nil && x.err != nil {
			break // no answer: the rest would each wait out the deadline too
		}
	}
	return nil
}

func (e *env) sendLarge(ctx context.Context, typ string, kib int) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	if kib < 1 || kib > maxEventKiB {
		return harnessf("event size %d KiB outside 1..%d", kib, maxEventKiB)
	}
	ev, err := e.newEvent(typ)
	if err != nil {
		return err
	}
	body, err := padTo(ev, kib<<10)
	if err != nil {
		return err
	}
	st.lastEvent = &ev
	e.postSigned(ctx, st, fmt.Sprintf("a correctly signed %s event of %d KiB", typ, kib), body, true)
	return nil
}

func (e *env) sendBodyless(ctx context.Context, method string) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	e.request(ctx, st, "a "+method+" request", method, nil, http.Header{})
	return nil
}

func (e *env) sendWithMethod(ctx context.Context, typ, method string) error {
	st, _, body, err := e.prepare(ctx, typ)
	if err != nil {
		return err
	}
	e.request(ctx, st, fmt.Sprintf("a correctly signed %s event sent with %s", typ, method), method, body, signedHeader(e.signer.Sign(body), false))
	return nil
}

// --- outcomes -------------------------------------------------------------

// lastOf returns the scenario's state and its last sent exchange ("it").
func lastOf(ctx context.Context) (*scenarioState, *exchange, error) {
	st, err := stateOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	x, err := st.lastSent()
	if err != nil {
		return nil, nil, err
	}
	return st, x, nil
}

// judge runs problem on the exchange get returns and blames that exchange
// when problem reports a failure.
func judge(ctx context.Context, get func(context.Context) (*scenarioState, *exchange, error), problem func(*exchange) error) error {
	st, x, err := get(ctx)
	if err != nil {
		return err
	}
	if p := problem(x); p != nil {
		return st.blame(p, x)
	}
	return nil
}

func (e *env) thenAck(ctx context.Context) error {
	st, x, err := lastOf(ctx)
	if err != nil {
		return err
	}
	return st.blame(e.ackProblem(x), x)
}

// ackProblem is the failure of an exchange that had to be acknowledged.
func (e *env) ackProblem(x *exchange) error {
	switch {
	case x.err != nil:
		return failf("no acknowledgement of %s: %v", x.what, x.err)
	case !x.ok():
		return failf("receiver answered %s to %s", x.outcome(), x.what)
	case x.latency > e.s.Timeout:
		return failf("receiver acknowledged %s after %s, over the %s deadline", x.what, x.latency.Round(time.Millisecond), e.s.Timeout)
	}
	return nil
}

func (e *env) thenAckEvery(ctx context.Context) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	xs := st.allSent()
	if len(xs) == 0 {
		return harnessf("nothing was sent")
	}
	var bad []*exchange
	var first error
	var what []string
	for _, x := range xs {
		if p := e.ackProblem(x); p != nil {
			bad = append(bad, x)
			if first == nil {
				first = p
			}
			if len(what) < ackEveryLimit {
				what = append(what, fmt.Sprintf("%s → %s", x.what, shortOutcome(x)))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	if len(xs) == 1 {
		return st.blame(first, bad...)
	}
	more := ""
	if len(bad) > len(what) {
		more = fmt.Sprintf("; and %d more", len(bad)-len(what))
	}
	return st.blame(failf("%d of %d deliveries were not acknowledged with 2xx in time: %s%s", len(bad), len(xs), strings.Join(what, "; "), more), bad...)
}

func shortOutcome(x *exchange) string {
	if x.err != nil {
		return x.err.Error()
	}
	if x.ok() {
		return fmt.Sprintf("%d after %s", x.status, x.latency.Round(time.Millisecond))
	}
	return strconv.Itoa(x.status)
}

func (e *env) thenRefuse(ctx context.Context) error {
	return judge(ctx, lastOf, func(x *exchange) error {
		switch {
		case x.err != nil:
			return failf("no answer to %s, so a refusal could not be observed: %v", x.what, x.err)
		case x.ok():
			return failf("receiver answered %s to %s; it must refuse it (401 or 403)", x.outcome(), x.what)
		}
		return nil
	})
}

func (e *env) fourXX(x *exchange) error {
	switch {
	case x.err != nil:
		return failf("no 4xx answer to %s: %v", x.what, x.err)
	case x.status < 400 || x.status > 499:
		return failf("receiver answered %s to %s; a 4xx is expected", x.outcome(), x.what)
	}
	return nil
}

func (e *env) then4xx(ctx context.Context) error {
	st, x, err := lastOf(ctx)
	if err != nil {
		return err
	}
	return st.blame(e.fourXX(x), x)
}

func (e *env) thenEach4xx(ctx context.Context) error {
	st, err := stateOf(ctx)
	if err != nil {
		return err
	}
	for _, x := range st.allSent() {
		if p := e.fourXX(x); p != nil {
			return st.blame(p, x)
		}
	}
	return nil
}

func (e *env) thenStatus(ctx context.Context, want int) error {
	return judge(ctx, lastOf, func(x *exchange) error {
		switch {
		case x.err != nil:
			return failf("no answer to %s: %v", x.what, x.err)
		case x.status != want:
			return failf("receiver answered %s to %s; %d is expected", x.outcome(), x.what, want)
		}
		return nil
	})
}

// challengeProblem says why x is not a correct verify answer ("" if it is).
func challengeProblem(x *exchange) string {
	if x.err != nil {
		return "gave no answer (" + x.err.Error() + ")"
	}
	if x.status != http.StatusOK {
		return "answered " + x.outcome()
	}
	var got map[string]any
	if err := json.Unmarshal(x.respBody, &got); err != nil {
		return fmt.Sprintf("answered 200 with a body that is not a JSON object: %s", quoteShort(string(x.respBody)))
	}
	c, ok := got["challenge"]
	if !ok {
		return fmt.Sprintf("answered 200 without a \"challenge\" field: %s", quoteShort(string(x.respBody)))
	}
	s, ok := c.(string)
	if !ok || s != x.challenge {
		return fmt.Sprintf("answered 200 with the challenge %s instead of %s", quoteShort(fmt.Sprint(c)), quoteShort(x.challenge))
	}
	return ""
}

func quoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		return strconv.Quote(string(r[:60])) + "…"
	}
	return strconv.Quote(s)
}

func (e *env) lastVerify(ctx context.Context) (*scenarioState, *exchange, error) {
	st, x, err := lastOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	if x.challenge == "" {
		return nil, nil, harnessf("the last request was not a verify event")
	}
	return st, x, nil
}

func (e *env) thenChallenge(ctx context.Context) error {
	return judge(ctx, e.lastVerify, func(x *exchange) error {
		if p := challengeProblem(x); p != "" {
			return failf("receiver %s to %s", p, x.what)
		}
		return nil
	})
}

func (e *env) thenVerifyInTime(ctx context.Context) error {
	return judge(ctx, e.lastVerify, func(x *exchange) error {
		switch {
		case x.err != nil:
			return failf("no verify answer within the %s deadline: %v", e.s.Timeout, x.err)
		case x.status != http.StatusOK:
			return failf("receiver answered %s to %s, not a verify answer", x.outcome(), x.what)
		case x.latency > e.s.Timeout:
			return failf("the verify answer took %s, over the %s deadline", x.latency.Round(time.Millisecond), e.s.Timeout)
		}
		return nil
	})
}

func (e *env) thenJSONType(ctx context.Context) error {
	return judge(ctx, e.lastVerify, func(x *exchange) error {
		switch {
		case x.err != nil:
			return failf("no verify answer to check: %s got no answer: %v", x.what, x.err)
		case x.status != http.StatusOK:
			return failf("no verify answer to check: receiver answered %s to %s", x.outcome(), x.what)
		}
		ct := x.respHeader.Get("Content-Type")
		mt, _, perr := mime.ParseMediaType(ct)
		if perr != nil || mt != "application/json" {
			if ct == "" {
				ct = "no Content-Type"
			}
			return failf("the verify answer's content type is %q, not application/json", ct)
		}
		return nil
	})
}

func (e *env) thenNoChallenge(ctx context.Context) error {
	return judge(ctx, e.lastVerify, func(x *exchange) error {
		switch {
		case x.err != nil:
			return failf("no answer to %s, so withholding the challenge could not be observed: %v", x.what, x.err)
		case x.ok() && strings.Contains(string(x.respBody), x.challenge):
			return failf("receiver answered %s to %s, handing out the challenge", x.outcome(), x.what)
		}
		return nil
	})
}

func (e *env) thenHTTPS(ctx context.Context) error {
	return judge(ctx, lastOf, func(x *exchange) error {
		if e.s.target.Scheme != "https" {
			return failf("the endpoint is plain HTTP (%s://%s): deliveries and their signatures travel unencrypted; expected on loopback in development, not in production", e.s.target.Scheme, e.s.target.Host)
		}
		if x.err != nil {
			return failf("no HTTPS exchange with the endpoint: %v", x.err)
		}
		return nil
	})
}
