package report

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Format names accepted by Write (REPORT.md §1 `--report FORMAT=PATH`;
// `cucumber` is produced by godog, not here).
const (
	FormatJSON     = "json"
	FormatJUnit    = "junit"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
	// FormatMarkdownSummary is a PR-comment-sized Markdown summary, never
	// longer than SummaryLimit characters.
	FormatMarkdownSummary = "markdown-summary"
)

// Display badges: what a requirement's outcome is called in the console,
// markdown and HTML reports.
const (
	BadgePass = "PASS"
	BadgeFail = "FAIL" // a MUST (or unlevelled) requirement not met
	BadgeWarn = "WARN" // a SHOULD requirement not met
	BadgeInfo = "INFO" // an INFO requirement, met or not
	BadgeSkip = "SKIP"
	// BadgeBlock marks a requirement of any level that could not be observed
	// because others failed (Requirement.Blocked): not met, and never shown
	// like a pass.
	BadgeBlock = "BLOCK"
)

// previewLimit bounds the body previews the human-readable writers print;
// the JSON writer renders the model as given.
const previewLimit = 4096

// Formats lists the file formats Write understands, in a stable order.
func Formats() []string {
	return []string{FormatJSON, FormatJUnit, FormatMarkdown, FormatMarkdownSummary, FormatHTML}
}

// Write renders r in the named format (one of Formats) to w.
// An unknown format or a nil report is an error; so is a failed write.
func Write(w io.Writer, format string, r *Report) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	var write func(io.Writer, *Report) error
	switch format {
	case FormatJSON:
		write = writeJSON
	case FormatJUnit:
		write = writeJUnit
	case FormatMarkdown:
		write = writeMarkdown
	case FormatHTML:
		write = writeHTML
	case FormatMarkdownSummary:
		write = writeMarkdownSummary
	default:
		return fmt.Errorf("report: unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
	}
	if err := write(w, normalize(r)); err != nil {
		return fmt.Errorf("report: writing %s: %w", format, err)
	}
	return nil
}

// normalize returns a copy of r ready to render: defaults filled in (schema,
// tool name, verdict and summary when the runner left them empty), groups
// derived from IDs, times in UTC, and no nil slices or maps, so that JSON
// shows [] and {} rather than null. The caller's report is not modified.
func normalize(r *Report) *Report {
	c := *r
	if c.Schema == "" {
		c.Schema = Schema
	}
	if c.Tool.Name == "" {
		c.Tool.Name = "revhook"
	}
	c.StartedAt = c.StartedAt.UTC()
	c.Requirements = make([]Requirement, len(r.Requirements))
	for i, q := range r.Requirements {
		if q.Group == "" {
			q.Group = GroupOf(q.ID)
		}
		q.Evidence = append([]Evidence(nil), q.Evidence...)
		for j := range q.Evidence {
			e := &q.Evidence[j]
			if e.Request.Headers == nil {
				e.Request.Headers = map[string]string{}
			}
			if e.Response.Headers == nil {
				e.Response.Headers = map[string]string{}
			}
		}
		c.Requirements[i] = q
	}
	// The summary is derived data: recomputing it here keeps every format's
	// counts equal, whatever the runner filled in.
	c.Summary = summarize(c.Requirements)
	if c.Verdict == "" {
		c.Verdict = verdictOf(c.Requirements)
	}
	return &c
}

// GroupOf returns the group of a requirement ID: its prefix before the first
// '-' ("SIG" for "SIG-02"), or the whole ID when it has none.
func GroupOf(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// GroupName returns a readable name for a group ("Signature verification"
// for "SIG"), or the group itself when it is not one of docs/protocol.md §2.
func GroupName(group string) string {
	switch group {
	case "VER":
		return "Endpoint verification"
	case "SIG":
		return "Signature verification"
	case "RPL":
		return "Replay protection"
	case "ACK":
		return "Acknowledgement"
	case "DUP":
		return "Duplicates and retries"
	case "ORD":
		return "Ordering"
	case "FWD":
		return "Forward compatibility"
	case "ROB":
		return "Robustness"
	case "SEC":
		return "Transport security"
	default:
		return group
	}
}

// Badge returns how a requirement's outcome is displayed: PASS, FAIL, WARN
// (a failed SHOULD), INFO (any INFO requirement that ran), BLOCK (not met
// because others failed, whatever the level) or SKIP.
func Badge(q Requirement) string {
	switch {
	case q.Status == StatusSkip:
		return BadgeSkip
	case q.Blocked():
		return BadgeBlock
	case q.Level == LevelInfo:
		return BadgeInfo
	case q.Status == StatusPass:
		return BadgePass
	case q.Status == StatusFail && q.Level == LevelShould:
		return BadgeWarn
	case q.Status == StatusFail:
		return BadgeFail
	case q.Status == "":
		return "?"
	default:
		return strings.ToUpper(q.Status)
	}
}

// group is a run of requirements sharing a group, in catalogue order.
type group struct {
	Key          string
	Name         string
	Requirements []Requirement
}

// groupRequirements splits requirements by group, groups ordered by first
// appearance and requirements keeping their order within a group.
func groupRequirements(reqs []Requirement) []group {
	var out []group
	index := map[string]int{}
	for _, q := range reqs {
		g := q.Group
		if g == "" {
			g = GroupOf(q.ID)
		}
		i, ok := index[g]
		if !ok {
			i = len(out)
			index[g] = i
			out = append(out, group{Key: g, Name: GroupName(g)})
		}
		out[i].Requirements = append(out[i].Requirements, q)
	}
	return out
}

// rootFailures returns the requirements not met for a reason of their own
// (not blocked), whatever the level.
func rootFailures(reqs []Requirement) []Requirement {
	var out []Requirement
	for _, q := range reqs {
		if q.Status == StatusFail && !q.Blocked() {
			out = append(out, q)
		}
	}
	return out
}

// blockedReqs returns the requirements that could not be observed because
// others failed.
func blockedReqs(reqs []Requirement) []Requirement {
	var out []Requirement
	for _, q := range reqs {
		if q.Blocked() {
			out = append(out, q)
		}
	}
	return out
}

// blockedText says which requirements blocked q: "blocked by SIG-01, ACK-01".
func blockedText(q Requirement) string {
	return "blocked by " + strings.Join(q.BlockedBy, ", ")
}

// reasonText is q's reason on one line, with what blocked it when blocked.
func reasonText(q Requirement) string {
	reason := oneLine(q.Reason)
	if q.Blocked() {
		if reason == "" {
			return blockedText(q)
		}
		return blockedText(q) + ": " + reason
	}
	return reason
}

// count is one of the summary counts every format prints, in this order.
type count struct {
	Key    string // the JSON summary field
	Header string // a table header or card label
	N      int
}

// Phrase is the count in a sentence: "2 passed", "1 warning".
func (c count) Phrase() string {
	switch c.Key {
	case "warnings":
		return plural(c.N, "warning", "warnings")
	case "failed_must":
		return fmt.Sprintf("%d failed (MUST)", c.N)
	case "info_not_met":
		return fmt.Sprintf("%d INFO not met", c.N)
	}
	return fmt.Sprintf("%d %s", c.N, strings.ToLower(c.Header))
}

// counts lists the summary counts every format shows (REPORT.md §2): the
// same keys, labels and numbers in the console, JUnit, Markdown and HTML.
func counts(s Summary) []count {
	return []count{
		{"passed", "Passed", s.Passed},
		{"failed_must", "Failed (MUST)", s.FailedMust},
		{"warnings", "Warnings (SHOULD)", s.Warnings},
		{"info_not_met", "INFO not met", s.InfoNotMet},
		{"blocked", "Blocked", s.Blocked},
		{"skipped", "Skipped", s.Skipped},
	}
}

// countPhrases is the counts as a sentence: "2 passed, 1 failed (MUST), …".
func countPhrases(s Summary) string {
	var parts []string
	for _, c := range counts(s) {
		parts = append(parts, c.Phrase())
	}
	return strings.Join(parts, ", ")
}

// runText identifies the run: "run 0193… · seed 42", or "" when the report
// carries neither.
func runText(r *Report) string {
	if r.RunID == "" && r.Seed == 0 {
		return ""
	}
	id := r.RunID
	if id == "" {
		id = "unknown"
	}
	return fmt.Sprintf("run %s · seed %d", id, r.Seed)
}

// interruptedText is the warning every format shows for an interrupted run.
const interruptedText = "INTERRUPTED: the run was stopped before it finished; these results are partial"

// sortedKeys returns a map's keys in a stable order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// truncate shortens s to at most limit bytes on a rune boundary, saying how
// much was left out. Invalid UTF-8 is replaced so that every writer emits
// valid text.
func truncate(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… [%d more bytes not shown]", s[:cut], len(s)-cut)
}

// oneLine collapses whitespace runs (newlines included) to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// formatDuration renders milliseconds as seconds with two decimals.
func formatDuration(ms int64) string {
	return fmt.Sprintf("%.2fs", float64(ms)/1000)
}

// formatDate renders a report time for humans, or "unknown" for the zero time.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// encodingText describes the signature encoding and how it was chosen: the
// harness's own words (Detection) when it has them.
func encodingText(t Target) string {
	if t.Detection != "" {
		return oneLine(t.Detection)
	}
	enc := t.Encoding
	if enc == "" {
		enc = "unknown"
	}
	how := "set by --encoding"
	if t.EncodingDetected {
		how = "detected"
	}
	s := enc + " (" + how + ")"
	if t.KeyEncoding != "" {
		s += ", key " + t.KeyEncoding
	}
	return s
}

// evidenceText renders one exchange as plain text: the request, the response
// and the curl command that reproduces it. Used by junit and the console.
func evidenceText(e Evidence) string {
	var b strings.Builder
	if e.Scenario != "" {
		fmt.Fprintf(&b, "Scenario: %s\n", oneLine(e.Scenario))
	}
	if e.Note != "" {
		fmt.Fprintf(&b, "Note: %s\n", oneLine(e.Note))
	}
	b.WriteString(requestText(e.Request))
	b.WriteString("\n")
	b.WriteString(responseText(e.Response))
	if e.Reproduce != "" {
		fmt.Fprintf(&b, "\nReproduce:\n%s\n", e.Reproduce)
	}
	if cmd := replayCommand(e); cmd != "" {
		fmt.Fprintf(&b, "\nReplay with a fresh timestamp and signature:\n%s\n", cmd)
	}
	return b.String()
}

// requestText renders a request as an HTTP-like block.
func requestText(q Request) string { return requestTextLimit(q, previewLimit) }

// requestTextLimit is requestText with the body preview cut at limit bytes.
func requestTextLimit(q Request, limit int) string {
	var b strings.Builder
	method := q.Method
	if method == "" {
		method = "?"
	}
	fmt.Fprintf(&b, "> %s %s\n", method, q.URL)
	for _, k := range sortedKeys(q.Headers) {
		fmt.Fprintf(&b, "> %s: %s\n", k, truncate(oneLine(q.Headers[k]), limit))
	}
	if q.BodySHA256 != "" || q.BodyBytes > 0 {
		fmt.Fprintf(&b, "> (body %d bytes, sha256 %s)\n", q.BodyBytes, q.BodySHA256)
	}
	if q.BodyPreview != "" {
		b.WriteString(truncate(q.BodyPreview, limit))
		b.WriteString("\n")
	}
	return b.String()
}

// responseText renders a response (or the error in its place) as an
// HTTP-like block.
func responseText(p Response) string { return responseTextLimit(p, previewLimit) }

// responseTextLimit is responseText with the body preview cut at limit bytes.
func responseTextLimit(p Response, limit int) string {
	var b strings.Builder
	if p.Error != "" {
		fmt.Fprintf(&b, "< error after %dms: %s\n", p.LatencyMS, oneLine(p.Error))
	} else {
		fmt.Fprintf(&b, "< %d (%dms)\n", p.Status, p.LatencyMS)
	}
	for _, k := range sortedKeys(p.Headers) {
		fmt.Fprintf(&b, "< %s: %s\n", k, truncate(oneLine(p.Headers[k]), limit))
	}
	if p.BodyPreview != "" {
		b.WriteString(truncate(p.BodyPreview, limit))
		b.WriteString("\n")
	}
	return b.String()
}
