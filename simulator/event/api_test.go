package event

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// payloadOf encodes ev and returns its payload decoded generically.
func payloadOf(t *testing.T, ev Event) map[string]any {
	t.Helper()
	var env map[string]any
	require.NoError(t, json.Unmarshal(ev.MustEncode(), &env))
	p, ok := env[ev.Type].(map[string]any)
	require.True(t, ok)
	return p
}

func TestFamilies(t *testing.T) {
	fams := Families()
	assert.Contains(t, fams, "work")
	assert.Contains(t, fams, "account")
	assert.Contains(t, fams, "part")
	assert.Contains(t, fams, "timeline_entry")
	assert.NotContains(t, fams, "sync_unit", "sync_unit has only an updated event")
	assert.IsIncreasing(t, fams)
	for _, f := range fams {
		for _, verb := range []string{"_created", "_updated", "_deleted"} {
			assert.True(t, Known(f+verb), f+verb)
		}
	}
}

func TestLifecycle(t *testing.T) {
	g := fixedGen(21)
	for _, fam := range Families() {
		t.Run(fam, func(t *testing.T) {
			c, u, d, err := g.Lifecycle(fam, testWebhook)
			require.NoError(t, err)
			assert.Equal(t, fam+"_created", c.Type)
			assert.Equal(t, fam+"_updated", u.Type)
			assert.Equal(t, fam+"_deleted", d.Type)
			for _, ev := range []Event{c, u, d} {
				assert.Equal(t, testWebhook, ev.WebhookID)
				assert.True(t, json.Valid(ev.MustEncode()))
			}
			assert.True(t, c.Timestamp.Before(u.Timestamp), "created before updated")
			assert.True(t, u.Timestamp.Before(d.Timestamp), "updated before deleted")
			assert.Equal(t, testNow, d.Timestamp)
			assert.NotEqual(t, c.ID, u.ID)
			assert.NotEqual(t, u.ID, d.ID)

			key := fam
			if fam == "timeline_entry" {
				key = "entry"
			}
			cp, up, dp := payloadOf(t, c), payloadOf(t, u), payloadOf(t, d)
			obj := cp[key].(map[string]any)
			newer := up[key].(map[string]any)
			id := obj["id"]
			require.NotEmpty(t, id)
			assert.Equal(t, obj["created_date"], obj["modified_date"], "a new object was last modified at creation")
			if fam == "webhook" {
				assert.Equal(t, []string{key}, keys(up), "DevRev's schema has no old_%s", key)
			} else {
				assert.Equal(t, obj, up["old_"+key], "old_%s is the created version", key)
			}
			assert.Equal(t, id, newer["id"])
			assert.Greater(t, parseDate(t, newer["modified_date"]), parseDate(t, obj["modified_date"]))
			assert.NotEqual(t, obj, newer, "the update changed something")
			assert.Equal(t, id, dp["id"])
			if fam == "link" || fam == "sync_history" || fam == "webhook" {
				assert.Equal(t, []string{"id"}, keys(dp), "DevRev's schema has no old_%s", key)
			} else {
				assert.Equal(t, newer, dp["old_"+key], "deleted carries the last version")
			}
			assert.False(t, parseDate(t, newer["modified_date"]).After(u.Timestamp), "change precedes its event")
		})
	}
}

func TestLifecycleEventsShareNothing(t *testing.T) {
	c, u, d, err := fixedGen(2).Lifecycle("work", testWebhook)
	require.NoError(t, err)
	before := string(u.MustEncode()) + string(d.MustEncode())
	require.NoError(t, c.Set("work.title", "changed"))
	require.NoError(t, c.Set("work.created_by.email", "x@y.z"))
	assert.Equal(t, before, string(u.MustEncode())+string(d.MustEncode()))
}

func TestLifecycleUnknownFamily(t *testing.T) {
	_, _, _, err := fixedGen(1).Lifecycle("sync_unit", testWebhook)
	require.ErrorIs(t, err, ErrUnknownFamily)
	assert.Contains(t, err.Error(), `"sync_unit"`)
	assert.Contains(t, err.Error(), "work")
}

func TestSet(t *testing.T) {
	tests := []struct {
		name, path, value string
		want              string // JSON of the value found at path after encoding
	}{
		{"plain string", "work.title", "Disk full", `"Disk full"`},
		{"number", "work.priority_v2.ordinal", "42", `42`},
		{"big number kept exactly", "work.size", "123456789012345678901234567890", `123456789012345678901234567890`},
		{"bool", "work.needs_response", "true", `true`},
		{"null", "work.subtype", "null", `null`},
		{"object", "work.custom_fields", `{"b":2,"a":1}`, `{"a":1,"b":2}`},
		{"array", "work.tags", `["x",1]`, `["x",1]`},
		{"quoted string", "work.title", `"quoted"`, `"quoted"`},
		{"empty string", "work.title", ``, `""`},
		{"html escaped like DevRev", "work.body", `<b>`, `"\u003cb\u003e"`},
		{"creates intermediates", "work.extra.deep.field", `x`, `"x"`},
		{"inside a pre-encoded summary", "work.created_by.email", `ops@example.com`, `"ops@example.com"`},
		{"new top-level key", "note", `hi`, `"hi"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fixedGen(4)
			ev, err := g.New("work_created", testWebhook)
			require.NoError(t, err)
			require.NoError(t, ev.Set(tt.path, tt.value))
			assert.JSONEq(t, tt.want, jsonAt(t, ev, tt.path))
			assert.True(t, json.Valid(ev.MustEncode()))
		})
	}
}

func TestSetKeepsSiblings(t *testing.T) {
	ev, err := fixedGen(4).New("work_created", testWebhook)
	require.NoError(t, err)
	handle := jsonAt(t, ev, "work.created_by.display_handle")
	require.NoError(t, ev.Set("work.created_by.email", "a@b.c"))
	assert.Equal(t, handle, jsonAt(t, ev, "work.created_by.display_handle"))
	checkKeyOrder(t, ev.MustEncode())
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, path string
		wantErr    string
	}{
		{"through a string", "work.title.x", `work.title is a string, not an object`},
		{"through an array", "work.owned_by.0", `work.owned_by is an array, not an object`},
		{"through a number", "work.priority_v2.id.x", `work.priority_v2.id is a number, not an object`},
		{"through a bool", "work.needs_response.x", `work.needs_response is a boolean, not an object`},
		{"empty path", "", "empty path segment"},
		{"empty segment", "work..title", "empty path segment"},
		{"trailing dot", "work.", "empty path segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fixedGen(4)
			ev, err := g.New("work_created", testWebhook)
			require.NoError(t, err)
			require.NoError(t, ev.Set("work.needs_response", "false"))
			require.NoError(t, ev.Set("work.priority_v2", `{"id":3,"label":"P2","ordinal":3}`))
			err = ev.Set(tt.path, "v")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), `"`+tt.path+`"`, "error names the path")
		})
	}
}

func TestSetOnEmptyEvent(t *testing.T) {
	var ev Event
	require.NoError(t, ev.Set("a.b", "1"))
	assert.Equal(t, Object{"a": Object{"b": json.Number("1")}}, ev.Payload)
}

// jsonAt returns the encoded JSON value at a dotted path of ev's payload.
func jsonAt(t *testing.T, ev Event, path string) string {
	t.Helper()
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(ev.MustEncode(), &env))
	cur := env[ev.Type]
	for _, seg := range splitPath(path) {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(cur, &m), "at %s", seg)
		v, ok := m[seg]
		require.True(t, ok, "missing %s in %s", seg, path)
		cur = v
	}
	return string(cur)
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func TestFromPayload(t *testing.T) {
	raw := []byte(`{
  "work": {"id": "don:core:dvrv-us-1:devo/x:issue/1",  "n": 1.50000000000000000001, "s": "\u00e9<"},
  "old_work": null,
  "extra": [1, 2 ,3]
}`)
	g := fixedGen(8)
	ev, err := g.FromPayload("work_updated", testWebhook, raw)
	require.NoError(t, err)
	assert.Equal(t, "work_updated", ev.Type)
	assert.Equal(t, testWebhook, ev.WebhookID)
	assert.Equal(t, testNow, ev.Timestamp)
	b := ev.MustEncode()
	require.True(t, json.Valid(b))
	// Member values are kept byte for byte; top-level keys in DevRev's order.
	assert.Contains(t, string(b), `"work_updated":{"extra":[1, 2 ,3],"old_work":null,"work":{"id": "don:core:dvrv-us-1:devo/x:issue/1",  "n": 1.50000000000000000001, "s": "\u00e9<"}},"type":"work_updated"}`)

	// The caller's buffer may be reused afterwards.
	for i := range raw {
		raw[i] = ' '
	}
	assert.Equal(t, b, ev.MustEncode())

	// Set works on user payloads too, keeping the other members' bytes.
	require.NoError(t, ev.Set("work.title", "Disk full"))
	assert.JSONEq(t, `"Disk full"`, jsonAt(t, ev, "work.title"))
	assert.Equal(t, `1.50000000000000000001`, jsonAt(t, ev, "work.n"))
}

func TestFromPayloadTypes(t *testing.T) {
	g := fixedGen(8)
	for _, typ := range []string{"work_created", "widget_exploded", "x", "a1_b2"} {
		_, err := g.FromPayload(typ, testWebhook, []byte(`{}`))
		assert.NoError(t, err, typ)
	}
	for _, typ := range []string{"", "Work_created", "1work", "_work", "work-created", "work.created", "wörk", "work created"} {
		_, err := g.FromPayload(typ, testWebhook, []byte(`{}`))
		require.Error(t, err, typ)
		assert.Contains(t, err.Error(), "^[a-z][a-z0-9_]*$")
	}
}

func TestFromPayloadErrors(t *testing.T) {
	g := fixedGen(8)
	tests := []struct{ name, raw, want string }{
		{"array", `[{"work":{}}]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"string", `"work"`, "not a JSON object"},
		{"empty", ``, "not a JSON object"},
		{"whitespace", " \n\t", "not a JSON object"},
		{"truncated", `{"work": {"id": 1}`, "invalid JSON"},
		{"trailing data", `{"work": {}} {}`, "invalid JSON"},
		{"bad literal", `{"work": tru}`, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.FromPayload("work_created", testWebhook, []byte(tt.raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "work_created")
		})
	}
}

func TestNewUnknown(t *testing.T) {
	g := fixedGen(6)
	ev := g.NewUnknown("widget_exploded", testWebhook)
	assert.False(t, Known(ev.Type))
	assert.Equal(t, "widget_exploded", ev.Type)
	b := ev.MustEncode()
	require.True(t, json.Valid(b))
	assert.Equal(t, []string{"id", "timestamp", "webhook_id", "widget_exploded", "type"}, topKeys(t, b))
	checkKeyOrder(t, b)
	p := payloadOf(t, ev)
	obj, ok := p["widget"].(map[string]any)
	require.True(t, ok, "payload is {widget: {...}}")
	assert.Equal(t, "widget", obj["type"])
	assert.Regexp(t, `^don:core:dvrv-us-1:devo/11FVC3ScK:widget/\d+$`, obj["id"])
	assert.Regexp(t, `^WIDG-\d+$`, obj["display_id"])
	assert.NotNil(t, obj["created_by"])

	def := g.NewUnknown("", testWebhook)
	assert.Equal(t, "widget_exploded", def.Type)
	single := g.NewUnknown("gizmo", testWebhook)
	assert.Contains(t, payloadOf(t, single), "gizmo")
}
