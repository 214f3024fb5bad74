package harness

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/event"
)

// catalogueTypes is every type of the catalogue, verify included, and one
// outside it (forward compatibility).
func catalogueTypes() []string {
	types := append([]string(nil), event.Types()...)
	if !event.Known("verify") {
		types = append(types, "verify")
	}
	return append(types, "widget_teleported")
}

var microTimestamp = regexp.MustCompile(`"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d+)Z"`)

func TestBaseEventIsConservative(t *testing.T) {
	// A clock with nanoseconds: the base event must still carry microseconds.
	h := newHarness(t, "http://127.0.0.1:9/hook", func(o *Options) {
		o.Clock = clock.NewFake(time.Date(2026, 3, 14, 15, 9, 26, 123456789, time.UTC))
	})
	sc := h.NewScenario("conservative", "conservative", "ACK-03", "MUST")
	for _, typ := range catalogueTypes() {
		t.Run(typ, func(t *testing.T) {
			ev, err := sc.Event(typ)
			require.NoError(t, err)
			body, err := Encode(ev)
			require.NoError(t, err)
			assert.NotContains(t, string(body), `\`, "no JSON escape")
			for i, c := range body {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("byte %d is %#x: the base event is printable ASCII only", i, c)
				}
			}
			m := microTimestamp.FindSubmatch(body)
			require.NotNil(t, m, "%.120s", body)
			assert.Equal(t, "123456", string(m[1]), "exactly 6 fractional digits, truncated")
			back, err := ParseEvent(body)
			require.NoError(t, err)
			assert.Equal(t, event.Microseconds, back.Precision)
			again, err := Encode(back)
			require.NoError(t, err)
			assert.Equal(t, string(body), string(again), "parses back and re-encodes to the same bytes")
			assert.Equal(t, typ, back.Type)
			assert.Equal(t, ev.ID, back.ID)
		})
	}
}

func TestEventTwiceDiffersOnlyInItsID(t *testing.T) {
	h := offline(t)
	sc := h.NewScenario("twice", "twice", "SIG-02", "MUST")
	for _, typ := range []string{BaseType, "work_updated", "ai_agent_response", "verify", "widget_teleported"} {
		a, err := sc.Event(typ)
		require.NoError(t, err)
		b, err := sc.Event(typ)
		require.NoError(t, err)
		assert.NotEqual(t, a.ID, b.ID, typ)
		ab, err := Encode(a)
		require.NoError(t, err)
		bb, err := Encode(b)
		require.NoError(t, err)
		assert.Equal(t, string(withoutID(ab)), string(withoutID(bb)), typ)
		// A caller changing its copy does not change the next one.
		a.Payload["changed"] = true
		c, err := sc.Event(typ)
		require.NoError(t, err)
		assert.NotContains(t, c.Payload, "changed", typ)
	}
	// The base type stays the scenario's base event after other types.
	a, err := sc.Event(BaseType)
	require.NoError(t, err)
	_, err = sc.Event("work_deleted")
	require.NoError(t, err)
	b, err := sc.Event(BaseType)
	require.NoError(t, err)
	assert.Equal(t, string(withoutID(mustEncode(t, a))), string(withoutID(mustEncode(t, b))))
}

func mustEncode(t *testing.T, ev event.Event) []byte {
	t.Helper()
	b, err := Encode(ev)
	require.NoError(t, err)
	return b
}

// bodiesOf returns the bodies of a few events of one scenario of h.
func bodiesOf(t *testing.T, h *Harness, key string) [][]byte {
	t.Helper()
	sc := h.NewScenario(key, "name", "SIG-02", "MUST")
	var out [][]byte
	for _, typ := range []string{BaseType, BaseType, "work_updated", "verify"} {
		ev, err := sc.Event(typ)
		require.NoError(t, err)
		out = append(out, mustEncode(t, ev))
	}
	out = append(out, []byte(sc.NewID()), []byte(sc.Challenge()))
	return out
}

func TestSeedMakesEventsRepeatable(t *testing.T) {
	withSeed := func(seed int64) *Harness {
		return newHarness(t, "http://127.0.0.1:9/hook", func(o *Options) { o.Seed = seed })
	}
	const key = "signature.feature: a random signature"
	same := bodiesOf(t, withSeed(7), key)
	assert.Equal(t, same, bodiesOf(t, withSeed(7), key), "same seed, same key")
	for name, other := range map[string][][]byte{
		"another seed": bodiesOf(t, withSeed(8), key),
		"another key":  bodiesOf(t, withSeed(7), key+" (re-run alone)"),
	} {
		for i := range same {
			assert.NotEqual(t, string(same[i]), string(other[i]), "%s: item %d", name, i)
		}
		a, err := ParseEvent(same[0])
		require.NoError(t, err)
		b, err := ParseEvent(other[0])
		require.NoError(t, err)
		assert.NotEqual(t, a.ID, b.ID, name)
	}
	// The webhook is the run's: the same for every scenario of a seed.
	h := withSeed(7)
	a, err := ParseEvent(bodiesOf(t, h, "one")[0])
	require.NoError(t, err)
	b, err := ParseEvent(bodiesOf(t, h, "two")[0])
	require.NoError(t, err)
	assert.Equal(t, a.WebhookID, b.WebhookID)
	assert.False(t, bytes.Equal([]byte(a.ID), []byte(b.ID)))
}
