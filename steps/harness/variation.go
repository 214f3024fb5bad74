package harness

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// Variation is the one property a scenario changes in its base event. Its
// Name is the phrase the feature files use, so a typo there is an
// undefined step. Each stage is optional and applied in this order: Event
// (before encoding), Encode (instead of the canonical encoding), Sign
// (instead of the correct signature), Tamper (on the signed body).
type Variation struct {
	Name   string
	Event  func(ev *event.Event, now time.Time) error
	Encode func(ev event.Event) ([]byte, error)
	Sign   func(h *Harness, ev event.Event, body []byte) (value string, omit bool, err error)
	Tamper func(body []byte) ([]byte, error)
	Method string
}

// Built is a varied event ready to send.
type Built struct {
	Body   []byte
	Header http.Header
	Method string
	Recipe Recipe
}

// Build applies v to ev (the base event with its own id) and signs it.
func (h *Harness) Build(ev event.Event, v Variation) (Built, error) {
	base, err := Encode(ev)
	if err != nil {
		return Built{}, err
	}
	out := Built{Method: v.Method, Recipe: Recipe{Base: base, Variation: v.Name}}
	if out.Method == "" {
		out.Method = http.MethodPost
	}
	if v.Event != nil || v.Encode != nil {
		// The stages change the payload's maps in place: give them a
		// copy, so that the caller's event stays the unvaried one.
		if ev, err = ParseEvent(base); err != nil {
			return Built{}, Harnessf("copying the event to vary: %w", err)
		}
	}
	if v.Event != nil {
		if err := v.Event(&ev, h.opt.Clock.Now()); err != nil {
			return Built{}, err
		}
	}
	body := base
	switch {
	case v.Encode != nil:
		body, err = v.Encode(ev)
	case v.Event != nil:
		body, err = Encode(ev)
	}
	if err != nil {
		return Built{}, err
	}
	sig, omit := h.Sign(body), false
	if v.Sign != nil {
		if sig, omit, err = v.Sign(h, ev, body); err != nil {
			return Built{}, err
		}
	}
	if v.Tamper != nil {
		if body, err = v.Tamper(bytes.Clone(body)); err != nil {
			return Built{}, err
		}
	}
	out.Body, out.Header = body, SignedHeader(sig, omit)
	return out, nil
}

// BuildBase builds the scenario's base event of typ, with a fresh id, and
// applies v to it: the event (its challenge, for a verify) and what to send.
func (h *Harness) BuildBase(sc *Scenario, typ string, v Variation) (event.Event, Built, error) {
	ev, err := sc.Event(typ)
	if err != nil {
		return event.Event{}, Built{}, err
	}
	b, err := h.Build(ev, v)
	return ev, b, err
}

// Correct is no variation: the base event correctly signed.
func Correct() Variation { return Variation{} }

// Names returns the names of vs, for step patterns.
func Names(vs []Variation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// Find returns the variation of vs named name.
func Find(vs []Variation, name string) (Variation, error) {
	for _, v := range vs {
		if v.Name == name {
			return v, nil
		}
	}
	return Variation{}, Harnessf("unknown variation %q", name)
}

// Lookup finds a variation by name in every table, the parametric ones
// (timestamps, sizes) included: what `revhook replay` applies again.
func Lookup(name string) (Variation, error) {
	if name == "" {
		return Correct(), nil
	}
	for _, t := range [][]Variation{
		SignatureVariations(), SignatureHeaderVariations(), TamperVariations(), StyleVariations(),
		MalformedVariations(), UnknownFieldVariations(), PrecisionVariations(), MethodVariations(),
	} {
		if v, err := Find(t, name); err == nil {
			return v, nil
		}
	}
	if v, ok := parseSkew(name); ok {
		return v, nil
	}
	return Variation{}, fmt.Errorf("unknown variation %q", name)
}

// --- SIG-02, SIG-06, SIG-07, VER-04: wrong signatures -----------------------

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return b
}

func sigVariation(name string, f func(h *Harness, ev event.Event, body []byte) (string, error)) Variation {
	return Variation{Name: name, Sign: func(h *Harness, ev event.Event, body []byte) (string, bool, error) {
		s, err := f(h, ev, body)
		return s, false, err
	}}
}

// SignatureVariations are the wrong signatures of SIG-02, SIG-06, SIG-07
// and VER-04: the body is the correct one, the signature is not.
func SignatureVariations() []Variation {
	good := func(h *Harness, body []byte) string { return h.Sign(body) }
	return []Variation{
		sigVariation("a random signature", func(h *Harness, _ event.Event, _ []byte) (string, error) {
			return signature.Encode(randomBytes(32), h.enc), nil
		}),
		sigVariation("the signature of another body", func(h *Harness, ev event.Event, body []byte) (string, error) {
			other := ev
			other.ID += "0" // the same event under another id: another body
			ob, err := Encode(other)
			if err != nil {
				return "", err
			}
			return h.Sign(ob), nil
		}),
		sigVariation("a random signature behind a sha256= prefix", func(h *Harness, _ event.Event, _ []byte) (string, error) {
			return "sha256=" + signature.Encode(randomBytes(32), h.enc), nil
		}),
		sigVariation("another secret", func(h *Harness, _ event.Event, body []byte) (string, error) {
			key := randomBytes(18)
			secret := fmt.Sprintf("%x", key) // 36 hex characters as a raw secret
			if h.keyEnc == signature.KeyBase64 {
				secret = signature.Encode(key, signature.Base64)
			}
			return h.signWith(secret, body)
		}),
		sigVariation("the secret with its last character changed", func(h *Harness, _ event.Event, body []byte) (string, error) {
			return h.signWith(nearSecret(h.opt.Secret, h.keyEnc), body)
		}),
		sigVariation("the correct signature without its last character", func(h *Harness, _ event.Event, body []byte) (string, error) {
			g := good(h, body)
			return g[:len(g)-1], nil
		}),
		sigVariation("the first half of the correct signature", func(h *Harness, _ event.Event, body []byte) (string, error) {
			g := good(h, body)
			return g[:len(g)/2], nil
		}),
		sigVariation("the first 8 characters of the correct signature", func(h *Harness, _ event.Event, body []byte) (string, error) {
			return good(h, body)[:8], nil
		}),
		sigVariation("the correct signature with junk appended", func(h *Harness, _ event.Event, body []byte) (string, error) {
			return good(h, body) + "junk", nil
		}),
	}
}

func (h *Harness) signWith(secret string, body []byte) (string, error) {
	s, err := signature.NewSigner(secret, h.enc, h.keyEnc)
	if err != nil {
		return "", Harnessf("signing with a derived secret: %w", err)
	}
	return s.Sign(body), nil
}

// nearSecret returns the secret with its last character changed; for a
// base64 key encoding, the key with its last byte changed (changing the
// last base64 character can leave the key unchanged).
func nearSecret(secret string, k signature.KeyEncoding) string {
	if k == signature.KeyBase64 {
		if key, err := signature.Key(secret, k); err == nil && len(key) > 0 {
			key = bytes.Clone(key)
			key[len(key)-1] ^= 0x01
			return signature.Encode(key, signature.Base64)
		}
	}
	b := []byte(secret)
	if b[len(b)-1] == 'x' {
		b[len(b)-1] = 'y'
	} else {
		b[len(b)-1] = 'x'
	}
	return string(b)
}

// SignatureHeaderVariations are SIG-03's and VER-04's missing signatures.
func SignatureHeaderVariations() []Variation {
	return []Variation{
		{Name: "without the X-DevRev-Signature header", Sign: func(*Harness, event.Event, []byte) (string, bool, error) { return "", true, nil }},
		{Name: "with an empty X-DevRev-Signature header", Sign: func(*Harness, event.Event, []byte) (string, bool, error) { return "", false, nil }},
	}
}

// --- SIG-04: the body changed after signing --------------------------------

// TamperVariations change one byte of a correctly signed body.
func TamperVariations() []Variation {
	return []Variation{
		{Name: "change one character of its title", Tamper: func(b []byte) ([]byte, error) {
			return flipAfter(b, `"title":"`, "title")
		}},
		{Name: "change one digit of its timestamp", Tamper: func(b []byte) ([]byte, error) {
			i := bytes.Index(b, []byte(`"timestamp":"`))
			if i < 0 {
				return nil, Harnessf("the event has no timestamp")
			}
			z := bytes.IndexByte(b[i+len(`"timestamp":"`):], 'Z')
			j := i + len(`"timestamp":"`) + z - 1 // the last fractional digit
			if z < 1 || b[j] < '0' || b[j] > '9' {
				return nil, Harnessf("the event's timestamp has no fractional digit")
			}
			b[j] = '0' + (b[j]-'0'+1)%10
			return b, nil
		}},
		{Name: "change one character of its id", Tamper: func(b []byte) ([]byte, error) {
			i := bytes.Index(b, []byte(`"id":"`))
			if i < 0 {
				return nil, Harnessf("the event has no id")
			}
			j := bytes.IndexByte(b[i+len(`"id":"`):], '"')
			if j < 1 {
				return nil, Harnessf("the event's id is empty")
			}
			return flipAt(b, i+len(`"id":"`)+j-1), nil
		}},
	}
}

// flipAfter changes the first character of the string value after key.
func flipAfter(b []byte, key, what string) ([]byte, error) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return nil, Harnessf("the event has no %s to change", what)
	}
	j := i + len(key)
	if j >= len(b) || b[j] == '"' || b[j] == '\\' {
		return nil, Harnessf("the event's %s is empty", what)
	}
	return flipAt(b, j), nil
}

func flipAt(b []byte, i int) []byte {
	if b[i] == 'X' {
		b[i] = 'Y'
	} else {
		b[i] = 'X'
	}
	return b
}

// --- RPL-01, RPL-02, RPL-03: timestamps --------------------------------------

// PrecisionVariations write the timestamp with other precisions (RPL-02).
func PrecisionVariations() []Variation {
	var out []Variation
	for _, p := range []struct {
		name string
		p    event.Precision
	}{{"nanosecond", event.Nanoseconds}, {"microsecond", event.Microseconds}, {"millisecond", event.Milliseconds}} {
		out = append(out, Variation{Name: "a timestamp of " + p.name + " precision", Event: func(ev *event.Event, now time.Time) error {
			ev.Timestamp, ev.Precision = now, p.p
			return nil
		}})
	}
	return out
}

var skewPattern = regexp.MustCompile(`^a timestamp (\d+) (seconds?|minutes?|hours?|days?) in the (past|future)$`)

// Skew returns the variation "a timestamp N UNIT in the DIRECTION": the
// timestamp that far from now (RPL-01, RPL-02, RPL-03).
func Skew(n int, unit, direction string) (Variation, error) {
	v, ok := parseSkew(fmt.Sprintf("a timestamp %d %s in the %s", n, unit, direction))
	if !ok {
		return Variation{}, Harnessf("unsupported timestamp offset %d %s in the %s", n, unit, direction)
	}
	return v, nil
}

func parseSkew(name string) (Variation, bool) {
	m := skewPattern.FindStringSubmatch(name)
	if m == nil {
		return Variation{}, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 3650 {
		return Variation{}, false
	}
	unit := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
	d := time.Duration(n) * unit
	if m[3] == "past" {
		d = -d
	}
	return Variation{Name: name, Event: func(ev *event.Event, now time.Time) error {
		ev.Timestamp = now.Add(d)
		return nil
	}}, true
}

// --- FWD-02: unknown fields --------------------------------------------------

// UnknownFieldVariations add fields the receiver has never seen.
func UnknownFieldVariations() []Variation {
	unknown := func() event.Object {
		return event.Object{"introduced_in": "2031-01", "nested": event.Object{"list": []any{1, "two", nil, true}, "empty": event.Object{}}}
	}
	return []Variation{
		{Name: "an unknown field in the envelope", Event: func(ev *event.Event, _ time.Time) error {
			ev.Extra = event.Object{"delivery_attempt": 1, "schema_version": "v2", "trace_context": unknown()}
			return nil
		}},
		{Name: "an unknown field in the object", Event: func(ev *event.Event, _ time.Time) error {
			obj, err := MainObject(*ev)
			if err != nil {
				return err
			}
			obj["future_field"] = unknown()
			obj["tnt__field_added_later"] = "value"
			return nil
		}},
	}
}

// --- ROB-03: methods ---------------------------------------------------------

// MethodVariations send the correctly signed event with another method.
func MethodVariations() []Variation {
	var out []Variation
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		out = append(out, Variation{Name: "the method " + m, Method: m})
	}
	return out
}
