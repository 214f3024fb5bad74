package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/revhook/revhook/simulator/event"
)

// BaseType is the event type of the base event most scenarios vary.
const BaseType = "work_created"

// Event returns the scenario's base event of typ with a fresh event id:
// every call for one type gives the same bytes but for the id. The base
// event is conservative — shaped like DevRev's real capture, with a
// microsecond timestamp, DevRev's key order, and no string a JSON encoder
// escapes — so that only the property a scenario varies can make a
// receiver refuse it. Types outside the catalogue get a plausible payload
// (forward compatibility).
func (sc *Scenario) Event(typ string) (event.Event, error) {
	sc.mu.Lock()
	base := sc.bases[typ]
	if base == nil {
		b, err := sc.buildBase(typ)
		if err != nil {
			sc.mu.Unlock()
			return event.Event{}, err
		}
		base = &b
		if sc.bases == nil {
			sc.bases = map[string]*event.Event{}
		}
		sc.bases[typ] = base
	}
	sc.mu.Unlock()
	body, err := base.Encode()
	if err != nil {
		return event.Event{}, Harnessf("encoding a %s event: %w", typ, err)
	}
	ev, err := ParseEvent(body) // a deep copy the caller may change
	if err != nil {
		return event.Event{}, Harnessf("decoding own %s event: %w", typ, err)
	}
	ev.ID = sc.gen.EventID(sc.h.hook)
	return ev, nil
}

// buildBase makes a conservative event of typ; sc.mu is held.
func (sc *Scenario) buildBase(typ string) (event.Event, error) {
	var ev event.Event
	switch {
	case typ == "verify":
		ev = sc.gen.Verify(sc.h.hook, sc.gen.Challenge())
	case event.Known(typ):
		var err error
		if ev, err = sc.gen.New(typ, sc.h.hook); err != nil {
			return event.Event{}, Harnessf("building a %s event: %w", typ, err)
		}
	default:
		ev = sc.gen.NewUnknown(typ, sc.h.hook)
	}
	ev.Precision = event.Microseconds
	return ev, nil
}

// Challenge returns a fresh random verify challenge of the scenario.
func (sc *Scenario) Challenge() string { return sc.gen.Challenge() }

// NewID returns a fresh event id of the scenario.
func (sc *Scenario) NewID() string { return sc.gen.EventID(sc.h.hook) }

// ParseEvent reads a delivery body back into an event whose Encode gives
// the same bytes for a body written by Encode: envelope fields, the
// payload, other envelope fields as Extra, the timestamp's precision.
func ParseEvent(body []byte) (event.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return event.Event{}, fmt.Errorf("not a JSON object: %w", err)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	ev := event.Event{ID: str("id"), WebhookID: str("webhook_id"), Type: str("type")}
	if ev.Type == "" {
		return event.Event{}, fmt.Errorf("no type")
	}
	ts := str("timestamp")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return event.Event{}, fmt.Errorf("timestamp %q: %w", ts, err)
	}
	ev.Timestamp, ev.Precision = t, precisionOf(ts)
	ev.Payload, _ = m[ev.Type].(map[string]any)
	for k, v := range m {
		switch k {
		case "id", "webhook_id", "type", "timestamp", ev.Type:
		default:
			if ev.Extra == nil {
				ev.Extra = event.Object{}
			}
			ev.Extra[k] = v
		}
	}
	return ev, nil
}

// precisionOf counts the fractional digits of an RFC 3339 timestamp.
func precisionOf(ts string) event.Precision {
	i := strings.IndexByte(ts, '.')
	if i < 0 {
		return event.Nanoseconds
	}
	n := 0
	for _, c := range ts[i+1:] {
		if c < '0' || c > '9' {
			break
		}
		n++
	}
	if n == 0 {
		return event.Nanoseconds
	}
	return event.Precision(n)
}

// Encode encodes ev, a harness error if it cannot be.
func Encode(ev event.Event) ([]byte, error) {
	b, err := ev.Encode()
	if err != nil {
		return nil, Harnessf("encoding a %s event: %w", ev.Type, err)
	}
	return b, nil
}

// MainObject returns the object an event is about: the first object field
// of its payload in key order ("work" for work_created).
func MainObject(ev event.Event) (map[string]any, error) {
	keys := make([]string, 0, len(ev.Payload))
	for k := range ev.Payload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m, ok := ev.Payload[k].(map[string]any); ok {
			return m, nil
		}
	}
	return nil, Harnessf("the %s payload has no object field", ev.Type)
}
