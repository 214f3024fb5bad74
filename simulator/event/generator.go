package event

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// Options configures a Generator.
type Options struct {
	// Seed makes generated ids and payloads deterministic; 0 picks a random seed.
	Seed uint64
	// Org is the dev org in DON ids (devo/<Org>); generated when empty.
	Org string
	// Precision of envelope timestamps; zero means nanoseconds.
	Precision Precision
	// Now tells the time for envelope timestamps; time.Now when nil.
	Now func() time.Time
	// Plain makes conservative events for a harness's base case: shaped like
	// the real capture and valid against DevRev's schema, but with no
	// character a JSON encoder escapes or re-spells in any string (no <, >,
	// &, quotes, backslashes, control or non-ASCII characters: mentions lose
	// their angle brackets, dashes become '-', reactions use emoji names),
	// only small plain integers as numbers, DevRev's key order, and
	// microsecond envelope timestamps unless Precision says otherwise.
	Plain bool
	// NumberBase offsets every display number (ISS-<n>, incident/<n>): a
	// harness gives each scenario its own range, so that a receiver which
	// remembers objects never mistakes one scenario's for another's.
	NumberBase int
	// WebhookObjectSecret adds a made-up secret to the webhook objects of
	// webhook_* events. DevRev's schema marks webhook.secret required, but
	// its guide says a secret is never provided when invoking a webhook, so
	// by default there is none (docs/protocol.md §1.1).
	WebhookObjectSecret bool
}

// Generator produces events with realistic DevRev payloads. It is safe for
// concurrent use; with a fixed Seed and a fixed call order its output is
// deterministic.
type Generator struct {
	mu   sync.Mutex
	fake *gofakeit.Faker
	org  string
	now  func() time.Time
	prec Precision
	seq  map[string]int // next display number per object kind
	base int            // Options.NumberBase
	w    *world         // the fake org the catalogue draws on; built lazily
	// plain and webhookSecret are Options.Plain and Options.WebhookObjectSecret.
	plain, webhookSecret bool
}

// NewGenerator returns a generator configured by o.
func NewGenerator(o Options) *Generator {
	seed := o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	g := &Generator{
		fake: gofakeit.New(seed),
		org:  o.Org,
		now:  o.Now,
		prec: o.Precision,
		seq:  make(map[string]int),
		base: max(o.NumberBase, 0),

		plain:         o.Plain,
		webhookSecret: o.WebhookObjectSecret,
	}
	if g.plain && g.prec == 0 {
		g.prec = Microseconds
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.org == "" {
		g.org = g.fake.Password(true, true, true, false, false, 9)
	}
	return g
}

// ErrUnknownType is returned for event types outside the catalogue.
var ErrUnknownType = errors.New("unknown event type")

// Org returns the dev org used in DON ids.
func (g *Generator) Org() string { return g.org }

// WebhookID returns a fresh webhook DON id:
// don:integration:dvrv-us-1:devo/<org>:webhook/<id>.
func (g *Generator) WebhookID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return fmt.Sprintf("don:integration:dvrv-us-1:devo/%s:webhook/%s", g.org, g.token(8))
}

// EventID returns a fresh event DON id under webhookID:
// <webhookID>:webhook_event/<id>.
func (g *Generator) EventID(webhookID string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return webhookID + ":webhook_event/" + g.token(11)
}

// token returns n random base-62 characters; g.mu must be held.
func (g *Generator) token(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.fake.IntN(len(alphabet))]
	}
	return string(b)
}

// New returns an event of type typ for webhookID with a fresh event id, the
// current timestamp and a realistic payload. Unknown types give ErrUnknownType.
func (g *Generator) New(typ, webhookID string) (Event, error) {
	build, ok := catalogue[typ]
	if !ok {
		return Event{}, fmt.Errorf("%w %q (see 'revhook catalog')", ErrUnknownType, typ)
	}
	id := g.EventID(webhookID)
	g.mu.Lock()
	payload := g.finish(build(g))
	g.mu.Unlock()
	return Event{ID: id, WebhookID: webhookID, Timestamp: g.now(), Type: typ, Payload: payload, Precision: g.prec}, nil
}

// ErrNotFetchable is returned by Fetched for object types without a
// *_fetched event.
var ErrNotFetchable = errors.New("no fetched event for this object type")

// Fetched returns the <family>_fetched event DevRev sends after a
// webhooks.fetch call (beta API) for the object objectID: {id, result} and,
// when result is FetchedOK, the object as it is now under the family's key
// (e.g. {id, result: "ok", work: {…}}). family is "work" or "sla_tracker";
// result is FetchedOK, FetchedNotFound or FetchedForbidden.
func (g *Generator) Fetched(family, webhookID, objectID, result string) (Event, error) {
	typ := family + "_fetched"
	f, ok := familyNamed(family)
	if !ok || !Known(typ) {
		return Event{}, fmt.Errorf("%w: %q (want work or sla_tracker)", ErrNotFetchable, family)
	}
	switch result {
	case FetchedOK, FetchedNotFound, FetchedForbidden:
	default:
		return Event{}, fmt.Errorf("fetch result %q: want %s, %s or %s", result, FetchedOK, FetchedNotFound, FetchedForbidden)
	}
	id := g.EventID(webhookID)
	g.mu.Lock()
	var o Object
	if result == FetchedOK {
		o = g.aged(f, g.now())
		o["id"] = objectID
	}
	payload := g.finish(fetchedPayload(f, objectID, result, o))
	g.mu.Unlock()
	return Event{ID: id, WebhookID: webhookID, Timestamp: g.now(), Type: typ, Payload: payload, Precision: g.prec}, nil
}

// Verify returns a verify event carrying challenge.
func (g *Generator) Verify(webhookID, challenge string) Event {
	return Event{
		ID: g.EventID(webhookID), WebhookID: webhookID, Timestamp: g.now(), Type: "verify",
		Payload: Object{"challenge": challenge}, Precision: g.prec,
	}
}

// Challenge returns a random verify challenge like DevRev's
// (37 base-62 characters).
func (g *Generator) Challenge() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.token(37)
}
