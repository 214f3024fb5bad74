package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHTMLContent(t *testing.T) {
	page := written(t, FormatHTML, sampleReport())
	tests := []struct{ name, want string }{
		{"doctype", "<!DOCTYPE html>"},
		{"fail banner", `<header class="banner verdict-fail" id="verdict"`},
		{"verdict mark", `<div class="verdict-mark" aria-label="verdict">FAIL</div>`},
		{"headline", "2 MUST requirements not met: the receiver does not conform."},
		{"target", "<dd>http://127.0.0.1:8089/</dd>"},
		{"date", "<dd>2026-11-23 10:00:00 UTC</dd>"},
		{"encoding", "<dd>hex (detected)</dd>"},
		{"tool", "<dd>revhook v0.1.0</dd>"},
		{"group", `<tbody class="group" id="group-SIG">`},
		{"group name", `<span class="key">SIG</span>Signature verification`},
		{"pass row", `<tr class="req row-pass" id="req-VER-01" data-status="pass" data-level="MUST">`},
		{"fail row", `<tr class="req row-fail" id="req-SIG-02" data-status="fail" data-level="MUST">`},
		{"fail badge", `<span class="badge fail">FAIL</span>`},
		{"warn badge", `<tr class="req row-warn" id="req-RPL-01"`},
		{"info miss badge", `<span class="badge info-miss">INFO</span>`},
		{"skip badge", `<span class="badge skip">SKIP</span>`},
		{"evidence link", `<a class="more" href="#evidence-sig-02">`},
		{"must evidence open", `<details class="evidence" id="evidence-sig-02" open>`},
		{"should evidence closed", `<details class="evidence" id="evidence-rpl-01">`},
		{"request line", `<div class="reqline">POST http://127.0.0.1:8089/</div>`},
		{"signature header", `<td class="hn">X-DevRev-Signature:</td><td>9b1c0e3f`},
		{"status", `<span class="http-status s2xx">200</span><span class="latency">in 3 ms</span>`},
		{"curl", `<pre class="curl">curl -sS -X POST &#39;http://127.0.0.1:8089/&#39;`},
		{"no exchange", "No exchange with the receiver was recorded for this requirement."},
		{"print css", "@media print"},
		{"headline counts blocked", "2 requirements were blocked by those failures."},
		{"run id", `<dd class="mono" id="run-id">` + sampleRunID + `</dd>`},
		{"seed", `<dd class="mono" id="seed">42</dd>`},
		{"blocked row", `<tr class="req row-block" id="req-SIG-03" data-status="fail" data-level="MUST">`},
		{"blocked badge", `<span class="badge block">BLOCK</span>`},
		{"blocked reason", `<span class="reason">blocked by ACK-01: not observed: the correctly signed control event was not acknowledged</span>`},
		{"blocked card", `<div class="card block" data-count="blocked"><div class="n">2</div><div class="l">Blocked</div></div>`},
		{"blocked section", `<section class="block" id="blocked">`},
		{"note", `<span class="note">note: failed while other scenarios ran; passed when re-run alone</span>`},
		{"replay", `<pre class="curl">revhook replay --report report.json SIG-02 --exchange 1</pre>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, page, tt.want)
		})
	}
	assert.Equal(t, 10, strings.Count(page, `<tr class="req `), "one row per requirement")
	assert.Equal(t, 6, strings.Count(page, `<details class="evidence"`), "one evidence block per requirement not met")
	evidence, blocked, _ := strings.Cut(page[strings.Index(page, `<section class="block" id="evidence">`):], `<section class="block" id="blocked">`)
	assert.NotContains(t, evidence, "evidence-sig-03", "blocked requirements are apart from root failures")
	assert.Contains(t, blocked, `id="evidence-sig-03"`)
	assert.Contains(t, blocked, `id="evidence-ver-04"`)
	assert.NotContains(t, page, `id="interrupted"`)

	r := sampleReport()
	r.Interrupted = true
	r.Requirements[7].Scenarios = []Scenario{{Name: "No signature header", Status: StatusFail, BlockedBy: []string{"ACK-01"}, Reason: "not observed", Note: "n"}}
	page = written(t, FormatHTML, r)
	assert.Contains(t, page, `<p class="interrupted" id="interrupted">`+interruptedText+`</p>`)
	assert.Contains(t, page, `No signature header — blocked by ACK-01 — not observed — note: n</li>`)
}

func TestHTMLIsSelfContained(t *testing.T) {
	page := written(t, FormatHTML, fullReport(true))
	for _, banned := range []string{"<link", "@import", "url(", "<img", "<iframe", "<object", "<embed", " src=", "@font-face"} {
		assert.NotContains(t, page, banned)
	}
	// Only in-page links.
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		assert.True(t, strings.HasPrefix(m[1], "#"), "external link %q", m[1])
	}
}

func TestHTMLEscapesEverything(t *testing.T) {
	r := sampleReport()
	r.Target.URL = `http://x/"><script>alert("url")</script>`
	q := &r.Requirements[1]
	q.ID = `SIG-02"><script>alert("id")</script>`
	q.Title = "<b>title</b>"
	q.Reason = "<script>alert('reason')</script>"
	e := &q.Evidence[0]
	e.Request.Headers["X-Evil"] = `"><img src=x onerror=alert(1)>`
	e.Request.BodyPreview = "</pre><script>alert('body')</script>"
	e.Response.BodyPreview = "</pre></details><script>alert('resp')</script>"
	e.Reproduce = "curl '</pre><script>alert(1)</script>'"
	page := written(t, FormatHTML, r)
	assert.Equal(t, 1, strings.Count(page, "<script>"), "only the page's own print script")
	assert.NotContains(t, page, "<img")
	assert.NotContains(t, page, "<b>title</b>")
	assert.Contains(t, page, "&lt;b&gt;title&lt;/b&gt;")
	assert.Contains(t, page, "&lt;/pre&gt;&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;")
	assert.NotContains(t, page, `id="evidence-sig-02"><script>`)
}

func TestHTMLEdgeCases(t *testing.T) {
	t.Run("zero requirements", func(t *testing.T) {
		page := written(t, FormatHTML, &Report{})
		assert.Contains(t, page, `banner verdict-pass`)
		assert.Contains(t, page, "No requirement was selected for this run.")
		assert.Contains(t, page, "there is no failure to document")
		assert.Contains(t, page, "<dd>unknown</dd>")
	})
	t.Run("passing run", func(t *testing.T) {
		page := written(t, FormatHTML, fullReport(false))
		assert.Contains(t, page, `<header class="banner verdict-pass"`)
		assert.Contains(t, page, "Every MUST requirement that ran was met.")
		assert.Equal(t, 26, strings.Count(page, `<tr class="req `))
		assert.Equal(t, 1, strings.Count(page, `<details class="evidence"`), "SEC-01 on plain http")
	})
	t.Run("empty evidence", func(t *testing.T) {
		r := sampleReport()
		r.Requirements[1].Evidence = []Evidence{{}}
		page := written(t, FormatHTML, r)
		assert.Contains(t, page, `<div class="reqline">? </div>`)
		assert.Contains(t, page, `<pre class="body empty">empty body</pre>`)
	})
	t.Run("error instead of response", func(t *testing.T) {
		r := sampleReport()
		r.Requirements[1].Evidence[0].Response = Response{Error: "read tcp: i/o timeout", LatencyMS: 3000}
		page := written(t, FormatHTML, r)
		assert.Contains(t, page, `<span class="http-status error">no response</span><span class="latency">after 3000 ms</span>`)
		assert.Contains(t, page, "error: read tcp: i/o timeout")
	})
	t.Run("long body truncated", func(t *testing.T) {
		r := sampleReport()
		r.Requirements[1].Evidence[0].Request.BodyPreview = strings.Repeat("x", 600_000)
		page := written(t, FormatHTML, r)
		assert.Less(t, len(page), 100_000)
		assert.Contains(t, page, "[595904 more bytes not shown]")
	})
}
