package load

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/event"
)

// DefaultPoolSize is how many distinct payloads Payloads generates before it
// reuses them with fresh identities.
const DefaultPoolSize = 64

// PayloadOptions configures Payloads.
type PayloadOptions struct {
	// New builds one complete event the expensive way (the catalogue
	// generator, --data, --set). It is called for the first PoolSize
	// events only, in order, from one goroutine at a time.
	New func() (event.Event, error)
	// PoolSize is how many events New builds; DefaultPoolSize when zero.
	PoolSize int
	// Seed makes the fresh ids of reused payloads deterministic.
	Seed uint64
	// Now tells the envelope timestamps of reused payloads; time.Now when nil.
	Now func() time.Time
	// KeepObjectIDs reuses payloads with their objects' ids unchanged (a
	// payload of the user's own, or ids set by hand); only the envelope's
	// event id and timestamp are fresh.
	KeepObjectIDs bool
}

// Payloads makes the bodies of a run's events cheaply. The first PoolSize
// events are built by New, exactly as the catalogue makes them; every later
// event reuses one of those payloads, byte for byte, with a fresh event id
// and timestamp in the envelope and fresh numbers (or tokens) in the ids,
// display id and id_v1 of the objects the event is about, so a receiver that
// stores objects by id sees new ones. Building event n ≥ PoolSize costs a
// copy of the body and a few small strings (~1–2 µs) instead of a
// generated payload (~50 µs). Payloads is safe for concurrent use; with a
// fixed Seed and New, every body but its timestamps is deterministic.
type Payloads struct {
	opts   PayloadOptions
	mu     sync.Mutex
	n      int
	pool   []template
	stride int // power of ten above every object number in the pool
	rng    *rand.Rand
}

// template is one pooled event split around the places that change.
type template struct {
	ev    event.Event // labels only
	tail  []byte      // the body from `,"webhook_id":` on
	holes []hole      // in the order they occur in tail
	tails []string    // distinct original id tails; holes index into them
	body  []byte      // the original body, for event n < PoolSize
}

// hole is one id tail inside template.tail.
type hole struct{ at, end, tail int }

// envelopeTail starts the part of an encoded event after id and timestamp
// (event.Event.Encode writes id, timestamp, webhook_id in that order). It
// is never written.
var envelopeTail = []byte(`,"webhook_id":`)

// NewPayloads returns Payloads configured by o; o.New is required.
func NewPayloads(o PayloadOptions) (*Payloads, error) {
	if o.New == nil {
		return nil, errors.New("load: PayloadOptions.New is required")
	}
	if o.PoolSize <= 0 {
		o.PoolSize = DefaultPoolSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Payloads{opts: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5851f42d4c957f2d))}, nil
}

// Next returns the next event's labels (id, webhook id, type, timestamp,
// precision; no payload objects) and its encoded body.
func (p *Payloads) Next() (event.Event, []byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.n
	if n < p.opts.PoolSize {
		ev, err := p.opts.New()
		if err != nil {
			return event.Event{}, nil, err
		}
		t, err := newTemplate(ev, p.opts.KeepObjectIDs)
		if err != nil {
			return event.Event{}, nil, err
		}
		p.pool = append(p.pool, t)
		p.n++
		if p.n == p.opts.PoolSize {
			p.stride = strideOf(p.pool)
		}
		return t.ev, t.body, nil
	}
	p.n++
	t := &p.pool[n%len(p.pool)]
	return p.reuse(t, n/len(p.pool))
}

// reuse builds an event from t for its cycle-th reuse; p.mu must be held.
func (p *Payloads) reuse(t *template, cycle int) (event.Event, []byte, error) {
	ev := t.ev
	ev.ID = ev.WebhookID + ":webhook_event/" + p.token(11)
	ev.Timestamp = p.opts.Now()
	var fresh [8]string // subject ids have a handful of distinct tails
	tails := fresh[:0]
	for _, s := range t.tails {
		tails = append(tails, p.freshTail(s, cycle))
	}
	size := len(t.tail) + len(ev.ID) + 64 // 64: {"id":"","timestamp":""} and a timestamp
	for _, h := range t.holes {
		size += len(tails[h.tail]) - (h.end - h.at)
	}
	b := make([]byte, 0, size)
	b = append(b, `{"id":"`...)
	b = append(b, ev.ID...)
	b = append(b, `","timestamp":"`...)
	b = event.AppendTimestamp(b, ev.Timestamp, ev.Precision)
	b = append(b, '"')
	last := 0
	for _, h := range t.holes {
		b = append(b, t.tail[last:h.at]...)
		b = append(b, tails[h.tail]...)
		last = h.end
	}
	b = append(b, t.tail[last:]...)
	return ev, b, nil
}

// freshTail is the cycle-th replacement of an id's tail: a number moved up
// by cycle strides (ISS-38 → ISS-1038 → ISS-2038 with stride 1000), or a
// random token of the same length.
func (p *Payloads) freshTail(s string, cycle int) string {
	if n, err := strconv.Atoi(s); err == nil {
		return strconv.Itoa(n + cycle*p.stride)
	}
	return p.token(len(s))
}

// token returns n random base-62 characters; p.mu must be held. Each
// 64-bit draw gives 10 characters (62^10 < 2^64).
func (p *Payloads) token(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	var x uint64
	for i := range b {
		if i%10 == 0 {
			x = p.rng.Uint64()
		}
		b[i] = alphabet[x%62]
		x /= 62
	}
	return string(b)
}

// strideOf is the smallest power of ten above every numeric id tail of the
// pool, so reused numbers never meet the originals or each other.
func strideOf(pool []template) int {
	top := 0
	for _, t := range pool {
		for _, s := range t.tails {
			if n, err := strconv.Atoi(s); err == nil {
				top = max(top, n)
			}
		}
	}
	stride := 10
	for stride <= top {
		stride *= 10
	}
	return stride
}

// newTemplate encodes ev and finds the envelope's tail and, unless
// keepIDs, the tails of its subject objects' ids in it.
func newTemplate(ev event.Event, keepIDs bool) (template, error) {
	body, err := ev.Encode()
	if err != nil {
		return template{}, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	i := bytes.Index(body, envelopeTail)
	if i < 0 {
		return template{}, fmt.Errorf("encode event %s: no webhook_id in the envelope", ev.ID)
	}
	t := template{body: body, tail: body[i:]}
	if !keepIDs {
		t.holes, t.tails = findHoles(t.tail, subjectIDs(ev.Payload))
	}
	ev.Payload, ev.Extra = nil, nil
	t.ev = ev
	return t, nil
}

// subjectIDs are the identifiers of what an event is about: the payload's
// own "id", and the id, display_id and id_v1 of each top-level object.
func subjectIDs(payload event.Object) []string {
	var ids []string
	add := func(v any) {
		if s, ok := v.(string); ok && idTail(s) != "" {
			ids = append(ids, s)
		}
	}
	add(payload["id"])
	for _, v := range payload {
		if o, ok := v.(event.Object); ok {
			add(o["id"])
			add(o["display_id"])
			add(o["id_v1"])
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// idTail is what changes between two objects' ids: the run of letters and
// digits after the last '/', ':' or '-' (38 in ISS-38 and …:issue/38,
// xa0b9wi6Ko in …:comment/xa0b9wi6Ko); "" when there is none.
func idTail(s string) string {
	i := len(s)
	for i > 0 && isAlnum(s[i-1]) {
		i--
	}
	if i == len(s) || i == 0 || (s[i-1] != '/' && s[i-1] != ':' && s[i-1] != '-') {
		return ""
	}
	return s[i:]
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// findHoles finds every JSON string in tail equal to one of ids and
// returns the places of their tails, in order, and the distinct tails.
func findHoles(tail []byte, ids []string) ([]hole, []string) {
	var holes []hole
	var tails []string
	index := map[string]int{}
	for _, id := range ids {
		s := idTail(id)
		k, ok := index[s]
		if !ok {
			k = len(tails)
			index[s] = k
			tails = append(tails, s)
		}
		quoted := []byte(`"` + id + `"`)
		for from := 0; ; {
			j := bytes.Index(tail[from:], quoted)
			if j < 0 {
				break
			}
			end := from + j + len(quoted) - 1 // the closing quote
			holes = append(holes, hole{at: end - len(s), end: end, tail: k})
			from = end + 1
		}
	}
	slices.SortFunc(holes, func(a, b hole) int { return a.at - b.at })
	return holes, tails
}
