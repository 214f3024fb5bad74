package report

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countKeys are the summary counts every format shows.
var countKeys = []string{"passed", "failed_must", "warnings", "info_not_met", "blocked", "skipped"}

// mixedReport has blocked requirements of every level, a blocked one whose
// blocker passed, an unlevelled failure and odd statuses, to catch a format
// that counts them its own way.
func mixedReport() *Report {
	r := sampleReport()
	r.Requirements = append(r.Requirements,
		Requirement{ID: "SEC-02", Level: LevelInfo, Title: "blocked info", Status: StatusFail, BlockedBy: []string{"SIG-01"}},
		Requirement{ID: "ROB-04", Level: LevelMust, Title: "blocked twice", Status: StatusFail, BlockedBy: []string{"SIG-01", "ACK-01"}, Reason: "x"},
		Requirement{ID: "ORD-02", Level: LevelMust, Title: "blocked_by on a pass is not blocked", Status: StatusPass, BlockedBy: []string{"SIG-01"}},
		Requirement{ID: "XYZ-01", Title: "unlevelled", Status: StatusFail, Reason: "no level"},
	)
	r.Finish()
	return r
}

// formatCounts renders r in every format and reads the summary counts back
// the way a reader (or a script) of each format would.
func formatCounts(t *testing.T, r *Report) map[string]map[string]int {
	t.Helper()
	got := map[string]map[string]int{}

	console := consoleOf(r, Quiet)
	m := regexp.MustCompile(`(\d+) passed, (\d+) failed \(MUST\), (\d+) warnings?, (\d+) INFO not met, (\d+) blocked, (\d+) skipped`).FindStringSubmatch(console)
	require.NotNil(t, m, console)
	got["console"] = map[string]int{}
	for i, k := range countKeys {
		got["console"][k], _ = strconv.Atoi(m[i+1])
	}

	var doc struct{ Summary map[string]int }
	require.NoError(t, json.Unmarshal([]byte(written(t, FormatJSON, r)), &doc))
	got["json"] = doc.Summary

	junit := parseJUnit(t, r)
	got["junit"] = map[string]int{}
	for _, p := range junit.Suites[0].Props {
		if k, ok := strings.CutPrefix(p.Name, "summary."); ok {
			got["junit"][k], _ = strconv.Atoi(p.Value)
		}
	}

	for _, f := range []string{FormatMarkdown, FormatMarkdownSummary} {
		got[f] = markdownCounts(t, written(t, f, r))
	}

	got["html"] = map[string]int{}
	for _, m := range regexp.MustCompile(`data-count="(\w+)"><div class="n">(\d+)</div>`).FindAllStringSubmatch(written(t, FormatHTML, r), -1) {
		got["html"][m[1]], _ = strconv.Atoi(m[2])
	}
	return got
}

// markdownCounts reads the counts table (header row, rule, values row).
func markdownCounts(t *testing.T, md string) map[string]int {
	t.Helper()
	header := map[string]string{"Passed": "passed", "Failed (MUST)": "failed_must", "Warnings (SHOULD)": "warnings",
		"INFO not met": "info_not_met", "Blocked": "blocked", "Skipped": "skipped", "Requirements": "total"}
	lines := strings.Split(md, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "| Requirements |") {
			continue
		}
		names, values := tableCells(l), tableCells(lines[i+2])
		require.Len(t, values, len(names))
		out := map[string]int{}
		for j, n := range names {
			out[header[n]], _ = strconv.Atoi(values[j])
		}
		return out
	}
	t.Fatalf("no counts table in:\n%s", md)
	return nil
}

// tableCells splits a Markdown table row on unescaped pipes.
func tableCells(row string) []string {
	var cells []string
	for _, c := range splitCells(row, true) {
		cells = append(cells, strings.TrimSpace(c))
	}
	return cells
}

// splitCells splits a GFM table row into its cells. With parity, a pipe is
// escaped when an odd number of backslashes precede it (CommonMark's
// escaping); without, when any backslash does (a stricter scanner). A
// well-escaped row splits the same both ways.
func splitCells(row string, parity bool) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	var cells []string
	var cell strings.Builder
	slashes := 0
	for _, c := range row {
		if c == '|' && ((parity && slashes%2 == 0) || (!parity && slashes == 0)) {
			cells = append(cells, cell.String())
			cell.Reset()
			slashes = 0
			continue
		}
		if c == '\\' {
			slashes++
		} else {
			slashes = 0
		}
		cell.WriteRune(c)
	}
	if strings.TrimSpace(cell.String()) != "" {
		cells = append(cells, cell.String())
	}
	return cells
}

// TestCountsAgreeAcrossFormats renders one report in every format and
// compares the counts each shows with the JSON summary REPORT.md defines.
func TestCountsAgreeAcrossFormats(t *testing.T) {
	for name, r := range map[string]*Report{"sample": sampleReport(), "mixed": mixedReport(), "full": fullReport(true), "zero": {}} {
		t.Run(name, func(t *testing.T) {
			want := summarize(r.Requirements)
			got := formatCounts(t, r)
			require.Len(t, got, 6)
			for format, c := range got {
				for _, k := range countKeys {
					assert.Equal(t, wantCount(want, k), c[k], "%s: %s", format, k)
				}
			}
			assert.Equal(t, want.Failed, got["json"]["failed"])
			assert.Equal(t, want.Failed, got["junit"]["failed"])
			assert.Equal(t, want.Failed, want.FailedMust+want.Warnings+want.InfoNotMet+want.Blocked,
				"failed is every requirement not met, root or blocked")
		})
	}
	want := summarize(mixedReport().Requirements)
	assert.Equal(t, Summary{Total: 14, Passed: 4, Failed: 9, Skipped: 1, FailedMust: 3, Warnings: 1, InfoNotMet: 1, Blocked: 4}, want)
}

func wantCount(s Summary, key string) int {
	for _, c := range counts(s) {
		if c.Key == key {
			return c.N
		}
	}
	return -1
}

// TestBlockedNeverLooksLikeAPass renders blocked requirements of every level
// and checks each format shows them as not met, apart from root failures.
func TestBlockedNeverLooksLikeAPass(t *testing.T) {
	r := mixedReport()
	blocked := map[string]string{"SIG-03": LevelMust, "VER-04": LevelShould, "SEC-02": LevelInfo, "ROB-04": LevelMust}

	t.Run("badge", func(t *testing.T) {
		for _, q := range r.Requirements {
			if _, ok := blocked[q.ID]; ok {
				assert.Equal(t, BadgeBlock, Badge(q), q.ID)
			}
		}
		assert.Equal(t, BadgePass, Badge(Requirement{Level: LevelMust, Status: StatusPass, BlockedBy: []string{"SIG-01"}}),
			"blocked_by on a pass does not make it blocked")
	})
	t.Run("console", func(t *testing.T) {
		out := consoleOf(r, Normal)
		for id := range blocked {
			assert.Regexp(t, `(?m)^BLOCK `+id+` `, out)
		}
		assert.Contains(t, out, "blocked by SIG-01, ACK-01: x")
		assert.NotEqual(t, console{color: true}.badge(BadgePass), console{color: true}.badge(BadgeBlock))
		assert.NotContains(t, console{color: true}.badge(BadgeBlock), ansiGreen)
	})
	t.Run("junit", func(t *testing.T) {
		for _, c := range parseJUnit(t, r).Suites[0].Cases {
			level, ok := blocked[strings.Fields(c.Name)[0]]
			if !ok {
				continue
			}
			assert.Nil(t, c.Failure, c.Name)
			if level == LevelMust {
				require.NotNil(t, c.Error, "a blocked MUST is an <error>: %s", c.Name)
				assert.Contains(t, c.Error.Message, "blocked by")
			} else {
				require.NotNil(t, c.SystemOut, "a blocked %s is a note: %s", level, c.Name)
				assert.True(t, strings.HasPrefix(*c.SystemOut, "BLOCK: "), *c.SystemOut)
			}
		}
	})
	t.Run("html", func(t *testing.T) {
		page := written(t, FormatHTML, r)
		for id := range blocked {
			row := regexp.MustCompile(`<tr class="req ([\w-]+)" id="req-` + id + `"[^>]*>\s*<td class="status"><span class="badge ([\w-]+)">(\w+)<`).FindStringSubmatch(page)
			require.NotNil(t, row, id)
			assert.Equal(t, []string{"row-block", "block", "BLOCK"}, row[1:], id)
		}
		css := regexp.MustCompile(`\.badge\.block \{[^}]*\}`).FindString(page)
		assert.NotContains(t, css, "--pass", "the blocked badge is not painted like a pass")
		assert.Contains(t, css, "--block")
	})
	t.Run("markdown", func(t *testing.T) {
		for _, f := range []string{FormatMarkdown, FormatMarkdownSummary} {
			md := written(t, f, r)
			for id := range blocked {
				assert.Regexp(t, `(?m)^\| `+id+` \| \w+ \| \*\*BLOCK\*\* \|`, md, f)
			}
		}
		sum := written(t, FormatMarkdownSummary, r)
		_, after, ok := strings.Cut(sum, "### Blocked")
		require.True(t, ok, sum)
		list, _, _ := strings.Cut(after, "###")
		for id := range blocked {
			assert.Contains(t, list, "- **BLOCK** "+id+" ")
		}
		assert.NotContains(t, list, "**FAIL**")
	})
}
