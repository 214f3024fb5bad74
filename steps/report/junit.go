package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// junitSuiteName names the single test suite of a JUnit report.
const junitSuiteName = "revhook conformance"

// junitCounts are the totals both the document and its suite carry.
type junitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Error     *junitFailure `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

// junitText is a block of text written as CDATA, so that it reads as it
// was written in the raw file (encoding/xml splits any "]]>" inside it).
type junitText struct {
	Text string `xml:",cdata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// writeJUnit renders one <testsuite> with one <testcase> per requirement.
// Only MUST root failures are <failure>s and blocked MUSTs <error>s (the
// check could not run: an error, not a pass): a SHOULD or INFO requirement
// that was not met, blocked or not, is a passing test case with a
// <system-out> note, so CI gates on exactly what the verdict gates on. The
// suite's properties carry the run id, seed and the summary counts every
// format shows.
func writeJUnit(w io.Writer, r *Report) error {
	suite := junitSuite{
		Name:        junitSuiteName,
		junitCounts: junitCounts{Time: seconds(r.DurationMS)},
		Properties: []junitProperty{
			{Name: "target.url", Value: r.Target.URL},
			{Name: "target.encoding", Value: encodingText(r.Target)},
			{Name: "tool", Value: strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)},
			{Name: "verdict", Value: r.Verdict},
			{Name: "run_id", Value: r.RunID},
			{Name: "seed", Value: strconv.FormatInt(r.Seed, 10)},
		},
	}
	if r.Interrupted {
		suite.Properties = append(suite.Properties, junitProperty{Name: "interrupted", Value: "true: " + interruptedText})
	}
	for _, c := range counts(r.Summary) {
		suite.Properties = append(suite.Properties, junitProperty{Name: "summary." + c.Key, Value: strconv.Itoa(c.N)})
	}
	suite.Properties = append(suite.Properties, junitProperty{Name: "summary.failed", Value: strconv.Itoa(r.Summary.Failed)})
	if !r.StartedAt.IsZero() {
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	for _, q := range r.Requirements {
		c := junitCase{
			Classname: q.Group,
			Name:      strings.TrimSpace(q.ID + " " + oneLine(q.Title)),
			Time:      seconds(q.DurationMS),
		}
		switch Badge(q) {
		case BadgeBlock:
			if q.Level == LevelMust {
				c.Error = &junitFailure{
					Message: reasonText(q),
					Type:    "blocked",
					Text:    xmlSafe(junitEvidence(q)),
				}
				suite.Errors++
				break
			}
			c.SystemOut = systemOut("BLOCK: " + q.Level + " requirement not observed (not met, reported only): " + reasonText(q) + "\n\n" + junitEvidence(q))
		case BadgeFail:
			c.Failure = &junitFailure{
				Message: oneLine(q.Reason),
				Type:    q.Level,
				Text:    xmlSafe(junitEvidence(q)),
			}
			suite.Failures++
		case BadgeWarn:
			c.SystemOut = systemOut("WARN: SHOULD requirement not met (a warning, not a failure): " + oneLine(q.Reason) + "\n\n" + junitEvidence(q))
		case BadgeInfo:
			if q.Status == StatusFail {
				c.SystemOut = systemOut("INFO: not met (reported only): " + oneLine(q.Reason) + "\n\n" + junitEvidence(q))
			} else {
				c.SystemOut = systemOut("INFO: met" + suffix(": ", oneLine(q.Reason)) + suffix("\nNote: ", oneLine(q.Note)))
			}
		case BadgePass:
			if q.Note != "" {
				c.SystemOut = systemOut("PASS, with a note: " + oneLine(q.Note))
			}
		case BadgeSkip:
			c.Skipped = &junitSkipped{Message: oneLine(q.Reason)}
			suite.Skipped++
		}
		suite.Tests++
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{
		Name:        junitSuiteName,
		junitCounts: suite.junitCounts,
		Suites:      []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitEvidence is the text body of a failure or note: the reason, then
// every exchange.
func junitEvidence(q Requirement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s\n", q.Level, q.ID, oneLine(q.Title))
	if q.Blocked() {
		fmt.Fprintf(&b, "Blocked by: %s (the check could not be observed)\n", strings.Join(q.BlockedBy, ", "))
	}
	if q.Reason != "" {
		fmt.Fprintf(&b, "Reason: %s\n", oneLine(q.Reason))
	}
	if q.Note != "" {
		fmt.Fprintf(&b, "Note: %s\n", oneLine(q.Note))
	}
	if len(q.Evidence) == 0 {
		b.WriteString("No exchange recorded.\n")
	}
	for i, e := range q.Evidence {
		fmt.Fprintf(&b, "\n--- exchange %d of %d ---\n", i+1, len(q.Evidence))
		b.WriteString(evidenceText(e))
	}
	return b.String()
}

func systemOut(s string) *junitText { return &junitText{Text: xmlSafe(s)} }

// xmlSafe replaces what XML 1.0 cannot carry, even in CDATA (control
// characters other than tab and newlines, invalid UTF-8), with U+FFFD.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// seconds renders milliseconds as JUnit's decimal seconds.
func seconds(ms int64) string {
	return fmt.Sprintf("%.3f", float64(ms)/1000)
}

// suffix returns sep+s, or "" when s is empty.
func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}
