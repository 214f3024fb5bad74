// Command revhook is a DevRev webhook simulator and a conformance harness for
// webhook receivers. See README.md and shared/REPORT.md for the CLI contract.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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
		{"catalog", "list the conformance requirements and the event types", runCatalog},
		{"sign", "print the X-DevRev-Signature of a body, or a signed example delivery", runSign},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "-v", "--version", "version":
		fmt.Fprintln(stdout, "revhook", version)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "revhook: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "revhook — DevRev webhook simulator and receiver conformance harness")
	fmt.Fprintln(w, "\nUsage:\n  revhook <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'revhook <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set whose usage text starts with synopsis.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("revhook "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: revhook %s\n\nFlags:\n", synopsis)
		printFlags(fs)
	}
	return fs
}

// printFlags lists fs's flags GNU-style (--name), as REPORT.md writes them.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, text := flag.UnquoteUsage(f)
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
// the command must stop: 0 after --help, 2 after a parse error (already
// reported by the flag package) or stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			return exitOK, true
		}
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q (flags start with --)\n", fs.Name(), fs.Arg(0))
		return exitUsage, true
	}
	return 0, false
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

// usageErr reports a configuration error on stderr and returns exit code 2.
func usageErr(stderr io.Writer, cmd string, format string, a ...any) int {
	fmt.Fprintf(stderr, "revhook %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return exitUsage
}
