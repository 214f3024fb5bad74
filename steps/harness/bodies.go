package harness

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/revhook/revhook/simulator/event"
)

// StyleVariations write the event's JSON differently but validly (SIG-05):
// what is signed is the restyled bytes, so a receiver that hashes anything
// but the raw body refuses them.
func StyleVariations() []Variation {
	return []Variation{
		{Name: "indentation, tabs and spaces around the colons", Encode: indented},
		{Name: "a trailing newline", Encode: func(ev event.Event) ([]byte, error) {
			b, err := Encode(ev)
			return append(b, '\n'), err
		}},
		{Name: "its keys in reverse order", Encode: reversedKeys},
		{Name: "escaped unicode", Encode: escapedTitle},
		{Name: "large numbers", Encode: largeNumbers},
	}
}

func indented(ev event.Event) ([]byte, error) {
	body, err := Encode(ev)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "\t"); err != nil {
		return nil, Harnessf("indenting: %w", err)
	}
	spaced := outsideStrings(buf.Bytes(), func(c byte, w *bytes.Buffer) {
		switch c {
		case ':':
			w.WriteString(" :")
		case '\n':
			w.WriteString("  \r\n")
		default:
			w.WriteByte(c)
		}
	})
	return append([]byte("\r\n  "), append(spaced, "\r\n\t "...)...), nil
}

func reversedKeys(ev event.Event) ([]byte, error) {
	body, err := Encode(ev)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, Harnessf("decoding own event: %w", err)
	}
	out, err := event.MarshalOrdered(v, func(keys []string) {
		slices.Sort(keys)
		slices.Reverse(keys)
	})
	if err != nil {
		return nil, Harnessf("encoding own event with its keys reversed: %w", err)
	}
	return out, nil
}

func escapedTitle(ev event.Event) ([]byte, error) {
	const mark = "REVHOOK-TITLE-PLACEHOLDER"
	obj, err := MainObject(ev)
	if err != nil {
		return nil, err
	}
	obj["title"] = mark
	body, err := Encode(ev)
	if err != nil {
		return nil, err
	}
	escaped := `"Caf\u00e9 \u2713 \u00abd\u00e9j\u00e0 vu\u00bb \ud83d\ude80 \/api\/v1 \u003ctag\u003e \u0026 \"q\" \\ \t"`
	return bytes.Replace(body, []byte(`"`+mark+`"`), []byte(escaped), 1), nil
}

func largeNumbers(ev event.Event) ([]byte, error) {
	obj, err := MainObject(ev)
	if err != nil {
		return nil, err
	}
	cf, _ := obj["custom_fields"].(map[string]any)
	if cf == nil {
		cf = map[string]any{}
	}
	cf["tnt__big_integer"] = json.RawMessage("123456789012345678901234567890")
	cf["tnt__above_int64"] = json.RawMessage("9223372036854775808")
	cf["tnt__above_float_precision"] = json.RawMessage("9007199254740993")
	cf["tnt__long_fraction"] = json.RawMessage("1.00000000000000000000000001")
	cf["tnt__exponent"] = json.RawMessage("1.5E+300")
	cf["tnt__negative"] = json.RawMessage("-98765432109876543210")
	obj["custom_fields"] = cf
	return Encode(ev)
}

// outsideStrings copies JSON b, passing every byte outside string literals
// to f and copying string literals unchanged.
func outsideStrings(b []byte, f func(c byte, w *bytes.Buffer)) []byte {
	var w bytes.Buffer
	in, esc := false, false
	for _, c := range b {
		switch {
		case in:
			w.WriteByte(c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
			}
		case c == '"':
			in = true
			w.WriteByte(c)
		default:
			f(c, &w)
		}
	}
	return w.Bytes()
}

// MalformedVariations are ROB-01's invalid JSON bodies, correctly signed,
// built from the base event's bytes.
func MalformedVariations() []Variation {
	from := func(name string, f func(valid []byte) ([]byte, error)) Variation {
		return Variation{Name: name, Encode: func(ev event.Event) ([]byte, error) {
			valid, err := Encode(ev)
			if err != nil {
				return nil, err
			}
			return f(valid)
		}}
	}
	return []Variation{
		from("a real event cut in half", func(v []byte) ([]byte, error) { return v[:len(v)/2], nil }),
		from("plain text", func([]byte) ([]byte, error) { return []byte("this is not JSON, it is plain text\n"), nil }),
		from("empty", func([]byte) ([]byte, error) { return []byte{}, nil }),
		from("a JSON object followed by garbage", func(v []byte) ([]byte, error) { return append(v, "}garbage"...), nil }),
		from("an unterminated string", func(v []byte) ([]byte, error) {
			i := bytes.Index(v, []byte(`","`))
			if i < 0 {
				return nil, Harnessf("own event has no string field")
			}
			return v[:i], nil
		}),
		from("ten thousand unclosed brackets", func([]byte) ([]byte, error) { return []byte(strings.Repeat("[", 10000)), nil }),
	}
}

// PadTo grows the event's main object with a long body text so that the
// encoded event is exactly size bytes (ROB-02).
func PadTo(ev event.Event, size int) ([]byte, error) {
	obj, err := MainObject(ev)
	if err != nil {
		return nil, err
	}
	obj["body"] = ""
	base, err := Encode(ev)
	if err != nil {
		return nil, err
	}
	need := size - len(base)
	if need < 0 {
		return nil, Harnessf("event is already %d bytes, over %d", len(base), size)
	}
	const text = "The disk on the build runner filled up again while the nightly job was archiving logs. "
	obj["body"] = strings.Repeat(text, need/len(text)+1)[:need]
	return Encode(ev)
}
