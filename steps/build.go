package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// signVariant returns the header value of a wrongly signed body, for the
// variants the feature files name ("a random signature", …).
func (e *env) signVariant(variant string, body []byte) (string, error) {
	good := e.signer.Sign(body)
	switch variant {
	case "a random signature":
		return signature.Encode(randomBytes(32), e.enc), nil
	case "the signature of another body":
		other, err := e.newEvent("work_created")
		if err != nil {
			return "", err
		}
		ob, err := encode(other)
		if err != nil {
			return "", err
		}
		return e.signer.Sign(ob), nil
	case "a random signature behind a sha256= prefix":
		return "sha256=" + signature.Encode(randomBytes(32), e.enc), nil
	case "another secret":
		key := randomBytes(18)
		secret := fmt.Sprintf("%x", key) // 36 hex characters as a raw secret
		if e.s.keyEnc == signature.KeyBase64 {
			secret = signature.Encode(key, signature.Base64)
		}
		return e.signWith(secret, body)
	case "the secret with its last character changed":
		return e.signWith(nearSecret(e.s.Secret, e.s.keyEnc), body)
	case "the correct signature without its last character":
		return good[:len(good)-1], nil
	case "the first half of the correct signature":
		return good[:len(good)/2], nil
	case "the first 8 characters of the correct signature":
		return good[:8], nil
	}
	return "", harnessf("unknown signature variant %q", variant)
}

func (e *env) signWith(secret string, body []byte) (string, error) {
	s, err := signature.NewSigner(secret, e.enc, e.s.keyEnc)
	if err != nil {
		return "", harnessf("signing with a derived secret: %w", err)
	}
	return s.Sign(body), nil
}

// nearSecret returns the secret with its last character changed; for a
// base64 key encoding, the key with its last byte changed (changing the
// last base64 character can leave the key unchanged).
func nearSecret(secret string, k signature.KeyEncoding) string {
	if k == signature.KeyBase64 {
		key, err := signature.Key(secret, k)
		if err == nil && len(key) > 0 {
			key = bytes.Clone(key)
			key[len(key)-1] ^= 0x01
			return signature.Encode(key, signature.Base64)
		}
	}
	b := []byte(secret)
	last := b[len(b)-1]
	if last == 'x' {
		b[len(b)-1] = 'y'
	} else {
		b[len(b)-1] = 'x'
	}
	return string(b)
}

// tamper changes a signed body the way a variant names.
func tamper(change string, body []byte) ([]byte, error) {
	out := bytes.Clone(body)
	switch change {
	case "change one character of its title":
		i := bytes.Index(out, []byte(`"title":"`))
		if i < 0 {
			return nil, harnessf("the event has no title to change")
		}
		j := i + len(`"title":"`)
		if j >= len(out) || out[j] == '"' || out[j] == '\\' {
			return nil, harnessf("the event's title is empty")
		}
		if out[j] == 'X' {
			out[j] = 'Y'
		} else {
			out[j] = 'X'
		}
		return out, nil
	case "change one digit of its timestamp":
		i := bytes.Index(out, []byte(`"timestamp":"`))
		if i < 0 {
			return nil, harnessf("the event has no timestamp")
		}
		z := bytes.IndexByte(out[i+len(`"timestamp":"`):], 'Z')
		if z < 1 {
			return nil, harnessf("the event's timestamp does not end in Z")
		}
		j := i + len(`"timestamp":"`) + z - 1 // the last fractional digit
		if out[j] < '0' || out[j] > '9' {
			return nil, harnessf("the event's timestamp has no fractional digit")
		}
		out[j] = '0' + (out[j]-'0'+1)%10
		return out, nil
	case "change one character of its id":
		i := bytes.Index(out, []byte(`"id":"`))
		if i < 0 {
			return nil, harnessf("the event has no id")
		}
		j := bytes.IndexByte(out[i+len(`"id":"`):], '"')
		if j < 1 {
			return nil, harnessf("the event's id is empty")
		}
		k := i + len(`"id":"`) + j - 1 // the id's last character
		if out[k] == 'X' {
			out[k] = 'Y'
		} else {
			out[k] = 'X'
		}
		return out, nil
	}
	return nil, harnessf("unknown body change %q", change)
}

// restyle writes an event's JSON differently but validly; what was signed
// is the restyled bytes.
func restyle(style string, ev event.Event) ([]byte, error) {
	switch style {
	case "indentation, tabs and spaces around the colons":
		body, err := encode(ev)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, body, "", "\t"); err != nil {
			return nil, harnessf("indenting: %w", err)
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
	case "a trailing newline":
		body, err := encode(ev)
		if err != nil {
			return nil, err
		}
		return append(body, '\n'), nil
	case "its keys in reverse order":
		body, err := encode(ev)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, harnessf("decoding own event: %w", err)
		}
		out, err := event.MarshalOrdered(v, func(keys []string) {
			slices.Sort(keys)
			slices.Reverse(keys)
		})
		if err != nil {
			return nil, harnessf("encoding own event with its keys reversed: %w", err)
		}
		return out, nil
	case "escaped unicode":
		const mark = "REVHOOK-TITLE-PLACEHOLDER"
		obj, err := mainObject(ev)
		if err != nil {
			return nil, err
		}
		obj["title"] = mark
		body, err := encode(ev)
		if err != nil {
			return nil, err
		}
		escaped := `"Caf\u00e9 \u2713 \u00abd\u00e9j\u00e0 vu\u00bb \ud83d\ude80 \/api\/v1 \u003ctag\u003e \u0026 \"q\" \\ \t"`
		return bytes.Replace(body, []byte(`"`+mark+`"`), []byte(escaped), 1), nil
	case "large numbers":
		obj, err := mainObject(ev)
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
		return encode(ev)
	}
	return nil, harnessf("unknown body style %q", style)
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

// mainObject returns the object an event is about: the first object field
// of its payload in key order ("work" for work_created).
func mainObject(ev event.Event) (map[string]any, error) {
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
	return nil, harnessf("the %s payload has no object field", ev.Type)
}

// malformedBodies are the kinds of invalid JSON of ROB-01, by name, built
// from a real event's bytes.
func malformedBodies() []string {
	return []string{
		"a real event cut in half",
		"plain text",
		"empty",
		"a JSON object followed by garbage",
		"an unterminated string",
		"ten thousand unclosed brackets",
	}
}

func malformed(kind string, valid []byte) ([]byte, error) {
	switch kind {
	case "a real event cut in half":
		return bytes.Clone(valid[:len(valid)/2]), nil
	case "plain text":
		return []byte("this is not JSON, it is plain text\n"), nil
	case "empty":
		return []byte{}, nil
	case "a JSON object followed by garbage":
		return append(bytes.Clone(valid), "}garbage"...), nil
	case "an unterminated string":
		i := bytes.Index(valid, []byte(`","`))
		if i < 0 {
			return nil, harnessf("own event has no string field")
		}
		return bytes.Clone(valid[:i]), nil
	case "ten thousand unclosed brackets":
		return []byte(strings.Repeat("[", 10000)), nil
	}
	return nil, harnessf("unknown malformed body %q", kind)
}

// padTo grows the event's main object with a long description so that the
// encoded event is exactly size bytes.
func padTo(ev event.Event, size int) ([]byte, error) {
	obj, err := mainObject(ev)
	if err != nil {
		return nil, err
	}
	obj["body"] = ""
	base, err := encode(ev)
	if err != nil {
		return nil, err
	}
	need := size - len(base)
	if need < 0 {
		return nil, harnessf("event is already %d bytes, over %d", len(base), size)
	}
	const text = "The disk on the build runner filled up again while the nightly job was archiving logs. "
	obj["body"] = strings.Repeat(text, need/len(text)+1)[:need]
	return encode(ev)
}
