package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownFamily is returned by Lifecycle for a family outside Families().
var ErrUnknownFamily = errors.New("unknown object family")

// Lifecycle returns three events about one object of family (see Families):
// its creation, an update and its deletion. All three carry the same object
// id; updated holds the new version, with a later modified_date, and old_<x>
// equal to the created object (not for webhook); deleted holds the id and
// old_<x> equal to the updated version (not for link, sync_history and
// webhook): where DevRev's schema has no old object, there is none. The envelope
// timestamps are increasing and end at the generator's now: the object is
// created about 3 s before, updated about 1.5 s before. The events share no
// maps, so Set on one leaves the others alone.
func (g *Generator) Lifecycle(family, webhookID string) (created, updated, deleted Event, err error) {
	f, ok := familyNamed(family)
	if !ok {
		return Event{}, Event{}, Event{}, fmt.Errorf("%w %q (want one of %s)", ErrUnknownFamily, family, strings.Join(Families(), ", "))
	}
	ids := [3]string{g.EventID(webhookID), g.EventID(webhookID), g.EventID(webhookID)}
	now := g.now()

	g.mu.Lock()
	tCreate := g.ago(now, 2500*time.Millisecond, 3500*time.Millisecond)
	tUpdate := g.ago(now, 1200*time.Millisecond, 1800*time.Millisecond)
	first := g.finish(f.create(g, tCreate))
	second := g.finish(g.nextVersion(f, first, tUpdate))
	// DevRev's invocation trails the change by a few hundred milliseconds.
	lagCreate := time.Duration(100e6 + g.fake.IntN(300e6))
	lagUpdate := time.Duration(100e6 + g.fake.IntN(300e6))
	g.mu.Unlock()

	ev := func(id, verb string, at time.Time, payload Object) Event {
		return Event{ID: id, WebhookID: webhookID, Timestamp: at, Type: f.name + "_" + verb, Payload: payload, Precision: g.prec}
	}
	created = ev(ids[0], "created", tCreate.Add(lagCreate), Object{f.key: cloneObject(first)})
	updated = ev(ids[1], "updated", tUpdate.Add(lagUpdate), updatedPayload(f, cloneObject(second), cloneObject(first)))
	deleted = ev(ids[2], "deleted", now, deletedPayload(f, cloneObject(second)))
	return created, updated, deleted, nil
}

// Set sets the value at a dotted path inside the payload, e.g.
// Set("work.title", "Disk full") (what `revhook send --set` does). value is
// used as JSON when it parses as JSON (42, true, null, {"a":1}, "\"quoted\"")
// and as a plain string otherwise. Missing intermediate objects are created;
// traversing anything but an object (a string, a number, an array) is an
// error naming the path. Pre-encoded sub-objects (json.RawMessage) are
// decoded on the way, keeping their other fields' bytes.
func (e *Event) Set(path, value string) error {
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if s == "" {
			return fmt.Errorf("set %q: empty path segment (want e.g. work.title)", path)
		}
	}
	if e.Payload == nil {
		e.Payload = Object{}
	}
	cur := e.Payload
	for i, seg := range segs[:len(segs)-1] {
		next, err := childObject(cur, seg)
		if err != nil {
			return fmt.Errorf("set %q: %s is %w", path, strings.Join(segs[:i+1], "."), err)
		}
		cur = next
	}
	cur[segs[len(segs)-1]] = parseValue(value)
	return nil
}

// childObject returns parent[key] as an object, creating it when absent or
// null and decoding it when it is a raw JSON object.
func childObject(parent Object, key string) (Object, error) {
	switch v := parent[key].(type) {
	case nil:
		o := Object{}
		parent[key] = o
		return o, nil
	case map[string]any:
		return v, nil
	case json.RawMessage:
		t := bytes.TrimLeft(v, " \t\r\n")
		if len(t) > 0 && t[0] == '{' {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return nil, fmt.Errorf("not valid JSON: %w", err)
			}
			o := make(Object, len(m))
			for k, r := range m {
				o[k] = r
			}
			parent[key] = o
			return o, nil
		}
		if string(bytes.TrimSpace(t)) == "null" {
			o := Object{}
			parent[key] = o
			return o, nil
		}
		return nil, fmt.Errorf("%s, not an object", rawKind(t))
	default:
		return nil, fmt.Errorf("%s, not an object", valueKind(v))
	}
}

// parseValue reads a --set value: JSON when it is valid JSON, else a string.
func parseValue(s string) any {
	if !json.Valid([]byte(s)) {
		return s
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // keep numbers exactly as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	return v
}

// valueKind names the JSON kind of a payload value.
func valueKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, float64, json.Number:
		return "a number"
	case []any, []string:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}

func rawKind(t []byte) string {
	if len(t) == 0 {
		return "empty"
	}
	switch t[0] {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// validType reports whether typ matches ^[a-z][a-z0-9_]*$.
func validType(typ string) bool {
	if typ == "" || typ[0] < 'a' || typ[0] > 'z' {
		return false
	}
	for i := 1; i < len(typ); i++ {
		c := typ[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// FromPayload returns an event of type typ whose payload (the value of the
// field named typ) is the caller's own JSON object raw, as `revhook send
// --data FILE` sends it. Each top-level member's value is kept byte for byte
// (as json.RawMessage); only the top-level keys are re-ordered like DevRev's.
// typ must match ^[a-z][a-z0-9_]*$ but may be outside the catalogue (for
// forward-compatibility tests). raw must be one JSON object.
func (g *Generator) FromPayload(typ, webhookID string, raw []byte) (Event, error) {
	if !validType(typ) {
		return Event{}, fmt.Errorf("event type %q: must match ^[a-z][a-z0-9_]*$", typ)
	}
	t := bytes.TrimLeft(raw, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return Event{}, fmt.Errorf("%s payload: not a JSON object", typ)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Event{}, fmt.Errorf("%s payload: invalid JSON: %w", typ, err)
	}
	payload := make(Object, len(m))
	for k, v := range m {
		payload[k] = v
	}
	return Event{
		ID: g.EventID(webhookID), WebhookID: webhookID, Timestamp: g.now(),
		Type: typ, Payload: payload, Precision: g.prec,
	}, nil
}

// NewUnknown returns an event of a type that is not in the catalogue, such as
// "widget_exploded" (FWD-01), with a plausible generic payload: the object
// named by the type's first part ({"widget": {type, id, display_id, id_v1,
// created_by, …}}). An empty typ means "widget_exploded". typ is not checked
// against the catalogue.
func (g *Generator) NewUnknown(typ, webhookID string) Event {
	if typ == "" {
		typ = "widget_exploded"
	}
	noun := typ
	if i := strings.LastIndexByte(typ, '_'); i > 0 {
		noun = typ[:i]
	}
	id := g.EventID(webhookID)
	now := g.now()

	g.mu.Lock()
	k := kind{typ: noun, seg: noun, prefix: unknownPrefix(noun), service: "core"}
	o := g.atom(k, g.next(k), g.ago(now, minLatency, maxLatency))
	o["type"] = k.typ
	o["name"] = upperFirst(g.fake.HackerAdjective()) + " " + g.fake.HackerNoun()
	o["description"] = g.fake.Sentence()
	o["state"] = "active"
	o["owned_by"] = g.owners()
	o["schema_version"] = 2 + g.fake.IntN(3)
	g.mu.Unlock()

	return Event{ID: id, WebhookID: webhookID, Timestamp: now, Type: typ, Payload: Object{noun: o}, Precision: g.prec}
}

// unknownPrefix makes a display id prefix from a noun: "widget" → "WIDG".
func unknownPrefix(noun string) string {
	var b strings.Builder
	for i := 0; i < len(noun) && b.Len() < 4; i++ {
		if c := noun[i]; c >= 'a' && c <= 'z' {
			b.WriteByte(c - 'a' + 'A')
		}
	}
	if b.Len() == 0 {
		return "OBJ" + strconv.Itoa(len(noun))
	}
	return b.String()
}
