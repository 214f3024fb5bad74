// Package deliverylog is the bounded record of what the simulator did:
// every delivery attempt, every webhook state transition, and free-form
// notes. It is a ring buffer: adding is O(1), memory never exceeds the
// capacity, and the oldest entries are dropped first.
package deliverylog

import (
	"slices"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
)

// DefaultCapacity is the capacity used when New is given zero or less.
const DefaultCapacity = 10_000

// Entry kinds.
const (
	KindAttempt    = "attempt"
	KindTransition = "transition"
	KindNote       = "note"
)

// Entry is one line of the delivery log.
type Entry struct {
	// Seq is assigned by Add: 1, 2, 3, … in insertion order, never reused.
	Seq uint64 `json:"seq"`
	// Time is when it happened (Add sets it if zero).
	Time time.Time `json:"time"`
	// Kind is "attempt", "transition" or "note".
	Kind string `json:"kind"`
	// WebhookID, EventID and EventType say what it is about.
	WebhookID string `json:"webhook_id,omitempty"`
	EventID   string `json:"event_id,omitempty"`
	EventType string `json:"event_type,omitempty"`
	// Timestamp is the envelope timestamp the attempt sent (attempts only,
	// when known): each attempt carries its own unless re-stamping is off.
	Timestamp string `json:"timestamp,omitempty"`
	// Attempt is the 1-based attempt number (attempts only).
	Attempt int `json:"attempt,omitempty"`
	// Status is the HTTP status received, 0 when none.
	Status int `json:"status,omitempty"`
	// LatencyMS is the attempt's latency in milliseconds.
	LatencyMS int64 `json:"latency_ms,omitempty"`
	// Error is why the attempt failed.
	Error string `json:"error,omitempty"`
	// ResponsePreview is the start of the response body.
	ResponsePreview string `json:"response_preview,omitempty"`
	// Duplicate marks an injected duplicate delivery.
	Duplicate bool `json:"duplicate,omitempty"`
	// Replay marks an attempt of an event re-delivered on request (POST
	// /simulator/replay): a new invocation with the event's id.
	Replay bool `json:"replay,omitempty"`
	// Delivered reports a successful attempt.
	Delivered bool `json:"delivered"`
	// From and To are the webhook's internal states of a transition:
	// unverified, active, degraded or inactive.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// APIStatus is the status DevRev's API shows after a transition
	// (active, inactive or unverified: a degraded webhook shows active).
	APIStatus string `json:"api_status,omitempty"`
	// ConsecutiveFailures counts the events in a row that exhausted their
	// attempts, after a transition or an exhausted event.
	ConsecutiveFailures int `json:"consecutive_failures,omitempty"`
	// NextVerify is when the next verify request is due, when a
	// transition starts periodic re-verification (degraded).
	NextVerify time.Time `json:"next_verify,omitzero"`
	// Message is free text (notes, the reason of a transition).
	Message string `json:"message,omitempty"`
}

// FromAttempt turns a delivery attempt into a log entry.
func FromAttempt(a delivery.Attempt) Entry {
	return Entry{
		Time: a.At, Kind: KindAttempt, Timestamp: a.Timestamp,
		WebhookID: a.WebhookID, EventID: a.EventID, EventType: a.Type,
		Attempt: a.Number, Status: a.Status, LatencyMS: a.Latency.Milliseconds(),
		Error: a.Err, ResponsePreview: a.ResponsePreview,
		Duplicate: a.Duplicate, Delivered: a.Delivered,
	}
}

// Transition returns an entry for a webhook moving from one state to another.
func Transition(webhookID, from, to, message string) Entry {
	return Entry{Kind: KindTransition, WebhookID: webhookID, From: from, To: to, Message: message}
}

// Note returns a free-form entry about a webhook ("" for none).
func Note(webhookID, message string) Entry {
	return Entry{Kind: KindNote, WebhookID: webhookID, Message: message}
}

// Filter selects entries. Zero fields match everything.
type Filter struct {
	WebhookID, EventID, Kind string
	// Delivered, when set, keeps only attempts with that outcome.
	Delivered *bool
	// Limit, when positive, keeps only the newest Limit matches.
	Limit int
	// AfterSeq keeps only entries with a larger Seq (for polling).
	AfterSeq uint64
}

func (f Filter) match(e *Entry) bool {
	switch {
	case f.WebhookID != "" && e.WebhookID != f.WebhookID,
		f.EventID != "" && e.EventID != f.EventID,
		f.Kind != "" && e.Kind != f.Kind,
		f.AfterSeq != 0 && e.Seq <= f.AfterSeq:
		return false
	case f.Delivered != nil:
		return e.Kind == KindAttempt && e.Delivered == *f.Delivered
	}
	return true
}

// Log is a fixed-capacity ring of entries, safe for concurrent use.
type Log struct {
	clock clock.Clock

	mu   sync.Mutex
	buf  []Entry
	head int // index of the oldest entry
	n    int // entries held
	seq  uint64
}

// New returns a log holding at most capacity entries (DefaultCapacity when
// capacity < 1), timestamping entries with the wall clock.
func New(capacity int) *Log { return NewWithClock(capacity, clock.Real()) }

// NewWithClock is New with the clock that stamps entries whose Time is zero.
func NewWithClock(capacity int, c clock.Clock) *Log {
	if capacity < 1 {
		capacity = DefaultCapacity
	}
	if c == nil {
		c = clock.Real()
	}
	return &Log{clock: c, buf: make([]Entry, capacity)}
}

// Add appends e, dropping the oldest entry when full, and returns it with
// its Seq (and Time, if it was zero) assigned.
func (l *Log) Add(e Entry) Entry {
	if e.Time.IsZero() {
		e.Time = l.clock.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	if l.n < len(l.buf) {
		l.buf[(l.head+l.n)%len(l.buf)] = e
		l.n++
	} else {
		l.buf[l.head] = e
		l.head = (l.head + 1) % len(l.buf)
	}
	return e
}

// List returns the entries matching f, oldest first. With a Limit it
// walks from the newest entry and stops after Limit matches.
func (l *Log) List(f Filter) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := func(i int) *Entry { return &l.buf[(l.head+i)%len(l.buf)] }
	var out []Entry
	if f.Limit <= 0 {
		for i := 0; i < l.n; i++ {
			if e := at(i); f.match(e) {
				out = append(out, *e)
			}
		}
		return out
	}
	for i := l.n - 1; i >= 0 && len(out) < f.Limit; i-- {
		if e := at(i); f.match(e) {
			out = append(out, *e)
		}
	}
	slices.Reverse(out)
	return out
}

// Len returns how many entries the log holds now.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// Cap returns the log's capacity.
func (l *Log) Cap() int { return len(l.buf) }

// Total returns how many entries were ever added (the last Seq).
func (l *Log) Total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// Dropped returns how many entries were dropped to stay within capacity.
func (l *Log) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq - uint64(l.n)
}
