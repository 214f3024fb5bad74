package harness

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// Options configure a Harness. They are validated by the caller (package
// steps); the harness trusts them.
type Options struct {
	// URL is the receiver endpoint.
	URL *url.URL
	// Secret is the webhook secret; it signs and never appears in output.
	Secret string
	// Encoding is the signature encoding to use; empty: detect it.
	Encoding signature.Encoding
	// KeyEncoding says how Secret becomes the HMAC key; empty: detect it.
	KeyEncoding signature.KeyEncoding
	// Timeout is the receiver's response deadline (DevRev's 3 s).
	Timeout time.Duration
	// Grace is how long past Timeout the harness still waits to see what
	// a late answer was; it still fails the deadline. Timeout/2 when zero.
	Grace time.Duration
	// Insecure accepts any TLS certificate.
	Insecure bool
	// Seed makes every payload and id repeatable.
	Seed int64
	// Header holds extra headers sent with every request (--header).
	Header http.Header
	// Clock tells the time of timestamps; clock.Real() when nil.
	Clock clock.Clock
	// Deadlines is the clock the receiver's deadlines and latencies are
	// measured on; clock.Real() when nil. Tests whose subject is not time
	// use one that stands still, so a busy machine cannot make a correct
	// receiver late.
	Deadlines clock.Clock
	// Concurrency is how many scenarios run at once (8 when zero).
	Concurrency int
}

// Harness is what every scenario of one run shares. Detection writes it
// before scenarios run; afterwards it is only read, but for its counters.
type Harness struct {
	opt  Options
	hook string // the webhook id every event is delivered for
	org  string

	enc    signature.Encoding
	keyEnc signature.KeyEncoding
	signer *signature.Signer
	// Detection is what Detect found.
	Detection Detection

	// gate isolates the load-generating steps (bursts, the catalogue
	// sweep): they hold it exclusively, every other request holds it
	// shared, so a receiver slowed down by a burst fails only the
	// requirement that sent it.
	gate sync.RWMutex
	// slots bounds the scenarios in flight; widened once a request got no
	// answer, so a receiver that stopped answering costs one deadline for
	// all the waiting scenarios instead of one per wave.
	slots *slots

	requests atomic.Int64 // requests sent
	answers  atomic.Int64 // complete answers received
	// silentSince is when the latest request that got no answer was sent,
	// lastAnswer when the latest answer arrived (Unix nanoseconds, 0: never).
	silentSince, lastAnswer atomic.Int64
}

// Silent reports whether the receiver has answered nothing since the
// latest unanswered request was sent: it stopped answering. (A receiver
// that missed one request early and answered later is not silent.)
func (h *Harness) Silent() bool {
	s := h.silentSince.Load()
	return s != 0 && h.lastAnswer.Load() < s
}

// Stalled reports whether the receiver is silent and had answered nothing
// for a whole deadline before its latest unanswered request: not a few
// requests it holds on to, but a receiver that stopped answering. Another
// probe would only wait out another deadline.
func (h *Harness) Stalled() bool {
	return h.Silent() && h.lastAnswer.Load() < h.silentSince.Load()-int64(h.opt.Timeout)
}

// New returns a harness for o. Signing uses hex and the raw key until
// Detect (or the options) say otherwise.
func New(o Options) (*Harness, error) {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Deadlines == nil {
		o.Deadlines = clock.Real()
	}
	if o.Grace == 0 {
		o.Grace = o.Timeout / 2
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	h := &Harness{opt: o, slots: newSlots(o.Concurrency)}
	g := event.NewGenerator(event.Options{Seed: derive(o.Seed, "run")})
	h.hook, h.org = g.WebhookID(), g.Org()
	enc, keyEnc := o.Encoding, o.KeyEncoding
	if enc == "" {
		enc = signature.Hex
	}
	if keyEnc == "" {
		keyEnc = signature.KeyRaw
	}
	if err := h.SetSigning(enc, keyEnc); err != nil {
		return nil, err
	}
	return h, nil
}

// SetSigning makes every later request signed with enc and keyEnc.
func (h *Harness) SetSigning(enc signature.Encoding, keyEnc signature.KeyEncoding) error {
	s, err := signature.NewSigner(h.opt.Secret, enc, keyEnc)
	if err != nil {
		return err
	}
	h.enc, h.keyEnc, h.signer = enc, keyEnc, s
	return nil
}

// Encoding and KeyEncoding are the signing in use.
func (h *Harness) Encoding() signature.Encoding { return h.enc }

// KeyEncoding is how the secret becomes the key in use.
func (h *Harness) KeyEncoding() signature.KeyEncoding { return h.keyEnc }

// Sign signs body the way the run signs.
func (h *Harness) Sign(body []byte) string { return h.signer.Sign(body) }

// Options returns the harness's options.
func (h *Harness) Options() Options { return h.opt }

// URL is the receiver endpoint as a string.
func (h *Harness) URL() string { return h.opt.URL.String() }

// Answers is how many complete answers arrived so far.
func (h *Harness) Answers() int64 { return h.answers.Load() }

// Requests is how many requests were sent so far.
func (h *Harness) Requests() int64 { return h.requests.Load() }

// NewScenario returns the state of one scenario. key identifies it across
// runs: with the same seed it builds the same events and ids.
func (h *Harness) NewScenario(key, name, reqID, level string) *Scenario {
	return &Scenario{
		Key: key, Name: name, ReqID: reqID, Level: level, h: h, start: time.Now(),
		gen: event.NewGenerator(event.Options{
			Seed: derive(h.opt.Seed, key), Org: h.org, Precision: event.Microseconds, Now: h.opt.Clock.Now, Plain: true,
			NumberBase: numberBase(h.opt.Seed, key),
		}),
	}
}

// Begin waits for a slot for sc (see Options.Concurrency); End frees it.
func (h *Harness) Begin(ctx context.Context) error { return h.slots.acquire(ctx) }

// End frees the slot Begin took.
func (h *Harness) End() { h.slots.release() }

// numberBase is the start of a scenario's range of display numbers: one of
// two million ranges of a thousand (numbers stay below 2^31), picked by the
// scenario's key, so that two scenarios of a run — or a scenario and its
// re-run alone — rarely share a range (with ~120 keys, well under one run
// in a hundred) instead of sharing numbers in most runs (every scenario's
// numbers started below 100), which a receiver that remembers objects
// (409 "already exists") took for one object seen twice.
func numberBase(seed int64, key string) int {
	return int(derive(seed, "numbers: "+key)%2_000_000) * 1000
}

// derive mixes the run's seed with a key into a non-zero generator seed.
func derive(seed int64, key string) uint64 {
	f := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	f.Write(b[:])
	f.Write([]byte(key))
	if s := f.Sum64(); s != 0 {
		return s
	}
	return 1
}

// slots is a counting semaphore that can be opened for good.
type slots struct {
	mu     sync.Mutex
	cond   *sync.Cond
	n, max int
	open   bool
}

func newSlots(n int) *slots {
	s := &slots{max: n}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *slots) acquire(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.open && s.n >= s.max {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.cond.Wait()
	}
	s.n++
	return nil
}

func (s *slots) release() {
	s.mu.Lock()
	s.n--
	s.cond.Signal()
	s.mu.Unlock()
}

// widen lets every waiting scenario run at once.
func (s *slots) widen() {
	s.mu.Lock()
	s.open = true
	s.cond.Broadcast()
	s.mu.Unlock()
}
