package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps"
	"github.com/revhook/revhook/steps/harness"
)

// replayServerTimeout bounds the request of `revhook replay --server`.
const replayServerTimeout = 10 * time.Second

// runReplay is `revhook replay --report REPORT.json ID [--exchange N]`:
// one recorded exchange sent again with a fresh timestamp and signature
// and its variation applied again, so a failure still shows days later.
// With --server URL it is `revhook replay --server URL EVENT_ID`: a running
// `revhook serve` re-delivers one of its events (POST /simulator/replay).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("replay", "replay --report REPORT.json ID [--exchange N] [flags] | replay --server URL [--token T] EVENT_ID", stderr)
	path := fs.String("report", "", "the JSON `FILE` a revhook check run wrote (--report json=FILE)")
	server := fs.String("server", "", "`URL` of a running revhook serve: re-deliver its event EVENT_ID to its webhook")
	token := fs.String("token", "", "with --server: the serve's API `TOKEN` (env REVHOOK_TOKEN)")
	n := fs.Int("exchange", 0, "which recorded exchange of the requirement, as the report numbers them (default: the one that showed the failure)")
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
	if *server != "" {
		if *path != "" {
			return usageErr(stderr, "replay", "--server and --report are two forms; give one")
		}
		if len(pos) != 1 {
			return usageErr(stderr, "replay", "want one event id, e.g. revhook replay --server http://127.0.0.1:8088 don:integration:…:webhook_event/…")
		}
		return replayOnServer(ctx, *server, *token, pos[0], stdout, stderr)
	}
	if len(pos) != 1 {
		return usageErr(stderr, "replay", "want one requirement ID, e.g. revhook replay --report report.json SIG-02")
	}
	if *path == "" {
		return usageErr(stderr, "replay", "--report (or --server) is required")
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
	red := redact.New(key, headers.values()...)
	fmt.Fprintln(stdout, red.String(harness.DescribeReplay(x, u.String())))
	if v := harness.ReplayVerdict(ev, x); v != "" {
		fmt.Fprintln(stdout, v)
	}
	if x.Err != nil {
		return exitFail
	}
	return exitOK
}

// replayOnServer asks a running `revhook serve` to re-deliver eventID:
// exit 0 once accepted, 1 when the server refuses or cannot be reached, 2
// for a bad URL or a missing token.
func replayOnServer(ctx context.Context, server, token, eventID string, stdout, stderr io.Writer) int {
	u, err := url.Parse(strings.TrimRight(server, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr(stderr, "replay", "--server must be an http(s) base URL, e.g. http://127.0.0.1:8088")
	}
	if token == "" {
		token = os.Getenv("REVHOOK_TOKEN")
	}
	if token == "" {
		return usageErr(stderr, "replay", "--token is required with --server (or set REVHOOK_TOKEN)")
	}
	body, _ := json.Marshal(map[string]string{"event_id": eventID})
	ctx, cancel := context.WithTimeout(ctx, replayServerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String()+"/simulator/replay", bytes.NewReader(body))
	if err != nil {
		return usageErr(stderr, "replay", "--server: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "revhook replay: %v\n", err)
		return exitFail
	}
	defer resp.Body.Close()
	var out struct {
		Type, Message, Detail string
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode != http.StatusAccepted {
		msg := strings.TrimSpace(out.Message + " (" + out.Detail + ")")
		if out.Type == "" {
			msg = strings.TrimSpace(string(raw))
		}
		fmt.Fprintf(stderr, "revhook replay: the server answered %d %s: %s\n", resp.StatusCode, out.Type, msg)
		return exitFail
	}
	var ok struct {
		EventID   string `json:"event_id"`
		WebhookID string `json:"webhook_id"`
	}
	_ = json.Unmarshal(raw, &ok)
	fmt.Fprintf(stdout, "replay of %s queued for %s\n", ok.EventID, ok.WebhookID)
	return exitOK
}
