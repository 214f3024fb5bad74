package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// Detection is what the harness learnt about the receiver before the
// scenarios ran.
type Detection struct {
	// Unreachable, when set, says why no connection could be made.
	Unreachable string
	// Detected reports that the signing in use was chosen by a probe the
	// receiver accepted.
	Detected bool
	// Undetermined reports that the receiver also accepted a wrongly
	// signed probe, so the accepted way proves nothing.
	Undetermined bool
	// NoAcceptance, when set, says in one line why no correctly signed
	// probe was accepted, and what to try.
	NoAcceptance string
	// Probes are the probe exchanges.
	Probes []*Exchange
}

// Summary describes the detection for a report: "hex (detected)",
// "undetermined: the receiver also accepts a wrong signature", ….
func (d Detection) Summary(enc signature.Encoding, key signature.KeyEncoding) string {
	switch {
	case d.Undetermined:
		return "undetermined: the receiver also accepts a wrong signature"
	case d.Detected:
		return fmt.Sprintf("%s signature, %s key (detected)", enc, key)
	}
	return fmt.Sprintf("%s signature, %s key", enc, key)
}

// way is one signing way a probe tries.
type way struct {
	enc signature.Encoding
	key signature.KeyEncoding
}

func (w way) String() string {
	if w.key == signature.KeyBase64 {
		return fmt.Sprintf("a %s signature keyed with the secret's base64 decoding", w.enc)
	}
	return fmt.Sprintf("a %s signature", w.enc)
}

// Detect checks that the receiver can be reached (a connection, and the
// TLS handshake for https), then sends the base event signed in every way
// the options leave open — hex and base64, with the secret's bytes and its
// base64 decoding as the key — plus one wrongly signed, and signs the rest
// of the run the way the receiver accepted.
func (h *Harness) Detect(ctx context.Context) {
	dctx, cancel := h.deadline(ctx, h.opt.Timeout)
	conn, err := h.Connect(dctx)
	cancel()
	if err != nil {
		h.Detection.Unreachable = fmt.Sprintf("receiver unreachable: %v", err)
		return
	}
	conn.Close()
	ways := h.ways()
	sc := h.NewScenario("detection", "detection", "", "")
	ev, err := sc.Event(BaseType)
	if err != nil {
		h.Detection.NoAcceptance = err.Error()
		return
	}
	probes := make([]*Exchange, len(ways)+1)
	var wg sync.WaitGroup
	for i := range probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probes[i] = h.probe(ctx, sc, ev, ways, i)
		}()
	}
	wg.Wait()
	h.Detection.Probes = probes
	bad := probes[len(ways)]
	for i, w := range ways {
		if probes[i].OK() {
			_ = h.SetSigning(w.enc, w.key) // the secret was validated already
			h.Detection.Detected = true
			h.Detection.Undetermined = bad.OK()
			return
		}
	}
	h.Detection.Undetermined = bad.OK()
	h.Detection.NoAcceptance = noAcceptance(probes[:len(ways)], ways)
}

// probe sends probe i: ways[i], or the wrongly signed one after them.
func (h *Harness) probe(ctx context.Context, sc *Scenario, ev event.Event, ways []way, i int) *Exchange {
	ev.ID = sc.NewID()
	body, err := Encode(ev)
	if err != nil {
		return &Exchange{What: "a probe", Err: err}
	}
	what := "a wrongly signed probe (a random signature)"
	sig := signature.Encode(randomBytes(32), signature.Hex)
	if i < len(ways) {
		what = "a probe: the base event with " + ways[i].String()
		s, err := signature.NewSigner(h.opt.Secret, ways[i].enc, ways[i].key)
		if err != nil {
			return &Exchange{What: what, Err: err}
		}
		sig = s.Sign(body)
	}
	return h.Send(ctx, sc, Request{What: what, Body: body, Header: SignedHeader(sig, false), Control: true, Recipe: Recipe{Base: body}}, false)
}

// ways lists the signing ways the options leave open, the default first.
func (h *Harness) ways() []way {
	encs := []signature.Encoding{signature.Hex, signature.Base64}
	if h.opt.Encoding != "" {
		encs = []signature.Encoding{h.opt.Encoding}
	}
	keys := []signature.KeyEncoding{signature.KeyRaw}
	switch {
	case h.opt.KeyEncoding != "":
		keys = []signature.KeyEncoding{h.opt.KeyEncoding}
	default:
		if k, err := signature.Key(h.opt.Secret, signature.KeyBase64); err == nil && len(k) > 0 {
			keys = append(keys, signature.KeyBase64)
		}
	}
	var out []way
	for _, k := range keys {
		for _, e := range encs {
			out = append(out, way{e, k})
		}
	}
	return out
}

// noAcceptance says in one line why no probe was accepted.
func noAcceptance(probes []*Exchange, ways []way) string {
	first := probes[0]
	same := true
	for _, p := range probes[1:] {
		if (p.Err == nil) != (first.Err == nil) || p.Status != first.Status {
			same = false
		}
	}
	tried := make([]string, len(ways))
	for i, w := range ways {
		tried[i] = w.String()
	}
	list := strings.Join(tried, ", ")
	switch {
	case first.Err != nil && same:
		return fmt.Sprintf("no correctly signed event got an answer: %v", first.Err)
	case same && first.Status >= 300 && first.Status <= 399:
		return fmt.Sprintf("the receiver redirects (%s); DevRev does not follow redirects: use the final URL", first.Outcome())
	case same && (first.Status == 401 || first.Status == 403) && mentionsTime(first.RespBody):
		return fmt.Sprintf("the receiver refused a correctly signed event in every signing way tried (%s) with %s: its answer is about the timestamp — check its clock and its time zone (the check stamps events with the current UTC time)", list, first.Outcome())
	case same && (first.Status == 401 || first.Status == 403):
		return fmt.Sprintf("the receiver refused a correctly signed event in every signing way tried (%s) with %s: check the secret, or try --encoding hex|base64 and --key-encoding raw|base64", list, first.Outcome())
	case same && (first.Status == 404 || first.Status == 405):
		return fmt.Sprintf("the receiver answered %s to a correctly signed event (tried %s): is the URL the webhook endpoint, path included?", first.Outcome(), list)
	case same:
		return fmt.Sprintf("the receiver answered %s to a correctly signed event (tried %s)", first.Outcome(), list)
	}
	parts := make([]string, len(probes))
	for i, p := range probes {
		parts[i] = ways[i].String() + ": " + p.Outcome()
	}
	return "the receiver accepted no correctly signed event: " + strings.Join(parts, "; ")
}

// mentionsTime reports whether an answer's body speaks of the timestamp
// (a replay window, a clock) rather than of the signature.
func mentionsTime(body []byte) bool {
	b := strings.ToLower(string(body[:min(len(body), 4096)]))
	for _, w := range []string{"timestamp", "stale", "expired", "too old", "clock", "time window", "in the future"} {
		if strings.Contains(b, w) {
			return true
		}
	}
	return false
}
