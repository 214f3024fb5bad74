package report

import (
	"strings"
	"time"
)

// sampleStart is the fixed start time of the sample reports.
func sampleStart() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }

// sampleEvidence is a realistic exchange: an event signed with a wrong key,
// which the receiver wrongly acknowledged.
func sampleEvidence() Evidence {
	body := `{"id":"don:integration:dvrv-us-1:devo/0:webhook_event/7f3","type":"work_created","timestamp":"2026-11-23T10:00:00.123456789Z","work":{"title":"Disk <full> & \"hot\""}}`
	return Evidence{
		Scenario: "An event signed with another key is refused",
		Note:     "signed with a key other than the webhook secret",
		Request: Request{
			Method: "POST",
			URL:    "http://127.0.0.1:8089/",
			Headers: map[string]string{
				"Content-Type":       "application/json",
				"X-DevRev-Signature": "9b1c0e3f5a7d2b4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d",
			},
			BodySHA256:  "4f2d8a7c1e9b3d5f7a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f",
			BodyPreview: body,
			BodyBytes:   len(body),
		},
		Response: Response{
			Status:      200,
			Headers:     map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			BodyPreview: "ok",
			LatencyMS:   3,
		},
		Reproduce: `curl -sS -X POST 'http://127.0.0.1:8089/' -H 'Content-Type: application/json' -H 'X-DevRev-Signature: 9b1c0e3f5a7d2b4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d' --data-binary @- <<'EOF'` + "\n" + body + "\nEOF",
		Replay: &Replay{Exchange: 1, Method: "POST", Variation: "wrong-key", Body: body,
			Command: "revhook replay --report report.json SIG-02 --exchange 1"},
	}
}

// sampleRunID is the sample reports' run id.
const sampleRunID = "0193e4c2-7a10-7cc3-9f4e-2b8d5a61c0de"

// sampleReport has one requirement of each kind the writers distinguish: a
// pass, a MUST failure with evidence, a MUST failure without evidence, a
// SHOULD miss, an INFO miss, a skip, a blocked MUST, a blocked SHOULD and a
// pass with a note.
func sampleReport() *Report {
	r := &Report{
		Schema:     Schema,
		RunID:      sampleRunID,
		Seed:       42,
		Tool:       Tool{Name: "revhook", Version: "v0.1.0"},
		Target:     Target{URL: "http://127.0.0.1:8089/", Encoding: "hex", EncodingDetected: true},
		StartedAt:  sampleStart(),
		DurationMS: 1234,
		Requirements: []Requirement{
			{ID: "VER-01", Level: LevelMust, Title: "A signed verify event gets 200 and the challenge back", Status: StatusPass, DurationMS: 12,
				Scenarios: []Scenario{{Name: "Challenge of 1 character", Status: StatusPass}, {Name: "Challenge of 256 characters", Status: StatusPass}}},
			{ID: "SIG-02", Level: LevelMust, Title: "An event with a wrong signature is refused", Status: StatusFail, DurationMS: 14,
				Reason:    "receiver answered 200 to an event signed with a wrong key",
				Evidence:  []Evidence{sampleEvidence()},
				Scenarios: []Scenario{{Name: "Wrong key", Status: StatusFail, Reason: "answered 200"}, {Name: "Flipped bit", Status: StatusPass}}},
			{ID: "ACK-01", Level: LevelMust, Title: "A valid event is acknowledged with 2xx within 3 s", Status: StatusFail, DurationMS: 3001,
				Reason: "no response within 3s"},
			{ID: "RPL-01", Level: LevelShould, Title: "A correctly signed event with a stale timestamp (10 min old) is refused", Status: StatusFail, DurationMS: 8,
				Reason: "receiver answered 200 to an event timestamped 10 minutes ago", Evidence: []Evidence{sampleEvidence()}},
			{ID: "ROB-03", Level: LevelShould, Title: "A method other than POST gets 405", Status: StatusSkip, Reason: "excluded by --skip"},
			{ID: "SEC-01", Level: LevelInfo, Title: "The endpoint is served over HTTPS", Status: StatusFail, DurationMS: 0,
				Reason: "plain http (expected on loopback in development)"},
			{ID: "FWD-01", Level: LevelMust, Title: "An unknown event type is acknowledged | not 5xx", Status: StatusPass, DurationMS: 5, Group: "FWD"},
			{ID: "SIG-03", Level: LevelMust, Title: "An event without X-DevRev-Signature is refused", Status: StatusFail, DurationMS: 3002,
				Reason: "not observed: the correctly signed control event was not acknowledged", BlockedBy: []string{"ACK-01"},
				Evidence: []Evidence{{Scenario: "No signature header", Note: "control: the same event, correctly signed",
					Request: Request{Method: "POST", URL: "http://127.0.0.1:8089/"}, Response: Response{Error: "timeout", LatencyMS: 3000}}}},
			{ID: "VER-04", Level: LevelShould, Title: "A verify event with a bad signature is not answered with the challenge", Status: StatusFail,
				Reason: "not observed: the control verify was not answered", BlockedBy: []string{"VER-02"}},
			{ID: "DUP-01", Level: LevelMust, Title: "A duplicate delivery is acknowledged with 2xx", Status: StatusPass, DurationMS: 9,
				Note: "failed while other scenarios ran; passed when re-run alone"},
		},
	}
	r.Finish()
	return r
}

// fullReport is a whole-catalogue run (docs/protocol.md §2) with a few failures,
// as a user would see it; used for the rendered screenshot.
func fullReport(fail bool) *Report {
	cat := []struct{ id, level, title string }{
		{"VER-01", "MUST", "A signed verify event gets 200 and a JSON body {\"challenge\": X} with X exactly the challenge sent"},
		{"VER-02", "MUST", "The verify answer arrives within 3 s"},
		{"VER-03", "SHOULD", "The verify answer has Content-Type: application/json"},
		{"VER-04", "SHOULD", "A verify event with a bad signature is not answered with the challenge"},
		{"SIG-01", "MUST", "A correctly signed event is acknowledged with 2xx"},
		{"SIG-02", "MUST", "An event with a wrong signature is refused (non-2xx; 401/403 expected)"},
		{"SIG-03", "MUST", "An event without X-DevRev-Signature is refused"},
		{"SIG-04", "MUST", "An event whose body changed after signing (one byte) is refused"},
		{"SIG-05", "MUST", "The signature is checked over the raw bytes"},
		{"SIG-06", "MUST", "An event signed with another secret is refused"},
		{"SIG-07", "MUST", "A truncated or prefix-only signature is refused"},
		{"RPL-01", "SHOULD", "A correctly signed event with a stale timestamp (10 min old) is refused"},
		{"RPL-02", "MUST", "Nanosecond timestamps and a few seconds of clock skew are accepted"},
		{"RPL-03", "SHOULD", "A timestamp far in the future (10 min) is refused"},
		{"ACK-01", "MUST", "A valid event is acknowledged with 2xx within 3 s"},
		{"ACK-02", "MUST", "Under a burst of concurrent deliveries every one is acknowledged within 3 s"},
		{"ACK-03", "MUST", "Every subscribed event type in the catalogue is acknowledged"},
		{"DUP-01", "MUST", "A duplicate delivery (same id, same body) is acknowledged with 2xx"},
		{"DUP-02", "MUST", "The retry of an attempt the receiver failed or let time out is acknowledged"},
		{"ORD-01", "MUST", "Events of one object delivered out of order are acknowledged"},
		{"FWD-01", "MUST", "An event type the receiver does not handle, or one new to the catalogue, is acknowledged"},
		{"FWD-02", "MUST", "Unknown fields in the envelope or the object are tolerated"},
		{"ROB-01", "MUST", "Malformed JSON with a valid signature gets a 4xx and the receiver keeps serving"},
		{"ROB-02", "MUST", "A large (512 KiB) valid event is acknowledged within 3 s"},
		{"ROB-03", "SHOULD", "A method other than POST gets 405"},
		{"SEC-01", "INFO", "The endpoint is served over HTTPS"},
	}
	r := &Report{
		Schema:     Schema,
		Tool:       Tool{Name: "revhook", Version: "v0.1.0"},
		Target:     Target{URL: "http://127.0.0.1:8089/webhooks/devrev", Encoding: "hex", EncodingDetected: true},
		StartedAt:  sampleStart(),
		DurationMS: 4210,
	}
	for i, c := range cat {
		q := Requirement{ID: c.id, Level: c.level, Title: c.title, Status: StatusPass, DurationMS: int64(3 + i*7%40)}
		switch {
		case c.id == "SEC-01":
			q.Status, q.Reason = StatusFail, "plain http (expected on loopback in development)"
		case fail && c.id == "SIG-02":
			q.Status, q.Reason = StatusFail, "receiver answered 200 to an event signed with a wrong key"
			q.Evidence = []Evidence{sampleEvidence()}
			q.Scenarios = []Scenario{{Name: "Signed with a random key", Status: StatusFail, Reason: "answered 200"}, {Name: "One flipped bit", Status: StatusFail, Reason: "answered 200"}}
		case fail && c.id == "ROB-01":
			e := sampleEvidence()
			e.Scenario, e.Note = "Malformed JSON with a valid signature", "body is not JSON"
			e.Request.BodyPreview = `{"id": "don:integration:dvrv-us-1:devo/0:webhook_event/9a1", "type": "work_created", ` + strings.Repeat(`"x": 1, `, 3)
			e.Response = Response{Status: 500, Headers: map[string]string{"Content-Type": "text/html"}, BodyPreview: "<h1>Internal Server Error</h1>", LatencyMS: 2}
			q.Status, q.Reason, q.Evidence = StatusFail, "receiver answered 500 to malformed JSON (want 4xx)", []Evidence{e}
		case fail && c.id == "VER-03":
			q.Status, q.Reason = StatusFail, "verify answer had Content-Type text/plain; charset=utf-8"
			e := sampleEvidence()
			e.Scenario = "Verify answer content type"
			e.Response.BodyPreview = `{"challenge":"DlrRcZ3s8Yq"}`
			q.Evidence = []Evidence{e}
		case fail && c.id == "ROB-03":
			q.Status, q.Reason = StatusSkip, "excluded by --skip"
		}
		r.Requirements = append(r.Requirements, q)
	}
	r.Finish()
	return r
}
