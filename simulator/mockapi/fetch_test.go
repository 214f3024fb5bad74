package mockapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFetchTarget(t *testing.T) {
	tests := []struct {
		object, family, result string
		ok                     bool
	}{
		{"ISS-12", "work", "ok", true},
		{"TKT-3", "work", "ok", true},
		{"TASK-7", "work", "ok", true},
		{"OPP-2", "work", "ok", true},
		{"SLAT-4", "sla_tracker", "ok", true},
		{"don:core:dvrv-us-1:devo/ORG1:issue/9", "work", "ok", true},
		{"don:core:dvrv-us-1:devo/ORG1:sla_tracker/5", "sla_tracker", "ok", true},
		{"ISS-0", "work", "not_found", true},
		{"ISS-007", "work", "not_found", true},
		{"ISS-abc", "work", "not_found", true},
		{"don:core:dvrv-us-1:devo/ORG1:ticket/x", "work", "not_found", true},
		{"don:core:dvrv-us-1:devo/OTHER:issue/9", "work", "forbidden", true},
		{"REV-1", "", "", false},
		{"PROD-1", "", "", false},
		{"ISS", "", "", false},
		{"don:core", "", "", false},
		{"don:core:dvrv-us-1:devo/ORG1:part/1", "", "", false},
		{"don:identity:dvrv-us-1:devo/ORG1:issue/1", "", "", false},
		{"don:core:dvrv-us-1:ORG1:issue/1", "", "", false},
	}
	for _, tc := range tests {
		family, result, ok := fetchTarget(tc.object, "ORG1")
		assert.Equal(t, []any{tc.family, tc.result, tc.ok}, []any{family, result, ok}, tc.object)
	}
}
