package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// htmlTemplate is the HTML report: one self-contained page (inline CSS, a
// few lines of inline script to expand evidence when printing, no external
// resource of any kind).
//
//go:embed report.html.tmpl
var htmlTemplate string

// htmlPage is what the template renders; every string is escaped by
// html/template.
type htmlPage struct {
	Title        string
	Verdict      string // PASS, FAIL, UNKNOWN
	VerdictClass string // pass, fail, unknown
	Headline     string
	TargetURL    string
	Date         string
	Tool         string
	Encoding     string
	Duration     string
	Schema       string
	RunID        string
	Seed         int64
	Interrupted  string // the warning, empty when the run finished
	Total        int
	Counts       []htmlCount
	Groups       []htmlGroup
	Failures     []htmlReq // root failures, with their evidence
	Blocked      []htmlReq // blocked requirements, apart
}

// htmlCount is one summary card.
type htmlCount struct {
	Key, Label, Class string
	N                 int
}

type htmlGroup struct {
	Key, Name    string
	Requirements []htmlReq
	Counts       string
}

type htmlReq struct {
	ID, Level, Title, Reason string
	BlockedBy, Note          string
	Status                   string
	Badge, BadgeClass        string
	Anchor                   string
	Duration                 string
	Open                     bool
	Scenarios                []Scenario
	Exchanges                []htmlExchange
}

type htmlExchange struct {
	Scenario, Note     string
	Method, URL        string
	RequestHeaders     []htmlHeader
	BodySHA256         string
	BodyBytes          int
	BodyPreview        string
	Status             int
	StatusClass        string
	Error              string
	LatencyMS          int64
	ResponseHeaders    []htmlHeader
	ResponseBody       string
	Reproduce          string
	Replay             string
	HasResponseDetails bool
}

type htmlHeader struct{ Name, Value string }

// writeHTML renders the report as a single HTML page for a compliance ticket.
func writeHTML(w io.Writer, r *Report) error {
	tmpl, err := template.New("report").
		Funcs(template.FuncMap{
			"inc":  func(i int) int { return i + 1 },
			"join": func(s []string) string { return strings.Join(s, ", ") },
		}).
		Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("parsing html template: %w", err)
	}
	return tmpl.Execute(w, buildHTMLPage(r))
}

func buildHTMLPage(r *Report) htmlPage {
	t := r.Summary
	verdict := verdictWord(r.Verdict)
	class := "unknown"
	switch r.Verdict {
	case VerdictPass:
		class = "pass"
	case VerdictFail:
		class = "fail"
	}
	var headline string
	switch {
	case len(r.Requirements) == 0:
		headline = "No requirement was selected for this run."
	case r.Verdict == VerdictFail && t.FailedMust > 0:
		headline = plural(t.FailedMust, "MUST requirement", "MUST requirements") + " not met: the receiver does not conform."
	case r.Verdict == VerdictFail:
		headline = "MUST requirements could not be observed: the receiver is not shown to conform."
	default:
		headline = "Every MUST requirement that ran was met."
		if t.Warnings > 0 {
			headline += " " + plural(t.Warnings, "SHOULD requirement was", "SHOULD requirements were") + " not met."
		}
	}
	if t.Blocked > 0 {
		headline += " " + plural(t.Blocked, "requirement was", "requirements were") + " blocked by those failures."
	}
	tool := strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)
	page := htmlPage{
		Title:        fmt.Sprintf("%s — webhook conformance — %s", verdict, r.Target.URL),
		Verdict:      verdict,
		VerdictClass: class,
		Headline:     headline,
		TargetURL:    r.Target.URL,
		Date:         formatDate(r.StartedAt),
		Tool:         tool,
		Encoding:     encodingText(r.Target),
		Duration:     formatDuration(r.DurationMS),
		Schema:       r.Schema,
		RunID:        r.RunID,
		Seed:         r.Seed,
		Total:        t.Total,
	}
	if r.Interrupted {
		page.Interrupted = interruptedText
	}
	classes := map[string]string{"passed": "pass", "failed_must": "fail", "warnings": "warn",
		"info_not_met": "info", "blocked": "block", "skipped": "skip"}
	for _, c := range counts(t) {
		page.Counts = append(page.Counts, htmlCount{Key: c.Key, Label: c.Header, Class: classes[c.Key], N: c.N})
	}
	for _, g := range groupRequirements(r.Requirements) {
		hg := htmlGroup{Key: g.Key, Name: g.Name}
		gt := summarize(g.Requirements)
		hg.Counts = fmt.Sprintf("%d of %d passed", gt.Passed, gt.Total)
		if gt.Blocked > 0 {
			hg.Counts += fmt.Sprintf(", %d blocked", gt.Blocked)
		}
		for _, q := range g.Requirements {
			hg.Requirements = append(hg.Requirements, buildHTMLReq(q))
		}
		page.Groups = append(page.Groups, hg)
	}
	for _, q := range rootFailures(r.Requirements) {
		page.Failures = append(page.Failures, buildHTMLReq(q))
	}
	for _, q := range blockedReqs(r.Requirements) {
		page.Blocked = append(page.Blocked, buildHTMLReq(q))
	}
	return page
}

func buildHTMLReq(q Requirement) htmlReq {
	b := Badge(q)
	h := htmlReq{
		ID:         q.ID,
		Level:      q.Level,
		Title:      oneLine(q.Title),
		Reason:     oneLine(q.Reason),
		Note:       oneLine(q.Note),
		Status:     q.Status,
		Badge:      b,
		BadgeClass: strings.ToLower(b),
		Anchor:     mdAnchor(q.ID),
		Duration:   fmt.Sprintf("%d ms", q.DurationMS),
		Open:       b == BadgeFail,
		Scenarios:  q.Scenarios,
	}
	if q.Blocked() {
		h.BlockedBy = strings.Join(q.BlockedBy, ", ")
	}
	if b == BadgeInfo && q.Status == StatusFail {
		h.BadgeClass = "info-miss"
	}
	switch b {
	case BadgePass, BadgeFail, BadgeWarn, BadgeInfo, BadgeSkip, BadgeBlock:
	default:
		h.BadgeClass = "unknown"
	}
	for _, e := range q.Evidence {
		x := htmlExchange{
			Scenario:     oneLine(e.Scenario),
			Note:         oneLine(e.Note),
			Method:       e.Request.Method,
			URL:          e.Request.URL,
			BodySHA256:   e.Request.BodySHA256,
			BodyBytes:    e.Request.BodyBytes,
			BodyPreview:  truncate(e.Request.BodyPreview, previewLimit),
			Status:       e.Response.Status,
			Error:        oneLine(e.Response.Error),
			LatencyMS:    e.Response.LatencyMS,
			ResponseBody: truncate(e.Response.BodyPreview, previewLimit),
			Reproduce:    strings.ToValidUTF8(e.Reproduce, "\uFFFD"),
			Replay:       replayCommand(e),
		}
		if x.Method == "" {
			x.Method = "?"
		}
		switch {
		case x.Error != "":
			x.StatusClass = "error"
		case x.Status >= 200 && x.Status < 300:
			x.StatusClass = "s2xx"
		case x.Status >= 400 && x.Status < 500:
			x.StatusClass = "s4xx"
		default:
			x.StatusClass = "sother"
		}
		for _, k := range sortedKeys(e.Request.Headers) {
			x.RequestHeaders = append(x.RequestHeaders, htmlHeader{k, oneLine(e.Request.Headers[k])})
		}
		for _, k := range sortedKeys(e.Response.Headers) {
			x.ResponseHeaders = append(x.ResponseHeaders, htmlHeader{k, oneLine(e.Response.Headers[k])})
		}
		h.Exchanges = append(h.Exchanges, x)
	}
	return h
}
