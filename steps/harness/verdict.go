package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/steps/report"
)

// Evidence bounds.
const (
	previewBytes        = 512     // body previews in the report
	inlineBodyLimit     = 8 << 10 // bodies up to this size are inlined in curl
	evidencePerScenario = 4
	evidencePerReq      = 8
	// maxReplayBody bounds a base body stored for replay.
	maxReplayBody = 64 << 10
)

// ReplayCommand is the command line a report's replay recipe gives;
// NameReport fills in the path of the JSON report it is written to.
const ReplayCommand = "revhook replay --report " + reportPlaceholder + " %s --exchange %d"

const reportPlaceholder = "REPORT.json"

// NameReport writes path, where the JSON report of rep is written, into its
// replay commands.
func NameReport(rep *report.Report, path string) {
	quoted := path
	if strings.ContainsAny(path, " '\"$`\\") {
		quoted = ShellQuote(path)
	}
	for i := range rep.Requirements {
		for j := range rep.Requirements[i].Evidence {
			ev := &rep.Requirements[i].Evidence[j]
			ev.Reproduce = strings.ReplaceAll(ev.Reproduce, reportPlaceholder, quoted)
			if ev.Replay != nil {
				ev.Replay.Command = strings.ReplaceAll(ev.Replay.Command, reportPlaceholder, quoted)
			}
		}
	}
}

// Verdict aggregates the scenarios of one requirement: a root failure if
// any scenario failed for its own reason, else blocked if any was blocked
// (by the union of their blocking requirements), else a pass — with a
// note when a pass needed a re-run alone.
func (h *Harness) Verdict(r features.Requirement, scs []*Scenario) report.Requirement {
	q := report.Requirement{ID: r.ID, Level: r.Level, Title: r.Title, Group: features.Group(r.ID), Status: report.StatusPass}
	if len(scs) == 0 {
		q.Status, q.Reason = report.StatusFail, "no scenario ran"
		return q
	}
	var first, last time.Time
	var root, blocked []*Scenario
	by := map[string]bool{}
	for _, sc := range scs {
		start, end := sc.Duration()
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if end.After(last) {
			last = end
		}
		s := report.Scenario{Name: sc.Name, Status: report.StatusPass, Note: sc.Note()}
		if !sc.Passed() {
			s.Status, s.Reason, s.BlockedBy = report.StatusFail, sc.Reason(), sc.BlockedBy()
			if len(s.BlockedBy) > 0 {
				blocked = append(blocked, sc)
				for _, id := range s.BlockedBy {
					by[id] = true
				}
			} else {
				root = append(root, sc)
			}
		} else if s.Note != "" && q.Note == "" {
			q.Note = s.Note
		}
		q.Scenarios = append(q.Scenarios, s)
	}
	decisive := root
	if len(root) == 0 && len(blocked) > 0 {
		decisive = blocked
		for id := range by {
			q.BlockedBy = append(q.BlockedBy, id)
		}
		sort.Strings(q.BlockedBy)
	}
	if len(decisive) > 0 {
		q.Status, q.Note = report.StatusFail, ""
		q.Reason = decisive[0].Name + " — " + decisive[0].Reason()
		for _, sc := range decisive {
			for _, x := range sc.EvidenceExchanges(evidencePerScenario) {
				if len(q.Evidence) < evidencePerReq {
					q.Evidence = append(q.Evidence, h.evidence(x, sc.Name, r.ID, len(q.Evidence)+1))
				}
			}
		}
	}
	if !last.IsZero() {
		q.DurationMS = last.Sub(first).Milliseconds()
	}
	return q
}

// evidence turns an exchange into report evidence; n is its 1-based index
// within the requirement (replay's --exchange).
func (h *Harness) evidence(x *Exchange, scenario, reqID string, n int) report.Evidence {
	sum := sha256.Sum256(x.Body)
	sent := h.sentHeader(x)
	ev := report.Evidence{
		Scenario: scenario,
		Note:     x.What,
		Request: report.Request{
			Method:      x.Method,
			URL:         h.URL(),
			Headers:     flatten(sent),
			BodySHA256:  hex.EncodeToString(sum[:]),
			BodyPreview: preview(x.Body),
			BodyBytes:   len(x.Body),
		},
		Response: report.Response{
			Status:      x.Status,
			Headers:     flatten(x.RespHeader),
			BodyPreview: preview(x.RespBody),
			LatencyMS:   x.Latency.Milliseconds(),
		},
		Reproduce: h.curl(x, sent, reqID, n),
		Replay:    replayOf(x, reqID, n),
	}
	if x.Err != nil {
		ev.Response.Error = x.Err.Error()
	}
	if ev.Request.Headers == nil {
		ev.Request.Headers = map[string]string{}
	}
	if ev.Response.Headers == nil {
		ev.Response.Headers = map[string]string{}
	}
	return ev
}

// replayOf is the replay recipe of x (nil when it cannot be replayed).
func replayOf(x *Exchange, reqID string, n int) *report.Replay {
	r := x.Recipe
	if r.NotReplayable != "" || x.Raw != "" || (r.Base == nil && x.Body != nil) || len(r.Base) > maxReplayBody {
		return nil
	}
	return &report.Replay{
		Exchange: n, Method: x.Method, Variation: r.Variation, Body: string(r.Base), PadTo: r.PadTo,
		Command: fmt.Sprintf(ReplayCommand, reqID, n),
	}
}

func flatten(hd http.Header) map[string]string {
	if hd == nil {
		return nil
	}
	out := make(map[string]string, len(hd))
	for k, v := range hd {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// preview is at most previewBytes of b, cut on a rune boundary, with
// invalid UTF-8 replaced.
func preview(b []byte) string {
	if len(b) > previewBytes {
		b = b[:previewBytes]
		for len(b) > 0 && !utf8.Valid(b) && len(b) > previewBytes-utf8.UTFMax {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// sentHeader is the header x went with: the --header values under its own,
// as do sends them (User-Agent aside).
func (h *Harness) sentHeader(x *Exchange) http.Header {
	if len(h.opt.Header) == 0 {
		return x.Header
	}
	out := http.Header{}
	for k, v := range h.opt.Header {
		out[k] = v
	}
	for k, v := range x.Header {
		out[k] = v
	}
	return out
}

// curl returns a command that repeats the exchange as it was sent, with
// header hd (its signed timestamp goes stale; the replay command re-stamps it).
func (h *Harness) curl(x *Exchange, hd http.Header, reqID string, n int) string {
	var b strings.Builder
	b.WriteString("curl -sS -i")
	if h.opt.Insecure {
		b.WriteString(" -k")
	}
	fmt.Fprintf(&b, " --max-time %g -X %s %s", h.opt.Timeout.Seconds(), x.Method, ShellQuote(h.URL()))
	keys := make([]string, 0, len(hd))
	for k := range hd {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range hd[k] {
			fmt.Fprintf(&b, " -H %s", ShellQuote(k+": "+v))
		}
	}
	rerun := fmt.Sprintf(ReplayCommand, reqID, n)
	switch {
	case x.Body == nil:
	case len(x.Body) <= inlineBodyLimit && !strings.ContainsRune(string(x.Body), 0):
		fmt.Fprintf(&b, " --data-binary %s", ShellQuote(string(x.Body)))
	default:
		fmt.Fprintf(&b, " --data-binary @body.json\n# body.json: the %d-byte body (sha256 above) is too large to inline here; `%s` rebuilds and sends it", len(x.Body), rerun)
	}
	if x.Raw != "" {
		fmt.Fprintf(&b, "\n# not reproducible with curl: %s; re-run `revhook check --url %s --only %s`", x.Raw, ShellQuote(h.URL()), reqID)
	}
	return b.String()
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
