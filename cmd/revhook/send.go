package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/revhook/revhook/internal/suggest"
	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/load"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps"
)

// Limits of `revhook send` flags.
const (
	// maxSendCount bounds --count and --rate × --duration. Events stream
	// through the engine in constant memory, so this is about time (a
	// billion events take most of a day on loopback), not memory.
	maxSendCount       = 1_000_000_000
	maxSendConcurrency = 10_000
	maxDataBytes       = 16 << 20 // --data file
	maxServerAnswer    = 16 << 20 // a --server trigger answer
	defaultServerWait  = 10 * time.Second
	shortDeadline      = 50 * time.Millisecond
	progressEvery      = time.Second
	// sendGCPercent and sendMemoryLimit tune the garbage collector for a
	// run unless GOGC or GOMEMLIMIT says otherwise: see tuneGC.
	sendGCPercent   = 400
	sendMemoryLimit = 256 << 20
)

// sendFlags are the raw flag values of `revhook send`.
type sendFlags struct {
	url, secret, typ, data, encoding, keyEncoding string
	schedule, precision, server, token, webhookID string
	count, reorder, concurrency, dropFirst        int
	duplicates, timeScale, rate                   float64
	timeout, duration                             time.Duration
	seed                                          uint64
	insecure, quiet, print, sameBytes             bool
	sets                                          []string
	headers                                       headerFlag
	given                                         map[string]bool // flags present on the command line
}

// setArg is one --set path=value.
type setArg struct{ path, value string }

// sendPlan is a validated `revhook send` invocation.
type sendPlan struct {
	url, typ, webhookID string
	data                []byte // --data file contents, nil when absent
	sets                []setArg
	header              http.Header // --header; values never printed
	signer              *signature.Signer
	count, concurrency  int
	reorder, dropFirst  int
	duplicates          float64
	timeout             time.Duration
	schedule            []time.Duration
	timeScale           float64
	seed                uint64
	precision           event.Precision
	insecure, quiet     bool
	sameBytes           bool // --same-bytes-on-retry
	print               bool
	rate                float64
	duration            time.Duration
	server, token       string
}

// flagError is a configuration error that names its flag.
type flagError struct {
	flag string
	err  error
}

func (e *flagError) Error() string { return "--" + e.flag + ": " + e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func badFlag(name, format string, a ...any) error {
	return &flagError{flag: name, err: fmt.Errorf(format, a...)}
}

const sendSynopsis = `send --url URL --secret SECRET [--type TYPE] [--count N] [--duplicates R] [--reorder W] [flags]
       revhook send --url URL --secret SECRET --rate R --duration D [--concurrency C]   (load generator)
       revhook send --url URL --secret SECRET --print [--count N]                       (print, do not send)
       revhook send --server URL --token TOKEN [--type TYPE] [--count N] [--data FILE]  (ask a running 'revhook serve')

Signs events like DevRev and delivers them with DevRev's retries: attempt 1 at once,
attempt 2 30s after the first failed, attempt 3 3m after the second failed (--schedule,
scaled by --time-scale). Events are made while earlier ones are delivered, so memory
does not grow with --count. Prints one line per attempt (--quiet: a live progress line
on a terminal and the summary: rate, success ratio, latency percentiles, failures by
reason); exits 1 if any event exhausted its attempts, 2 on a configuration error
(before anything is sent), 130 when interrupted (after the summary).`

func newSendFlagSet(stderr io.Writer) (*flag.FlagSet, *sendFlags) {
	fs := newFlagSet("send", sendSynopsis, stderr)
	f := &sendFlags{}
	fs.StringVar(&f.url, "url", "", "receiver endpoint, http or https (required unless --server)")
	fs.StringVar(&f.secret, "secret", "", "webhook secret, 8-32 bytes (env REVHOOK_SECRET)")
	fs.StringVar(&f.typ, "type", "work_created", "event type; 'revhook catalog' lists them")
	fs.IntVar(&f.count, "count", 1, "number of events")
	fs.Float64Var(&f.duplicates, "duplicates", 0, "probability 0..1 that a delivered event is delivered once more (same id, bytes, signature)")
	fs.IntVar(&f.reorder, "reorder", 0, "shuffle the dispatch order within windows of W events (0: in order)")
	fs.StringVar(&f.data, "data", "", "JSON file with your own payload (the object under the field named after the type); revhook still builds and signs the envelope")
	fs.Func("set", "path=value: override one payload field, e.g. --set work.title=\"Disk full\" (repeatable; JSON values like 42 or true are typed)", func(s string) error {
		f.sets = append(f.sets, s)
		return nil
	})
	choiceVar(fs, &f.encoding, "encoding", "hex", []string{"hex", "base64"}, "X-DevRev-Signature encoding: hex or base64")
	choiceVar(fs, &f.keyEncoding, "key-encoding", "raw", []string{"raw", "base64"}, "how the secret becomes the HMAC key: raw (its bytes) or base64 (its decoding)")
	fs.IntVar(&f.concurrency, "concurrency", delivery.DefaultConcurrency, "deliveries in flight at once")
	fs.DurationVar(&f.timeout, "timeout", delivery.DefaultTimeout, "per-attempt deadline (connect, headers and body); when not given, 3s scaled by --time-scale")
	fs.StringVar(&f.schedule, "schedule", "30s,3m", "delays before the retries of a failed event, comma-separated; \"\" for a single attempt")
	fs.Float64Var(&f.timeScale, "time-scale", 1, "multiply the retry delays (and, unless --timeout is given, the deadline); 0.001 makes 3m last 180ms")
	fs.Uint64Var(&f.seed, "seed", 0, "seed for ids, payloads, duplicates and reordering (0: random, printed)")
	choiceVar(fs, &f.precision, "precision", "ns", []string{"ns", "us", "ms"}, "timestamp precision: ns, us or ms")
	fs.BoolVar(&f.insecure, "insecure", false, "accept any TLS certificate")
	fs.BoolVar(&f.sameBytes, "same-bytes-on-retry", false, "send every attempt and duplicate with the first attempt's bytes and signature, instead of re-stamping each as DevRev does")
	fs.BoolVar(&f.quiet, "quiet", false, "print only the summary (and a live progress line on stderr when it is a terminal), not a line per attempt")
	fs.BoolVar(&f.print, "print", false, "print the events that would be sent, signed (one JSON object per line: url, headers, body), and send nothing")
	fs.Var(&f.headers, "header", "`NAME=VALUE`: an extra header on every delivery, e.g. for a gateway's key (repeatable, at most 8, DevRev's rules for a webhook's custom headers; values are never printed)")
	fs.Float64Var(&f.rate, "rate", 0, "load generator: events per second (with --duration)")
	fs.DurationVar(&f.duration, "duration", 0, "load generator: how long to generate events at --rate")
	fs.IntVar(&f.dropFirst, "drop-first", 0, "fault injection: fail the first N attempts of every event without sending them")
	fs.StringVar(&f.webhookID, "webhook-id", "", "webhook DON id in the envelope (generated when empty); with --server, the webhook to trigger")
	fs.StringVar(&f.server, "server", "", "base URL of a running 'revhook serve': ask it to emit the events to its webhooks instead")
	fs.StringVar(&f.token, "token", "", "API token of --server (env REVHOOK_TOKEN)")
	return fs, f
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, f := newSendFlagSet(stderr)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	f.given = givenFlags(fs)
	plan, err := f.plan()
	if err != nil {
		return usageErr(stderr, "send", "%v", err)
	}
	switch {
	case plan.server != "":
		return sendViaServer(ctx, plan, stdout, stderr)
	case plan.print:
		return sendPrint(ctx, plan, stdout, stderr)
	}
	return sendRun(ctx, plan, stdout, stderr)
}

// plan validates every flag, reads --data and checks --set against a
// generated event, so that every configuration error is found before any
// request is sent.
func (f *sendFlags) plan() (*sendPlan, error) {
	p := &sendPlan{
		typ: f.typ, webhookID: f.webhookID, count: f.count, concurrency: f.concurrency,
		reorder: f.reorder, dropFirst: f.dropFirst, duplicates: f.duplicates, timeScale: f.timeScale,
		seed: f.seed, insecure: f.insecure, sameBytes: f.sameBytes, quiet: f.quiet, print: f.print, rate: f.rate, duration: f.duration,
	}
	if f.rate > 0 {
		p.count = max(1, int(math.Round(f.rate*f.duration.Seconds())))
	}
	if err := validateType(f.typ); err != nil {
		return nil, err
	}
	if err := validateCounts(f); err != nil {
		return nil, err
	}
	var err error
	if p.schedule, err = parseSchedule(f.schedule); err != nil {
		return nil, &flagError{"schedule", err}
	}
	for _, d := range p.schedule {
		if err := checkScaled(d, f.timeScale); err != nil {
			return nil, &flagError{"schedule", err}
		}
	}
	if p.precision, err = event.ParsePrecision(f.precision); err != nil {
		return nil, &flagError{"precision", err}
	}
	p.timeout = responseDeadline(f.timeout, f.given["timeout"], f.timeScale)
	for _, s := range f.sets {
		a, err := parseSet(s)
		if err != nil {
			return nil, err
		}
		p.sets = append(p.sets, a)
	}
	if f.data != "" {
		if p.data, err = readData(f.data); err != nil {
			return nil, &flagError{"data", err}
		}
	}
	if p.seed == 0 {
		p.seed = rand.Uint64()
	}
	if p.header, err = f.headers.Header(); err != nil {
		return nil, &flagError{"header", err}
	}

	if f.server != "" {
		return p, f.planServer(p)
	}
	if f.url == "" {
		return nil, badFlag("url", "is required (the receiver endpoint), or use --server to trigger a running 'revhook serve'")
	}
	if err := validateURL(f.url); err != nil {
		return nil, &flagError{"url", err}
	}
	p.url = f.url
	if p.signer, err = newSendSigner(f); err != nil {
		return nil, err
	}
	// Build one event the way the run will, so a --set that cannot apply
	// (e.g. through a string) or a --data the type rejects is a usage error.
	if _, err := p.newEvent(event.NewGenerator(event.Options{Seed: p.seed, Precision: p.precision}), "don:integration:dvrv-us-1:devo/check:webhook/check"); err != nil {
		return nil, err
	}
	return p, nil
}

// planServer checks the flags of --server mode.
func (f *sendFlags) planServer(p *sendPlan) error {
	if err := validateURL(f.server); err != nil {
		return &flagError{"server", err}
	}
	switch {
	case f.url != "":
		return badFlag("server", "cannot be combined with --url: the mock delivers to its registered webhooks")
	case len(f.sets) > 0:
		return badFlag("set", "is not supported with --server; put the payload in --data")
	case f.rate > 0:
		return badFlag("rate", "is not supported with --server")
	case len(f.headers.raw) > 0:
		return badFlag("header", "is not supported with --server; give the webhook its headers through the API")
	case f.print:
		return badFlag("print", "is not supported with --server: the mock builds the events")
	}
	p.server = strings.TrimRight(f.server, "/")
	p.token = f.token
	if p.token == "" {
		p.token = os.Getenv("REVHOOK_TOKEN")
	}
	if p.token == "" {
		return badFlag("token", "is required with --server (or set REVHOOK_TOKEN); 'revhook serve' prints it")
	}
	if strings.ContainsAny(p.token, " \t\r\n") {
		return badFlag("token", "must not contain spaces")
	}
	return nil
}

// validateType accepts only catalogue types.
func validateType(typ string) error {
	if !event.Known(typ) {
		return badFlag("type", "unknown event type %q%s ('revhook catalog' lists the %d types)", typ, suggest.Hint(typ, event.Types()), len(event.Types()))
	}
	return nil
}

// validateCounts checks the numeric flags.
func validateCounts(f *sendFlags) error {
	switch {
	case f.count < 1 || f.count > maxSendCount:
		return badFlag("count", "must be 1 to %d, got %d", maxSendCount, f.count)
	case f.concurrency < 1 || f.concurrency > maxSendConcurrency:
		return badFlag("concurrency", "must be 1 to %d, got %d", maxSendConcurrency, f.concurrency)
	case !(f.duplicates >= 0 && f.duplicates <= 1):
		return badFlag("duplicates", "is a probability from 0 to 1, got %v", f.duplicates)
	case f.reorder < 0:
		return badFlag("reorder", "must be 0 or more, got %d", f.reorder)
	case f.dropFirst < 0:
		return badFlag("drop-first", "must be 0 or more, got %d", f.dropFirst)
	case !(f.timeScale > 0) || f.timeScale > 1000 || math.IsInf(f.timeScale, 0):
		return badFlag("time-scale", "must be > 0 and <= 1000, got %v", f.timeScale)
	case f.timeout <= 0:
		return badFlag("timeout", "must be positive, got %s", f.timeout)
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0):
		return badFlag("rate", "must be a positive number of events per second, got %v", f.rate)
	case f.duration < 0:
		return badFlag("duration", "must be positive, got %s", f.duration)
	case f.rate > 0 && f.duration == 0:
		return badFlag("duration", "is required with --rate (e.g. --rate 100 --duration 30s)")
	case f.duration > 0 && f.rate == 0:
		return badFlag("rate", "is required with --duration (e.g. --rate 100 --duration 30s)")
	case f.rate > 0 && f.given["count"]:
		return badFlag("count", "cannot be combined with --rate: the load generator sends rate × duration events")
	case f.rate > load.MaxRate:
		return badFlag("rate", "must be at most %g events per second (the pacer's resolution), got %g", load.MaxRate, f.rate)
	case f.rate > 0 && f.rate*f.duration.Seconds() > maxSendCount:
		return badFlag("rate", "× --duration is %.0f events; at most %d", f.rate*f.duration.Seconds(), maxSendCount)
	case f.print && (f.duplicates > 0 || f.reorder > 0 || f.dropFirst > 0):
		return badFlag("print", "prints events without delivering them: --duplicates, --reorder and --drop-first do not apply")
	}
	return nil
}

// validateURL accepts absolute http and https URLs with a host.
func validateURL(s string) error {
	if !strings.Contains(s, "://") {
		return fmt.Errorf("%q must start with http:// or https://", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

// parseSet reads one --set path=value.
func parseSet(s string) (setArg, error) {
	path, value, ok := strings.Cut(s, "=")
	path = strings.TrimSpace(path)
	if !ok {
		return setArg{}, badFlag("set", "%q is not path=value (e.g. --set work.title=\"Disk full\")", s)
	}
	if path == "" || strings.HasPrefix(path, ".") || strings.HasSuffix(path, ".") || strings.Contains(path, "..") {
		return setArg{}, badFlag("set", "%q has a malformed path (want dotted keys, e.g. work.title)", s)
	}
	return setArg{path: path, value: value}, nil
}

// readData reads a --data file: one JSON object, at most maxDataBytes.
func readData(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxDataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(b) > maxDataBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxDataBytes>>20)
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, fmt.Errorf("%s is not a JSON object (the payload under the field named after the type, e.g. {\"work\": {...}})", path)
	}
	return t, nil
}

// newSendSigner resolves the secret (flag, then REVHOOK_SECRET) and the
// signature settings.
func newSendSigner(f *sendFlags) (*signature.Signer, error) {
	secret, from := secretOrEnv(f.secret)
	if secret == "" {
		return nil, badFlag("secret", "is required (or set REVHOOK_SECRET)")
	}
	enc, err := signature.ParseEncoding(f.encoding)
	if err != nil {
		return nil, &flagError{"encoding", err}
	}
	ke, err := signature.ParseKeyEncoding(f.keyEncoding)
	if err != nil {
		return nil, &flagError{"key-encoding", err}
	}
	if err := steps.CheckSecret(secret, ke); err != nil { // the rule of every command
		var ce *steps.ConfigError
		if errors.As(err, &ce) {
			err = ce.Err
		}
		if from != "--secret" {
			err = fmt.Errorf("%w (from %s)", err, from)
		}
		return nil, &flagError{"secret", err}
	}
	s, err := signature.NewSigner(secret, enc, ke)
	if err != nil {
		return nil, &flagError{"key-encoding", err}
	}
	return s, nil
}

// newEvent builds one event of the plan: generated, or from --data, with
// every --set applied.
func (p *sendPlan) newEvent(g *event.Generator, webhookID string) (event.Event, error) {
	var ev event.Event
	var err error
	if p.data != nil {
		if ev, err = g.FromPayload(p.typ, webhookID, p.data); err != nil {
			return ev, &flagError{"data", err}
		}
	} else if ev, err = g.New(p.typ, webhookID); err != nil {
		return ev, &flagError{"type", err}
	}
	for _, s := range p.sets {
		if err := ev.Set(s.path, s.value); err != nil {
			return ev, &flagError{"set", err}
		}
	}
	return ev, nil
}

// keepsObjectIDs reports that reused payloads must keep their objects'
// ids: the payload is the user's (--data), or --set writes an id.
func (p *sendPlan) keepsObjectIDs() bool {
	if p.data != nil {
		return true
	}
	for _, s := range p.sets {
		last := s.path[strings.LastIndexByte(s.path, '.')+1:]
		if last == "id" || last == "display_id" || last == "id_v1" {
			return true
		}
	}
	return false
}

// payloads returns the run's event source: the catalogue (or --data) for
// the first events, then those payloads reused with fresh identities.
func (p *sendPlan) payloads() (*load.Payloads, error) {
	g := event.NewGenerator(event.Options{Seed: p.seed, Precision: p.precision})
	wid := p.webhookID
	if wid == "" {
		wid = g.WebhookID()
	}
	return load.NewPayloads(load.PayloadOptions{
		New:           func() (event.Event, error) { return p.newEvent(g, wid) },
		Seed:          p.seed,
		KeepObjectIDs: p.keepsObjectIDs(),
	})
}

// job makes the delivery of one encoded event (labels only, no payload
// objects: see delivery.EncodedJob).
func (p *sendPlan) job(ev event.Event, body []byte) delivery.Job {
	return delivery.Job{Event: ev, Body: body, URL: p.url, Signer: p.signer, DropFirst: p.dropFirst, Header: p.header}
}

// client is the plan's HTTP client.
func (p *sendPlan) client() *delivery.Client {
	return delivery.NewClient(delivery.ClientOptions{
		Timeout: p.timeout, Insecure: p.insecure,
		MaxConnsPerHost: max(p.concurrency, delivery.DefaultMaxConnsPerHost),
	})
}

// deliveryConfig is the engine configuration of the plan.
func (p *sendPlan) deliveryConfig(client *delivery.Client, onAttempt func(delivery.Attempt)) delivery.Config {
	return delivery.Config{
		Client:           client,
		Clock:            clock.Scaled(clock.Real(), p.timeScale),
		Schedule:         p.schedule,
		Concurrency:      p.concurrency,
		DuplicateRate:    p.duplicates,
		ReorderWindow:    p.reorder,
		Seed:             p.seed,
		SameBytesOnRetry: p.sameBytes,
		OnAttempt:        onAttempt,
	}
}

// describe is the header line of a direct send.
func (p *sendPlan) describe() string {
	var b strings.Builder
	events := plural(p.count, p.typ+" event")
	if p.rate > 0 {
		events = fmt.Sprintf("%s events at %g/s for %s", p.typ, p.rate, p.duration)
	}
	fmt.Fprintf(&b, "sending %s to %s: %s signatures, %d attempts", events, p.url, p.signer.Encoding(), 1+len(p.schedule))
	if len(p.schedule) > 0 {
		fmt.Fprintf(&b, " (retries after %s)", describeSchedule(p.schedule, p.timeScale))
	}
	fmt.Fprintf(&b, ", deadline %s, concurrency %d", p.timeout, p.concurrency)
	if p.duplicates > 0 {
		fmt.Fprintf(&b, ", duplicates %g", p.duplicates)
	}
	if p.reorder > 1 {
		fmt.Fprintf(&b, ", reorder window %d", p.reorder)
	}
	if p.dropFirst > 0 {
		fmt.Fprintf(&b, ", drop first %d", p.dropFirst)
	}
	if len(p.header) > 0 {
		fmt.Fprintf(&b, ", extra headers %s", strings.Join(headerNames(p.header), " "))
	}
	fmt.Fprintf(&b, ", seed %d", p.seed)
	return b.String()
}

// headerNames lists h's names, sorted (never the values).
func headerNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// syncWriter serialises lines written from concurrent attempts.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) printf(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format, a...)
}

// formatAttempt renders one attempt as one line: offset since the start,
// event id, attempt n/N, status (or "error"), latency, and why it failed.
func formatAttempt(a delivery.Attempt, start time.Time, next time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "+%.3fs  %s  ", a.At.Sub(start).Seconds(), a.EventID)
	if a.Duplicate {
		b.WriteString("duplicate   ")
	} else {
		fmt.Fprintf(&b, "attempt %d/%d", a.Number, a.Of)
	}
	status := "error"
	if a.Status != 0 {
		status = fmt.Sprint(a.Status)
	}
	fmt.Fprintf(&b, "  %s  %s", status, formatLatency(a.Latency))
	if a.Delivered {
		return b.String()
	}
	if a.Err != "" {
		b.WriteString("  " + a.Err)
	}
	switch {
	case a.Duplicate:
	case a.Number < a.Of:
		fmt.Fprintf(&b, "; next attempt in %s", next)
	default:
		fmt.Fprintf(&b, "; gave up after %d attempts", a.Of)
	}
	return b.String()
}

func formatLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// nextDelay is the scaled wait before attempt n+1.
func (p *sendPlan) nextDelay(n int) time.Duration {
	if n < 1 || n > len(p.schedule) {
		return 0
	}
	return clock.Scale(p.schedule[n-1], p.timeScale)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// sendRun delivers the plan's events through one streaming pipeline
// (--count, or --rate for --duration): a line per attempt, or with --quiet
// a live progress line on a terminal, then the summary.
func sendRun(ctx context.Context, p *sendPlan, stdout, stderr io.Writer) int {
	src, err := p.payloads()
	if err != nil {
		fmt.Fprintf(stderr, "revhook send: %v\n", err)
		return exitInternal
	}
	out := &syncWriter{w: stdout}
	if !p.quiet {
		out.printf("%s\n", p.describe())
	}
	if p.timeout < shortDeadline && !p.quiet {
		fmt.Fprintf(stderr, "revhook send: note: the scaled response deadline %s is very short; --timeout sets it on its own (e.g. --timeout 3s)\n", p.timeout)
	}
	var start time.Time // set before the first attempt; read by attempts only
	var onAttempt func(delivery.Attempt)
	if !p.quiet {
		onAttempt = func(a delivery.Attempt) { out.printf("%s\n", formatAttempt(a, start, p.nextDelay(a.Number))) }
	}
	client := p.client()
	defer client.CloseIdleConnections()
	run, err := load.New(load.Config{
		Delivery: p.deliveryConfig(client, onAttempt),
		Next: func() (delivery.Job, error) {
			ev, body, err := src.Next()
			return p.job(ev, body), err
		},
		Count: p.count,
		Rate:  p.rate,
		OnResult: func(r delivery.Result) {
			if r.Err != nil && len(r.Attempts) == 0 && !errors.Is(r.Err, context.Canceled) {
				fmt.Fprintf(stderr, "revhook send: %s: %v\n", r.Job.Event.ID, r.Err)
			}
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "revhook send: %v\n", err)
		return exitInternal
	}
	defer tuneGC()()
	start = time.Now()
	stopProgress := startProgress(p, run, stderr)
	sum, err := run.Run(ctx)
	stopProgress()
	printSummary(out, p, sum)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "revhook send: %v\n", err)
		return exitInternal
	case sum.Interrupted:
		return exitInterrupted
	case sum.Exhausted > 0 || sum.Aborted > 0:
		return exitFail
	}
	return exitOK
}

// tuneGC lets the heap grow to 5× its live size (GOGC=400) within a soft
// limit of 256 MiB, unless GOGC or GOMEMLIMIT are set, and returns the
// function that restores the previous settings. A run allocates every
// event's body and request while it holds only a few MiB (concurrency ×
// the events in flight), so with Go's default the collector ran ~30 times a
// second: CPU per 20 000 events went from 2.06 s to 1.65 s (median of 3,
// user+sys, whole process, concurrency 32), peak RSS from 22 to 33 MiB.
// When many events wait for a retry, the limit brings the collector back
// before the heap passes 256 MiB, as Go's default would at ~2× the live
// heap.
func tuneGC() (restore func()) {
	gc, limit := -2, int64(-1) // unchanged
	if os.Getenv("GOGC") == "" {
		gc = debug.SetGCPercent(sendGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(sendMemoryLimit)
	}
	return func() {
		if gc != -2 {
			debug.SetGCPercent(gc)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// printSummary prints the counts, the achieved rate, the success ratio,
// the latency percentiles and the failures by reason.
func printSummary(out *syncWriter, p *sendPlan, s load.Summary) {
	line := fmt.Sprintf("%s: %d delivered, %d failed after every attempt", plural(s.Events, "event"), s.Delivered, s.Exhausted)
	if s.Aborted > 0 {
		line += fmt.Sprintf(", %d not finished (interrupted or not encodable)", s.Aborted)
	}
	line += " (" + plural(s.Attempts, "attempt")
	if s.Duplicates > 0 {
		line += ", " + plural(s.Duplicates, "duplicate")
	}
	line += fmt.Sprintf(") in %s", s.Elapsed.Round(time.Millisecond))
	if s.Interrupted {
		line += fmt.Sprintf("; interrupted after %d of %d events", s.Generated, p.count)
	}
	out.printf("%s\n", line)
	requested := ""
	if p.rate > 0 {
		requested = fmt.Sprintf(" (requested %g/s)", p.rate)
	}
	out.printf("achieved rate %.1f/s%s; success ratio %.2f%% (%d/%d); latency p50 %s p90 %s p99 %s max %s\n",
		s.Rate(), requested, 100*s.SuccessRatio(), s.Delivered, s.Events,
		formatLatency(s.P50), formatLatency(s.P90), formatLatency(s.P99), formatLatency(s.Max))
	if len(s.Reasons) > 0 {
		parts := make([]string, len(s.Reasons))
		for i, r := range s.Reasons {
			parts[i] = fmt.Sprintf("%d × %s", r.Count, r.Reason)
		}
		out.printf("failed attempts by reason: %s\n", strings.Join(parts, "; "))
	}
}

// startProgress shows a live progress line on stderr, with --quiet and
// when stderr is a terminal, and returns the function that clears it.
func startProgress(p *sendPlan, run *load.Run, stderr io.Writer) (stop func()) {
	f, ok := stderr.(*os.File)
	if !p.quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		wall := clock.Real()
		for {
			t := wall.NewTimer(progressEvery)
			select {
			case <-done:
				t.Stop()
				fmt.Fprint(stderr, "\r\033[K")
				return
			case <-t.C():
			}
			fmt.Fprint(stderr, "\r\033[K"+progressLine(run.Figures(), run.Elapsed(), p.count))
		}
	}()
	return func() { close(done); <-finished }
}

// progressLine is the live status of a run.
func progressLine(f load.Figures, elapsed time.Duration, total int) string {
	return fmt.Sprintf("[%6.1fs] sent %d/%d  %.1f/s  delivered %d  failed %d  pending %d  p50 %s  p99 %s",
		elapsed.Seconds(), f.Generated, total, float64(f.Generated)/max(elapsed.Seconds(), 1e-9),
		f.Delivered, f.Exhausted, f.Pending(), formatLatency(f.P50), formatLatency(f.P99))
}

// printedEvent is one line of --print.
type printedEvent struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// redactedHeader stands for a --header value in --print output: the values
// may be keys, and revhook never prints them.
const redactedHeader = "[redacted]"

// sendPrint prints the events the plan would send, signed, one JSON object
// per line, and sends nothing.
func sendPrint(ctx context.Context, p *sendPlan, stdout, stderr io.Writer) int {
	src, err := p.payloads()
	if err != nil {
		fmt.Fprintf(stderr, "revhook send: %v\n", err)
		return exitInternal
	}
	ua := p.client().Options().UserAgent
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := 0; i < p.count; i++ {
		if ctx.Err() != nil {
			_ = w.Flush()
			return exitInterrupted
		}
		_, body, err := src.Next()
		if err != nil {
			fmt.Fprintf(stderr, "revhook send: event %d: %v\n", i+1, err)
			return exitInternal
		}
		h := map[string]string{"Content-Type": "application/json", "User-Agent": ua, signature.Header: p.signer.Sign(body)}
		for name := range p.header {
			h[name] = redactedHeader
		}
		if err := enc.Encode(printedEvent{Method: http.MethodPost, URL: p.url, Headers: h, Body: body}); err != nil {
			fmt.Fprintf(stderr, "revhook send: write: %v\n", err)
			return exitInternal
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "revhook send: write: %v\n", err)
		return exitInternal
	}
	return exitOK
}

// sendViaServer asks a running mock to emit the events.
func sendViaServer(ctx context.Context, p *sendPlan, stdout, stderr io.Writer) int {
	req := map[string]any{"type": p.typ, "count": p.count}
	if p.data != nil {
		req["payload"] = json.RawMessage(p.data)
	}
	if p.webhookID != "" {
		req["webhook_id"] = p.webhookID
	}
	// Fault settings only when given, so the webhook's own defaults apply otherwise.
	if p.duplicates > 0 {
		req["duplicate_rate"] = p.duplicates
	}
	if p.reorder > 0 {
		req["reorder_window"] = p.reorder
	}
	if p.dropFirst > 0 {
		req["drop_first"] = p.dropFirst
	}
	body, err := json.Marshal(req)
	if err != nil {
		fmt.Fprintf(stderr, "revhook send: encode trigger: %v\n", err)
		return exitInternal
	}
	wait := defaultServerWait
	if p.timeout > wait {
		wait = p.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	endpoint := p.server + "/simulator/events"
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return usageErr(stderr, "send", "--server: %v", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Authorization", "Bearer "+p.token)
	hreq.Header.Set("User-Agent", "revhook/"+version)
	tr := &http.Transport{Proxy: nil}
	if p.insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in --insecure
	}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	resp, err := client.Do(hreq)
	if err != nil {
		fmt.Fprintf(stderr, "revhook send: POST %s: %v\n", endpoint, err)
		return exitFail
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxServerAnswer))
	if err != nil {
		fmt.Fprintf(stderr, "revhook send: read the answer of %s: %v\n", endpoint, err)
		return exitFail
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "revhook send: %s answered %d: %s\n", endpoint, resp.StatusCode, strings.TrimSpace(string(answer)))
		return exitFail
	}
	var triggered struct {
		Events []struct {
			ID       string   `json:"id"`
			Type     string   `json:"type"`
			Webhooks []string `json:"webhooks"`
		} `json:"events"`
		Skipped []struct {
			WebhookID string `json:"webhook_id"`
			Status    string `json:"status"`
			Reason    string `json:"reason"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal(answer, &triggered); err != nil {
		fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(answer)))
		return exitOK
	}
	for _, e := range triggered.Events {
		fmt.Fprintf(stdout, "queued %s  %s  -> %s\n", e.ID, e.Type, strings.Join(e.Webhooks, ", "))
	}
	for _, s := range triggered.Skipped {
		fmt.Fprintf(stdout, "skipped %s (%s): %s\n", s.WebhookID, s.Status, s.Reason)
	}
	fmt.Fprintf(stdout, "%s queued by %s; deliveries: GET %s/simulator/deliveries\n", plural(len(triggered.Events), "event"), p.server, p.server)
	if len(triggered.Events) == 0 {
		fmt.Fprintf(stdout, "note: no active webhook is subscribed to %s\n", p.typ)
	}
	return exitOK
}
