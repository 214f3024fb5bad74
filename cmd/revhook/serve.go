package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/console"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/simulator/store"
	"github.com/revhook/revhook/simulator/webhook"
)

// serveShutdownGrace bounds the graceful shutdown of `revhook serve`.
const serveShutdownGrace = 5 * time.Second

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:8088] [--token TOKEN] [--time-scale F] [flags]", stderr)
	addr := fs.String("addr", "127.0.0.1:8088", "listen address of the mock API")
	token := fs.String("token", "", "API token clients send as 'Authorization: Bearer TOKEN' (env REVHOOK_TOKEN; generated and printed when empty)")
	scale := fs.Float64("time-scale", 1, "multiply every protocol delay (retry schedule, verify window, re-verify period) and, unless --timeout is set, the 3s deadline; 0.01 is 100x faster")
	timeout := fs.Duration("timeout", delivery.DefaultTimeout, "receiver response deadline per attempt; when not given, 3s scaled by --time-scale")
	requireHTTPS := fs.Bool("require-https", false, "refuse http:// webhook URLs in webhooks.create/update")
	degradedAfter := fs.Int("degraded-after", webhook.DefaultDegradedAfter, "consecutive events that exhausted their attempts before a webhook is degraded")
	reverifyEvery := fs.Duration("reverify-every", mockapi.DefaultReverifyEvery, "period of verify requests to a degraded webhook (scaled)")
	verifyWindow := fs.Duration("verify-window", mockapi.DefaultVerifyWindow, "how long after create/update verify is retried (scaled)")
	verifyEvery := fs.Duration("verify-every", mockapi.DefaultVerifyEvery, "pause between verify attempts within the window (scaled)")
	schedule := fs.String("schedule", "30s,3m", "delays before the retries of a failed event, comma-separated (scaled); \"\" for a single attempt")
	logSize := fs.Int("log-size", mockapi.DefaultLogSize, "delivery log capacity (a ring buffer: the oldest entries are dropped)")
	seed := fs.Uint64("seed", 0, "seed for ids and payloads (0: random)")
	var precision, encoding, keyEnc string
	choiceVar(fs, &precision, "precision", "ns", []string{"ns", "us", "ms"}, "timestamp precision of events: ns, us or ms")
	choiceVar(fs, &encoding, "encoding", "hex", []string{"hex", "base64"}, "X-DevRev-Signature encoding: hex or base64")
	choiceVar(fs, &keyEnc, "key-encoding", "raw", []string{"raw", "base64"}, "how a secret becomes the HMAC key: raw (its bytes) or base64 (its decoding)")
	concurrency := fs.Int("concurrency", mockapi.DefaultConcurrency, "deliveries in flight per trigger and webhook")
	sameBytes := fs.Bool("same-bytes-on-retry", false, "re-send the first attempt's bytes (timestamp and signature) on every retry of an event or verify request; by default each attempt carries its own")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate on https receivers")
	quiet := fs.Bool("quiet", false, "do not print a line per attempt and transition")
	queueLimit := fs.Int("queue-limit", mockapi.DefaultQueueLimit, "events queued or being delivered at once, over every trigger; a trigger beyond it is refused with 429 too_many_requests")
	statePath := fs.String("state", "", "state file keeping webhooks, pending deliveries and the delivery log across restarts (default: revhook/serve.db in the user's state directory); \"memory\" keeps nothing")
	readyFile := fs.String("ready-file", "", "write the base URL to this file once the listener is up (removed on exit), for CI scripts")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	timeoutSet := givenFlags(fs)["timeout"]

	switch {
	case !(*scale > 0) || *scale > 1000:
		return usageErr(stderr, "serve", "--time-scale must be > 0 and <= 1000, got %v", *scale)
	case *timeout <= 0:
		return usageErr(stderr, "serve", "--timeout must be positive, got %s", *timeout)
	case *degradedAfter < 1:
		return usageErr(stderr, "serve", "--degraded-after must be at least 1, got %d", *degradedAfter)
	case *reverifyEvery <= 0:
		return usageErr(stderr, "serve", "--reverify-every must be positive, got %s", *reverifyEvery)
	case *verifyWindow <= 0:
		return usageErr(stderr, "serve", "--verify-window must be positive, got %s", *verifyWindow)
	case *verifyEvery <= 0:
		return usageErr(stderr, "serve", "--verify-every must be positive, got %s", *verifyEvery)
	case *logSize < 1 || *logSize > 10_000_000:
		return usageErr(stderr, "serve", "--log-size must be 1 to 10000000, got %d", *logSize)
	case *concurrency < 1 || *concurrency > 10_000:
		return usageErr(stderr, "serve", "--concurrency must be 1 to 10000, got %d", *concurrency)
	case *queueLimit < 1 || *queueLimit > 100_000_000:
		return usageErr(stderr, "serve", "--queue-limit must be 1 to 100000000, got %d", *queueLimit)
	}
	sched, err := parseSchedule(*schedule)
	if err != nil {
		return usageErr(stderr, "serve", "--schedule: %v", err)
	}
	scaledFlags := map[string]time.Duration{"verify-window": *verifyWindow, "verify-every": *verifyEvery, "reverify-every": *reverifyEvery}
	for _, d := range sched {
		scaledFlags["schedule"] = max(scaledFlags["schedule"], d)
	}
	for _, name := range []string{"schedule", "verify-window", "verify-every", "reverify-every"} {
		if err := checkScaled(scaledFlags[name], *scale); err != nil {
			return usageErr(stderr, "serve", "--%s: %v", name, err)
		}
	}
	prec, err := event.ParsePrecision(precision)
	if err != nil {
		return usageErr(stderr, "serve", "--precision: %v", err)
	}
	enc, err := signature.ParseEncoding(encoding)
	if err != nil {
		return usageErr(stderr, "serve", "--encoding: %v", err)
	}
	ke, err := signature.ParseKeyEncoding(keyEnc)
	if err != nil {
		return usageErr(stderr, "serve", "--key-encoding: %v", err)
	}
	tokenFrom := "--token"
	if *token == "" {
		*token, tokenFrom = os.Getenv("REVHOOK_TOKEN"), "REVHOOK_TOKEN"
	}
	if *token == "" {
		*token, tokenFrom = mockapi.NewToken(), ""
	}
	if strings.ContainsAny(*token, " \t\r\n") {
		return usageErr(stderr, "serve", "--token must not contain spaces")
	}
	deadline := responseDeadline(*timeout, timeoutSet, *scale)

	out := &linePrinter{w: stdout, quiet: *quiet}
	st, stateDesc, created, err := openState(*statePath, *logSize)
	if err != nil {
		return usageErr(stderr, "serve", "--state: %v", err)
	}
	started := false // a file this serve created goes if it never served
	if created {
		defer func() {
			if !started {
				os.Remove(st.Path())
			}
		}()
	}
	if st != nil {
		defer func() {
			if err := st.Close(); err != nil {
				fmt.Fprintf(stderr, "revhook serve: %v\n", err)
			}
		}()
	}
	srv, err := mockapi.New(mockapi.Config{
		Store: st,
		Token: *token,
		Clock: clock.Scaled(clock.Real(), *scale),
		Client: delivery.NewClient(delivery.ClientOptions{
			Timeout: deadline, Insecure: *insecure, MaxConnsPerHost: max(*concurrency, delivery.DefaultMaxConnsPerHost),
		}),
		SameBytesOnRetry: *sameBytes, TimeScale: *scale,
		Schedule: sched, VerifyWindow: *verifyWindow, VerifyEvery: *verifyEvery,
		DegradedAfter: *degradedAfter, ReverifyEvery: *reverifyEvery, RequireHTTPS: *requireHTTPS,
		Encoding: enc, KeyEncoding: ke, Precision: prec, Seed: *seed,
		Concurrency: *concurrency, LogSize: *logSize, OnEntry: out.entry, QueueLimit: *queueLimit,
	})
	if err != nil {
		if st != nil {
			return usageErr(stderr, "serve", "--state %s: %v", st.Path(), err)
		}
		return usageErr(stderr, "serve", "%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
		defer cancel()
		_ = srv.Close(closeCtx)
		return usageErr(stderr, "serve", "--addr: %v", err)
	}
	base := "http://" + ln.Addr().String()
	if *readyFile != "" {
		if err := writeReadyFile(*readyFile, base); err != nil {
			ln.Close()
			closeCtx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
			defer cancel()
			_ = srv.Close(closeCtx)
			return usageErr(stderr, "serve", "--ready-file: %v", err)
		}
		defer os.Remove(*readyFile)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	// Shutdown waits for connections to go idle and a console stream never
	// does: request contexts end when shutdown begins, which ends the streams.
	baseCtx, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	hs.BaseContext = func(net.Listener) context.Context { return baseCtx }
	hs.RegisterOnShutdown(endStreams)

	started = true
	out.printf("revhook mock DevRev listening on %s (Ctrl-C to stop)\n", base)
	shown := printToken(out, base, *token, tokenFrom)
	out.printf("state file: %s\n", stateDesc)
	if r := srv.Restored(); r != (mockapi.Restored{}) {
		out.printf("restored: %d webhooks (%d /v1/webhooks), %d pending deliveries (each retried when due), %d replayable events\n",
			r.Webhooks, r.RevontWebhooks, r.Pending, r.Replayable)
	}
	out.printf("timing: retries after %s, verify every %s for %s, degraded after %d exhausted events, re-verify every %s, response deadline %s%s\n",
		describeSchedule(sched, *scale), scaled(*verifyEvery, *scale), scaled(*verifyWindow, *scale), *degradedAfter,
		scaled(*reverifyEvery, *scale), deadline, scaleNote(*scale))
	if *sameBytes {
		out.printf("retries: re-send the first attempt's bytes (--same-bytes-on-retry)\n")
	}
	if !timeoutSet && deadline < 50*time.Millisecond {
		out.printf("note:  the scaled response deadline %s is very short; --timeout sets it on its own (e.g. --timeout 3s)\n", deadline)
	}
	out.printf("try:   curl -sS -X POST %s/webhooks.create -H \"Authorization: Bearer %s\" -H 'Content-Type: application/json' -d '{\"event_types\":[\"work_created\"],\"url\":\"http://127.0.0.1:8089/\"}'\n", base, shown)
	out.printf("log:   curl -sS -H \"Authorization: Bearer %s\" '%s/simulator/deliveries?limit=20'\n", shown, base)
	out.printf("state: curl -sS -H \"Authorization: Bearer %s\" '%s/simulator/webhooks'   (degraded, failures, next re-verify)\n", shown, base)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "revhook serve: %v\n", err)
		closeCtx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
		defer cancel()
		_ = srv.Close(closeCtx)
		return exitInternal
	case <-ctx.Done():
	}

	// Graceful shutdown: stop accepting API requests, then stop deliveries
	// (in-flight attempts are aborted and recorded), all within the grace.
	shutCtx, cancel := context.WithTimeout(context.Background(), serveShutdownGrace)
	defer cancel()
	out.printf("shutting down…\n")
	if err := hs.Shutdown(shutCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "revhook serve: shutdown: %v\n", err)
	}
	if err := srv.Close(shutCtx); err != nil {
		fmt.Fprintf(stderr, "revhook serve: %v\n", err)
	}
	out.printf("stopped (%d delivery log entries)\n", srv.Log().Total())
	return exitOK
}

// printToken prints the token and the console's URL, and returns what the
// example commands show for the token. A token serve generated is printed,
// and the console URL carries it (the page drops it from the address bar);
// a token the user supplied (from is --token or REVHOOK_TOKEN) is never
// printed: the examples say $REVHOOK_TOKEN and the console asks for it.
func printToken(out *linePrinter, base, token, from string) string {
	if from == "" {
		out.printf("token: %s\n", token)
		out.printf("console: %s%s?token=%s\n", base, console.PagePath, url.QueryEscape(token))
		return token
	}
	out.printf("token: the one given by %s (not printed)\n", from)
	out.printf("console: %s%s   (asks for the token)\n", base, console.PagePath)
	return "$REVHOOK_TOKEN"
}

// openState opens the state file --state names: nil for "memory", the
// default file when empty (its directory made if needed; a path the user
// gave must be in a directory that exists). desc says where the state
// lives, for the console; created, that the file is new.
func openState(path string, logSize int) (st *store.Store, desc string, created bool, err error) {
	if path == "memory" {
		return nil, "in memory only (--state memory): nothing survives a restart", false, nil
	}
	if path == "" {
		if path, err = defaultStatePath(); err != nil {
			return nil, "", false, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, "", false, fmt.Errorf("state file %s: %w", path, err)
		}
	}
	_, statErr := os.Stat(path)
	st, err = store.Open(path, logSize)
	if err != nil {
		return nil, "", false, err
	}
	return st, path + " (--state FILE or --state memory to change)", errors.Is(statErr, fs.ErrNotExist), nil
}

// defaultStatePath is revhook/serve.db in the user's state directory:
// $XDG_STATE_HOME, else ~/.local/state, else the user's config directory.
func defaultStatePath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "revhook", "serve.db"), nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "revhook", "serve.db"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no state directory (%v); give --state FILE or --state memory", err)
	}
	return filepath.Join(d, "revhook", "serve.db"), nil
}

// writeReadyFile writes base and a newline to path, atomically (a reader
// never sees a partial URL).
func writeReadyFile(path, base string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(base+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// parseSchedule reads "30s,3m" into retry delays.
func parseSchedule(s string) ([]time.Duration, error) {
	s = strings.TrimSpace(s)
	out := []time.Duration{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration (e.g. 30s,3m)", part)
		}
		if d < 0 {
			return nil, fmt.Errorf("%q is negative", part)
		}
		out = append(out, d)
	}
	if len(out) > 20 {
		return nil, fmt.Errorf("%d retries; at most 20", len(out))
	}
	return out, nil
}

func scaled(d time.Duration, f float64) time.Duration { return clock.Scale(d, f) }

func describeSchedule(s []time.Duration, f float64) string {
	if len(s) == 0 {
		return "(no retries)"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = scaled(d, f).String()
	}
	return strings.Join(parts, ", ")
}

func scaleNote(f float64) string {
	if f == 1 {
		return ""
	}
	return fmt.Sprintf(" (time scale %g)", f)
}

// linePrinter writes serve's console lines, one at a time.
type linePrinter struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
}

func (p *linePrinter) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, a...)
}

// entry prints one delivery log entry as one line.
func (p *linePrinter) entry(e deliverylog.Entry) {
	if p.quiet {
		return
	}
	p.printf("%s\n", formatEntry(e))
}

// formatEntry renders a log entry for the console, e.g.
//
//	10:00:00.123 attempt    webhook/LhvAa5o1 work_created #2 500 12ms webhook_event/cxa0b9wi6Ko  HTTP 500 is not 2xx
func formatEntry(e deliverylog.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-10s %s", e.Time.Local().Format("15:04:05.000"), e.Kind, lastSegments(e.WebhookID))
	switch e.Kind {
	case deliverylog.KindAttempt:
		outcome := "FAIL"
		if e.Delivered {
			outcome = "ok"
		}
		status := "---"
		if e.Status != 0 {
			status = fmt.Sprint(e.Status)
		}
		fmt.Fprintf(&b, " %s #%d %s %s %dms %s", e.EventType, e.Attempt, outcome, status, e.LatencyMS, lastSegments(e.EventID))
		if e.Duplicate {
			b.WriteString(" (duplicate)")
		}
		if e.Replay {
			b.WriteString(" (replay)")
		}
		if e.Error != "" {
			b.WriteString("  " + e.Error)
		}
	case deliverylog.KindTransition:
		from := e.From
		if from == "" {
			from = "(new)"
		}
		fmt.Fprintf(&b, " %s -> %s", from, e.To)
		if e.Message != "" {
			b.WriteString("  " + e.Message)
		}
	default:
		if e.EventID != "" {
			b.WriteString(" " + lastSegments(e.EventID))
		}
		b.WriteString("  " + e.Message)
	}
	return b.String()
}

// lastSegments shortens a DON id to its last ":"-separated part
// (webhook/LhvAa5o1, webhook_event/cxa0b9wi6Ko).
func lastSegments(id string) string {
	if id == "" {
		return "-"
	}
	if i := strings.LastIndexByte(id, ':'); i >= 0 && i+1 < len(id) {
		return id[i+1:]
	}
	return id
}
