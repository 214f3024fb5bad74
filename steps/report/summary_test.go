package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMarkdownSummaryContent(t *testing.T) {
	md := written(t, FormatMarkdownSummary, sampleReport())
	for _, want := range []string{
		"## ❌ Webhook receiver conformance: FAIL\n",
		"**FAIL** — 2 MUST requirements not met, 2 requirements blocked, 1 warning.\n",
		"Target `http://127.0.0.1:8089/` · run `" + sampleRunID + "` · seed 42 · revhook v0.1.0 · 2026-11-23 10:00:00 UTC\n",
		"| 10 | 3 | 2 | 1 | 1 | 2 | 1 |\n",
		"- **FAIL** SIG-02 (MUST) An event with a wrong signature is refused — receiver answered 200 to an event signed with a wrong key — replay: `revhook replay --report report.json SIG-02 --exchange 1`\n",
		"- **WARN** RPL-01 (SHOULD) ",
		"- **INFO** SEC-01 (INFO) ",
		"- **BLOCK** SIG-03 (MUST) An event without X-DevRev-Signature is refused — blocked by ACK-01: not observed: the correctly signed control event was not acknowledged — rerun: `revhook check --url http://127.0.0.1:8089/ --only SIG-03`\n",
		"| SIG-03 | MUST | **BLOCK** | An event without X-DevRev-Signature is refused — blocked by ACK-01 |\n",
		"| DUP-01 | MUST | PASS | A duplicate delivery is acknowledged with 2xx — _note: failed while other scenarios ran; passed when re-run alone_ |\n",
		"Evidence (requests, responses, curl commands) is in the HTML and JSON reports.",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "```", "no evidence blocks")
	assert.NotContains(t, md, "left out")

	pass := written(t, FormatMarkdownSummary, fullReport(false))
	assert.True(t, strings.HasPrefix(pass, "## ✅ Webhook receiver conformance: PASS\n"), pass)
	assert.NotContains(t, pass, "### Blocked")

	r := sampleReport()
	r.Interrupted = true
	r.Target.URL = "http://h/it's here"
	md = written(t, FormatMarkdownSummary, r)
	assert.Contains(t, md, "> **"+interruptedText+".**")
	assert.True(t, strings.HasPrefix(md, "## ⚠️ "), md)
	assert.Contains(t, md, `rerun: `+"`"+`revhook check --url 'http://h/it'\''s here' --only ACK-01`+"`")
}

// hostileReport is a huge report whose every text field tries to break
// Markdown: pipes, backslashes, backtick runs, HTML, control characters,
// unicode, long lines, and many requirements and exchanges.
func hostileReport(n int) *Report {
	nasty := "| \\| \\\\| `x` ``` <script>alert(1)</script> <details> **b** [l](javascript:x) # é漢字🙂 \x00\x1b[31m\r\n- * > "
	ev := Evidence{
		Request:   Request{Method: "POST", URL: "http://x/" + nasty, BodyPreview: strings.Repeat(nasty, 2000), Headers: map[string]string{"X": strings.Repeat(nasty, 500)}},
		Response:  Response{Status: 200, BodyPreview: strings.Repeat(nasty, 2000)},
		Reproduce: strings.Repeat("curl "+nasty, 300),
		Replay:    &Replay{Command: "revhook replay --report r.json `X` --exchange 1 | " + nasty},
	}
	r := &Report{RunID: nasty, Seed: -1, Target: Target{URL: "http://h/" + strings.Repeat(nasty, 100)},
		Tool: Tool{Name: nasty, Version: strings.Repeat("v", 10000)}}
	for i := range n {
		q := Requirement{
			ID: fmt.Sprintf("SIG-%02d%s", i, nasty), Level: []string{LevelMust, LevelShould, LevelInfo}[i%3],
			Title: strings.Repeat("title "+nasty, 50), Status: StatusFail,
			Reason: strings.Repeat("reason "+nasty, 200), Note: strings.Repeat("note "+nasty, 50),
		}
		if i%4 == 1 {
			q.BlockedBy = []string{"SIG-01" + nasty, "ACK-01"}
		}
		if i%5 == 0 {
			q.Status = StatusPass
		}
		for range 50 {
			q.Evidence = append(q.Evidence, ev)
		}
		r.Requirements = append(r.Requirements, q)
	}
	r.Finish()
	return r
}

func TestMarkdownSummaryBoundedAndWellFormed(t *testing.T) {
	for _, n := range []int{0, 1, 26, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			md := written(t, FormatMarkdownSummary, hostileReport(n))
			assert.LessOrEqual(t, len(md), SummaryLimit, "bytes")
			assert.LessOrEqual(t, utf8.RuneCountInString(md), SummaryLimit, "characters")
			assert.True(t, utf8.ValidString(md))
			assertNoRawHTML(t, md)
			assert.NotContains(t, md, "\x00")
			assert.NotContains(t, md, "\x1b")
			assert.NotContains(t, md, "\r")
			assert.True(t, strings.HasSuffix(md, "The webhook secret is never recorded.\n"), "the footer survives truncation")
			if n == 3000 {
				assert.Contains(t, md, "more lines left out to stay under 60000 characters")
				assert.Contains(t, md, "- **FAIL** ", "failures come before the table")
			}
			assertTablesWellFormed(t, md)
		})
	}
}

// assertTablesWellFormed checks every table row has as many cells as its
// header, however a GFM parser treats backslashes before pipes.
func assertTablesWellFormed(t *testing.T, md string) {
	t.Helper()
	width, fence := 0, ""
	for _, line := range strings.Split(md, "\n") {
		switch {
		case fence != "" && line == fence:
			fence = ""
			continue
		case fence != "":
			continue
		case strings.HasPrefix(line, "```"):
			fence = line[:len(line)-len(strings.TrimLeft(line, "`"))]
			continue
		}
		if !strings.HasPrefix(line, "|") {
			width = 0
			continue
		}
		a, b := splitCells(line, true), splitCells(line, false)
		require.Equal(t, len(a), len(b), "ambiguous pipe escaping: %q", line)
		if width == 0 {
			width = len(a)
			continue
		}
		require.Equal(t, width, len(a), "row %q", line)
		require.True(t, strings.HasSuffix(line, "|") && !strings.HasSuffix(line, "\\|"), "row %q is closed", line)
	}
}

// withoutCodeSpans removes inline code spans from a line as CommonMark
// reads them: a run of n backticks (not backslash-escaped) opens a span
// that the next run of exactly n closes; an unclosed run is text.
func withoutCodeSpans(line string) string {
	var out strings.Builder
	for i := 0; i < len(line); {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			out.WriteString(line[i : i+2])
			i += 2
			continue
		case line[i] != '`':
			out.WriteByte(line[i])
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		n, end := j-i, -1
		for k := j; k < len(line); {
			if line[k] != '`' {
				k++
				continue
			}
			m := k
			for m < len(line) && line[m] == '`' {
				m++
			}
			if m-k == n {
				end = m
				break
			}
			k = m
		}
		if end < 0 {
			out.WriteString(line[i:j])
			i = j
			continue
		}
		i = end
	}
	return out.String()
}

// assertNoRawHTML checks that, outside code spans, every < is escaped.
func assertNoRawHTML(t *testing.T, md string) {
	t.Helper()
	for _, line := range strings.Split(md, "\n") {
		text := withoutCodeSpans(line)
		text = strings.NewReplacer("<a id=", "", "\\\\", "", "\\<", "").Replace(text)
		require.NotContains(t, text, "<", "raw HTML in %q", line)
	}
}

func TestMarkdownEvidenceCapped(t *testing.T) {
	r := hostileReport(3)
	for i := range r.Requirements {
		q := &r.Requirements[i]
		q.ID, q.Title, q.Reason, q.Note = fmt.Sprintf("SIG-%02d", i), "title", "reason", ""
	}
	md := written(t, FormatMarkdown, r)
	assert.Less(t, len(md), 60_000, "three requirements with 50 huge exchanges each")
	assert.Contains(t, md, "47 more exchanges are in the HTML and JSON reports.")
	assert.Contains(t, md, "the curl command (", "a long curl command is left to the JSON report")
	assertTablesWellFormed(t, md)
}

func TestMarkdownSummaryGolden(t *testing.T) {
	golden(t, "report.golden.summary.md", []byte(written(t, FormatMarkdownSummary, sampleReport())))
}

// FuzzMarkdownTables renders receiver-controlled text (reasons quote what
// the receiver answered) in both Markdown formats and checks the bound, the
// table structure and that no raw HTML gets through.
func FuzzMarkdownTables(f *testing.F) {
	f.Add("title | x", "reason `a` <b>", "note \\| y", "http://h/|`", "revhook replay ``x``", 2000)
	f.Add("", "", "", "", "", 600)
	f.Add("\\\\|", "|||", "\x00\r\n", "\\", "`", 60000)
	f.Fuzz(func(t *testing.T, title, reason, note, url, replay string, limit int) {
		limit = 600 + int(uint(limit)%SummaryLimit)
		r := &Report{Target: Target{URL: url}, RunID: note, Requirements: []Requirement{
			{ID: "SIG-02", Level: LevelMust, Title: title, Status: StatusFail, Reason: reason, Note: note,
				Evidence: []Evidence{{Replay: &Replay{Command: replay}, Response: Response{BodyPreview: reason}}}},
			{ID: "SIG-03", Level: LevelShould, Title: reason, Status: StatusFail, BlockedBy: []string{title}, Reason: note},
			{ID: title, Level: note, Title: url, Status: StatusPass, Note: reason},
		}}
		r.Finish()
		sum := markdownSummary(normalize(r), limit)
		if len(sum) > limit {
			t.Fatalf("summary is %d bytes, over %d", len(sum), limit)
		}
		if !utf8.ValidString(sum) {
			t.Fatal("summary is not UTF-8")
		}
		assertTablesWellFormed(t, sum)
		assertNoRawHTML(t, sum)
		assertTablesWellFormed(t, written(t, FormatMarkdown, r))
	})
}
