package harness

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// objectOf decodes body and returns it with its main object (work).
func objectOf(t *testing.T, body []byte) (map[string]any, map[string]any) {
	t.Helper()
	m, ok := decodeJSON(t, body).(map[string]any)
	require.True(t, ok)
	p, ok := m[BaseType].(map[string]any)
	require.True(t, ok)
	w, ok := p["work"].(map[string]any)
	require.True(t, ok)
	return m, w
}

// sameExcept asserts that the JSON of a and b is the same once drop has
// removed the varied property from the decoded a.
func sameExcept(t *testing.T, a, b []byte, drop func(doc, work map[string]any)) {
	t.Helper()
	da, wa := objectOf(t, a)
	db, wb := objectOf(t, b)
	drop(da, wa)
	drop(db, wb)
	assert.Equal(t, db, da)
}

// fractional returns the fractional digits of the body's timestamp.
func fractional(t *testing.T, body []byte) string {
	t.Helper()
	m := timestampValue.Find(body)
	require.NotNil(t, m)
	ts := string(m[len(`"timestamp":"`) : len(m)-1])
	i := strings.IndexByte(ts, '.')
	require.GreaterOrEqual(t, i, 0, ts)
	return strings.TrimSuffix(ts[i+1:], "Z")
}

// TestControlEqualsTest: every variation changes, from the correctly signed
// base event, exactly the property it names.
func TestControlEqualsTest(t *testing.T) {
	h := offline(t)
	skews := []Variation{}
	for _, s := range []struct {
		n         int
		unit, dir string
	}{{10, "minutes", "past"}, {1, "second", "future"}, {2, "hours", "past"}, {3, "days", "future"}} {
		v, err := Skew(s.n, s.unit, s.dir)
		require.NoError(t, err)
		skews = append(skews, v)
	}
	sig := func(b Built) string { return sigOf(b.Header) }
	tables := []struct {
		name  string
		table []Variation
		check func(t *testing.T, v Variation, control, test Built)
	}{
		{"wrong signatures", SignatureVariations(), func(t *testing.T, _ Variation, c, x Built) {
			assert.Equal(t, c.Body, x.Body)
			assert.NotEqual(t, sig(c), sig(x))
			assert.NotEmpty(t, sig(x))
		}},
		{"missing signatures", SignatureHeaderVariations(), func(t *testing.T, v Variation, c, x Built) {
			assert.Equal(t, c.Body, x.Body)
			_, present := x.Header[signature.Header]
			assert.Equal(t, strings.HasPrefix(v.Name, "with an empty"), present)
			assert.Empty(t, sig(x))
		}},
		{"tampered bodies", TamperVariations(), func(t *testing.T, v Variation, c, x Built) {
			require.Len(t, x.Body, len(c.Body))
			assert.Equal(t, 1, diffBytes(c.Body, x.Body), "one byte changed")
			assert.Equal(t, sig(c), sig(x), "after signing")
		}},
		{"styles", StyleVariations(), func(t *testing.T, v Variation, c, x Built) {
			assert.Equal(t, h.Sign(x.Body), sig(x), "the restyled bytes are signed")
			assert.NotEqual(t, c.Body, x.Body)
			sameExcept(t, x.Body, c.Body, func(_, work map[string]any) {
				switch v.Name {
				case "escaped unicode":
					delete(work, "title")
				case "large numbers":
					cf, _ := work["custom_fields"].(map[string]any)
					for k := range cf {
						if strings.HasPrefix(k, "tnt__big_integer") || strings.HasPrefix(k, "tnt__above_") ||
							k == "tnt__long_fraction" || k == "tnt__exponent" || k == "tnt__negative" {
							delete(cf, k)
						}
					}
				}
			})
			if v.Name == "large numbers" {
				assert.Contains(t, string(x.Body), ":123456789012345678901234567890")
			}
			if v.Name == "escaped unicode" {
				_, wc := objectOf(t, c.Body)
				_, wx := objectOf(t, x.Body)
				assert.NotEqual(t, wc["title"], wx["title"])
			}
		}},
		{"precisions", PrecisionVariations(), func(t *testing.T, v Variation, c, x Built) {
			assert.Equal(t, string(withoutTimestamp(c.Body)), string(withoutTimestamp(x.Body)))
			want := map[string]int{"nanosecond": 9, "microsecond": 6, "millisecond": 3}
			for unit, n := range want {
				if strings.Contains(v.Name, unit) {
					assert.Len(t, fractional(t, x.Body), n)
				}
			}
			assert.Equal(t, h.Sign(x.Body), sig(x))
		}},
		{"skews", skews, func(t *testing.T, v Variation, c, x Built) {
			assert.Equal(t, string(withoutTimestamp(c.Body)), string(withoutTimestamp(x.Body)))
			ev, err := ParseEvent(x.Body)
			require.NoError(t, err)
			d := ev.Timestamp.Sub(epoch)
			if strings.HasSuffix(v.Name, "past") {
				assert.Negative(t, d)
			} else {
				assert.Positive(t, d)
			}
			assert.Len(t, fractional(t, x.Body), 6, "the base event's precision")
			assert.Equal(t, h.Sign(x.Body), sig(x))
		}},
		{"unknown fields", UnknownFieldVariations(), func(t *testing.T, v Variation, c, x Built) {
			doc, work := objectOf(t, x.Body)
			if strings.Contains(v.Name, "envelope") {
				assert.Contains(t, doc, "trace_context")
			} else {
				assert.Contains(t, work, "future_field")
			}
			sameExcept(t, x.Body, c.Body, func(doc, work map[string]any) {
				if strings.Contains(v.Name, "envelope") {
					for _, k := range []string{"delivery_attempt", "schema_version", "trace_context"} {
						delete(doc, k)
					}
					return
				}
				for _, k := range []string{"future_field", "tnt__field_added_later"} {
					delete(work, k)
				}
			})
			assert.Equal(t, h.Sign(x.Body), sig(x))
		}},
		{"malformed bodies", MalformedVariations(), func(t *testing.T, v Variation, c, x Built) {
			assert.False(t, json.Valid(x.Body))
			assert.Equal(t, h.Sign(x.Body), sig(x))
			switch v.Name {
			case "a real event cut in half", "an unterminated string":
				assert.True(t, bytes.HasPrefix(c.Body, x.Body), "a prefix of the base event")
			case "a JSON object followed by garbage":
				assert.True(t, bytes.HasPrefix(x.Body, c.Body), "the base event, then garbage")
			}
		}},
		{"methods", MethodVariations(), func(t *testing.T, v Variation, c, x Built) {
			assert.Equal(t, c.Body, x.Body)
			assert.Equal(t, c.Header, x.Header)
			assert.Equal(t, http.MethodPost, c.Method)
			assert.Equal(t, strings.TrimPrefix(v.Name, "the method "), x.Method)
		}},
	}
	for _, tab := range tables {
		require.NotEmpty(t, tab.table, tab.name)
		for _, v := range tab.table {
			t.Run(tab.name+"/"+v.Name, func(t *testing.T) {
				sc := h.NewScenario("control = test: "+v.Name, v.Name, "SIG-02", "MUST")
				ctrlEv, err := sc.Event(BaseType)
				require.NoError(t, err)
				ev, err := sc.Event(BaseType)
				require.NoError(t, err)
				require.NotEqual(t, ctrlEv.ID, ev.ID, "the control and the test have their own ids")
				control := build(t, h, ctrlEv, Correct())
				correct := build(t, h, ev, Correct())
				test := build(t, h, ev, v)
				// The control is the test's event correctly signed, its id aside.
				assert.Equal(t, string(withoutID(control.Body)), string(withoutID(correct.Body)))
				assert.Equal(t, correct.Body, test.Recipe.Base, "the recipe keeps the unvaried body")
				assert.Equal(t, v.Name, test.Recipe.Variation)
				assert.Equal(t, correct.Header["Content-Type"], test.Header["Content-Type"])
				tab.check(t, v, correct, test)
				// Building does not change the event it was given.
				again := build(t, h, ev, Correct())
				assert.Equal(t, string(correct.Body), string(again.Body), "Build changed its event")
			})
		}
	}
}

func TestLookupFindsEveryVariation(t *testing.T) {
	var names []string
	for _, table := range [][]Variation{
		SignatureVariations(), SignatureHeaderVariations(), TamperVariations(), StyleVariations(),
		MalformedVariations(), UnknownFieldVariations(), PrecisionVariations(), MethodVariations(),
	} {
		names = append(names, Names(table)...)
	}
	names = append(names,
		"a timestamp 10 minutes in the past", "a timestamp 1 second in the future",
		"a timestamp 6 minutes in the future", "a timestamp 24 hours in the past", "a timestamp 3650 days in the past")
	seen := map[string]bool{}
	for _, n := range names {
		assert.False(t, seen[n], "%q names two variations", n)
		seen[n] = true
		v, err := Lookup(n)
		if assert.NoError(t, err, n) {
			assert.Equal(t, n, v.Name)
		}
	}
	v, err := Lookup("")
	require.NoError(t, err)
	assert.Equal(t, "", v.Name)
	for _, bad := range []string{
		"sideways", "a random signature ", "A random signature", "a timestamp 10 fortnights in the past",
		"a timestamp 10 minutes ago", "a timestamp -5 minutes in the past", "a timestamp 3651 days in the past",
		"a timestamp 99999999999999999999 seconds in the past",
	} {
		_, err := Lookup(bad)
		assert.Error(t, err, bad)
	}
	_, err = Skew(10, "fortnights", "past")
	assert.Error(t, err)
	_, err = Skew(1, "minute", "sideways")
	assert.Error(t, err)
}

// TestLookupRebuildsTheSameVariation: what replay applies again is what the
// scenario applied (the skew relative to the clock's now).
func TestLookupRebuildsTheSameVariation(t *testing.T) {
	h := offline(t)
	for _, name := range []string{"a timestamp 10 minutes in the past", "its keys in reverse order", "change one digit of its timestamp", "an unknown field in the object", "the method PATCH"} {
		sc := h.NewScenario("lookup", name, "RPL-01", "SHOULD")
		ev, err := sc.Event(BaseType)
		require.NoError(t, err)
		found, err := Lookup(name)
		require.NoError(t, err)
		a := build(t, h, ev, found)
		again, err := ParseEvent(a.Recipe.Base)
		require.NoError(t, err)
		b := build(t, h, again, found)
		assert.Equal(t, string(a.Body), string(b.Body), name)
		assert.Equal(t, a.Method, b.Method, name)
		assert.Equal(t, sigOf(a.Header), sigOf(b.Header), name)
	}
	v, err := Lookup("a timestamp 10 minutes in the past")
	require.NoError(t, err)
	ev := event.Event{}
	require.NoError(t, v.Event(&ev, epoch))
	assert.Equal(t, epoch.Add(-10*time.Minute), ev.Timestamp)
}
