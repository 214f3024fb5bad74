// Command revhook is a DevRev webhook simulator and a conformance harness for
// webhook receivers. See README.md and shared/REPORT.md for the CLI contract.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/revhook/revhook/internal/suggest"
	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
)

// version is the tool version reported in --version and in reports.
var version = "v0.1.0"

// Exit codes (REPORT.md §1).
const (
	exitOK       = 0
	exitFail     = 1 // a MUST requirement failed, or a delivery exhausted its attempts
	exitUsage    = 2 // usage or configuration error, found before sending anything
	exitInternal = 3 // the tool itself failed
	// exitInterrupted is 128+SIGINT, the shell's code for a Ctrl-C; SIGTERM
	// gives 128+15 (interruptedCode).
	exitInterrupted = 130
)

// command is one subcommand of revhook.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"check", "run the conformance catalogue against a receiver URL", runCheck},
		{"serve", "serve the mock DevRev API and deliver events to registered webhooks", runServe},
		{"send", "sign and deliver events to a URL, with DevRev's retries", runSend},
		{"receiver", "run the reference (correct) webhook receiver", runReceiver},
		{"replay", "send an exchange recorded in a check report again, freshly stamped and signed", runReplay},
		{"catalog", "list the conformance requirements and the event types", runCatalog},
		{"sign", "print the X-DevRev-Signature of a body, or a signed example delivery", runSign},
		{"completion", "print a shell completion script (bash, zsh or fish)", runCompletion},
		{"help", "print a command's help", runHelp},
	}
}

// commandNames lists the commands' names, in usage order.
func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// findCommand returns the command called name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	ctx, stop := interruptible(context.Background())
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interruption is the cause of a context cancelled by a signal.
type interruption struct{ sig os.Signal }

func (i interruption) Error() string { return "interrupted by " + i.sig.String() }

// interruptible returns a context cancelled, with an interruption as its
// cause, by the first SIGINT or SIGTERM; a second one gets the default
// behaviour (the process ends at once).
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(interruption{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// interruptedCode returns the exit code of a run stopped by ctx: 128+N for
// signal N (130 for SIGINT, 143 for SIGTERM), 130 for any other
// cancellation. ok is false while ctx is live.
func interruptedCode(ctx context.Context) (code int, ok bool) {
	if ctx.Err() == nil {
		return 0, false
	}
	var i interruption
	if errors.As(context.Cause(ctx), &i) {
		if s, isSys := i.sig.(syscall.Signal); isSys {
			return 128 + int(s), true
		}
	}
	return exitInterrupted, true
}

// run dispatches to a command. `revhook CMD --help` (anywhere before
// "--") and `revhook help CMD` print the command's help on stdout and exit 0;
// an unknown command is one line on stderr with a suggestion, exit 2.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "-v", "--version", "version":
		fmt.Fprintln(stdout, "revhook", version)
		return exitOK
	}
	c, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "revhook: unknown command %q%s — see 'revhook --help'\n", args[0], suggest.Hint(args[0], commandNames()))
		return exitUsage
	}
	if wantsHelp(args[1:]) {
		return commandHelp(ctx, c, stdout)
	}
	code := c.run(ctx, args[1:], stdout, stderr)
	// Every command a signal stopped exits 128+N (130 for Ctrl-C, 143 for
	// SIGTERM) rather than what its cut-short work concluded, so a script
	// tells an interruption from a verdict; usage errors and revhook's own
	// failures keep their codes.
	if stopped, ok := interruptedCode(ctx); ok && (code == exitOK || code == exitFail || code == exitInterrupted) {
		return stopped
	}
	return code
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// commandHelp prints c's help on w: the command parses --help and writes
// its usage to what it takes for stderr.
func commandHelp(ctx context.Context, c command, w io.Writer) int {
	return c.run(ctx, []string{"--help"}, w, w)
}

// runHelp is `revhook help [COMMAND]`.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("help", "help [COMMAND]", stderr)
	if code, done := parseFlagsN(fs, args, 1); done {
		return code
	}
	if fs.NArg() == 0 {
		usage(stdout)
		return exitOK
	}
	c, ok := findCommand(fs.Arg(0))
	if !ok {
		return usageErr(stderr, "help", "unknown command %q%s", fs.Arg(0), suggest.Hint(fs.Arg(0), commandNames()))
	}
	return commandHelp(ctx, c, stdout)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "revhook — DevRev webhook simulator and receiver conformance harness")
	fmt.Fprintln(w, "\nUsage:\n  revhook <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'revhook help <command>' or 'revhook <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set whose usage text starts with synopsis and
// goes to stderr (stdout when the dispatcher asks for help). Parse errors
// are reported by parseFlags, one line each.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("revhook "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: revhook %s\n\nFlags:\n", synopsis)
		printFlags(fs)
	}
	if c, ok := stderr.(*flagCollector); ok {
		c.fs = fs
	}
	return fs
}

// printFlags lists fs's flags GNU-style (--name), as REPORT.md writes them.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
		if c, ok := f.Value.(interface{ Choices() []string }); ok && name == "value" {
			name = strings.Join(c.Choices(), "|")
		}
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "[]" {
			text += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(fs.Output(), "%s\n    \t%s\n", line, strings.ReplaceAll(text, "\n", "\n    \t"))
	})
}

// parseFlags parses args into fs. It returns done=true with the exit code when
// the command must stop: 0 after --help (the help printed), 2 after a parse
// error or a stray positional argument (one line printed, with a suggestion
// for a mistyped flag).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	return parseFlagsN(fs, args, 0)
}

// parseFlagsN is parseFlags for a command taking up to maxArgs positional
// arguments after its flags.
func parseFlagsN(fs *flag.FlagSet, args []string, maxArgs int) (code int, done bool) {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package's own messages and usage dump
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return exitOK, true
	case err != nil:
		return usageLine(out, fs.Name(), flagErrorText(fs, err)), true
	case fs.NArg() > maxArgs:
		return usageLine(out, fs.Name(), fmt.Sprintf("unexpected argument %q (flags start with --)", fs.Arg(maxArgs))), true
	}
	return 0, false
}

// parseFlagsAndArgs parses flags and positional arguments in any order
// ("SIG-02 --exchange 2" or "--exchange 2 SIG-02"), with parseFlags's help
// and one-line errors; pos are the positional arguments, in order. The
// command checks how many it got.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string) (pos []string, code int, done bool) {
	for {
		if code, done := parseFlagsN(fs, args, len(args)); done {
			return nil, code, true
		}
		if fs.NArg() == 0 {
			return pos, 0, false
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagErrorText rewrites the flag package's parse errors GNU-style, with a
// suggestion for an unknown flag: "unknown flag --urll (did you mean --url?)".
func flagErrorText(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		hint := ""
		if c := suggest.Closest(name, names); c != "" {
			hint = " (did you mean --" + c + "?)"
		}
		return "unknown flag --" + name + hint
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "--" + strings.TrimLeft(name, "-") + " needs a value"
	}
	for _, prefix := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		for _, sep := range []string{" for flag -", " for -"} {
			if value, after, ok := strings.Cut(rest, sep); ok {
				if name, why, ok := strings.Cut(strings.TrimLeft(after, "-"), ": "); ok {
					return "--" + name + ": invalid value " + value + ": " + why
				}
			}
		}
	}
	return msg
}

// usageLine prints a usage error as one line naming the help to read, and
// returns exit code 2. cmd is "revhook NAME".
func usageLine(w io.Writer, cmd, msg string) int {
	fmt.Fprintf(w, "%s: %s — see '%s --help'\n", cmd, msg, cmd)
	return exitUsage
}

// choice is a flag value restricted to a few words, with a suggestion for
// a mistyped one; completion scripts offer its words.
type choice struct {
	value  *string
	values []string
}

// choiceVar defines a flag taking one of values (the first one is not
// special: def is the default).
func choiceVar(fs *flag.FlagSet, p *string, name, def string, values []string, usage string) {
	*p = def
	fs.Var(&choice{value: p, values: values}, name, usage)
}

// String implements flag.Value.
func (c *choice) String() string {
	if c == nil || c.value == nil {
		return ""
	}
	return *c.value
}

// Set implements flag.Value.
func (c *choice) Set(s string) error {
	if slices.Contains(c.values, s) {
		*c.value = s
		return nil
	}
	return fmt.Errorf("want %s%s", strings.Join(c.values, ", "), suggest.Hint(s, c.values))
}

// Choices lists the accepted words, for completion.
func (c *choice) Choices() []string { return c.values }

// flagCollector, passed as a command's stderr, receives the command's flag
// set from newFlagSet; what is written to it is discarded. Completion uses
// it to read every command's flags without running anything.
type flagCollector struct{ fs *flag.FlagSet }

// Write implements io.Writer, discarding p.
func (*flagCollector) Write(p []byte) (int, error) { return len(p), nil }

// commandFlags returns c's flag set, by asking the command for its help.
func commandFlags(ctx context.Context, c command) *flag.FlagSet {
	col := &flagCollector{}
	c.run(ctx, []string{"--help"}, io.Discard, col)
	return col.fs
}

// givenFlags returns the names of the flags set on fs's command line.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}

// responseDeadline is the per-attempt response deadline: --timeout when it
// was given, otherwise DevRev's 3 s scaled by --time-scale.
func responseDeadline(timeout time.Duration, given bool, scale float64) time.Duration {
	if !given {
		return clock.Scale(delivery.DefaultTimeout, scale)
	}
	return timeout
}

// checkScaled refuses a duration that does not fit a time.Duration once
// multiplied by the time scale (it would wrap around: "retries after 1ns").
func checkScaled(d time.Duration, scale float64) error {
	if float64(d)*max(scale, 1) >= float64(math.MaxInt64) {
		return fmt.Errorf("%s at --time-scale %g is over the longest duration revhook can wait (%s)", d, scale, time.Duration(math.MaxInt64))
	}
	return nil
}

// usageErr reports a configuration error on stderr, one line naming the
// command's help, and returns exit code 2.
func usageErr(stderr io.Writer, cmd string, format string, a ...any) int {
	return usageLine(stderr, "revhook "+cmd, fmt.Sprintf(format, a...))
}
