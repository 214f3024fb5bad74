// Package console is the live console of `revhook serve`: one HTML page
// (GET /console, embedded, no build step, no CDN: it works offline) and the
// server-sent event stream it reads (GET /simulator/stream). The page shows
// every webhook with the status DevRev's API shows and the simulator's
// internal state behind it (degraded, consecutive failures, next
// re-verify), streams deliveries and state changes live, shows each
// delivery's request and response, and has buttons to trigger events and to
// replay a delivery.
//
// The package reads the mock through Source only; authentication of the
// stream is the mounting code's job (simulator/mockapi checks the token).
package console

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/deliverylog"
)

// Paths the console serves.
const (
	// PagePath is the console page.
	PagePath = "/console"
	// StreamPath is the server-sent event stream the page reads.
	StreamPath = "/simulator/stream"
)

// Stream defaults; every one is an Options field.
const (
	// DefaultPoll is how often a stream looks for new log entries.
	DefaultPoll = 250 * time.Millisecond
	// DefaultHeartbeat is the longest a stream stays silent.
	DefaultHeartbeat = 15 * time.Second
	// DefaultWebhooksEvery is how often a stream re-reads the webhooks
	// when the log did not move (a scheduled re-verify time can change
	// without a log entry).
	DefaultWebhooksEvery = 2 * time.Second
	// DefaultBacklog is how many of the newest log entries a new stream
	// starts with, so that a fresh page is not empty.
	DefaultBacklog = 200
	// DefaultBatch bounds the entries one stream holds at a time: a client
	// further behind skips to the newest ones and is told how many it
	// missed (a "gap" event).
	DefaultBatch = 500
	// DefaultWriteTimeout bounds each write to a stream's client; a client
	// that does not read for that long is disconnected.
	DefaultWriteTimeout = 10 * time.Second
)

// Source is what the console reads from the mock.
type Source interface {
	// Entries returns the newest at most limit delivery log entries whose
	// Seq is above after, oldest first.
	Entries(after uint64, limit int) []deliverylog.Entry
	// LastSeq returns the Seq of the newest log entry (0 when none).
	LastSeq() uint64
	// Webhooks returns the simulator's view of every webhook, encodable as
	// a JSON array. It must not hold secrets.
	Webhooks() any
	// EventTypes lists the event types a trigger may ask for.
	EventTypes() []string
}

// Options configures a console Handler. Source is required; zero fields
// get defaults.
type Options struct {
	// Source is the mock the console shows.
	Source Source
	// Done, when closed, ends every stream (the mock is shutting down).
	Done <-chan struct{}
	// Clock times polls and heartbeats; clock.Real when nil. Write
	// deadlines always use the wall clock.
	Clock clock.Clock
	// Poll, Heartbeat, WebhooksEvery, Backlog, Batch and WriteTimeout:
	// see the Default constants.
	Poll          time.Duration
	Heartbeat     time.Duration
	WebhooksEvery time.Duration
	Backlog       int
	Batch         int
	WriteTimeout  time.Duration
}

// Handler serves PagePath and StreamPath.
type Handler struct {
	opts Options
	page []byte
	csp  string
}

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

// New returns a Handler for opts.
func New(opts Options) *Handler {
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	opts.Poll = orDuration(opts.Poll, DefaultPoll)
	opts.Heartbeat = orDuration(opts.Heartbeat, DefaultHeartbeat)
	opts.WebhooksEvery = orDuration(opts.WebhooksEvery, DefaultWebhooksEvery)
	opts.WriteTimeout = orDuration(opts.WriteTimeout, DefaultWriteTimeout)
	if opts.Backlog <= 0 {
		opts.Backlog = DefaultBacklog
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	page, csp := buildPage()
	return &Handler{opts: opts, page: page, csp: csp}
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// buildPage inlines the script and the style sheet into the page and
// returns it with a Content-Security-Policy that allows exactly them (by
// hash) and requests to this origin only.
func buildPage() ([]byte, string) {
	page := strings.Replace(pageHTML, "/*STYLE*/", pageCSS, 1)
	page = strings.Replace(page, "/*SCRIPT*/", pageJS, 1)
	csp := "default-src 'none'; script-src " + hashSource(pageJS) + "; style-src " + hashSource(pageCSS) +
		"; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return []byte(page), csp
}

func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// ServeHTTP serves the page on PagePath and the stream on StreamPath;
// anything else is 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case PagePath:
		h.servePage(w, r)
	case StreamPath:
		h.serveStream(w, r)
	default:
		http.NotFound(w, r)
	}
}

// servePage writes the page. It holds no token and no data: the page reads
// everything with the token it is given.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(h.page)
	}
}
