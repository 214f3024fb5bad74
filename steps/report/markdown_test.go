package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMarkdownGolden(t *testing.T) {
	golden(t, "report.golden.md", []byte(written(t, FormatMarkdown, sampleReport())))
}

func TestMarkdownContent(t *testing.T) {
	md := written(t, FormatMarkdown, sampleReport())
	tests := []struct{ name, want string }{
		{"title", "# Webhook receiver conformance report\n"},
		{"verdict", "**Verdict: FAIL** — 2 MUST requirements not met, 2 requirements blocked, 1 warning."},
		{"run id", "| Run ID | `" + sampleRunID + "` |"},
		{"seed", "| Seed | 42 |"},
		{"blocked row", "| SIG-03 | MUST | **BLOCK** | An event without X-DevRev-Signature is refused — [blocked by ACK-01: not observed: the correctly signed control event was not acknowledged](#evidence-sig-03) |"},
		{"blocked should", "| VER-04 | SHOULD | **BLOCK** |"},
		{"note", "| DUP-01 | MUST | PASS | A duplicate delivery is acknowledged with 2xx — _note: failed while other scenarios ran; passed when re-run alone_ |"},
		{"blocked section", "## Blocked requirements\n"},
		{"blocked heading", "### BLOCK SIG-03 — An event without X-DevRev-Signature is refused\n\n- Level: MUST\n- Blocked by: ACK-01"},
		{"replay", "```sh\nrevhook replay --report report.json SIG-02 --exchange 1\n```"},
		{"target", "| Target | `http://127.0.0.1:8089/` |"},
		{"encoding", "| Signature encoding | hex (detected) |"},
		{"date", "| Date | 2026-11-23 10:00:00 UTC |"},
		{"tool", "| Tool | revhook v0.1.0 |"},
		{"summary", "| 10 | 3 | 2 | 1 | 1 | 2 | 1 |"},
		{"group heading", "### SIG — Signature verification\n"},
		{"pass row", "| VER-01 | MUST | PASS | A signed verify event gets 200 and the challenge back |"},
		{"fail row links evidence", "| SIG-02 | MUST | **FAIL** | An event with a wrong signature is refused — [receiver answered 200 to an event signed with a wrong key](#evidence-sig-02) |"},
		{"should miss is a warning", "| RPL-01 | SHOULD | **WARN** |"},
		{"info", "| SEC-01 | INFO | INFO (not met) |"},
		{"skip", "| ROB-03 | SHOULD | SKIP |"},
		{"pipe escaped", "An unknown event type is acknowledged \\| not 5xx"},
		{"anchor", `<a id="evidence-sig-02"></a>`},
		{"evidence heading", "### FAIL SIG-02 — An event with a wrong signature is refused"},
		{"request block", "```text\n> POST http://127.0.0.1:8089/\n"},
		{"response block", "```text\n< 200 (3ms)\n"},
		{"curl block", "```sh\ncurl -sS -X POST 'http://127.0.0.1:8089/'"},
		{"no evidence", "No exchange was recorded for this requirement."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, md, tt.want)
		})
	}
	assert.NotContains(t, md, "### PASS", "passes have no evidence section")
	roots, blocked, ok := strings.Cut(md, "## Blocked requirements")
	assert.True(t, ok)
	assert.NotContains(t, roots, "### BLOCK", "blocked requirements are apart from root failures")
	assert.NotContains(t, blocked, "### FAIL")
}

func TestMarkdownEscaping(t *testing.T) {
	r := sampleReport()
	r.Requirements[1].Title = "wrong *sig* | <b>bold</b> [x](y) `c`\nsecond line"
	r.Requirements[1].Evidence[0].Response.BodyPreview = "before\n```\nbreak out\n````\nafter"
	md := written(t, FormatMarkdown, r)
	assert.Contains(t, md, "wrong \\*sig\\* \\| \\<b\\>bold\\</b\\> \\[x\\](y) \\`c\\` second line")
	assert.Contains(t, md, "`````text\n< 200 (3ms)\n", "fence is longer than any backtick run in the block")

	// Every fenced block is closed: fences pair up.
	var open string
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimRight(line, "abcdefghijklmnopqrstuvwxyz")
		if strings.Trim(trimmed, "`") != "" || len(trimmed) < 3 {
			continue
		}
		switch {
		case open == "":
			open = trimmed
		case trimmed == open && line == trimmed:
			open = ""
		}
	}
	assert.Empty(t, open, "unclosed code fence")
}

func TestMarkdownZeroRequirements(t *testing.T) {
	md := written(t, FormatMarkdown, &Report{})
	assert.Contains(t, md, "**Verdict: PASS**")
	assert.Contains(t, md, "No requirement was selected.")
	assert.Contains(t, md, "No requirement failed for a reason of its own.")
	assert.NotContains(t, md, "## Blocked requirements")
	assert.Contains(t, md, "| Target | — |")
	assert.Contains(t, md, "| Date | unknown |")
}
