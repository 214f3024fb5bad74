package event

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFetched(t *testing.T) {
	g := NewGenerator(Options{Seed: 3, Org: "ORG1"})
	tests := []struct {
		object, typ, result, key, idField string
	}{
		{"ISS-12", "work_fetched", "ok", "work", "display_id"},
		{"TKT-3", "work_fetched", "ok", "work", "display_id"},
		{"TASK-7", "work_fetched", "ok", "work", "display_id"},
		{"OPP-2", "work_fetched", "ok", "work", "display_id"},
		{"SLAT-4", "sla_tracker_fetched", "ok", "sla_tracker", ""},
		{"don:core:dvrv-us-1:devo/ORG1:issue/9", "work_fetched", "ok", "work", "id"},
		{"don:core:dvrv-us-1:devo/ORG1:sla_tracker/5", "sla_tracker_fetched", "ok", "sla_tracker", "id"},
		{"ISS-0", "work_fetched", "not_found", "", ""},
		{"ISS-007", "work_fetched", "not_found", "", ""},
		{"ISS-abc", "work_fetched", "not_found", "", ""},
		{"don:core:dvrv-us-1:devo/ORG1:ticket/x", "work_fetched", "not_found", "", ""},
		{"don:core:dvrv-us-1:devo/OTHER:issue/9", "work_fetched", "forbidden", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) {
			ev, err := g.Fetched("don:integration:dvrv-us-1:devo/ORG1:webhook/w1", tc.object)
			require.NoError(t, err)
			assert.Equal(t, tc.typ, ev.Type)
			p := payloadOf(t, ev)
			assert.Equal(t, tc.object, p["id"])
			assert.Equal(t, tc.result, p["result"])
			if tc.key == "" {
				assert.Len(t, p, 2, "{id, result} only: %v", p)
				return
			}
			obj, ok := p[tc.key].(map[string]any)
			require.True(t, ok, "%v", p)
			if tc.idField != "" {
				assert.Equal(t, tc.object, obj[tc.idField])
			}
		})
	}
	for _, bad := range []string{"", "REV-1", "PROD-1", "ISS", "don:core", "don:core:dvrv-us-1:devo/ORG1:part/1",
		"don:identity:dvrv-us-1:devo/ORG1:issue/1", "don:core:dvrv-us-1:ORG1:issue/1"} {
		_, err := g.Fetched("w", bad)
		assert.ErrorIs(t, err, ErrNotFetchable, "%q", bad)
	}
}
