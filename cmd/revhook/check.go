package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/revhook/revhook/internal/suggest"

	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps"
	"github.com/revhook/revhook/steps/harness"
	"github.com/revhook/revhook/steps/report"
)

// formatCucumber is godog's cucumber JSON, written by the runner itself.
const formatCucumber = "cucumber"

// stdoutPath is the --report path that means standard output.
const stdoutPath = "-"

// --fail-on values: what makes `check` exit 1.
const (
	failOnMust = "must" // a MUST not met (the verdict)
	failOnWarn = "warn" // also a SHOULD not met, root failure or blocked
)

// reportTarget is one --report FORMAT=PATH.
type reportTarget struct{ format, path string }

// reportFlag collects repeated --report flags.
type reportFlag []reportTarget

// reportFormats lists every --report format.
func reportFormats() []string { return append(report.Formats(), formatCucumber) }

// String implements flag.Value.
func (r *reportFlag) String() string {
	parts := make([]string, len(*r))
	for i, t := range *r {
		parts[i] = t.format + "=" + t.path
	}
	return strings.Join(parts, ",")
}

// Set implements flag.Value: it parses and validates one FORMAT=PATH.
func (r *reportFlag) Set(v string) error {
	format, path, ok := strings.Cut(v, "=")
	if !ok || format == "" || path == "" {
		return fmt.Errorf("want FORMAT=PATH, e.g. html=report.html, or FORMAT=- for stdout")
	}
	if !slices.Contains(reportFormats(), format) {
		return fmt.Errorf("unknown report format %q (want one of %s)%s", format,
			strings.Join(reportFormats(), ", "), suggest.Hint(format, reportFormats()))
	}
	*r = append(*r, reportTarget{format, path})
	return nil
}

// Choices lists the formats as completion offers them.
func (r *reportFlag) Choices() []string {
	var out []string
	for _, f := range reportFormats() {
		out = append(out, f+"=")
	}
	return out
}

// checkFlags are the parsed flags of `revhook check`.
type checkFlags struct {
	url, secret, encoding, keyEnc, only, skip, failOn string
	list, insecure, quiet, verbose                    bool
	timeout                                           time.Duration
	reports                                           reportFlag
	seed                                              int64
	headers                                           headerFlag
}

func newCheckFlagSet(stderr io.Writer) (*flag.FlagSet, *checkFlags) {
	f := &checkFlags{}
	fs := newFlagSet("check", "check --url URL --secret SECRET [flags]\n\n"+
		"Exit status: 0 every MUST passed (with --fail-on warn: every SHOULD too); 1 a requirement\n"+
		"--fail-on counts was not met, root failure or blocked (an unreachable receiver included);\n"+
		"2 usage or configuration error, before anything is sent; 3 the harness itself failed;\n"+
		"130/143 interrupted by SIGINT/SIGTERM (the reports are written, marked interrupted).", stderr)
	fs.StringVar(&f.url, "url", "", "receiver endpoint, http or https (required)")
	fs.StringVar(&f.secret, "secret", "", "the webhook secret the receiver verifies with (env REVHOOK_SECRET)")
	choiceVar(fs, &f.encoding, "encoding", "auto", []string{"auto", "hex", "base64"},
		"signature encoding: hex, base64, or auto (detect which one the receiver accepts)")
	choiceVar(fs, &f.keyEnc, "key-encoding", "auto", []string{"auto", "raw", "base64"},
		"how the secret becomes the HMAC key: raw (its bytes), base64 (its decoding) or auto (detection also tries the decoding when the secret is valid base64)")
	fs.StringVar(&f.only, "only", "", "requirement IDs (SIG-02,VER-01 or @SIG-02,@VER-01) or a tag expression (\"@must && ~@slow\"); default all")
	fs.StringVar(&f.skip, "skip", "", "requirement IDs to leave out, comma-separated")
	fs.BoolVar(&f.list, "list", false, "print the selected scenarios and exit without sending anything")
	fs.Var(&f.reports, "report", "write a report: `FORMAT=PATH`, FORMAT one of "+strings.Join(reportFormats(), ", ")+
		"; PATH - writes it to stdout and the console to stderr (repeatable)")
	choiceVar(fs, &f.failOn, "fail-on", failOnMust, []string{failOnMust, failOnWarn},
		"what exits 1: must (a MUST not met) or warn (also a SHOULD not met, blocked ones included)")
	fs.DurationVar(&f.timeout, "timeout", steps.DefaultTimeout, "receiver response deadline")
	fs.BoolVar(&f.insecure, "insecure", false, "accept any TLS certificate on https receivers")
	fs.BoolVar(&f.quiet, "quiet", false, "print only failures, warnings, blocked requirements and the summary")
	fs.BoolVar(&f.verbose, "verbose", false, "also print every scenario and the evidence for failures")
	fs.Int64Var(&f.seed, "seed", 0, "make every payload and event id repeatable (0: pick one; every report records it)")
	fs.Var(&f.headers, "header", "extra header `NAME=VALUE` sent with every request, e.g. a gateway's key (repeatable; values are never printed)")
	return fs, f
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, f := newCheckFlagSet(stderr)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	switch {
	case f.quiet && f.verbose:
		return usageErr(stderr, "check", "--quiet and --verbose exclude each other")
	case f.timeout <= 0:
		return usageErr(stderr, "check", "--timeout must be positive, got %s", f.timeout)
	}
	cfg := f.config()
	hdr, err := f.headers.Header()
	if err != nil {
		return usageErr(stderr, "check", "--header: %v", err)
	}
	cfg.Header = hdr
	if f.list {
		return listScenarios(cfg, stdout, stderr)
	}
	outs, err := openReports(f.reports)
	if err != nil {
		return usageErr(stderr, "check", "--report %v", err)
	}
	defer outs.discard()
	var cucumber *bytes.Buffer
	if outs.wants(formatCucumber) {
		cucumber = new(bytes.Buffer)
		cfg.Cucumber = cucumber
	}
	rep, err := steps.Run(ctx, cfg)
	if code, stopped := interruptedCode(ctx); stopped && (err != nil || rep == nil) {
		fmt.Fprintln(stderr, "revhook check: interrupted before any result")
		return code
	}
	if code, done := checkFailed(stderr, err, "harness failure, results are void: "); done {
		return code
	}
	return f.conclude(ctx, rep, outs, cucumber, stdout, stderr)
}

// conclude prints the console report (on stderr when a report goes to
// stdout), writes the reports and returns the exit code: 130/143 for an
// interrupted run, else checkExitCode's.
func (f *checkFlags) conclude(ctx context.Context, rep *report.Report, outs reportOuts, cucumber *bytes.Buffer, stdout, stderr io.Writer) int {
	console := stdout
	if outs.toStdout() {
		console = stderr
	}
	interrupted, stopped := interruptedCode(ctx)
	rep.Interrupted = rep.Interrupted || stopped
	for _, o := range outs {
		if o.format == "json" && o.path != stdoutPath {
			harness.NameReport(rep, o.path) // replay commands name the report they are in
			break
		}
	}
	report.WriteConsole(console, rep, f.verbosity())
	if err := outs.write(rep, cucumber, stdout); err != nil {
		fmt.Fprintf(stderr, "revhook check: %v\n", err)
		return exitInternal
	}
	for _, o := range outs {
		if o.path != stdoutPath && f.verbosity() != report.Quiet {
			fmt.Fprintf(console, "%s report written to %s\n", o.format, o.path)
		}
	}
	if rep.Interrupted {
		return max(interrupted, exitInterrupted)
	}
	code := checkExitCode(rep, f.failOn)
	if code == exitFail && rep.Verdict == report.VerdictPass {
		fmt.Fprintln(console, "exit 1: --fail-on warn, and a SHOULD requirement was not met")
	}
	return code
}

// config is the steps.Config the flags describe (the secret from
// REVHOOK_SECRET when --secret is absent).
func (f *checkFlags) config() steps.Config {
	cfg := steps.Config{
		URL: f.url, Secret: f.secret, Encoding: f.encoding, KeyEncoding: signature.KeyEncoding(f.keyEnc),
		Skip: steps.SplitIDs(f.skip), Timeout: f.timeout, Insecure: f.insecure, Version: version,
		Seed: f.seed,
	}
	if strings.TrimSpace(f.only) != "" {
		if steps.LooksLikeIDs(f.only) || mistypedIDs(f.only) {
			cfg.Only = steps.SplitIDs(f.only)
		} else {
			cfg.Tags = f.only
		}
	}
	cfg.Secret, _ = secretOrEnv(cfg.Secret)
	return cfg
}

// mistypedIDs reports whether s reads as requirement IDs typed wrong
// ("SIG-2", "sig2"): every item letters then digits, no tag marker. They
// are passed as IDs, so the error names the ID meant.
func mistypedIDs(s string) bool {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimPrefix(strings.TrimSpace(item), "@")
		letters := strings.TrimRight(strings.TrimRight(item, "0123456789"), "-_ ")
		digits := strings.TrimLeft(item[len(letters):], "-_ ")
		if len(letters) < 2 || len(letters) > 4 || digits == "" || strings.Trim(letters, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return false
		}
	}
	return true
}

func (f *checkFlags) verbosity() report.Verbosity {
	switch {
	case f.quiet:
		return report.Quiet
	case f.verbose:
		return report.Verbose
	}
	return report.Normal
}

// checkExitCode is 1 when a requirement failOn counts was not met: a MUST
// (the verdict), and with "warn" also a SHOULD, whether it failed itself or
// was blocked (it is not met either way); 0 otherwise.
func checkExitCode(rep *report.Report, failOn string) int {
	if rep.Verdict != report.VerdictPass {
		return exitFail
	}
	if failOn == failOnWarn {
		for _, q := range rep.Requirements {
			if q.Level == report.LevelShould && q.Status == report.StatusFail {
				return exitFail
			}
		}
	}
	return exitOK
}

// listScenarios prints what --only/--skip select, one scenario a line.
func listScenarios(cfg steps.Config, stdout, stderr io.Writer) int {
	ls, err := steps.List(cfg)
	if code, done := checkFailed(stderr, err, ""); done {
		return code
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	ids := map[string]bool{}
	for _, l := range ls {
		ids[l.ID] = true
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.ID, l.Level, l.Name)
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d scenarios checking %d requirements\n", len(ls), len(ids))
	return exitOK
}

// checkFailed reports an error of steps.Run or steps.List: a configuration
// error is a usage error, any other the tool's own failure, its message
// after prefix. done is false when err is nil.
func checkFailed(stderr io.Writer, err error, prefix string) (code int, done bool) {
	var cerr *steps.ConfigError
	switch {
	case errors.As(err, &cerr):
		return usageErr(stderr, "check", "%v", cerr), true
	case err != nil:
		fmt.Fprintf(stderr, "revhook check: %s%v\n", prefix, err)
		return exitInternal, true
	}
	return 0, false
}

// reportOut is one --report destination, opened before anything is sent.
type reportOut struct {
	reportTarget
	file    *os.File // nil for stdout
	created bool     // the file did not exist before: removed if never written
}

// reportOuts are the run's report destinations.
type reportOuts []*reportOut

// openReports proves every report can be written before anything is sent,
// by opening each path for writing (never truncating an existing file: that
// waits for the results): distinct paths, at most one on stdout.
func openReports(targets []reportTarget) (reportOuts, error) {
	var outs reportOuts
	seen := map[string]bool{}
	for _, t := range targets {
		if t.path == stdoutPath {
			if seen[stdoutPath] {
				outs.discard()
				return nil, fmt.Errorf("%s=-: only one report can go to stdout", t.format)
			}
			seen[stdoutPath] = true
			outs = append(outs, &reportOut{reportTarget: t})
			continue
		}
		o, err := openReport(t, seen)
		if err != nil {
			outs.discard()
			return nil, fmt.Errorf("%s=%s: %w", t.format, t.path, err)
		}
		outs = append(outs, o)
	}
	return outs, nil
}

func openReport(t reportTarget, seen map[string]bool) (*reportOut, error) {
	abs, err := filepath.Abs(t.path)
	if err != nil {
		return nil, err
	}
	if seen[abs] {
		return nil, errors.New("the path is named twice")
	}
	seen[abs] = true
	o := &reportOut{reportTarget: t}
	o.file, err = os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		o.file, err = os.OpenFile(abs, os.O_WRONLY, 0)
	} else {
		o.created = err == nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot be written: %w", errors.Unwrap(err))
	}
	return o, nil
}

// toStdout reports whether a report goes to stdout.
func (outs reportOuts) toStdout() bool {
	return slices.ContainsFunc(outs, func(o *reportOut) bool { return o.file == nil })
}

// wants reports whether format is among the reports.
func (outs reportOuts) wants(format string) bool {
	return slices.ContainsFunc(outs, func(o *reportOut) bool { return o.format == format })
}

// write renders every report and writes it to its file or to stdout.
func (outs reportOuts) write(rep *report.Report, cucumber *bytes.Buffer, stdout io.Writer) error {
	for _, o := range outs {
		var buf bytes.Buffer
		if err := renderReport(&buf, o.format, rep, cucumber); err != nil {
			return fmt.Errorf("--report %s=%s: %w", o.format, o.path, err)
		}
		if err := o.put(buf.Bytes(), stdout); err != nil {
			return fmt.Errorf("--report %s=%s: %w", o.format, o.path, err)
		}
	}
	return nil
}

// put replaces the file's content with b (or writes b to stdout), then
// closes the file.
func (o *reportOut) put(b []byte, stdout io.Writer) error {
	if o.file == nil {
		_, err := stdout.Write(b)
		return err
	}
	f := o.file
	o.file, o.created = nil, false
	if err := f.Truncate(0); err != nil {
		f.Close()
		return fmt.Errorf("write: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write: %w", err)
	}
	return f.Close()
}

// discard closes the files not written, removing those opening created.
func (outs reportOuts) discard() {
	for _, o := range outs {
		if o.file == nil {
			continue
		}
		o.file.Close()
		if o.created {
			os.Remove(o.file.Name())
		}
		o.file = nil
	}
}

// renderReport renders one report: the runner's cucumber JSON, or a format
// of package report.
func renderReport(w io.Writer, format string, rep *report.Report, cucumber *bytes.Buffer) error {
	if format != formatCucumber {
		return report.Write(w, format, rep)
	}
	if cucumber == nil || !json.Valid(cucumber.Bytes()) {
		return errors.New("the run produced no cucumber JSON")
	}
	_, err := w.Write(cucumber.Bytes())
	return err
}
