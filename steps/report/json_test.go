package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files: go test ./steps/report -run Golden -update
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run with -update")
	assert.Equal(t, string(want), string(got))
}

// written is r as Write renders it in format.
func written(t *testing.T, format string, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, format, r))
	return buf.String()
}

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, FormatJSON, sampleReport()))
	golden(t, "report.golden.json", buf.Bytes())
}

// TestJSONContract checks the fields REPORT.md §2 promises, by name, as a
// consumer in another language would read them.
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, FormatJSON, sampleReport()))
	assert.Contains(t, buf.String(), "\n  \"schema\": \"revhook.report/v1\",\n", "two-space indent")

	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, "revhook.report/v1", doc["schema"])
	assert.Equal(t, map[string]any{"name": "revhook", "version": "v0.1.0"}, doc["tool"])
	assert.Equal(t, map[string]any{"url": "http://127.0.0.1:8089/", "encoding": "hex", "encoding_detected": true}, doc["target"])
	assert.Equal(t, "2026-11-23T10:00:00Z", doc["started_at"])
	assert.EqualValues(t, 1234, doc["duration_ms"])
	assert.Equal(t, "fail", doc["verdict"])
	assert.Equal(t, map[string]any{"total": 10.0, "passed": 3.0, "failed": 6.0, "skipped": 1.0,
		"failed_must": 2.0, "warnings": 1.0, "info_not_met": 1.0, "blocked": 2.0}, doc["summary"])
	assert.Equal(t, sampleRunID, doc["run_id"])
	assert.EqualValues(t, 42, doc["seed"])
	assert.NotContains(t, doc, "interrupted", "omitted when the run finished")

	reqs, ok := doc["requirements"].([]any)
	require.True(t, ok)
	require.Len(t, reqs, 10)
	sig := reqs[1].(map[string]any)
	assert.Equal(t, "SIG-02", sig["id"])
	assert.Equal(t, "MUST", sig["level"])
	assert.Equal(t, "fail", sig["status"])
	assert.EqualValues(t, 14, sig["duration_ms"])
	assert.Equal(t, "receiver answered 200 to an event signed with a wrong key", sig["reason"])
	ev := sig["evidence"].([]any)[0].(map[string]any)
	req := ev["request"].(map[string]any)
	assert.Equal(t, "POST", req["method"])
	assert.Contains(t, req, "headers")
	assert.Contains(t, req, "body_sha256")
	assert.Contains(t, req, "body_preview")
	resp := ev["response"].(map[string]any)
	assert.EqualValues(t, 200, resp["status"])
	assert.Contains(t, resp, "headers")
	assert.Contains(t, resp, "body_preview")
	assert.Contains(t, resp, "latency_ms")
	assert.Contains(t, ev["reproduce"], "curl ")

	rpl := reqs[3].(map[string]any)
	assert.Equal(t, "SHOULD", rpl["level"])
	assert.Equal(t, "fail", rpl["status"], "a SHOULD not met is status fail")
	assert.Equal(t, "skip", reqs[4].(map[string]any)["status"])
	blocked := reqs[7].(map[string]any)
	assert.Equal(t, "fail", blocked["status"], "a blocked requirement is not met")
	assert.Equal(t, []any{"ACK-01"}, blocked["blocked_by"])
	assert.Equal(t, "failed while other scenarios ran; passed when re-run alone", reqs[9].(map[string]any)["note"])
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, FormatJSON, r))
	var back Report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	assert.Equal(t, normalize(r), &back)
}

func TestJSONEmptyValuesAreNotNull(t *testing.T) {
	r := &Report{Requirements: []Requirement{{ID: "SIG-01", Level: LevelMust, Status: StatusFail, Evidence: []Evidence{{}}}}}
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, FormatJSON, r))
	assert.NotContains(t, buf.String(), "null")
	assert.Contains(t, buf.String(), `"headers": {}`)
	assert.Contains(t, buf.String(), `"schema": "revhook.report/v1"`)
	assert.Contains(t, buf.String(), `"verdict": "fail"`, "verdict derived when the runner left it empty")

	buf.Reset()
	require.NoError(t, Write(&buf, FormatJSON, &Report{}))
	assert.Contains(t, buf.String(), `"requirements": []`)
	assert.Contains(t, buf.String(), `"verdict": "pass"`)
}
