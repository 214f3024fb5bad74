package load

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/event"
)

var fixedNow = time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.UTC)

// catalogue returns PayloadOptions.New for typ from a seeded generator.
func catalogue(t testing.TB, typ string, seed uint64) func() (event.Event, error) {
	g := event.NewGenerator(event.Options{Seed: seed, Now: func() time.Time { return fixedNow }})
	wid := g.WebhookID()
	return func() (event.Event, error) { return g.New(typ, wid) }
}

func bodies(t testing.TB, p *Payloads, n int) ([]event.Event, [][]byte) {
	t.Helper()
	var evs []event.Event
	var bs [][]byte
	for range n {
		ev, b, err := p.Next()
		require.NoError(t, err)
		evs, bs = append(evs, ev), append(bs, b)
	}
	return evs, bs
}

// subject decodes a body's envelope and its subject object (payload[key]).
func subject(t testing.TB, body []byte, typ, key string) (env map[string]any, obj map[string]any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	obj, _ = env[typ].(map[string]any)[key].(map[string]any)
	return env, obj
}

func TestPayloadsPoolIsTheCatalogueThenFreshIdentities(t *testing.T) {
	const pool = 4
	p, err := NewPayloads(PayloadOptions{New: catalogue(t, "work_created", 7), PoolSize: pool, Seed: 7, Now: func() time.Time { return fixedNow }})
	require.NoError(t, err)
	evs, bs := bodies(t, p, 3*pool)

	// The pool is exactly what the catalogue makes.
	next := catalogue(t, "work_created", 7)
	for i := range pool {
		ev, err := next()
		require.NoError(t, err)
		want, err := ev.Encode()
		require.NoError(t, err)
		assert.Equal(t, string(want), string(bs[i]))
		assert.Equal(t, ev.ID, evs[i].ID)
		assert.Nil(t, evs[i].Payload, "labels only")
	}

	ids, displayIDs := map[string]bool{}, map[string]bool{}
	for i, b := range bs {
		env, work := subject(t, b, "work_created", "work")
		require.NotNil(t, work, "event %d", i)
		assert.Equal(t, evs[i].ID, env["id"], "the labels match the body")
		assert.Equal(t, event.FormatTimestamp(fixedNow, event.Nanoseconds), env["timestamp"])
		assert.Equal(t, evs[i].WebhookID, env["webhook_id"])
		assert.Equal(t, "work_created", env["type"])
		ids[env["id"].(string)] = true
		disp := work["display_id"].(string)
		displayIDs[disp] = true
		// The object's three identifiers still agree with each other.
		num := disp[strings.IndexByte(disp, '-')+1:]
		assert.True(t, strings.HasSuffix(work["id"].(string), "/"+num), "%s vs %s", work["id"], disp)
		assert.True(t, strings.HasSuffix(work["id_v1"].(string), ":"+num), "%s vs %s", work["id_v1"], disp)
		if i >= pool {
			// Same payload as its pooled original apart from the identities.
			_, orig := subject(t, bs[i%pool], "work_created", "work")
			assert.Equal(t, orig["title"], work["title"])
			assert.Equal(t, orig["created_by"], work["created_by"])
			assert.NotEqual(t, orig["display_id"], work["display_id"])
		}
	}
	assert.Len(t, ids, 3*pool, "every event has its own id")
	assert.Len(t, displayIDs, 3*pool, "every created object has its own display id")
}

func TestPayloadsAreDeterministicUnderASeed(t *testing.T) {
	mk := func(seed uint64) [][]byte {
		p, err := NewPayloads(PayloadOptions{New: catalogue(t, "timeline_entry_created", seed), PoolSize: 3, Seed: seed, Now: func() time.Time { return fixedNow }})
		require.NoError(t, err)
		_, bs := bodies(t, p, 10)
		return bs
	}
	assert.Equal(t, mk(3), mk(3))
	assert.NotEqual(t, mk(3)[5], mk(4)[5])
}

// Ids without a number (a timeline comment's) get a fresh token.
func TestPayloadsFreshTokensForNonNumericIDs(t *testing.T) {
	p, err := NewPayloads(PayloadOptions{New: catalogue(t, "timeline_entry_created", 1), PoolSize: 1, Seed: 1})
	require.NoError(t, err)
	_, bs := bodies(t, p, 3)
	seen := map[string]bool{}
	for _, b := range bs {
		_, entry := subject(t, b, "timeline_entry_created", "entry")
		require.NotNil(t, entry)
		seen[entry["id"].(string)] = true
	}
	assert.Len(t, seen, 3)
}

func TestPayloadsKeepObjectIDs(t *testing.T) {
	p, err := NewPayloads(PayloadOptions{New: catalogue(t, "work_updated", 2), PoolSize: 1, Seed: 2, KeepObjectIDs: true})
	require.NoError(t, err)
	_, bs := bodies(t, p, 3)
	_, first := subject(t, bs[0], "work_updated", "work")
	for _, b := range bs[1:] {
		env, work := subject(t, b, "work_updated", "work")
		assert.Equal(t, first["id"], work["id"])
		assert.Equal(t, first["display_id"], work["display_id"])
		assert.NotContains(t, string(bs[0]), env["id"].(string), "a fresh event id")
	}
}

// Every catalogue type survives reuse: valid JSON whose envelope matches
// the labels.
func TestPayloadsEveryType(t *testing.T) {
	for _, typ := range event.Types() {
		p, err := NewPayloads(PayloadOptions{New: catalogue(t, typ, 11), PoolSize: 2, Seed: 11})
		require.NoError(t, err)
		evs, bs := bodies(t, p, 5)
		for i, b := range bs {
			var env map[string]any
			require.NoError(t, json.Unmarshal(b, &env), "%s #%d", typ, i)
			assert.Equal(t, evs[i].ID, env["id"], typ)
			assert.Equal(t, typ, env["type"])
			assert.Contains(t, env, typ)
		}
	}
}

func TestIDTail(t *testing.T) {
	for in, want := range map[string]string{
		"ISS-38": "38", "don:core:dvrv-us-1:devo/x:issue/38": "38", "don:DEV-x:dev_user:DEVU-9": "9",
		"don:core:dvrv-us-1:devo/x:ticket/4:comment/xa0b9wi6Ko": "xa0b9wi6Ko",
		"plain": "", "": "", "trailing/": "", "a b/1 2": "",
	} {
		assert.Equal(t, want, idTail(in), in)
	}
}

func TestNewPayloadsNeedsNew(t *testing.T) {
	_, err := NewPayloads(PayloadOptions{})
	assert.ErrorContains(t, err, "New is required")
}

// BenchmarkPayloadsNext is the cost of one event once the pool is full;
// BenchmarkCatalogueNew the cost of generating one the expensive way.
func BenchmarkPayloadsNext(b *testing.B) {
	p, err := NewPayloads(PayloadOptions{New: catalogue(b, "work_created", 1), Seed: 1})
	require.NoError(b, err)
	bodies(b, p, DefaultPoolSize)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := p.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCatalogueNew(b *testing.B) {
	next := catalogue(b, "work_created", 1)
	b.ReportAllocs()
	for b.Loop() {
		ev, err := next()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := delivery.EncodedJob(ev); err != nil {
			b.Fatal(err)
		}
	}
}
