package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps"
	"github.com/revhook/revhook/steps/harness"
	"github.com/revhook/revhook/steps/report"
)

// formatCucumber is godog's cucumber JSON, written by the runner itself.
const formatCucumber = "cucumber"

// reportTarget is one --report FORMAT=PATH.
type reportTarget struct{ format, path string }

// reportFlag collects repeated --report flags.
type reportFlag []reportTarget

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
		return fmt.Errorf("want FORMAT=PATH, e.g. html=report.html")
	}
	formats := append(report.Formats(), formatCucumber)
	known := false
	for _, f := range formats {
		known = known || f == format
	}
	if !known {
		return fmt.Errorf("unknown report format %q (want one of %s)", format, strings.Join(formats, ", "))
	}
	*r = append(*r, reportTarget{format, path})
	return nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "check --url URL --secret SECRET [flags]", stderr)
	url := fs.String("url", "", "receiver endpoint, http or https (required)")
	secret := fs.String("secret", "", "the webhook secret the receiver verifies with (env REVHOOK_SECRET)")
	encoding := fs.String("encoding", "auto", "signature encoding: hex, base64, or auto (detect which one the receiver accepts)")
	keyEnc := fs.String("key-encoding", "auto", "how the secret becomes the HMAC key: raw (its bytes), base64 (its decoding), or auto (detection also tries the decoding when the secret is valid base64)")
	only := fs.String("only", "", "requirement IDs (SIG-02,VER-01 or @SIG-02,@VER-01) or a tag expression (\"@must && ~@slow\"); default all")
	skip := fs.String("skip", "", "requirement IDs to leave out, comma-separated")
	list := fs.Bool("list", false, "print the selected scenarios and exit without sending anything")
	var reports reportFlag
	fs.Var(&reports, "report", "write a report: FORMAT=PATH with FORMAT json, junit, markdown, html or cucumber (repeatable)")
	timeout := fs.Duration("timeout", steps.DefaultTimeout, "receiver response deadline")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate on https receivers")
	quiet := fs.Bool("quiet", false, "print only failures, warnings and the summary")
	verbose := fs.Bool("verbose", false, "also print every scenario and the evidence for failures")
	seed := fs.Int64("seed", 0, "make every payload and event id repeatable (0: pick one; the report records it)")
	var headers headerFlag
	fs.Var(&headers, "header", "extra header NAME=VALUE sent with every request, e.g. a gateway's key (repeatable; values are never printed)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *quiet && *verbose {
		return usageErr(stderr, "check", "--quiet and --verbose exclude each other")
	}
	cfg := steps.Config{
		URL: *url, Secret: *secret, Encoding: *encoding, KeyEncoding: signature.KeyEncoding(*keyEnc),
		Skip: steps.SplitIDs(*skip), Timeout: *timeout, Insecure: *insecure, Version: version,
		Seed: *seed, Header: headers.Header(),
	}
	if strings.TrimSpace(*only) != "" {
		if steps.LooksLikeIDs(*only) {
			cfg.Only = steps.SplitIDs(*only)
		} else {
			cfg.Tags = *only
		}
	}
	if *list {
		return listScenarios(cfg, stdout, stderr)
	}
	cfg.Secret, _ = secretOrEnv(cfg.Secret)
	if *timeout <= 0 {
		return usageErr(stderr, "check", "--timeout must be positive, got %s", *timeout)
	}
	if err := checkReportPaths(reports); err != nil {
		return usageErr(stderr, "check", "--report: %v", err)
	}
	var cucumber *bytes.Buffer
	for _, r := range reports {
		if r.format == formatCucumber {
			cucumber = new(bytes.Buffer)
			cfg.Cucumber = cucumber
		}
	}

	rep, err := steps.Run(ctx, cfg)
	if code, done := checkFailed(stderr, err, "harness failure, results are void: "); done {
		return code
	}
	v := report.Normal
	switch {
	case *quiet:
		v = report.Quiet
	case *verbose:
		v = report.Verbose
	}
	for _, r := range reports {
		if r.format == "json" {
			harness.NameReport(rep, r.path) // replay commands name the report they are in
			break
		}
	}
	report.WriteConsole(stdout, rep, v)
	for _, r := range reports {
		if err := writeReport(r, rep, cucumber); err != nil {
			fmt.Fprintf(stderr, "revhook check: --report %s=%s: %v\n", r.format, r.path, err)
			return exitInternal
		}
		if v != report.Quiet {
			fmt.Fprintf(stdout, "%s report written to %s\n", r.format, r.path)
		}
	}
	if rep.Verdict != report.VerdictPass {
		return exitFail
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

// checkReportPaths makes sure every report can be written, before anything
// is sent: distinct paths, in existing directories where a file can be
// created, and not a directory themselves.
func checkReportPaths(reports []reportTarget) error {
	seen := map[string]bool{}
	for _, r := range reports {
		abs, err := filepath.Abs(r.path)
		if err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
		if seen[abs] {
			return fmt.Errorf("%s is named twice", r.path)
		}
		seen[abs] = true
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory", r.path)
		}
		dir := filepath.Dir(abs)
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("%s: directory %s does not exist", r.path, dir)
		}
		if !fi.IsDir() {
			return fmt.Errorf("%s: %s is not a directory", r.path, dir)
		}
		probe, err := os.CreateTemp(dir, ".revhook-write-check-*")
		if err != nil {
			return fmt.Errorf("%s: directory %s is not writable", r.path, dir)
		}
		name := probe.Name()
		probe.Close()
		os.Remove(name)
	}
	return nil
}

// writeReport writes one report file: the runner's cucumber JSON, or a
// format of package report.
func writeReport(r reportTarget, rep *report.Report, cucumber *bytes.Buffer) error {
	var buf bytes.Buffer
	if r.format == formatCucumber {
		if cucumber == nil || !json.Valid(cucumber.Bytes()) {
			return errors.New("the run produced no cucumber JSON")
		}
		buf.Write(cucumber.Bytes())
	} else if err := report.Write(&buf, r.format, rep); err != nil {
		return err
	}
	if err := os.WriteFile(r.path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
