package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps"
	"github.com/revhook/revhook/steps/harness"
)

// runReplay is `revhook replay --report REPORT.json ID [--exchange N]`:
// one recorded exchange sent again with a fresh timestamp and signature
// and its variation applied again, so a failure still shows days later.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("replay", "replay --report REPORT.json ID [--exchange N] [flags]", stderr)
	path := fs.String("report", "", "the JSON report of a `revhook check` run (required)")
	n := fs.Int("exchange", 1, "which recorded exchange of the requirement, as the report numbers them")
	secret := fs.String("secret", "", "the webhook secret (env REVHOOK_SECRET)")
	target := fs.String("url", "", "send to this URL instead of the report's")
	timeout := fs.Duration("timeout", steps.DefaultTimeout, "receiver response deadline")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate on https receivers")
	var headers headerFlag
	fs.Var(&headers, "header", "extra header NAME=VALUE sent with the request (repeatable; values are never printed)")
	pos, code, done := parseFlagsAndArgs(fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return usageErr(stderr, "replay", "want one requirement ID, e.g. revhook replay --report report.json SIG-02")
	}
	if *path == "" {
		return usageErr(stderr, "replay", "--report is required")
	}
	key, _ := secretOrEnv(*secret)
	if err := steps.CheckSecret(key, signature.KeyRaw); err != nil {
		return usageErr(stderr, "replay", "%v", err)
	}
	if *timeout <= 0 {
		return usageErr(stderr, "replay", "--timeout must be positive, got %s", *timeout)
	}
	f, err := os.Open(*path)
	if err != nil {
		return usageErr(stderr, "replay", "--report: %v", err)
	}
	rep, err := harness.ReadReport(f)
	f.Close()
	if err != nil {
		return usageErr(stderr, "replay", "--report %s: %v", *path, err)
	}
	ev, err := harness.Recorded(rep, strings.ToUpper(pos[0]), *n)
	if err != nil {
		return usageErr(stderr, "replay", "%v", err)
	}
	u, err := harness.ReplayURL(ev, rep)
	if *target != "" {
		u, err = steps.ParseURL(*target)
	}
	if err != nil {
		return usageErr(stderr, "replay", "--url: %v", err)
	}
	hdr, err := headers.Header()
	if err != nil {
		return usageErr(stderr, "replay", "--header: %v", err)
	}
	h, err := harness.New(harness.Options{
		URL: u, Secret: key, Encoding: signature.Encoding(rep.Target.Encoding),
		KeyEncoding: signature.KeyEncoding(rep.Target.KeyEncoding), Timeout: *timeout, Insecure: *insecure,
		Header: hdr,
	})
	if err != nil {
		return usageErr(stderr, "replay", "--secret: %v", err)
	}
	x, err := h.Replay(ctx, ev)
	if err != nil {
		return usageErr(stderr, "replay", "%v", err)
	}
	red := harness.NewRedactor(key, headers.values()...)
	fmt.Fprintln(stdout, red.String(harness.DescribeReplay(x, u.String())))
	if x.Err != nil {
		return exitFail
	}
	return exitOK
}
