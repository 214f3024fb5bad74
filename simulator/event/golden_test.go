package event

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files: go test ./simulator/event -run Golden -update
var update = flag.Bool("update", false, "rewrite fixtures/golden/events/*.json")

const (
	goldenDir    = "../../fixtures/golden/events"
	devrevSample = "../../fixtures/golden/devrev_work_updated.json"
)

// goldenEvent generates typ the way the golden files were made: a fresh
// generator per type (adding a type never churns the others), fixed seed,
// org, clock and webhook.
func goldenEvent(t *testing.T, typ string) []byte {
	t.Helper()
	ev, err := fixedGen(1).New(typ, testWebhook)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, ev.MustEncode(), "", "  "))
	out.WriteByte('\n')
	return out.Bytes()
}

func TestGolden(t *testing.T) {
	if *update {
		require.NoError(t, os.MkdirAll(goldenDir, 0o755))
	}
	for _, typ := range Types() {
		t.Run(typ, func(t *testing.T) {
			got := goldenEvent(t, typ)
			path := filepath.Join(goldenDir, typ+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "missing golden file; run: go test ./simulator/event -run Golden -update")
			assert.Equal(t, string(want), string(got), "payload of %s changed; review and run with -update", typ)
		})
	}
	// No stale files for types that left the catalogue.
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		typ := strings.TrimSuffix(filepath.Base(f), ".json")
		if !Known(typ) {
			if *update {
				require.NoError(t, os.Remove(f))
				continue
			}
			t.Errorf("stale golden file %s", f)
		}
	}
}

// jsonPaths records every key path of v with its JSON kind; array elements
// share the path segment "[]".
func jsonPaths(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[prefix] = "object"
		for k, e := range x {
			jsonPaths(prefix+"."+k, e, out)
		}
	case []any:
		out[prefix] = "array"
		for _, e := range x {
			jsonPaths(prefix+"[]", e, out)
		}
	case string:
		out[prefix] = "string"
	case float64:
		out[prefix] = "number"
	case bool:
		out[prefix] = "bool"
	case nil:
		out[prefix] = "null"
	}
}

// TestShapeMatchesDevRevSample checks generated work_updated events against
// the real capture: every key path of its work and old_work exists with the
// same JSON kind, and the envelope keys come in the same order.
func TestShapeMatchesDevRevSample(t *testing.T) {
	sample, err := os.ReadFile(devrevSample)
	require.NoError(t, err)
	shared, err := os.ReadFile("../../../shared/samples/work_updated.json")
	if err == nil {
		assert.Equal(t, shared, sample, "fixtures copy of the DevRev sample is verbatim")
	}
	var s map[string]map[string]any
	require.True(t, json.Valid(sample))
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(sample, &env))
	require.NoError(t, json.Unmarshal(env["work_updated"], &s))
	want := map[string]string{}
	for _, k := range []string{"work", "old_work"} {
		jsonPaths(k, s[k], want)
	}
	require.Greater(t, len(want), 100, "the sample has many paths")

	g := fixedGen(77)
	checked := 0
	for range 40 {
		ev, err := g.New("work_updated", testWebhook)
		require.NoError(t, err)
		b := ev.MustEncode()
		assert.Equal(t, topKeys(t, sample), topKeys(t, b), "envelope key order")
		var gen map[string]map[string]any
		require.NoError(t, json.Unmarshal(mustField(t, b, "work_updated"), &gen))
		if gen["work"]["type"] != "issue" {
			continue // the sample is an issue; tickets carry severity instead of priority
		}
		checked++
		got := map[string]string{}
		for _, k := range []string{"work", "old_work"} {
			jsonPaths(k, gen[k], got)
		}
		var missing []string
		for p, kind := range want {
			if got[p] != kind {
				missing = append(missing, p+" ("+kind+", got "+got[p]+")")
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "paths of the DevRev sample absent or of another kind")
	}
	assert.Greater(t, checked, 5, "enough issues were checked")
}

func mustField(t *testing.T, b []byte, key string) json.RawMessage {
	t.Helper()
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &env))
	v, ok := env[key]
	require.True(t, ok, "envelope has %s", key)
	return v
}

// TestSampleByteStyle checks the byte-level conventions the sample shows.
func TestSampleByteStyle(t *testing.T) {
	g := fixedGen(77)
	ev, err := g.New("work_updated", testWebhook)
	require.NoError(t, err)
	b := string(ev.MustEncode())
	assert.True(t, strings.HasPrefix(b, `{"id":"don:integration:dvrv-us-1:devo/11FVC3ScK:webhook/1jGzMh1N:webhook_event/`))
	assert.True(t, strings.HasSuffix(b, `,"type":"work_updated"}`))
	assert.NotContains(t, b, "\n", "compact")
	assert.Regexp(t, `"created_date":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z"`, b, "millisecond object dates")
	assert.Regexp(t, `"stock_schema_fragment":"don:core:dvrv-us-1:stock_sf/\d+"`, b)
}
