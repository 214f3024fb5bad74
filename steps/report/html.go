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
	Tally        tally
	Groups       []htmlGroup
	Failures     []htmlReq
}

type htmlGroup struct {
	Key, Name    string
	Requirements []htmlReq
	Counts       string
}

type htmlReq struct {
	ID, Level, Title, Reason string
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
	HasResponseDetails bool
}

type htmlHeader struct{ Name, Value string }

// writeHTML renders the report as a single HTML page for a compliance ticket.
func writeHTML(w io.Writer, r *Report) error {
	tmpl, err := template.New("report").
		Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).
		Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("parsing html template: %w", err)
	}
	return tmpl.Execute(w, buildHTMLPage(r))
}

func buildHTMLPage(r *Report) htmlPage {
	t := countOutcomes(r.Requirements)
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
	case r.Verdict == VerdictFail:
		headline = plural(t.FailedMust, "MUST requirement", "MUST requirements") + " not met: the receiver does not conform."
	default:
		headline = "Every MUST requirement that ran was met."
		if t.Warnings > 0 {
			headline += " " + plural(t.Warnings, "SHOULD requirement was", "SHOULD requirements were") + " not met."
		}
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
		Tally:        t,
	}
	for _, g := range groupRequirements(r.Requirements) {
		hg := htmlGroup{Key: g.Key, Name: g.Name}
		gt := countOutcomes(g.Requirements)
		hg.Counts = fmt.Sprintf("%d of %d passed", gt.Passed, gt.Total)
		for _, q := range g.Requirements {
			hg.Requirements = append(hg.Requirements, buildHTMLReq(q))
		}
		page.Groups = append(page.Groups, hg)
	}
	for _, q := range failures(r.Requirements) {
		page.Failures = append(page.Failures, buildHTMLReq(q))
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
		Status:     q.Status,
		Badge:      b,
		BadgeClass: strings.ToLower(b),
		Anchor:     mdAnchor(q.ID),
		Duration:   fmt.Sprintf("%d ms", q.DurationMS),
		Open:       b == BadgeFail,
		Scenarios:  q.Scenarios,
	}
	if b == BadgeInfo && q.Status == StatusFail {
		h.BadgeClass = "info-miss"
	}
	if b == "?" || (b != BadgePass && b != BadgeFail && b != BadgeWarn && b != BadgeInfo && b != BadgeSkip) {
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
