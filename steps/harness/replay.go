package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/revhook/revhook/steps/report"
)

// MaxReportBytes bounds a report read for replay.
const MaxReportBytes = 64 << 20

// ReadReport reads a JSON report (at most MaxReportBytes).
func ReadReport(r io.Reader) (*report.Report, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	if len(b) > MaxReportBytes {
		return nil, fmt.Errorf("the report is over %d MiB", MaxReportBytes>>20)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("not a revhook JSON report: %w", err)
	}
	if rep.Schema != report.Schema {
		return nil, fmt.Errorf("not a revhook JSON report (schema %q, want %q)", rep.Schema, report.Schema)
	}
	return &rep, nil
}

// Recorded finds exchange n (1-based) of requirement id in rep; n 0 is
// the first replayable exchange that showed the failure.
func Recorded(rep *report.Report, id string, n int) (report.Evidence, error) {
	for _, q := range rep.Requirements {
		if !strings.EqualFold(q.ID, id) {
			continue
		}
		if len(q.Evidence) == 0 {
			return report.Evidence{}, fmt.Errorf("%s has no recorded exchange (it %s)", q.ID, statusWord(q))
		}
		if n == 0 {
			for _, e := range q.Evidence {
				if e.Decisive && e.Replay != nil {
					return e, nil
				}
			}
			n = 1
		}
		if n < 1 || n > len(q.Evidence) {
			return report.Evidence{}, fmt.Errorf("%s has %d recorded exchange(s); --exchange takes 1 to %d", q.ID, len(q.Evidence), len(q.Evidence))
		}
		return q.Evidence[n-1], nil
	}
	return report.Evidence{}, fmt.Errorf("the report has no requirement %s", id)
}

func statusWord(q report.Requirement) string {
	if q.Status == report.StatusPass {
		return "passed"
	}
	return "has no evidence"
}

// Replay sends a recorded exchange again as it was built: its base event
// with a fresh event id, timestamp and signature, and the same variation
// applied again — a wrong signature stays wrong, a stale timestamp is
// stale relative to now, a large body is rebuilt.
func (h *Harness) Replay(ctx context.Context, ev report.Evidence) (*Exchange, error) {
	r := ev.Replay
	if r == nil {
		return nil, fmt.Errorf("this exchange cannot be replayed (a deliberately cut connection, or a body too large to keep); re-run `revhook check --only` instead")
	}
	req := Request{What: ev.Note, Method: r.Method}
	if r.Body != "" {
		built, err := h.rebuild(r)
		if err != nil {
			return nil, err
		}
		req.Method, req.Body, req.Header = built.Method, built.Body, built.Header
	}
	return h.do(ctx, req), nil
}

// rebuild re-creates the body and headers of a replay recipe.
func (h *Harness) rebuild(r *report.Replay) (Built, error) {
	ev, err := ParseEvent([]byte(r.Body))
	if err != nil {
		return Built{}, fmt.Errorf("the recorded body is not an event: %w", err)
	}
	ev.ID = freshID(ev.ID)
	ev.Timestamp = h.opt.Clock.Now()
	if r.PadTo > 0 {
		body, err := PadTo(ev, r.PadTo)
		if err != nil {
			return Built{}, err
		}
		return Built{Method: r.Method, Body: body, Header: SignedHeader(h.Sign(body), false)}, nil
	}
	v, err := Lookup(r.Variation)
	if err != nil {
		return Built{}, fmt.Errorf("the report names a variation this revhook does not know: %w", err)
	}
	b, err := h.Build(ev, v)
	if err != nil {
		return Built{}, err
	}
	if r.Method != "" {
		b.Method = r.Method
	}
	return b, nil
}

// freshID replaces the last segment of a DON event id with a random one.
func freshID(id string) string {
	token := fmt.Sprintf("%x", randomBytes(6))
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[:i+1] + token
	}
	return id + "-" + token
}

// ReplayURL is the receiver URL an evidence was sent to.
func ReplayURL(ev report.Evidence, rep *report.Report) (*url.URL, error) {
	raw := ev.Request.URL
	if raw == "" {
		raw = rep.Target.URL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the report's URL %q is not usable; pass --url", raw)
	}
	return u, nil
}

// DescribeReplay says what a replayed exchange sent and got, for a person.
func DescribeReplay(x *Exchange, target string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "replayed: %s\n", x.What)
	fmt.Fprintf(&b, "%s %s", x.Method, target)
	if x.Body != nil {
		fmt.Fprintf(&b, " (%d bytes", len(x.Body))
		if ts := x.sentAt(); !ts.IsZero() {
			fmt.Fprintf(&b, ", timestamp %s", ts.UTC().Format("2006-01-02T15:04:05.000000Z"))
		}
		b.WriteString(")")
	}
	if sig := x.Header.Get("X-DevRev-Signature"); sig != "" {
		fmt.Fprintf(&b, "\nX-DevRev-Signature: %s", sig)
	}
	fmt.Fprintf(&b, "\n→ %s in %s", x.Outcome(), seconds(x.Latency))
	return b.String()
}

// expectation says what a correct receiver answers to an exchange built
// with the named variation, and whether an answer meets it.
func expectation(variation string, method string) (string, func(x *Exchange) bool) {
	refused := func(x *Exchange) bool { return x.Answered() && !x.OK() }
	for _, t := range [][]Variation{SignatureVariations(), SignatureHeaderVariations(), TamperVariations()} {
		if _, err := Find(t, variation); err == nil {
			return "refused (401 or 403)", refused
		}
	}
	if _, err := Find(MalformedVariations(), variation); err == nil {
		return "a 4xx", func(x *Exchange) bool { return x.Answered() && x.Status >= 400 && x.Status <= 499 }
	}
	if method != "" && method != http.MethodPost {
		return "405", func(x *Exchange) bool { return x.Answered() && x.Status == http.StatusMethodNotAllowed }
	}
	if m := skewPattern.FindStringSubmatch(variation); m != nil && (strings.HasPrefix(m[2], "minute") || strings.HasPrefix(m[2], "hour") || strings.HasPrefix(m[2], "day")) {
		return "refused (stale or future timestamp)", refused
	}
	return "acknowledged with 2xx within the deadline", func(x *Exchange) bool { return x.OK() && !x.Late }
}

// Verdict says whether a replayed exchange still shows a fault: what a
// correct receiver answers, and whether this one did.
func ReplayVerdict(ev report.Evidence, x *Exchange) string {
	if ev.Replay == nil {
		return ""
	}
	want, ok := expectation(ev.Replay.Variation, ev.Replay.Method)
	if ok(x) {
		return "expected: " + want + " — the receiver now behaves correctly"
	}
	return "expected: " + want + " — the fault reproduces"
}
