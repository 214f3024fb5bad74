// Package mockapi is the mock DevRev that `revhook serve` runs: an
// http.Handler serving DevRev's webhooks REST API (POST /webhooks.<verb>,
// docs/protocol.md §1.4), the second vendor's Revont-style API (/v1/webhooks,
// §1.5) and the simulator's own endpoints under /simulator/ (trigger events,
// read the delivery log, set per-webhook faults), and driving each webhook's
// life cycle (simulator/webhook) with real deliveries: the verify handshake
// and its 3 min window, retries on the 0 s / 30 s / 3 min schedule, the 3 s
// deadline, the degraded state and its periodic re-verify.
//
// Every protocol delay waits on Config.Clock, so the whole life cycle runs
// scaled (clock.Scaled) or by hand (clock.Fake).
package mockapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/simulator/store"
	"github.com/revhook/revhook/simulator/webhook"
)

// Protocol defaults (docs/protocol.md §1.2–1.3); every one is a Config field.
const (
	// DefaultVerifyWindow is how long after create/update verify is retried.
	DefaultVerifyWindow = 3 * time.Minute
	// DefaultVerifyEvery is the pause between verify attempts inside the
	// window (project choice: the docs only say "retried until 3 minutes").
	DefaultVerifyEvery = 30 * time.Second
	// DefaultReverifyEvery is the period of verify requests while degraded.
	DefaultReverifyEvery = 60 * time.Second
	// DefaultLogSize is the delivery log's ring-buffer capacity.
	DefaultLogSize = 10000
	// DefaultMaxCount bounds the events one trigger call may ask for.
	DefaultMaxCount = 1000
	// DefaultMaxWebhooks bounds the webhooks the mock holds (per API style).
	DefaultMaxWebhooks = 1000
	// maxEventsPerTrigger bounds count × webhooks of one trigger call.
	maxEventsPerTrigger = 100_000
	// DefaultConcurrency is the delivery worker pool of one trigger call.
	DefaultConcurrency = 16
)

// Log entry kinds (deliverylog.Entry.Kind).
const (
	KindAttempt    = deliverylog.KindAttempt
	KindTransition = deliverylog.KindTransition
	KindNote       = deliverylog.KindNote
)

// Config configures a Server. Token is required; zero fields get defaults.
type Config struct {
	// Token is the API token every request must present as
	// "Authorization: Bearer <token>" (a bare "<token>" is accepted too, so
	// the curl of DevRev's getting-started guide works verbatim).
	Token string
	// Clock times every protocol delay; clock.Real when nil. Use
	// clock.Scaled to speed the protocol up, clock.Fake in tests.
	Clock clock.Clock
	// Client posts verify requests and events; a client with the 3 s
	// deadline when nil.
	Client *delivery.Client
	// Schedule is the pause before each retry of an event;
	// delivery.DefaultSchedule (30 s, 3 min) when nil.
	Schedule []time.Duration
	// VerifyWindow is how long after a create/update verify is retried.
	VerifyWindow time.Duration
	// VerifyEvery is the pause between verify attempts inside the window.
	VerifyEvery time.Duration
	// DegradedAfter is how many consecutive exhausted events degrade a webhook.
	DegradedAfter int
	// ReverifyEvery is the period of verify requests while degraded.
	ReverifyEvery time.Duration
	// SameBytesOnRetry re-sends the first attempt's bytes (timestamp and
	// signature) on every retry of an event or a verify request. By
	// default (false) every attempt is a new invocation with its own
	// timestamp and signature, as DevRev's schema describes timestamp ("the
	// webhook's invocation" time); the old behaviour is a setting
	// (docs/protocol.md §1.2). Same name and meaning as
	// delivery.Config.SameBytesOnRetry.
	SameBytesOnRetry bool
	// TimeScale is the factor of a clock.Scaled Clock (1 when zero): the
	// simulator's view reports when scaled waits end (the next verify) in
	// the clock's time. It changes no delay.
	TimeScale float64
	// RequireHTTPS refuses http:// webhook URLs in webhooks.create/update.
	RequireHTTPS bool
	// Encoding of X-DevRev-Signature (hex by default).
	Encoding signature.Encoding
	// KeyEncoding says how a secret becomes the HMAC key (raw by default).
	KeyEncoding signature.KeyEncoding
	// Precision of event timestamps (nanoseconds by default).
	Precision event.Precision
	// Seed makes ids and payloads deterministic; 0 picks one at random.
	Seed uint64
	// Org is the dev org in DON ids; generated when empty.
	Org string
	// Concurrency is the worker pool of one trigger call's deliveries.
	Concurrency int
	// MaxBodyBytes bounds request bodies (413 above it).
	MaxBodyBytes int64
	// MaxCount bounds "count" of one trigger call.
	MaxCount int
	// MaxWebhooks bounds how many webhooks each API style may hold; creating
	// more answers 409 conflict.
	MaxWebhooks int
	// QueueLimit bounds the events queued or being delivered at once, over
	// every trigger (DefaultQueueLimit when zero); a trigger that would pass
	// it is refused with 429 too_many_requests and retry_after.
	QueueLimit int
	// ReplayKeep is how many of the latest events POST /simulator/replay
	// can re-deliver (DefaultReplayKeep when zero).
	ReplayKeep int
	// Store keeps the mock's state in a file (serve --state): webhooks,
	// pending deliveries and the delivery log are restored by New and
	// written as they change. Nil keeps everything in memory. The caller
	// closes it after Close.
	Store *store.Store
	// Log is the delivery log; a new one of LogSize entries when nil.
	Log *deliverylog.Log
	// LogSize is the capacity of the log created when Log is nil.
	LogSize int
	// OnEntry is called with every entry added to the delivery log (serve
	// prints them). It must not call back into the Server.
	OnEntry func(deliverylog.Entry)
}

// poster sends one request; *delivery.Client is one. Tests swap it to keep
// fuzzed URLs off the network.
type poster interface {
	Post(ctx context.Context, url string, body []byte, header http.Header) delivery.Response
}

// Server is the mock DevRev. It is an http.Handler; Close stops its
// background work.
type Server struct {
	// redactors holds, by webhook id, what that webhook's log entries must
	// never show (its secret in every form, header values, URL password,
	// the API token): read by addEntry, which runs with or without s.mu.
	redactors sync.Map

	cfg    Config
	clk    clock.Clock
	client *delivery.Client
	poster poster
	gen    *event.Generator
	log    *deliverylog.Log

	root   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	seq    atomic.Uint64 // seeds of per-trigger engines
	// closing is set by Close before it cancels anything: deliveries that
	// end from then on keep their records in the state file.
	closing atomic.Bool
	// batchSeq numbers triggers and groupSeq their groups (their records
	// in the state file).
	batchSeq atomic.Uint64
	groupSeq atomic.Uint64
	// store is Config.Store (nil in memory); recs are the records of the
	// deliveries in progress, by key (deliveryRecord.key).
	store *store.Store
	recs  sync.Map
	// engines are the delivery engines, by what tells them apart; slots
	// bound the first attempts in flight over every delivery (a token per
	// job from when it is built until its first attempt ends).
	engines  map[engineKey]*delivery.Engine
	slots    chan struct{}
	slotHeld sync.Map // slotKey → struct{}: jobs holding a slot
	// replays remembers the latest events for POST /simulator/replay.
	replays *replayStore

	mu        sync.Mutex
	closed    bool
	apiFaults []*apiFault        // injected API errors, consumed in order
	waits     int                // timers background work holds when idle (see Pending)
	waitsCh   chan struct{}      // closed and replaced whenever waits changes
	tasks     map[*task]struct{} // background work not yet ended
	hooks     map[string]*hook   // by DON id
	order     []string           // DON ids in creation order
	display   int                // last display number
	revont    map[string]*revontHook
	revOrder  []string
	revSeq    uint64 // last revontRecord.Seq
	restored  Restored
	user      DevUser
	queued    int             // events queued or being delivered (Config.QueueLimit)
	replaying map[string]bool // event ids whose replay is in progress
}

// New returns a Server configured by cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("mockapi: Config.Token is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Client == nil {
		cfg.Client = delivery.NewClient(delivery.ClientOptions{})
	}
	if cfg.Schedule == nil {
		cfg.Schedule = delivery.DefaultSchedule()
	}
	for i, d := range cfg.Schedule {
		if d < 0 {
			return nil, fmt.Errorf("mockapi: retry schedule step %d is negative (%s)", i+1, d)
		}
	}
	if cfg.VerifyWindow <= 0 {
		cfg.VerifyWindow = DefaultVerifyWindow
	}
	if cfg.VerifyEvery <= 0 {
		cfg.VerifyEvery = DefaultVerifyEvery
	}
	if cfg.DegradedAfter <= 0 {
		cfg.DegradedAfter = webhook.DefaultDegradedAfter
	}
	if cfg.ReverifyEvery <= 0 {
		cfg.ReverifyEvery = DefaultReverifyEvery
	}
	if !(cfg.TimeScale > 0) {
		cfg.TimeScale = 1
	}
	if cfg.Encoding == "" {
		cfg.Encoding = signature.Hex
	}
	if _, err := signature.ParseEncoding(string(cfg.Encoding)); err != nil {
		return nil, fmt.Errorf("mockapi: %w", err)
	}
	if cfg.KeyEncoding == "" {
		cfg.KeyEncoding = signature.KeyRaw
	}
	if _, err := signature.ParseKeyEncoding(string(cfg.KeyEncoding)); err != nil {
		return nil, fmt.Errorf("mockapi: %w", err)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxCount <= 0 {
		cfg.MaxCount = DefaultMaxCount
	}
	if cfg.MaxWebhooks <= 0 {
		cfg.MaxWebhooks = DefaultMaxWebhooks
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = DefaultQueueLimit
	}
	if cfg.ReplayKeep <= 0 {
		cfg.ReplayKeep = DefaultReplayKeep
	}
	if cfg.Log == nil {
		if cfg.LogSize <= 0 {
			cfg.LogSize = DefaultLogSize
		}
		cfg.Log = deliverylog.New(cfg.LogSize)
	}
	s := &Server{
		cfg:       cfg,
		clk:       cfg.Clock,
		client:    cfg.Client,
		poster:    cfg.Client,
		log:       cfg.Log,
		hooks:     make(map[string]*hook),
		revont:    make(map[string]*revontHook),
		waitsCh:   make(chan struct{}),
		tasks:     make(map[*task]struct{}),
		replays:   newReplayStore(cfg.ReplayKeep),
		store:     cfg.Store,
		engines:   make(map[engineKey]*delivery.Engine),
		replaying: make(map[string]bool),
		slots:     make(chan struct{}, max(cfg.Concurrency*maxSlotsPerWorker, minSlots)),
	}
	if s.store != nil {
		org, err := s.store.Get(store.Meta, []byte("org"))
		if err != nil {
			return nil, err
		}
		if len(org) > 0 {
			cfg.Org, s.cfg.Org = string(org), string(org)
		}
		// A seeded mock started again on its state file must not make the
		// ids of its earlier runs again: each start of the file has its own
		// sequence (the first the seed's own).
		n, err := s.metaCount("boots")
		if err != nil {
			return nil, err
		}
		s.store.Put(store.Meta, []byte("boots"), store.U64(n+1))
		if cfg.Seed != 0 {
			cfg.Seed += n * 1_000_003
		}
	}
	s.gen = event.NewGenerator(event.Options{Seed: cfg.Seed, Org: cfg.Org, Precision: cfg.Precision, Now: cfg.Clock.Now})
	s.user = newDevUser(s.gen.Org())
	s.root, s.cancel = context.WithCancel(context.Background())
	if s.store != nil {
		s.store.Put(store.Meta, []byte("org"), []byte(s.gen.Org()))
		if err := s.restore(); err != nil {
			_ = s.Close(context.Background())
			return nil, fmt.Errorf("mockapi: %w", err)
		}
	}
	return s, nil
}

// Config returns the server's effective configuration (defaults filled in).
func (s *Server) Config() Config {
	c := s.cfg
	c.Schedule = append([]time.Duration(nil), c.Schedule...)
	return c
}

// Log returns the delivery log.
func (s *Server) Log() *deliverylog.Log { return s.log }

// Org returns the dev org used in DON ids.
func (s *Server) Org() string { return s.gen.Org() }

// Close stops the mock: API requests get 503 from now on, verify loops and
// retries stop, and in-flight attempts are cancelled (the engine records
// them as aborted). It waits for background work to end or ctx to be done.
func (s *Server) Close(ctx context.Context) error {
	s.closing.Store(true) // before any task is cancelled: their ends are not final
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for t := range s.tasks {
			s.cancelTaskLocked(t)
		}
		s.cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mockapi: background deliveries still running at shutdown: %w", ctx.Err())
	}
}

// Pending reports how many clock timers the mock's background work (verify
// loops, re-verify loops, events being delivered) holds when every part of
// it is blocked on its clock, and a channel closed at the next change of
// that number. A windowed verify loop holds two (the window and the next
// retry), a degraded re-verify loop one, an event being delivered one (its
// retry wait); work that was cancelled (a verify loop stopped, retries
// failed once degraded, the mock closed) counts one more until it has ended.
// When a clock.Fake's Waiters equals the count, nothing is in flight: tests
// use it to know the mock is idle before advancing time.
func (s *Server) Pending() (waits int, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waits, s.waitsCh
}

// addWaitsLocked changes the Pending count; s.mu must be held.
func (s *Server) addWaitsLocked(n int) {
	if n == 0 {
		return
	}
	s.waits += n
	close(s.waitsCh)
	s.waitsCh = make(chan struct{})
}

func (s *Server) addWaits(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addWaitsLocked(n)
}

// route is one endpoint: its methods and handler.
type route struct {
	methods []string
	auth    bool
	handle  func(w http.ResponseWriter, r *http.Request) *Error
}

func (s *Server) routes(path string) (route, bool) {
	switch path {
	case "/":
		return route{[]string{http.MethodGet}, false, s.index}, true
	case "/healthz":
		return route{[]string{http.MethodGet}, false, s.healthz}, true
	case "/webhooks.create":
		return route{[]string{http.MethodPost}, true, s.webhooksCreate}, true
	case "/webhooks.get":
		return route{[]string{http.MethodPost, http.MethodGet}, true, s.webhooksGet}, true
	case "/webhooks.list":
		return route{[]string{http.MethodPost, http.MethodGet}, true, s.webhooksList}, true
	case "/webhooks.update":
		return route{[]string{http.MethodPost}, true, s.webhooksUpdate}, true
	case "/webhooks.delete":
		return route{[]string{http.MethodPost}, true, s.webhooksDelete}, true
	case "/webhooks.fetch":
		return route{[]string{http.MethodPost}, true, s.webhooksFetch}, true
	case "/v1/webhooks":
		return route{[]string{http.MethodGet, http.MethodPost}, true, s.revontCollection}, true
	case "/simulator/events":
		return route{[]string{http.MethodPost}, true, s.simEvents}, true
	case "/simulator/deliveries":
		return route{[]string{http.MethodGet}, true, s.simDeliveries}, true
	case "/simulator/faults":
		return route{[]string{http.MethodPost}, true, s.simFaults}, true
	case "/simulator/api-faults":
		return route{[]string{http.MethodPost, http.MethodDelete}, true, s.simAPIFaults}, true
	case "/simulator/webhooks":
		return route{[]string{http.MethodGet}, true, s.simWebhooks}, true
	case "/simulator/replay":
		return route{[]string{http.MethodPost}, true, s.simReplay}, true
	}
	if id, ok := strings.CutPrefix(path, "/simulator/webhooks/"); ok && id != "" {
		return route{[]string{http.MethodGet}, true, s.simWebhooks}, true
	}
	if id, ok := strings.CutPrefix(path, "/v1/webhooks/"); ok && id != "" && !strings.Contains(id, "/") {
		return route{[]string{http.MethodDelete}, true, s.revontDelete}, true
	}
	return route{}, false
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Every answer carries a request id, a UUID as DevRev's are.
	w.Header().Set("X-Request-Id", uuid.NewString())
	defer func() {
		if v := recover(); v != nil {
			e := internalError("the mock failed; please report it with the reference_id")
			s.note("", "", fmt.Sprintf("internal error %s on %s %s: %v\n%s", e.ReferenceID, r.Method, r.URL.Path, v, debug.Stack()))
			writeError(w, e)
		}
	}()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		w.Header().Set("Connection", "close")
		writeError(w, &Error{Status: http.StatusServiceUnavailable, Type: TypeServiceUnavailable,
			Message: "the mock is shutting down", Detail: "retry against a running revhook serve"})
		return
	}
	if s.serveConsole(w, r) {
		return
	}
	rt, ok := s.routes(r.URL.Path)
	if !ok {
		writeError(w, notFound("no such endpoint", "%s %s is not served by the mock (see GET /)", r.Method, r.URL.Path))
		return
	}
	allowed := false
	for _, m := range rt.methods {
		allowed = allowed || r.Method == m
	}
	if !allowed {
		w.Header().Set("Allow", strings.Join(rt.methods, ", "))
		writeError(w, methodNotAllowed(r.Method, r.URL.Path, rt.methods))
		return
	}
	if rt.auth {
		if e := s.authenticate(r); e != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="revhook"`)
			writeError(w, e)
			return
		}
	}
	if strings.HasPrefix(r.URL.Path, "/webhooks.") {
		if e := devrevQuery(r); e != nil {
			writeError(w, e)
			return
		}
	}
	if !strings.HasPrefix(r.URL.Path, "/simulator/") && r.URL.Path != "/" {
		if e := s.takeAPIFault(r.URL.Path); e != nil {
			writeError(w, e)
			return
		}
	}
	if e := rt.handle(w, r); e != nil {
		writeError(w, e)
	}
}

// devrevQuery refuses the query parameters DevRev's webhooks API does not
// take: only GET /webhooks.get has one (id).
func devrevQuery(r *http.Request) *Error {
	if r.Method == http.MethodGet && r.URL.Path == "/webhooks.get" {
		_, e := query(r, "id")
		return e
	}
	_, e := query(r)
	return e
}

// authenticate accepts "Bearer <token>" (scheme case-insensitive) or the
// bare token, compared in constant time.
func (s *Server) authenticate(r *http.Request) *Error {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return unauthenticated("missing Authorization header; send Authorization: Bearer <token> (revhook serve prints the token)")
	}
	tok := h
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "bearer") {
		tok = strings.TrimSpace(rest)
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1 {
		return unauthenticated("the token is not valid for this mock")
	}
	return nil
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) *Error {
	writeJSON(w, http.StatusOK, map[string]any{
		"service": "revhook mock DevRev",
		"auth":    "Authorization: Bearer <token>",
		"endpoints": []string{
			"POST /webhooks.create", "POST /webhooks.get", "GET /webhooks.get?id=ID",
			"POST /webhooks.list", "GET /webhooks.list", "POST /webhooks.update", "POST /webhooks.delete",
			"POST /webhooks.fetch",
			"GET /v1/webhooks", "POST /v1/webhooks", "DELETE /v1/webhooks/{id}",
			"POST /simulator/events", "GET /simulator/deliveries", "POST /simulator/faults",
			"POST /simulator/api-faults", "DELETE /simulator/api-faults",
			"GET /simulator/webhooks", "GET /simulator/webhooks/{id}", "POST /simulator/replay",
			"GET /healthz",
		},
	})
	return nil
}

// healthz is the readiness probe: no token needed (a closed mock answers
// 503 before reaching it).
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) *Error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// newToken returns n bytes of crypto randomness in URL-safe base64.
func newToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewToken returns a fresh random API token (for serve's default --token).
func NewToken() string { return "rvh_" + newToken(24) }

// addEntry records e in the log and hands it to OnEntry.
func (s *Server) addEntry(e deliverylog.Entry) {
	if e.Time.IsZero() {
		e.Time = s.clk.Now()
	}
	if r, ok := s.redactors.Load(e.WebhookID); ok {
		red := r.(*redact.Redactor)
		e.ResponsePreview, e.Error, e.Message = red.String(e.ResponsePreview), red.String(e.Error), red.String(e.Message)
	}
	e = s.log.Add(e)
	s.addLogRecord(e)
	if s.cfg.OnEntry != nil {
		s.cfg.OnEntry(e)
	}
}

func (s *Server) note(webhookID, eventID, msg string) {
	s.addEntry(deliverylog.Entry{Kind: KindNote, WebhookID: webhookID, EventID: eventID, Message: msg})
}
