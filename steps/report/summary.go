package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// SummaryLimit bounds a markdown-summary report, in bytes and so in
// characters: a GitHub PR comment or step summary takes 65 536 characters.
const SummaryLimit = 60000

// Bounds of one line of the markdown summary, in runes before escaping.
const (
	summaryTitleRunes  = 120
	summaryReasonRunes = 300
	summaryNoteRunes   = 200
	summaryMetaRunes   = 200
	summaryReplayBytes = 400 // a longer replay command is left to the JSON report
	summaryReserve     = 600 // room kept for the truncation note and the footer
)

// writeMarkdownSummary renders the markdown-summary format: verdict, run,
// counts, one line per root failure and per blocked requirement with its
// reason and how to replay it, then a table of every requirement. Evidence
// is left to the HTML and JSON reports. The result never exceeds
// SummaryLimit bytes, whatever the report holds.
func writeMarkdownSummary(w io.Writer, r *Report) error {
	_, err := io.WriteString(w, markdownSummary(r, SummaryLimit))
	return err
}

// budget writes lines while they fit in limit bytes minus a reserve, and
// counts those left out.
type budget struct {
	b       strings.Builder
	limit   int
	omitted int
}

// line writes s unless it would not fit, or a line was already left out
// (so the summary never skips a line and shows a later one).
func (m *budget) line(s string) {
	if m.full() || m.b.Len()+len(s) > m.limit-summaryReserve {
		m.omitted++
		return
	}
	m.b.WriteString(s)
}

// full reports whether lines are being left out; callers then skip
// building lines that would only be counted.
func (m *budget) full() bool { return m.omitted > 0 }

// skip counts a line left out without building it.
func (m *budget) skip() { m.omitted++ }

// markdownSummary builds the summary within limit bytes.
func markdownSummary(r *Report, limit int) string {
	m := &budget{limit: limit}
	mark := "✅"
	switch {
	case r.Interrupted:
		mark = "⚠️"
	case r.Verdict != VerdictPass:
		mark = "❌"
	}
	m.line(fmt.Sprintf("## %s Webhook receiver conformance: %s\n\n", mark, verdictWord(r.Verdict)))
	if r.Interrupted {
		m.line("> **" + mdText(interruptedText) + ".**\n\n")
	}
	m.line(fmt.Sprintf("**%s** — %s\n\n", verdictWord(r.Verdict), mdText(verdictSentence(r))))
	m.line(fmt.Sprintf("Target %s · run %s · seed %d · %s · %s\n\n",
		mdSpan(clipLine(r.Target.URL, summaryMetaRunes)),
		mdSpan(clipLine(orUnknown(r.RunID), summaryMetaRunes)),
		r.Seed,
		mdText(clip(strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version), summaryMetaRunes)),
		mdText(formatDate(r.StartedAt))))
	m.line(mdCountsTable(r) + "\n")

	if roots := byLevel(rootFailures(r.Requirements)); len(roots) > 0 {
		m.line("### Not met\n\n")
		for _, q := range roots {
			if m.full() {
				m.skip()
				continue
			}
			m.line(summaryItem(q, r.Target.URL))
		}
		m.line("\n")
	}
	if blocked := byLevel(blockedReqs(r.Requirements)); len(blocked) > 0 {
		m.line("### Blocked (not observed because the requirements named failed)\n\n")
		for _, q := range blocked {
			if m.full() {
				m.skip()
				continue
			}
			m.line(summaryItem(q, r.Target.URL))
		}
		m.line("\n")
	}
	if len(r.Requirements) > 0 {
		m.line("### Requirements\n\n| ID | Level | Status | Requirement |\n|---|---|---|---|\n")
		for _, q := range r.Requirements {
			if m.full() {
				m.skip()
				continue
			}
			m.line(fmt.Sprintf("| %s | %s | %s | %s |\n", mdText(clip(q.ID, 40)), mdText(clip(q.Level, 20)),
				mdStatus(q), summaryCell(q)))
		}
		m.line("\n")
	}
	if m.omitted > 0 {
		m.b.WriteString(fmt.Sprintf("\n_%d more lines left out to stay under %d characters: see the HTML or JSON report._\n\n",
			m.omitted, limit))
	}
	m.b.WriteString("Evidence (requests, responses, curl commands) is in the HTML and JSON reports. " +
		"The webhook secret is never recorded.\n")
	return m.b.String()
}

// summaryItem is one list line: badge, ID, level, title, reason (with what
// blocked it) and the command that replays its first replayable exchange,
// or else the check command that runs the requirement again against url.
func summaryItem(q Requirement, url string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **%s** %s (%s) %s", Badge(q), mdText(clip(q.ID, 40)), mdText(clip(q.Level, 20)),
		mdText(clipLine(q.Title, summaryTitleRunes)))
	short := q
	short.Reason = clipLine(q.Reason, summaryReasonRunes)
	if reason := reasonText(short); reason != "" {
		b.WriteString(" — " + mdText(clipLine(reason, summaryReasonRunes)))
	}
	if q.Note != "" {
		b.WriteString(" — _note: " + mdText(clipLine(q.Note, summaryNoteRunes)) + "_")
	}
	b.WriteString(howToReplay(q, url))
	b.WriteString("\n")
	return b.String()
}

// howToReplay is " — replay: `CMD`" for q's first replayable exchange, or
// " — rerun: `revhook check --url URL --only ID`" when none is recorded
// (the secret from REVHOOK_SECRET); "" when neither fits on a line.
func howToReplay(q Requirement, url string) string {
	evidence := make([]Evidence, 0, len(q.Evidence))
	for _, e := range q.Evidence { // the exchange that showed the failure first
		if e.Decisive {
			evidence = append(evidence, e)
		}
	}
	evidence = append(evidence, q.Evidence...)
	for _, e := range evidence {
		cmd := replayCommand(e)
		if cmd == "" {
			continue
		}
		if len(cmd) > summaryReplayBytes {
			return " — replay: see the JSON report"
		}
		return " — replay: " + mdSpan(cmd)
	}
	cmd := "revhook check --url " + shellQuote(url) + " --only " + q.ID
	if url == "" || q.ID == "" || len(cmd) > summaryReplayBytes {
		return ""
	}
	return " — rerun: " + mdSpan(cmd)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// summaryCell is a requirement's title and note for the summary table.
func summaryCell(q Requirement) string {
	cell := mdText(clipLine(q.Title, summaryTitleRunes))
	if q.Blocked() {
		cell += " — " + mdText(clipLine(blockedText(q), summaryNoteRunes))
	}
	if q.Note != "" {
		cell += " — _note: " + mdText(clipLine(q.Note, summaryNoteRunes)) + "_"
	}
	return cell
}

// mdSpan renders s as inline code outside a table: a backtick fence longer
// than any backtick run inside it, control characters replaced.
func mdSpan(s string) string {
	s = mdPlain(oneLine(s))
	if s == "" {
		return "—"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// clipLine is s on one line, at most n runes, ending with an ellipsis when
// cut; only a bounded prefix of s is read, so a huge field costs no more
// than a short one.
func clipLine(s string, n int) string {
	if limit := 16 * n; len(s) > limit {
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s = s[:limit] + " …"
	}
	return clip(oneLine(s), n)
}

// byLevel orders requirements MUST first, then SHOULD, then INFO (and any
// other level), keeping the catalogue order within a level.
func byLevel(reqs []Requirement) []Requirement {
	rank := func(q Requirement) int {
		switch q.Level {
		case LevelMust:
			return 0
		case LevelShould:
			return 1
		case LevelInfo:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(reqs, func(a, b Requirement) int { return rank(a) - rank(b) })
	return reqs
}
