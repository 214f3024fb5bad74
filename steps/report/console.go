package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Verbosity selects how much WriteConsole prints.
type Verbosity int

const (
	// Quiet prints only the MUST failures and SHOULD warnings, then the summary.
	Quiet Verbosity = iota
	// Normal prints one line per requirement (a reason under each one not
	// met), then the summary.
	Normal
	// Verbose adds every scenario's outcome and the evidence for failures.
	Verbose
)

// consoleTitleWidth bounds a title on the console outside Verbose.
const consoleTitleWidth = 80

// ANSI colours used when the console is a terminal.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

// WriteConsole prints the report for a person at a terminal: one line per
// requirement (PASS, FAIL, WARN for a failed SHOULD, INFO, SKIP), the reason
// under each one not met, then a summary line such as
//
//	verdict: FAIL — 24 passed, 1 failed (MUST), 1 warning, 0 skipped in 1.23s
//
// Colour is used only when w is a terminal and NO_COLOR is unset. Write
// errors are ignored, as for fmt.Fprintf to a console.
func WriteConsole(w io.Writer, r *Report, v Verbosity) {
	if r == nil {
		return
	}
	r = normalize(r)
	c := console{color: useColor(w)}
	b := bufio.NewWriter(w)
	defer b.Flush()

	idWidth := 6
	for _, q := range r.Requirements {
		idWidth = max(idWidth, utf8.RuneCountInString(q.ID))
	}
	indent := strings.Repeat(" ", 6+idWidth+2+8)

	for _, q := range r.Requirements {
		badge := Badge(q)
		if v == Quiet && badge != BadgeFail && badge != BadgeWarn {
			continue
		}
		title := oneLine(q.Title)
		if v != Verbose {
			title = clip(title, consoleTitleWidth)
		}
		if badge == BadgeInfo {
			if q.Status == StatusFail {
				title += " (not met)"
			} else {
				title += " (met)"
			}
		}
		fmt.Fprintf(b, "%s  %s  %s  %s\n",
			c.badge(badge), pad(q.ID, idWidth), pad(q.Level, 6), title)
		if q.Status == StatusFail || (q.Status == StatusSkip && q.Reason != "") {
			reason := oneLine(q.Reason)
			if reason == "" {
				reason = "(no reason recorded)"
			}
			fmt.Fprintf(b, "%s%s\n", indent, c.paint(ansiDim, reason))
		}
		if v != Verbose {
			continue
		}
		for _, s := range q.Scenarios {
			fmt.Fprintf(b, "%s%-4s  %s%s\n", indent, s.Status, oneLine(s.Name), suffix(" — ", oneLine(s.Reason)))
		}
		if q.Status == StatusFail {
			for i, e := range q.Evidence {
				fmt.Fprintf(b, "%s--- exchange %d of %d ---\n", indent, i+1, len(q.Evidence))
				for _, line := range strings.Split(strings.TrimRight(evidenceText(e), "\n"), "\n") {
					fmt.Fprintf(b, "%s%s\n", indent, line)
				}
			}
		}
	}
	if len(r.Requirements) == 0 {
		fmt.Fprintln(b, "no requirement selected")
	}
	fmt.Fprintln(b, summaryLine(r, c))
}

// summaryLine is the console's last line.
func summaryLine(r *Report, c console) string {
	t := countOutcomes(r.Requirements)
	verdict := verdictWord(r.Verdict)
	switch r.Verdict {
	case VerdictPass:
		verdict = c.paint(ansiBold+ansiGreen, verdict)
	case VerdictFail:
		verdict = c.paint(ansiBold+ansiRed, verdict)
	}
	parts := []string{
		fmt.Sprintf("%d passed", t.Passed),
		fmt.Sprintf("%d failed (MUST)", t.FailedMust),
		plural(t.Warnings, "warning", "warnings"),
	}
	if t.InfoNotMet > 0 {
		parts = append(parts, fmt.Sprintf("%d INFO not met", t.InfoNotMet))
	}
	parts = append(parts, fmt.Sprintf("%d skipped", t.Skipped))
	return fmt.Sprintf("verdict: %s — %s in %s", verdict, strings.Join(parts, ", "), formatDuration(r.DurationMS))
}

// console paints text when colour is on.
type console struct{ color bool }

func (c console) paint(code, s string) string {
	if !c.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (c console) badge(b string) string {
	s := pad(b, 4)
	switch b {
	case BadgePass:
		return c.paint(ansiGreen, s)
	case BadgeFail:
		return c.paint(ansiBold+ansiRed, s)
	case BadgeWarn:
		return c.paint(ansiYellow, s)
	case BadgeInfo:
		return c.paint(ansiCyan, s)
	case BadgeSkip:
		return c.paint(ansiDim, s)
	}
	return s
}

// useColor reports whether w is a terminal and NO_COLOR is unset.
func useColor(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}

// pad right-pads s with spaces to n runes.
func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// clip shortens s to n runes, ending with an ellipsis when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return strings.TrimRight(string(runes[:n-1]), " ") + "…"
}
