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

// Levels, as in docs/protocol.md §2.
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
	Schema string `json:"schema"`
	// RunID is the run's UUIDv7, cited to name one run (extension).
	RunID string `json:"run_id,omitempty"`
	// Seed makes the run's payloads and ids repeatable with --seed (extension).
	Seed         int64         `json:"seed"`
	Tool         Tool          `json:"tool"`
	Target       Target        `json:"target"`
	StartedAt    time.Time     `json:"started_at"`
	DurationMS   int64         `json:"duration_ms"`
	Verdict      string        `json:"verdict"`
	Summary      Summary       `json:"summary"`
	Requirements []Requirement `json:"requirements"`
	// Interrupted marks a run stopped by SIGINT/SIGTERM: its results are
	// partial (extension).
	Interrupted bool `json:"interrupted,omitempty"`
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
	// Detection says how the signing was chosen, e.g. "hex signature, raw
	// key (detected)" or "undetermined: the receiver also accepts a wrong
	// signature" (extension).
	Detection string `json:"detection,omitempty"`
}

// Summary counts requirements by status.
type Summary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"` // every requirement not met, blocked ones included
	Skipped int `json:"skipped"`
	// FailedMust, Warnings and InfoNotMet count root failures (not blocked)
	// of MUST, SHOULD and INFO requirements; Blocked counts the blocked
	// requirements of any level, which are in none of those three.
	FailedMust int `json:"failed_must"`
	Warnings   int `json:"warnings"`
	InfoNotMet int `json:"info_not_met"`
	Blocked    int `json:"blocked"`
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
	// BlockedBy names the failed requirements that kept this one from being
	// observed (its status is still "fail": not met). Empty for a root
	// failure. An extension, in REPORT.md.
	BlockedBy []string `json:"blocked_by,omitempty"`
	// Note qualifies a verdict, e.g. a pass that failed only while other
	// scenarios ran and passed when re-run alone (extension).
	Note string `json:"note,omitempty"`
}

// Blocked reports whether the requirement was not met because others failed.
func (q Requirement) Blocked() bool { return q.Status == StatusFail && len(q.BlockedBy) > 0 }

// Scenario is one Gherkin scenario's outcome.
type Scenario struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// BlockedBy, as on Requirement, for this scenario.
	BlockedBy []string `json:"blocked_by,omitempty"`
	// Note, as on Requirement, for this scenario.
	Note string `json:"note,omitempty"`
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
	// Replay is what `revhook replay` needs to send this exchange again
	// with a fresh timestamp and signature (extension).
	Replay *Replay `json:"replay,omitempty"`
	// Decisive marks the exchange that showed the failure (the refused
	// control of a blocked check, the accepted forgery of a refusal
	// check), as opposed to context such as a passing control (extension).
	Decisive bool `json:"decisive,omitempty"`
}

// Replay describes how to rebuild an exchange: the unvaried body (or how to
// rebuild it) and the variation applied to it. `revhook replay --report
// FILE ID --exchange N` reads it.
type Replay struct {
	// Exchange is N in `--exchange N`: the evidence's 1-based index
	// within its requirement.
	Exchange int `json:"exchange"`
	// Method is the HTTP method.
	Method string `json:"method"`
	// Variation names the change applied to the correctly signed base
	// event, as the harness's variation tables name it ("" for none).
	Variation string `json:"variation,omitempty"`
	// Body is the base body before the variation, in full, as text; empty
	// when the exchange sent no body or PadTo rebuilds it.
	Body string `json:"body,omitempty"`
	// PadTo, when set, rebuilds the body by padding Body to this many bytes.
	PadTo int `json:"pad_to,omitempty"`
	// Command is the command line that replays the exchange.
	Command string `json:"command"`
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
	r.Summary = summarize(r.Requirements)
	r.Verdict = verdictOf(r.Requirements)
}

// verdictOf is fail when any MUST requirement is not met (blocked ones
// included), otherwise pass.
func verdictOf(reqs []Requirement) string {
	for _, q := range reqs {
		if q.Status == StatusFail && q.Level == LevelMust {
			return VerdictFail
		}
	}
	return VerdictPass
}

// summarize counts requirements as REPORT.md §2 defines the summary: every
// not-met requirement in Failed; root failures by level in FailedMust,
// Warnings and InfoNotMet; blocked ones of any level in Blocked only. An
// unlevelled failure counts as a MUST, as Badge shows it.
func summarize(reqs []Requirement) Summary {
	s := Summary{Total: len(reqs)}
	for _, q := range reqs {
		switch q.Status {
		case StatusPass:
			s.Passed++
		case StatusFail:
			s.Failed++
			switch {
			case q.Blocked():
				s.Blocked++
			case q.Level == LevelShould:
				s.Warnings++
			case q.Level == LevelInfo:
				s.InfoNotMet++
			default:
				s.FailedMust++
			}
		case StatusSkip:
			s.Skipped++
		}
	}
	return s
}
