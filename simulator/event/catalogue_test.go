package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seed000Types is the event type list of seed 000_169e21cdc1b78c29.txt,
// copied by hand so that a catalogue change cannot silently edit both sides.
var seed000Types = []string{
	"account_created", "account_deleted", "account_updated", "ai_agent_response",
	"article_created", "article_deleted", "article_updated",
	"conversation_created", "conversation_deleted", "conversation_updated",
	"dashboard_created", "dashboard_deleted", "dashboard_updated",
	"dev_user_created", "dev_user_deleted", "dev_user_updated",
	"group_created", "group_deleted", "group_member_added", "group_member_removed", "group_updated",
	"incident_created", "incident_deleted", "incident_updated",
	"job_created", "job_deleted", "job_updated",
	"link_created", "link_deleted", "link_updated",
	"part_created", "part_deleted", "part_updated",
	"question_answer_created", "question_answer_deleted", "question_answer_updated",
	"rev_org_created", "rev_org_deleted", "rev_org_updated",
	"rev_user_created", "rev_user_deleted", "rev_user_updated",
	"sla_tracker_created", "sla_tracker_deleted", "sla_tracker_fetched", "sla_tracker_updated",
	"survey_created", "survey_deleted",
	"survey_response_created", "survey_response_deleted", "survey_response_updated",
	"survey_updated",
	"sync_history_created", "sync_history_deleted", "sync_history_updated", "sync_unit_updated",
	"tag_created", "tag_deleted", "tag_updated",
	"timeline_entry_created", "timeline_entry_deleted", "timeline_entry_updated",
	"verify",
	"webhook_created", "webhook_deleted", "webhook_updated",
	"widget_created", "widget_deleted", "widget_updated",
	"work_created", "work_deleted", "work_fetched", "work_updated",
}

const testWebhook = "don:integration:dvrv-us-1:devo/11FVC3ScK:webhook/1jGzMh1N"

var testNow = time.Date(2025, 7, 2, 13, 7, 40, 937074123, time.UTC)

func fixedGen(seed uint64) *Generator {
	return NewGenerator(Options{Seed: seed, Org: "11FVC3ScK", Now: func() time.Time { return testNow }})
}

func TestCatalogueIsSeed000(t *testing.T) {
	require.Len(t, seed000Types, 73)
	want := append([]string(nil), seed000Types...)
	sort.Strings(want)
	assert.Equal(t, want, Types())
	for _, typ := range seed000Types {
		assert.True(t, Known(typ), typ)
	}
	assert.False(t, Known("widget_exploded"))
}

// payloadKeys is the shape of each type's payload: the keys of the field
// named after the type.
func payloadKeys(typ string) []string {
	switch typ {
	case "verify":
		return []string{"challenge"}
	case "ai_agent_response", "work_fetched", "sla_tracker_fetched", "timeline_entry_updated":
		return nil // varies (agent_response, result, reactions); checked separately
	case "group_member_added", "group_member_removed":
		return []string{"group", "member"}
	case "link_deleted", "sync_history_deleted", "webhook_deleted":
		return []string{"id"} // DevRev's schema has no old object for these
	case "webhook_updated":
		return []string{"webhook"}
	}
	i := strings.LastIndexByte(typ, '_')
	fam, verb := typ[:i], typ[i+1:]
	key := fam
	if fam == "timeline_entry" {
		key = "entry"
	}
	switch verb {
	case "created":
		return []string{key}
	case "updated":
		return []string{key, "old_" + key}
	case "deleted":
		return []string{"id", "old_" + key}
	}
	panic("no shape for " + typ)
}

func TestEveryTypeEncodes(t *testing.T) {
	g := fixedGen(1)
	for _, typ := range seed000Types {
		t.Run(typ, func(t *testing.T) {
			for range 5 { // several draws: objects vary by subtype
				ev, err := g.New(typ, testWebhook)
				require.NoError(t, err)
				b, err := ev.Encode()
				require.NoError(t, err)
				require.True(t, json.Valid(b), "%s", b)
				assert.Equal(t, []string{"id", "timestamp", "webhook_id", typ, "type"}, topKeys(t, b))
				checkKeyOrder(t, b)

				var env map[string]any
				require.NoError(t, json.Unmarshal(b, &env))
				payload, ok := env[typ].(map[string]any)
				require.True(t, ok, "payload of %s is an object", typ)
				if want := payloadKeys(typ); want != nil {
					assert.ElementsMatch(t, want, keys(payload))
				} else {
					assertVaryingKeys(t, typ, payload)
				}
				checkObjects(t, typ, payload)
			}
		})
	}
}

// assertVaryingKeys checks the payloads whose keys vary from draw to draw.
func assertVaryingKeys(t *testing.T, typ string, payload map[string]any) {
	t.Helper()
	switch typ {
	case "ai_agent_response":
		assert.Subset(t, keys(payload), []string{"agent", "agent_response", "session", "session_object"})
	case "timeline_entry_updated":
		ks := keys(payload)
		assert.Subset(t, []string{"entry", "old_entry", "reactions"}, ks)
		assert.Subset(t, ks, []string{"entry", "old_entry"})
	default: // *_fetched: {id, result} and the object when result is ok
		key := strings.TrimSuffix(typ, "_fetched")
		want := []string{"id", "result"}
		if payload["result"] == "ok" {
			want = append(want, key)
		}
		assert.ElementsMatch(t, want, keys(payload))
	}
}

// typedKeys are the payload keys whose objects sit in one of DevRev's
// unions and so carry a "type" (full accounts, users, tags… have none).
var typedKeys = []string{"work", "old_work", "part", "old_part", "entry", "old_entry", "member"}

// checkObjects applies the per-verb invariants: updated keeps the id and
// moves modified_date forward, deleted names the id of old_<x>.
func checkObjects(t *testing.T, typ string, payload map[string]any) {
	t.Helper()
	for k, v := range payload {
		obj, ok := v.(map[string]any)
		if !ok || k == "client_metadata" || k == "progress" || k == "error" {
			continue
		}
		assert.NotEmpty(t, obj["id"], "%s.%s has an id", typ, k)
		if typ != "ai_agent_response" && k != "group" && k != "member" {
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$`, obj["created_date"], "%s.%s.created_date", typ, k)
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$`, obj["modified_date"], "%s.%s.modified_date", typ, k)
			assert.NotNil(t, obj["created_by"], "%s.%s.created_by", typ, k)
		}
		if slices.Contains(typedKeys, k) {
			assert.NotEmpty(t, obj["type"], "%s.%s has a type", typ, k)
		} else {
			assert.Nil(t, obj["type"], "%s.%s has no type in DevRev's schema", typ, k)
		}
	}
	var cur, old map[string]any
	for k, v := range payload {
		if strings.HasPrefix(k, "old_") {
			old, _ = v.(map[string]any)
		} else if m, ok := v.(map[string]any); ok {
			cur = m
		}
	}
	switch {
	case typ == "webhook_updated":
		require.NotNil(t, cur)
	case strings.HasSuffix(typ, "_updated"):
		require.NotNil(t, cur)
		require.NotNil(t, old)
		assert.Equal(t, old["id"], cur["id"])
		assert.Equal(t, old["created_date"], cur["created_date"])
		assert.Greater(t, parseDate(t, cur["modified_date"]), parseDate(t, old["modified_date"]))
		assert.False(t, parseDate(t, cur["modified_date"]).After(testNow))
	case strings.HasSuffix(typ, "_deleted"):
		require.NotEmpty(t, payload["id"])
		if old != nil {
			assert.Equal(t, old["id"], payload["id"])
		}
	}
}

func parseDate(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err, "date %v", v)
	return tm
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// topKeys returns the envelope's keys in byte order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var raw []string
	dec := json.NewDecoder(bytes.NewReader(b))
	_, err := dec.Token()
	require.NoError(t, err)
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		raw = append(raw, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return raw
}

// checkKeyOrder walks every object below the envelope and asserts DevRev's
// key order: "type" first, then the other keys sorted.
func checkKeyOrder(t *testing.T, b []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		object bool
		keys   []string
		expect bool // next string token is a key
	}
	var stack []*frame
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{object: v == '{', expect: v == '{'})
				depth++
			default:
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				depth--
				if f.object && depth >= 1 { // the envelope has its own order
					assertTypeFirstSorted(t, f.keys)
				}
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expect = true
				}
			}
		default:
			if top != nil && top.object {
				if top.expect {
					top.keys = append(top.keys, v.(string))
					top.expect = false
				} else {
					top.expect = true
				}
			}
		}
	}
}

func assertTypeFirstSorted(t *testing.T, ks []string) {
	t.Helper()
	rest := ks
	if len(ks) > 0 && ks[0] == "type" {
		rest = ks[1:]
	}
	assert.NotContains(t, rest, "type", "type comes first in %v", ks)
	assert.True(t, sort.StringsAreSorted(rest), "keys sorted after type: %v", ks)
}

func TestDeterministic(t *testing.T) {
	for _, o := range []Options{{}, {Plain: true, WebhookObjectSecret: true}} {
		run := func(seed uint64) []byte { return determinismRun(t, schemaGen(seed, o)) }
		a, b := run(42), run(42)
		assert.Equal(t, a, b, "same seed, same calls, same bytes (%+v)", o)
		assert.NotEqual(t, a, run(43), "another seed differs")
	}
}

// determinismRun calls every generator method once in a fixed order and
// returns everything it produced.
func determinismRun(t *testing.T, g *Generator) []byte {
	t.Helper()
	var out bytes.Buffer
	wh := g.WebhookID()
	for _, typ := range seed000Types {
		ev, err := g.New(typ, wh)
		require.NoError(t, err)
		out.Write(ev.MustEncode())
	}
	out.WriteString(g.Challenge())
	for _, fam := range Families() {
		c, u, d, err := g.Lifecycle(fam, wh)
		require.NoError(t, err)
		out.Write(c.MustEncode())
		out.Write(u.MustEncode())
		out.Write(d.MustEncode())
	}
	out.Write(g.NewUnknown("widget_exploded", wh).MustEncode())
	ev, err := g.FromPayload("work_created", wh, []byte(`{"work":{"id":"x"}}`))
	require.NoError(t, err)
	out.Write(ev.MustEncode())
	out.Write(g.Verify(wh, g.Challenge()).MustEncode())
	for _, r := range []string{FetchedOK, FetchedNotFound} {
		ev, err := g.Fetched("work", wh, "don:core:dvrv-us-1:devo/x:issue/1", r)
		require.NoError(t, err)
		out.Write(ev.MustEncode())
	}
	return out.Bytes()
}

func TestTimestampPrecision(t *testing.T) {
	tests := []struct {
		name string
		prec Precision
		want string
	}{
		{"default nanoseconds", 0, "2025-07-02T13:07:40.937074123Z"},
		{"microseconds", Microseconds, "2025-07-02T13:07:40.937074Z"},
		{"milliseconds", Milliseconds, "2025-07-02T13:07:40.937Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGenerator(Options{Seed: 1, Precision: tt.prec, Now: func() time.Time { return testNow }})
			ev, err := g.New("work_created", testWebhook)
			require.NoError(t, err)
			var env struct{ Timestamp string }
			require.NoError(t, json.Unmarshal(ev.MustEncode(), &env))
			assert.Equal(t, tt.want, env.Timestamp)
		})
	}
	// Whole-second instants keep their zero digits.
	g := NewGenerator(Options{Seed: 1, Now: func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }})
	ev := g.Verify(testWebhook, "c")
	assert.Contains(t, string(ev.MustEncode()), `"timestamp":"2025-01-01T00:00:00.000000000Z"`)
}

func TestDONsAndDisplayIDs(t *testing.T) {
	g := fixedGen(3)
	org := regexp.QuoteMeta("devo/11FVC3ScK")
	want := map[string]struct{ id, display, v1 string }{
		"issue":        {`^don:core:dvrv-us-1:` + org + `:issue/(\d+)$`, `^ISS-(\d+)$`, `^don:DEV-11FVC3ScK:issue:(\d+)$`},
		"ticket":       {`^don:core:dvrv-us-1:` + org + `:ticket/(\d+)$`, `^TKT-(\d+)$`, `^don:DEV-11FVC3ScK:ticket:(\d+)$`},
		"task":         {`^don:core:dvrv-us-1:` + org + `:task/(\d+)$`, `^TASK-(\d+)$`, `^don:DEV-11FVC3ScK:task:(\d+)$`},
		"opportunity":  {`^don:core:dvrv-us-1:` + org + `:opportunity/(\d+)$`, `^OPP-(\d+)$`, `^don:DEV-11FVC3ScK:opportunity:(\d+)$`},
		"dev_user":     {`^don:identity:dvrv-us-1:` + org + `:devu/(\d+)$`, `^DEVU-(\d+)$`, `^don:DEV-11FVC3ScK:dev_user:DEVU-(\d+)$`},
		"rev_user":     {`^don:identity:dvrv-us-1:` + org + `:revu/(\d+)$`, `^REVU-(\d+)$`, `^don:DEV-11FVC3ScK:rev_user:REVU-(\d+)$`},
		"account":      {`^don:identity:dvrv-us-1:` + org + `:account/(\d+)$`, `^ACC-(\d+)$`, `^don:DEV-11FVC3ScK:account:ACC-(\d+)$`},
		"product":      {`^don:core:dvrv-us-1:` + org + `:product/(\d+)$`, `^PROD-(\d+)$`, `^don:DEV-11FVC3ScK:product:(\d+)$`},
		"capability":   {`^don:core:dvrv-us-1:` + org + `:capability/(\d+)$`, `^CAPL-(\d+)$`, `^don:DEV-11FVC3ScK:capability:(\d+)$`},
		"tag":          {`^don:core:dvrv-us-1:` + org + `:tag/(\d+)$`, `^TAG-(\d+)$`, `^don:DEV-11FVC3ScK:tag:(\d+)$`},
		"article":      {`^don:core:dvrv-us-1:` + org + `:article/(\d+)$`, `^ART-(\d+)$`, `^don:DEV-11FVC3ScK:article:(\d+)$`},
		"conversation": {`^don:core:dvrv-us-1:` + org + `:conversation/(\d+)$`, `^CONV-(\d+)$`, `^don:DEV-11FVC3ScK:conversation:(\d+)$`},
		"incident":     {`^don:core:dvrv-us-1:` + org + `:incident/(\d+)$`, `^INC-(\d+)$`, `^don:DEV-11FVC3ScK:incident:(\d+)$`},
	}
	seen := map[string]bool{}
	types := []string{"work_created", "rev_user_created", "dev_user_created", "account_created", "part_created",
		"tag_created", "article_created", "conversation_created", "incident_created"}
	for range 40 {
		for _, typ := range types {
			ev, err := g.New(typ, testWebhook)
			require.NoError(t, err)
			walkObjects(ev.Payload, func(o Object) {
				typ, _ := o["type"].(string)
				if typ == "" { // objects outside DevRev's unions have no type
					typ = kindOfID(fmt.Sprint(o["id"]))
				}
				w, ok := want[typ]
				if !ok || o["id_v1"] == nil {
					return
				}
				seen[typ] = true
				id := regexp.MustCompile(w.id).FindStringSubmatch(fmt.Sprint(o["id"]))
				disp := regexp.MustCompile(w.display).FindStringSubmatch(fmt.Sprint(o["display_id"]))
				v1 := regexp.MustCompile(w.v1).FindStringSubmatch(fmt.Sprint(o["id_v1"]))
				require.NotNil(t, id, "%s id %v", typ, o["id"])
				require.NotNil(t, disp, "%s display_id %v", typ, o["display_id"])
				require.NotNil(t, v1, "%s id_v1 %v", typ, o["id_v1"])
				assert.Equal(t, id[1], disp[1], "id and display id share the number")
				assert.Equal(t, id[1], v1[1])
			})
		}
	}
	for typ := range want {
		assert.True(t, seen[typ], "saw a %s", typ)
	}
}

// kindOfID reads an object's kind from its DON id (…:devu/3 is a dev_user).
func kindOfID(id string) string {
	m := regexp.MustCompile(`:([a-z_]+)/\d+$`).FindStringSubmatch(id)
	if m == nil {
		return ""
	}
	switch m[1] {
	case "devu":
		return "dev_user"
	case "revu":
		return "rev_user"
	case "revo":
		return "rev_org"
	}
	return m[1]
}

func walkObjects(v any, f func(Object)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, e := range x {
			walkObjects(e, f)
		}
	case []any:
		for _, e := range x {
			walkObjects(e, f)
		}
	}
}

func TestCreatedIDsUnique(t *testing.T) {
	g := fixedGen(9)
	for _, fam := range Families() {
		seen := map[any]bool{}
		for range 100 {
			ev, err := g.New(fam+"_created", testWebhook)
			require.NoError(t, err)
			for _, v := range ev.Payload {
				id := v.(Object)["id"]
				assert.False(t, seen[id], "%s: duplicate id %v", fam, id)
				seen[id] = true
			}
		}
	}
}

func TestBodyEscapesLikeDevRev(t *testing.T) {
	g := fixedGen(5)
	for range 10 {
		ev, err := g.New("work_created", testWebhook)
		require.NoError(t, err)
		b := ev.MustEncode()
		if ev.Payload["work"].(Object)["type"] == "issue" {
			assert.Contains(t, string(b), `\u003cdon:core:dvrv-us-1:devo/11FVC3ScK:issue/`)
			assert.NotContains(t, string(b), "<don:")
			return
		}
	}
	t.Fatal("no issue in 10 work_created events")
}

func TestConcurrentUse(t *testing.T) {
	g := NewGenerator(Options{Seed: 11})
	done := make(chan []byte)
	for i := range 8 {
		go func() {
			var out []byte
			for j := range 20 {
				ev, err := g.New(seed000Types[(i*20+j)%len(seed000Types)], testWebhook)
				if err == nil {
					out = ev.MustEncode()
				}
			}
			done <- out
		}()
	}
	for range 8 {
		assert.True(t, json.Valid(<-done))
	}
}

func TestNewUnknownTypeError(t *testing.T) {
	_, err := fixedGen(1).New("widget_exploded", testWebhook)
	require.ErrorIs(t, err, ErrUnknownType)
	assert.Contains(t, err.Error(), "widget_exploded")
}

func BenchmarkNewEncode(b *testing.B) {
	g := NewGenerator(Options{Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		ev, err := g.New("work_created", testWebhook)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ev.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBurst50 is the harness's burst: 50 mixed events generated and encoded.
func BenchmarkBurst50(b *testing.B) {
	g := NewGenerator(Options{Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		for i := range 50 {
			ev, err := g.New(seed000Types[i], testWebhook)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ev.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestWebhookObjectsCarryNoSecret(t *testing.T) {
	g := fixedGen(12)
	for _, typ := range []string{"webhook_created", "webhook_updated", "webhook_deleted"} {
		ev, err := g.New(typ, testWebhook)
		require.NoError(t, err)
		b := string(ev.MustEncode())
		assert.NotContains(t, b, `"secret"`, typ)
		if typ == "webhook_deleted" {
			continue // {id} only, as DevRev's schema has it
		}
		for _, k := range []string{"created_by", "created_date", "display_id", "event_types", "id", "modified_by", "modified_date", "status", "url"} {
			assert.Contains(t, b, `"`+k+`":`, "%s has %s like seed 001", typ, k)
		}
	}
}
