package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/devrevschema"
)

// schemaSeeds are the generator seeds every type is validated under.
var schemaSeeds = []uint64{1, 2, 3, 4, 5}

// schemaGen is fixedGen with o's output options.
func schemaGen(seed uint64, o Options) *Generator {
	o.Seed, o.Org, o.Now = seed, "11FVC3ScK", func() time.Time { return testNow }
	return NewGenerator(o)
}

// noPayloadSchema lists the catalogue types DevRev's enum names but gives no
// payload shape: only their envelope can be checked.
func noPayloadSchema(typ string) bool {
	return slices.Contains([]string{"job_created", "job_deleted", "job_updated", "sync_unit_updated"}, typ)
}

// validateCatalogue validates every type under every seed, draws times each
// (payloads vary by kind and branch), with generators made by gen.
func validateCatalogue(t *testing.T, draws int, gen func(seed uint64) *Generator, check func(t *testing.T, body []byte)) {
	s, err := devrevschema.Load()
	require.NoError(t, err)
	for _, typ := range Types() {
		t.Run(typ, func(t *testing.T) {
			for _, seed := range schemaSeeds {
				g := gen(seed)
				for i := range draws {
					ev, err := g.New(typ, testWebhook)
					require.NoError(t, err)
					body := ev.MustEncode()
					err = s.ValidateEvent(body)
					if errors.Is(err, devrevschema.ErrNoPayloadSchema) && noPayloadSchema(typ) {
						err = nil
					}
					if !assert.NoError(t, err, fmt.Sprintf("seed %d draw %d", seed, i)) {
						return
					}
					if check != nil {
						check(t, body)
					}
				}
			}
		})
	}
}

// TestCatalogueMatchesDevRevSchema validates every payload the catalogue
// produces against DevRev's schema (simulator/devrevschema): the envelope,
// the per-type payload schema and no field the schema lacks beyond those
// real deliveries carry. Webhook objects get the secret the schema requires
// (see TestWebhookSecretIsTheOnlyDeviation for the default).
func TestCatalogueMatchesDevRevSchema(t *testing.T) {
	validateCatalogue(t, 4, func(seed uint64) *Generator {
		return schemaGen(seed, Options{WebhookObjectSecret: true})
	}, nil)
}

// TestWebhookSecretIsTheOnlyDeviation: by default (DevRev's guide: a secret
// is never provided when invoking a webhook) webhook objects lack the secret
// DevRev's schema requires, and that is all that differs.
func TestWebhookSecretIsTheOnlyDeviation(t *testing.T) {
	s, err := devrevschema.Load()
	require.NoError(t, err)
	for _, typ := range []string{"webhook_created", "webhook_updated"} {
		for _, seed := range schemaSeeds {
			ev, err := fixedGen(seed).New(typ, testWebhook)
			require.NoError(t, err)
			err = s.ValidateEvent(ev.MustEncode())
			require.Error(t, err, typ)
			assert.Equal(t, "/"+typ+"/webhook/secret: property \"secret\" is missing", err.Error())
			assert.NotContains(t, string(ev.MustEncode()), `"secret"`)
		}
	}
	ev, err := schemaGen(1, Options{WebhookObjectSecret: true}).New("webhook_created", testWebhook)
	require.NoError(t, err)
	assert.Regexp(t, `"secret":"[A-Za-z0-9+/]+=*"`, string(ev.MustEncode()))
}

// TestPlainEvents: Plain events are schema-valid too, and plain: no string
// a JSON encoder would escape, only small integers, DevRev's key order and
// microsecond timestamps.
func TestPlainEvents(t *testing.T) {
	validateCatalogue(t, 2, func(seed uint64) *Generator { // the same builders as above, fewer draws
		return schemaGen(seed, Options{Plain: true, WebhookObjectSecret: true})
	}, func(t *testing.T, body []byte) {
		assertPlain(t, body)
		checkKeyOrder(t, body)
	})
}

// assertPlain checks what Options.Plain promises about body.
func assertPlain(t *testing.T, body []byte) {
	t.Helper()
	assert.Empty(t, plainProblems(body), "%s", body)
}

// plainProblems lists what in body breaks Options.Plain's promises.
func plainProblems(body []byte) []string {
	var out []string
	for _, c := range body {
		if c >= 0x80 || c == '\\' || c < 0x20 {
			out = append(out, fmt.Sprintf("byte %q", c))
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return append(out, err.Error())
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if strings.ContainsAny(x, `<>&"\`) {
				out = append(out, fmt.Sprintf("string %q", x))
			}
		case json.Number:
			n, err := x.Int64()
			if err != nil || n < 0 || n >= 1e9 || x.String() != fmt.Sprint(n) {
				out = append(out, "number "+x.String())
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	if !regexp.MustCompile(`"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"`).Match(body) {
		out = append(out, "timestamp not in microseconds")
	}
	return out
}

// TestPlainCanFail: the plainness checks catch what default events carry,
// and plainString spells each avoided character.
func TestPlainCanFail(t *testing.T) {
	ev, err := schemaGen(1, Options{Plain: true}).New("work_created", testWebhook)
	require.NoError(t, err)
	assert.NotContains(t, string(ev.MustEncode()), "<don:")
	assert.Empty(t, plainProblems(ev.MustEncode()))
	ev.Payload["work"].(Object)["title"] = "a <b> & \"c\" \u2013 d"
	ev.Payload["work"].(Object)["n"] = 1.5
	ev.Precision = Nanoseconds
	problems := plainProblems(ev.MustEncode())
	assert.Contains(t, problems, `byte '\\'`, "escapes")
	assert.Contains(t, problems, fmt.Sprintf("string %q", "a <b> & \"c\" \u2013 d"))
	assert.Contains(t, problems, "number 1.5")
	assert.Contains(t, problems, "timestamp not in microseconds")
	assert.Equal(t, "a b and 'c' - d", plainString("a <b> & \"c\" \u2013 d"))
	assert.Equal(t, "x/y thumbsup", plainString("x\\y \U0001F44D\u0007"))
}

// TestCatalogueCoversDevRevEnum: every event type of DevRev's enum is in
// the catalogue and the reverse.
func TestCatalogueCoversDevRevEnum(t *testing.T) {
	s, err := devrevschema.Load()
	require.NoError(t, err)
	assert.Equal(t, s.EventTypes(), Types())
	for _, typ := range Types() {
		assert.Equal(t, noPayloadSchema(typ), s.PayloadSchema(typ) == "", typ)
	}
}

// TestFetched: the *_fetched events webhooks.fetch answers with, for each
// result, and their errors.
func TestFetched(t *testing.T) {
	s, err := devrevschema.Load()
	require.NoError(t, err)
	g := fixedGen(3)
	const id = "don:core:dvrv-us-1:devo/11FVC3ScK:issue/7"
	for _, family := range []string{"work", "sla_tracker"} {
		for _, result := range []string{FetchedOK, FetchedNotFound, FetchedForbidden} {
			ev, err := g.Fetched(family, testWebhook, id, result)
			require.NoError(t, err)
			assert.Equal(t, family+"_fetched", ev.Type)
			require.NoError(t, s.ValidateEvent(ev.MustEncode()), "%s %s", family, result)
			assert.Equal(t, id, ev.Payload["id"])
			assert.Equal(t, result, ev.Payload["result"])
			obj, has := ev.Payload[family].(Object)
			assert.Equal(t, result == FetchedOK, has)
			if has {
				assert.Equal(t, id, obj["id"])
			}
		}
	}
	_, err = g.Fetched("account", testWebhook, id, FetchedOK)
	assert.ErrorIs(t, err, ErrNotFetchable)
	_, err = g.Fetched("work", testWebhook, id, "maybe")
	assert.ErrorContains(t, err, `fetch result "maybe"`)
}

// TestTimelineReactions: timeline_entry_updated sometimes carries the
// reactions that changed, never always.
func TestTimelineReactions(t *testing.T) {
	g := fixedGen(9)
	with := 0
	for range 30 {
		ev, err := g.New("timeline_entry_updated", testWebhook)
		require.NoError(t, err)
		if rs, ok := ev.Payload["reactions"].([]any); ok {
			with++
			r := rs[0].(Object)
			assert.Contains(t, []string{"added", "removed"}, r["action"])
			assert.NotEmpty(t, r["emoji"])
		}
	}
	assert.Greater(t, with, 3)
	assert.Less(t, with, 27)
}

// TestDeletedWithoutOld: the deleted events DevRev's schema gives only an
// id carry only the id, from New and from Lifecycle.
func TestDeletedWithoutOld(t *testing.T) {
	g := fixedGen(4)
	for _, family := range []string{"link", "sync_history", "webhook"} {
		ev, err := g.New(family+"_deleted", testWebhook)
		require.NoError(t, err)
		assert.Equal(t, []string{"id"}, keys(ev.Payload), family)
		_, _, del, err := g.Lifecycle(family, testWebhook)
		require.NoError(t, err)
		assert.Equal(t, []string{"id"}, keys(del.Payload), family)
	}
	ev, err := g.New("work_deleted", testWebhook)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"id", "old_work"}, keys(ev.Payload))
}
