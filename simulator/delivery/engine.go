// Package delivery is DevRev's sender for one URL: it stamps each attempt
// of an event with its own invocation time, signs those raw bytes, POSTs
// them with DevRev's deadline, retries on DevRev's schedule, and delivers
// many events concurrently with injected duplicates and reordering
// (docs/protocol.md §1.1–1.2).
//
// Every wait between attempts goes through a clock.Clock, so the 30 s / 3 min
// schedule can run in real time, scaled down, or by hand in tests. The
// per-attempt network deadline (ClientOptions.Timeout) is real time: scale it
// by choosing a smaller Timeout.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// DefaultConcurrency is the worker count when Config.Concurrency is zero.
const DefaultConcurrency = 8

// PreviewBytes is how much of a response body Attempt.ResponsePreview keeps.
const PreviewBytes = 256

// ErrDropped is the reason of an attempt failed on purpose by Job.DropFirst.
var ErrDropped = errors.New("dropped by fault injection (drop_first)")

// DefaultSchedule returns DevRev's retry delays: the second attempt 30 s
// after the first failed, the third 3 min after the second failed.
func DefaultSchedule() []time.Duration { return []time.Duration{30 * time.Second, 3 * time.Minute} }

// Job is one event to deliver to one URL.
type Job struct {
	// Event is the event; its ID, WebhookID and Type label the attempts.
	Event event.Event
	// Body is the exact bytes to send and sign; Event.Encode() when nil.
	Body []byte
	// URL is the receiver endpoint.
	URL string
	// Signer signs Body into X-DevRev-Signature; nil sends no signature.
	Signer *signature.Signer
	// DropFirst fails the first N attempts without sending anything
	// (fault injection: the receiver never sees them).
	DropFirst int
	// Header holds extra headers sent with every attempt (a webhook's
	// custom headers, --header). It is shared, never modified, and cannot
	// replace Content-Type, User-Agent or the signature: entries with those
	// names, in any letter case, are not sent.
	Header http.Header
}

// EncodedJob returns a job for ev whose Body is ev encoded and whose Event
// keeps only the labels (no Payload or Extra objects). A caller that lets
// many jobs wait (a load run, a mock trigger) holds each event's bytes,
// which the engine deflates while a retry waits, instead of its maps: ~10 KB
// for a 4 KiB event. Set URL, Signer and DropFirst on the result.
func EncodedJob(ev event.Event) (Job, error) {
	body, err := ev.Encode()
	if err != nil {
		return Job{}, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	ev.Payload, ev.Extra = nil, nil
	return Job{Event: ev, Body: body}, nil
}

// Attempt is the record of one POST (or one dropped attempt).
type Attempt struct {
	EventID, WebhookID, Type, URL string
	// Number is the 1-based attempt number; a duplicate delivery is number 1.
	Number int
	// Of is how many attempts the schedule allows (1 for a duplicate).
	Of int
	// Duplicate marks an injected re-delivery of an already delivered event.
	Duplicate bool
	// At is when the attempt started, on the engine's clock.
	At time.Time
	// Timestamp is the envelope's top-level "timestamp" value as this
	// attempt sent it: At in the body's precision when the attempt was
	// re-stamped (unless Config.SameBytesOnRetry), else the body's own value;
	// "" for a dropped attempt or a body without one.
	Timestamp string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Latency is the real time the exchange took.
	Latency time.Duration
	// Err is why the attempt failed ("" when delivered, and for a plain
	// non-2xx answer it says "HTTP 500 is not 2xx").
	Err string
	// ResponsePreview is the start of the response body (PreviewBytes at most).
	ResponsePreview string
	// Delivered reports a 2xx answer read completely within the deadline.
	Delivered bool
}

// Result is the outcome of one job: every attempt, in order.
type Result struct {
	// Job is the job as given, except that Job.Body, when given, may be an
	// equal copy rather than the same slice: the engine drops its reference
	// to the body while the job waits for a retry and holds it deflated.
	Job      Job
	Attempts []Attempt
	// Delivered reports that one attempt (not counting duplicates) succeeded.
	Delivered bool
	// Err is set when the job stopped without exhausting its attempts:
	// the event did not encode, or the context ended.
	Err error
}

// Exhausted reports that every scheduled attempt was made and failed.
func (r Result) Exhausted() bool { return !r.Delivered && r.Err == nil }

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// Client posts the requests; NewClient(ClientOptions{}) when nil.
	Client *Client
	// Clock times the waits between attempts; clock.Real() when nil.
	Clock clock.Clock
	// Schedule is the delays before attempts 2, 3, …; DefaultSchedule() when
	// nil. A non-nil empty slice means a single attempt.
	Schedule []time.Duration
	// Concurrency bounds the requests in flight in DeliverAll; default 8.
	Concurrency int
	// DuplicateRate in [0,1] is the probability that a delivered event is
	// sent once more (same id, bytes and signature) in DeliverAll.
	DuplicateRate float64
	// ReorderWindow w > 1 shuffles the dispatch order of DeliverAll within
	// consecutive windows of w jobs.
	ReorderWindow int
	// Seed makes duplicate and reorder decisions deterministic.
	Seed uint64
	// MaxPending bounds the jobs DeliverAll holds at once (in flight or
	// waiting for a retry); default 64 × Concurrency. It bounds memory: a
	// job waiting for a retry holds ~1.2 KB for a 1 KiB body (its body
	// deflated, its record and its timer).
	MaxPending int
	// OnAttempt, if set, is called after every attempt; it must be safe for
	// concurrent calls.
	OnAttempt func(Attempt)
	// SameBytesOnRetry sends every attempt of an event — the first,
	// retries and duplicates — with the job's bytes as given, so with the
	// same timestamp and signature (revhook's behaviour before re-stamping).
	//
	// False, the default, does what DevRev does: each attempt is a new
	// invocation of the webhook, so each carries its own timestamp (the
	// clock's now at the attempt, in the precision of the body's own
	// timestamp) and the signature of those new bytes; the payload is not
	// re-encoded (event.Restamp). Injected duplicates are re-stamped too:
	// DevRev re-delivers an event as a new invocation with the same id.
	// A body without a top-level RFC 3339 "timestamp" with a fraction is
	// sent as given (docs/protocol.md §1.1–1.2).
	SameBytesOnRetry bool
}

// Engine delivers jobs. It is safe for concurrent use.
type Engine struct {
	cfg       Config
	ctype, ua []string // shared, read-only header values
	parker    parker
	// lastPreview is the latest response preview: a receiver that is down
	// tends to answer every attempt with the same body, and retried jobs
	// then share one string instead of holding a copy each.
	lastPreview atomic.Pointer[string]
}

// New returns an engine configured by cfg.
func New(cfg Config) *Engine {
	if cfg.Client == nil {
		cfg.Client = NewClient(ClientOptions{})
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	cfg.DuplicateRate = min(max(cfg.DuplicateRate, 0), 1)
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 64 * cfg.Concurrency
	}
	cfg.MaxPending = max(cfg.MaxPending, cfg.Concurrency)
	return &Engine{cfg: cfg, ctype: []string{"application/json"}, ua: []string{cfg.Client.opts.UserAgent}}
}

// Config returns the engine's effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Attempts is how many attempts the schedule allows per event.
func (e *Engine) Attempts() int { return 1 + len(e.cfg.Schedule) }

// run is one job in progress. It is what the engine holds per event, up to
// MaxPending of them at once, so it is kept small: attempts are compact
// tries (an Attempt is built from a try and the job when reported), and
// while the job waits for a retry its body is held deflated (park).
type run struct {
	job Job
	// body is the bytes to send and sign; while the job is parked it is
	// their deflated form and size is their length (0 otherwise).
	body  []byte
	size  int
	tries []try
	err   error
	idx   int // dispatch index
	// encoded: body was encoded by the engine (job.Body was nil); dup: send
	// a duplicate once delivered; due: its retry timer fired (guarded by
	// its step queue's lock).
	encoded, dup, delivered, due bool
	// prec is the precision attempts are re-stamped in, noRestamp when
	// they send the body as it is.
	prec int8
}

// noRestamp is run.prec for a body sent as it is on every attempt.
const noRestamp = -1

// try is the compact record of one attempt.
type try struct {
	at      time.Time
	latency time.Duration
	// reason is Attempt.Err, except for a plain non-2xx answer, whose
	// reason follows from its status (statusReason) and is not stored.
	reason    string
	preview   string
	status    int32
	number    int32
	dup       bool
	delivered bool
	// dropped: nothing was sent (DropFirst); stamped: the body was
	// re-stamped with at (in run.prec).
	dropped, stamped bool
}

// prepare encodes the job once; attempts send these bytes, re-stamped
// unless SameBytesOnRetry. (The signature is computed per attempt, ~1 µs
// per KiB, rather than held by every waiting job.)
func (e *Engine) prepare(job Job) *run {
	r := &run{job: job, body: job.Body, prec: noRestamp}
	if r.body == nil {
		b, err := job.Event.Encode()
		if err != nil {
			r.err = fmt.Errorf("encode event %s: %w", job.Event.ID, err)
			return r
		}
		r.body, r.encoded = b, true
	}
	if !e.cfg.SameBytesOnRetry {
		r.prec = restampPrecision(r.body)
	}
	return r
}

// restampPrecision is the precision of body's top-level timestamp, or
// noRestamp when it has no RFC 3339 one with a fraction.
func restampPrecision(body []byte) int8 {
	v, err := event.EnvelopeTimestamp(body)
	if err != nil {
		return noRestamp
	}
	p, ok := event.PrecisionOf(v)
	if !ok {
		return noRestamp
	}
	return int8(p)
}

// park deflates the body of a run about to wait for a retry (when that
// saves memory): the caller's copy, if it kept none, can then be freed.
func (e *Engine) park(r *run) {
	packed := e.parker.deflate(r.body)
	if packed == nil {
		return
	}
	r.body, r.size, r.job.Body = packed, len(r.body), nil
}

// unpark restores the body of a parked run.
func (e *Engine) unpark(r *run) error {
	if r.size == 0 {
		return nil
	}
	body, err := e.parker.inflate(r.body, r.size)
	if err != nil {
		return fmt.Errorf("event %s: %w", r.job.Event.ID, err)
	}
	r.body, r.size = body, 0
	if !r.encoded {
		r.job.Body = body
	}
	return nil
}

// result is the run's outcome. Result.Job.Body holds the same bytes as the
// job's, though not necessarily the same slice (see park).
func (e *Engine) result(r *run) Result {
	if err := e.unpark(r); err != nil && r.err == nil {
		r.err = err
	}
	res := Result{Job: r.job, Delivered: r.delivered, Err: r.err}
	if len(r.tries) > 0 {
		res.Attempts = make([]Attempt, len(r.tries))
		for i, t := range r.tries {
			res.Attempts[i] = e.attemptOf(r, t)
		}
	}
	return res
}

// attemptOf expands a try of r into its Attempt.
func (e *Engine) attemptOf(r *run, t try) Attempt {
	a := Attempt{
		EventID: r.job.Event.ID, WebhookID: r.job.Event.WebhookID, Type: r.job.Event.Type, URL: r.job.URL,
		Number: int(t.number), Of: e.Attempts(), Duplicate: t.dup, At: t.at, Timestamp: r.stampOf(t),
		Status: int(t.status), Latency: t.latency, Err: t.reason,
		ResponsePreview: t.preview, Delivered: t.delivered,
	}
	if t.dup {
		a.Of = 1
	}
	if a.Err == "" && !a.Delivered {
		a.Err = statusReason(a.Status)
	}
	return a
}

// stampOf is Attempt.Timestamp of a try of r.
func (r *run) stampOf(t try) string {
	switch {
	case t.stamped:
		var buf [len("2006-01-02T15:04:05.000000000Z")]byte
		return string(event.AppendTimestamp(buf[:0], t.at, event.Precision(r.prec)))
	case t.dropped || r.size != 0: // nothing sent, or the body is parked
		return ""
	}
	v, _ := event.EnvelopeTimestamp(r.body)
	return v
}

// attempt makes attempt number n (or the duplicate) and records it.
func (e *Engine) attempt(ctx context.Context, r *run, n int, dup bool) try {
	t := try{number: int32(n), dup: dup, at: e.cfg.Clock.Now()}
	if !dup && n <= r.job.DropFirst {
		t.reason, t.dropped = ErrDropped.Error(), true
	} else {
		e.send(ctx, r, &t)
	}
	r.tries = append(r.tries, t)
	if t.delivered && !dup {
		r.delivered = true
	}
	if e.cfg.OnAttempt != nil {
		e.cfg.OnAttempt(e.attemptOf(r, t))
	}
	return t
}

// send posts r's body, re-stamped with t.at unless the run sends it as
// it is, and records the answer in t.
func (e *Engine) send(ctx context.Context, r *run, t *try) {
	body := r.body
	if r.prec != noRestamp {
		// prepare found the timestamp, so this cannot fail; if it did, the
		// body would go out as it is and the attempt say so (not stamped).
		if b, err := event.Restamp(r.body, t.at, event.Precision(r.prec)); err == nil {
			body, t.stamped = b, true
		}
	}
	resp := e.cfg.Client.postPrepared(ctx, r.job.URL, body, e.header(r.job, body))
	t.status, t.latency, t.delivered = int32(resp.Status), resp.Latency, resp.OK()
	if !resp.plainStatusFailure() {
		t.reason = resp.Reason()
	}
	if len(resp.Body) > 0 {
		t.preview = e.preview(resp.Body)
	}
}

// header is the request header of an attempt of job sending body: the
// job's extra headers, then Content-Type, User-Agent and the signature of
// body, which no extra header can replace or duplicate.
func (e *Engine) header(job Job, body []byte) http.Header {
	h := make(http.Header, 3+len(job.Header))
	for k, v := range job.Header {
		if !reservedHeader(k) {
			h[k] = v
		}
	}
	h["Content-Type"], h["User-Agent"] = e.ctype, e.ua
	if job.Signer != nil {
		h[signature.Header] = []string{job.Signer.Sign(body)}
	}
	return h
}

// reservedHeader reports a header name the engine sets itself.
func reservedHeader(name string) bool {
	return strings.EqualFold(name, "Content-Type") || strings.EqualFold(name, "User-Agent") ||
		strings.EqualFold(name, signature.Header)
}

// preview returns the start of a body as valid UTF-8, sharing the string
// of the previous preview when it is the same.
func (e *Engine) preview(b []byte) string {
	if len(b) > PreviewBytes {
		b = b[:PreviewBytes]
	}
	if last := e.lastPreview.Load(); last != nil && *last == string(b) {
		return *last
	}
	p := strings.ToValidUTF8(string(b), "\uFFFD")
	e.lastPreview.Store(&p)
	return p
}

// Deliver delivers one event: the first attempt at once, then one more after
// each delay of the schedule while attempts fail. It blocks until the event
// is delivered, its attempts are exhausted, or ctx ends (Result.Err is then
// ctx's error; an attempt cut short by ctx is recorded as aborted).
// Deliver sends no duplicates; DeliverAll does.
func (e *Engine) Deliver(ctx context.Context, job Job) Result {
	r := e.prepare(job)
	if r.err != nil {
		return e.result(r)
	}
	for n := 1; n <= e.Attempts(); n++ {
		if n > 1 {
			if err := clock.Sleep(ctx, e.cfg.Clock, e.cfg.Schedule[n-2]); err != nil {
				r.err = err
				return e.result(r)
			}
		}
		if err := ctx.Err(); err != nil {
			r.err = err
			return e.result(r)
		}
		if e.attempt(ctx, r, n, false).delivered {
			return e.result(r)
		}
	}
	if err := ctx.Err(); err != nil {
		r.err = err
	}
	return e.result(r)
}

// plan returns the dispatch order of n jobs and which of them get a
// duplicate, both drawn from the seed.
func (e *Engine) plan(n int) (order []int, dup []bool) {
	rng := rand.New(rand.NewPCG(e.cfg.Seed, e.cfg.Seed^0x9e3779b97f4a7c15))
	order = make([]int, n)
	for i := range order {
		order[i] = i
	}
	if w := e.cfg.ReorderWindow; w > 1 {
		for lo := 0; lo < n; lo += w {
			win := order[lo:min(lo+w, n)]
			rng.Shuffle(len(win), func(i, j int) { win[i], win[j] = win[j], win[i] })
		}
	}
	if e.cfg.DuplicateRate > 0 {
		dup = make([]bool, n)
		for i := range dup {
			dup[i] = rng.Float64() < e.cfg.DuplicateRate
		}
	}
	return order, dup
}

// DeliverAll delivers jobs concurrently and returns their results in the
// order of jobs. At most Concurrency requests are in flight; a job waiting
// for its next attempt holds no worker, and at most MaxPending jobs are held
// at once. Dispatch follows jobs' order shuffled within ReorderWindow; a
// delivered job drawn for a duplicate is sent once more right after its
// success (recorded in its Attempts with Duplicate set).
//
// onResult, if set, is called as each job finishes, one call at a time.
// When ctx ends, jobs not yet finished get Result.Err = ctx.Err().
func (e *Engine) DeliverAll(ctx context.Context, jobs []Job, onResult func(Result)) []Result {
	order, dup := e.plan(len(jobs))
	results := make([]Result, len(jobs))
	finished := make([]bool, len(jobs))
	var mu sync.Mutex // serialises onResult
	e.dispatch(ctx, func(yield func(idx int, job Job) bool) {
		for _, i := range order {
			if !yield(i, jobs[i]) {
				return
			}
		}
	}, func(idx int) bool { return dup != nil && dup[idx] }, func(idx int, r Result) {
		mu.Lock()
		defer mu.Unlock()
		results[idx], finished[idx] = r, true
		if onResult != nil {
			onResult(r)
		}
	})
	for i, ok := range finished {
		if !ok { // never dispatched: ctx ended first
			results[i] = Result{Job: jobs[i], Err: context.Cause(ctx)}
			if results[i].Err == nil {
				results[i].Err = context.Canceled
			}
		}
	}
	return results
}

// DeliverStream is DeliverAll for an open-ended stream of jobs (the load
// generator): jobs are dispatched as they arrive and each result goes only
// to onResult (one call at a time), so memory stays bounded however long
// the stream. With ReorderWindow w > 1, jobs are held until w have arrived
// (or the channel is closed) and that window is dispatched shuffled. It
// returns when jobs is closed and every job finished, or ctx ended (jobs
// still in the channel are then not read).
func (e *Engine) DeliverStream(ctx context.Context, jobs <-chan Job, onResult func(Result)) {
	rng := rand.New(rand.NewPCG(e.cfg.Seed, e.cfg.Seed^0x9e3779b97f4a7c15))
	w := max(e.cfg.ReorderWindow, 1)
	var mu sync.Mutex
	e.dispatch(ctx, func(yield func(idx int, job Job) bool) {
		idx := 0
		window := make([]Job, 0, w)
		flush := func() bool {
			if w > 1 {
				rng.Shuffle(len(window), func(i, j int) { window[i], window[j] = window[j], window[i] })
			}
			for _, j := range window {
				if !yield(idx, j) {
					return false
				}
				idx++
			}
			window = window[:0]
			return true
		}
		for {
			select {
			case j, ok := <-jobs:
				if !ok {
					flush()
					return
				}
				window = append(window, j)
				if len(window) >= w && !flush() {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}, func(int) bool {
		// Called from the dispatching goroutine only, in dispatch order.
		return e.cfg.DuplicateRate > 0 && rng.Float64() < e.cfg.DuplicateRate
	}, func(_ int, r Result) {
		if onResult != nil {
			mu.Lock()
			defer mu.Unlock()
			onResult(r)
		}
	})
}

// dispatch runs the worker pool. next yields jobs in dispatch order; dupOf
// says whether a job gets a duplicate; finish receives every dispatched
// job's result exactly once.
func (e *Engine) dispatch(ctx context.Context, next func(yield func(int, Job) bool), dupOf func(int) bool, finish func(int, Result)) {
	p := e.newPool(ctx, finish)
	next(func(idx int, job Job) bool { return p.submit(idx, job, dupOf) })
	p.wait()
}
