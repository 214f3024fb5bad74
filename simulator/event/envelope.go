// Package event builds DevRev webhook deliveries: the envelope every event
// shares, DevRev's DON identifiers, and a catalogue of realistic payloads for
// every event type (docs/protocol.md §1.1). Every payload is valid against
// DevRev's published schema (simulator/devrevschema; the tests check all
// types under several seeds), with the fields real deliveries carry beyond it.
//
// The bytes produced match a real DevRev capture (fixtures/golden/devrev_work_updated.json)
// in shape: envelope keys id, timestamp, webhook_id, <type field>, type; object
// keys "type" first then alphabetical; Go's HTML-safe escaping (\u003c).
package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Precision is how many fractional-second digits envelope timestamps carry.
type Precision int

// Timestamp precisions. The docs show nanoseconds, a real capture microseconds.
const (
	Nanoseconds  Precision = 9
	Microseconds Precision = 6
	Milliseconds Precision = 3
)

// ParsePrecision reads "ns", "us" or "ms".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "ns", "nano", "nanoseconds", "":
		return Nanoseconds, nil
	case "us", "µs", "micro", "microseconds":
		return Microseconds, nil
	case "ms", "milli", "milliseconds":
		return Milliseconds, nil
	}
	return 0, fmt.Errorf("unknown timestamp precision %q (want ns, us or ms)", s)
}

// FormatTimestamp writes t in UTC, RFC 3339, with exactly p fractional digits.
func FormatTimestamp(t time.Time, p Precision) string {
	if p <= 0 {
		p = Nanoseconds
	}
	layout := "2006-01-02T15:04:05." + string(bytes.Repeat([]byte{'0'}, int(p))) + "Z"
	return t.UTC().Format(layout)
}

// Object is a JSON object as DevRev's REST schema shapes it. Values are
// strings, bools, numbers, nil, []any, Object, map[string]any or
// json.RawMessage.
type Object = map[string]any

// Event is one webhook delivery before it is signed.
type Event struct {
	// ID is the event's DON id (…:webhook/<w>:webhook_event/<e>).
	ID string
	// WebhookID is the DON id of the webhook the event is delivered for.
	WebhookID string
	// Timestamp is when DevRev invoked the webhook.
	Timestamp time.Time
	// Type is the event type, e.g. "work_created".
	Type string
	// Payload is the value of the field named after Type,
	// e.g. {"work": {...}} for work_created.
	Payload Object
	// Extra holds additional envelope fields (forward-compatibility tests).
	Extra Object
	// Precision of the encoded timestamp; zero means nanoseconds.
	Precision Precision
}

// Encode returns the delivery body: compact JSON in DevRev's key order.
func (e Event) Encode() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(1024)
	b.WriteString(`{"id":`)
	writeString(&b, e.ID)
	b.WriteString(`,"timestamp":`)
	writeString(&b, FormatTimestamp(e.Timestamp, e.Precision))
	b.WriteString(`,"webhook_id":`)
	writeString(&b, e.WebhookID)
	for _, k := range sortedKeys(e.Extra) {
		if k == "id" || k == "timestamp" || k == "webhook_id" || k == "type" || k == e.Type {
			continue
		}
		b.WriteByte(',')
		writeString(&b, k)
		b.WriteByte(':')
		if err := writeValue(&b, e.Extra[k]); err != nil {
			return nil, fmt.Errorf("encode envelope field %q: %w", k, err)
		}
	}
	b.WriteByte(',')
	writeString(&b, e.Type)
	b.WriteByte(':')
	if err := writeValue(&b, e.Payload); err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", e.Type, err)
	}
	b.WriteString(`,"type":`)
	writeString(&b, e.Type)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MustEncode is Encode for payloads built by this package, which always encode.
func (e Event) MustEncode() []byte {
	b, err := e.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

// Marshal encodes any payload value the way Encode does (for golden files
// and user data).
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeValue(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// MarshalOrdered encodes v the way Marshal does, except that the keys of
// every object are written in the order order leaves them (order rearranges
// the keys of one object in place): for bodies restyled on purpose.
func MarshalOrdered(v any, order func(keys []string)) ([]byte, error) {
	var b bytes.Buffer
	keys := func(m map[string]any) []string {
		k := make([]string, 0, len(m))
		for key := range m {
			k = append(k, key)
		}
		order(k)
		return k
	}
	if err := writeValueKeys(&b, v, keys); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		// DevRev writes "type" first, then the other keys alphabetically.
		switch {
		case a == b:
			return 0
		case a == "type":
			return -1
		case b == "type":
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

const hexDigits = "0123456789abcdef"

// writeString writes s as a JSON string exactly as encoding/json does with its
// default HTML-safe escaping (what DevRev's Go sender produces: \u003c for <),
// without json.Marshal's allocation per call.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func writeValue(b *bytes.Buffer, v any) error { return writeValueKeys(b, v, sortedKeys) }

// writeValueKeys writes v with the keys of each object in the order keys
// returns them.
func writeValueKeys(b *bytes.Buffer, v any, keys func(map[string]any) []string) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		enc, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(enc)
	case json.Number:
		b.WriteString(x.String())
	case json.RawMessage:
		b.Write(x)
	case map[string]any:
		b.WriteByte('{')
		for i, k := range keys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeValueKeys(b, x[k], keys); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeValueKeys(b, e, keys); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, e)
		}
		b.WriteByte(']')
	default:
		enc, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(enc)
	}
	return nil
}
