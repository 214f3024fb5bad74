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
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiCyan    = "\x1b[36m"
	ansiMagenta = "\x1b[35m"
	ansiDim     = "\x1b[2m"
)

// WriteConsole prints the report for a person at a terminal: a line naming
// the run (target, run id, seed) when the report has them, one line per
// requirement (PASS, FAIL, WARN for a failed SHOULD, INFO, BLOCK for one
// that could not be observed because others failed, SKIP), the reason
// under each one not met and any note, then a summary line such as
//
//	verdict: FAIL — 22 passed, 1 failed (MUST), 1 warning, 0 INFO not met, 2 blocked, 0 skipped in 1.23s
//
// An interrupted run says so first and in the summary line.
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

	if r.Interrupted {
		fmt.Fprintln(b, c.paint(ansiBold+ansiRed, interruptedText))
	}
	if rt := runText(r); rt != "" {
		fmt.Fprintln(b, c.paint(ansiDim, "target "+orUnknown(r.Target.URL)+" · "+rt))
	}
	for _, q := range r.Requirements {
		badge := Badge(q)
		if v == Quiet && badge != BadgeFail && badge != BadgeWarn && badge != BadgeBlock {
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
		fmt.Fprintf(b, "%s %s  %s  %s\n",
			c.badge(badge), pad(q.ID, idWidth), pad(q.Level, 6), title)
		if q.Status == StatusFail || (q.Status == StatusSkip && q.Reason != "") {
			reason := reasonText(q)
			if reason == "" {
				reason = "(no reason recorded)"
			}
			fmt.Fprintf(b, "%s%s\n", indent, c.paint(ansiDim, reason))
		}
		if q.Note != "" {
			fmt.Fprintf(b, "%s%s\n", indent, c.paint(ansiDim, "note: "+oneLine(q.Note)))
		}
		if v != Verbose {
			continue
		}
		for _, s := range q.Scenarios {
			status := s.Status
			if s.Status == StatusFail && len(s.BlockedBy) > 0 {
				status = "block"
			}
			fmt.Fprintf(b, "%s%-5s %s%s%s\n", indent, status, oneLine(s.Name), suffix(" — ", scenarioReason(s)), suffix(" — note: ", oneLine(s.Note)))
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
	verdict := verdictWord(r.Verdict)
	switch r.Verdict {
	case VerdictPass:
		verdict = c.paint(ansiBold+ansiGreen, verdict)
	case VerdictFail:
		verdict = c.paint(ansiBold+ansiRed, verdict)
	}
	if r.Interrupted {
		verdict += " " + c.paint(ansiBold+ansiRed, "(INTERRUPTED, partial)")
	}
	return fmt.Sprintf("verdict: %s — %s in %s", verdict, countPhrases(r.Summary), formatDuration(r.DurationMS))
}

// scenarioReason is a scenario's reason, with what blocked it.
func scenarioReason(s Scenario) string {
	reason := oneLine(s.Reason)
	if s.Status != StatusFail || len(s.BlockedBy) == 0 {
		return reason
	}
	by := "blocked by " + strings.Join(s.BlockedBy, ", ")
	if reason == "" {
		return by
	}
	return by + ": " + reason
}

// orUnknown returns s, or "unknown" when it is empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// console paints text when colour is on.
type console struct{ color bool }

func (c console) paint(code, s string) string {
	if !c.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// badge pads b to 5 columns: "PASS " or "BLOCK", one space before the ID.
func (c console) badge(b string) string {
	s := pad(b, 5)
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
	case BadgeBlock:
		return c.paint(ansiBold+ansiMagenta, s)
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
