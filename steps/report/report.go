// Package report holds the result of a conformance run and writes it in the
// formats of shared/REPORT.md: console, json, junit, markdown and html
// (cucumber JSON comes straight from godog).
//
// The JSON field names and meanings are a contract other tools parse: extend
// with optional fields, never rename or remove.
package report

import "time"

// Schema identifies the JSON report format.
const Schema = "revhook.report/v1"

// Statuses of a requirement, whatever its level.
const (
	StatusPass = "pass"
	StatusFail = "fail"
	StatusSkip = "skip"
)

// Levels, as in PROTOCOL.md §2.
const (
	LevelMust   = "MUST"
	LevelShould = "SHOULD"
	LevelInfo   = "INFO"
)

// Verdicts of a run.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Report is the outcome of one `revhook check` run.
type Report struct {
	Schema       string        `json:"schema"`
	Tool         Tool          `json:"tool"`
	Target       Target        `json:"target"`
	StartedAt    time.Time     `json:"started_at"`
	DurationMS   int64         `json:"duration_ms"`
	Verdict      string        `json:"verdict"`
	Summary      Summary       `json:"summary"`
	Requirements []Requirement `json:"requirements"`
}

// Tool names the program that produced the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target describes the receiver under test. The secret is never recorded.
type Target struct {
	URL              string `json:"url"`
	Encoding         string `json:"encoding"`
	EncodingDetected bool   `json:"encoding_detected"`
	KeyEncoding      string `json:"key_encoding,omitempty"`
}

// Summary counts requirements by status.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Requirement is the verdict on one requirement ID.
type Requirement struct {
	ID         string     `json:"id"`
	Level      string     `json:"level"`
	Title      string     `json:"title"`
	Status     string     `json:"status"`
	DurationMS int64      `json:"duration_ms"`
	Reason     string     `json:"reason,omitempty"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	// Group is the ID's prefix (VER, SIG, …); an extension to REPORT.md.
	Group string `json:"group,omitempty"`
	// Scenarios lists each scenario that checked the requirement; an extension.
	Scenarios []Scenario `json:"scenarios,omitempty"`
}

// Scenario is one Gherkin scenario's outcome.
type Scenario struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Evidence is one exchange with the receiver that supports a verdict.
type Evidence struct {
	// Scenario names the scenario the exchange belongs to (extension).
	Scenario string `json:"scenario,omitempty"`
	// Note says what the exchange was meant to show (extension).
	Note      string   `json:"note,omitempty"`
	Request   Request  `json:"request"`
	Response  Response `json:"response"`
	Reproduce string   `json:"reproduce"`
}

// Request is what the harness sent. Header values are real (signatures
// included); the secret never appears.
type Request struct {
	Method      string            `json:"method"`
	URL         string            `json:"url,omitempty"`
	Headers     map[string]string `json:"headers"`
	BodySHA256  string            `json:"body_sha256"`
	BodyPreview string            `json:"body_preview"`
	BodyBytes   int               `json:"body_bytes,omitempty"`
}

// Response is what the receiver answered, or the error in its place.
type Response struct {
	Status      int               `json:"status"`
	Headers     map[string]string `json:"headers"`
	BodyPreview string            `json:"body_preview"`
	LatencyMS   int64             `json:"latency_ms"`
	Error       string            `json:"error,omitempty"`
}

// Finish fills Summary and Verdict from Requirements.
func (r *Report) Finish() {
	r.Summary = Summary{Total: len(r.Requirements)}
	r.Verdict = VerdictPass
	for _, q := range r.Requirements {
		switch q.Status {
		case StatusPass:
			r.Summary.Passed++
		case StatusFail:
			r.Summary.Failed++
			if q.Level == LevelMust {
				r.Verdict = VerdictFail
			}
		case StatusSkip:
			r.Summary.Skipped++
		}
	}
}
