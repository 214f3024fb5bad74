package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzMarker starts every receiver-controlled value FuzzReportWriters puts
// in a report: an element name no writer emits, so finding it unescaped in
// the HTML means the receiver's text became markup.
const fuzzMarker = "<revhook-fuzz>"

// FuzzReportWriters fills every field a receiver's answer reaches — status,
// headers (names and values), body preview, the reason and note quoting
// them, the replay and curl commands — with arbitrary text and checks that
// every report stays well-formed: valid JSON that round-trips the values,
// JUnit that an XML decoder reads to the end, HTML with no receiver text
// as markup.
//
//	go test -run '^$' -fuzz=FuzzReportWriters -fuzztime=5s ./steps/report
func FuzzReportWriters(f *testing.F) {
	f.Add("ok", "Content-Type", "text/plain", 200, "accepted a wrong signature")
	f.Add("</script><script>alert(1)</script>", "X-<b>", "]]>\x00\x1b[31m", 599, "\"quoted\" & <tag>")
	f.Add("\xff\xfe invalid utf-8 \u2028\u2029", "", "\r\n\t", -1, "line1\nline2")
	f.Fuzz(func(t *testing.T, body, hname, hvalue string, status int, reason string) {
		r := fuzzReport(fuzzMarker+body, fuzzMarker+hname, fuzzMarker+hvalue, status, fuzzMarker+reason)
		for _, format := range Formats() {
			var buf bytes.Buffer
			if err := Write(&buf, format, r); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			out := buf.Bytes()
			switch format {
			case FormatJSON:
				checkJSON(t, out)
			case FormatJUnit:
				checkXML(t, out)
			case FormatHTML:
				if bytes.Contains(out, []byte(fuzzMarker)) {
					t.Fatalf("html: receiver text became markup")
				}
			}
		}
	})
}

// fuzzReport is a failing report whose evidence carries the given answer.
func fuzzReport(body, hname, hvalue string, status int, reason string) *Report {
	ev := Evidence{
		Scenario: reason, Note: reason,
		Request:   Request{Method: "POST", URL: "http://127.0.0.1:8089/", Headers: map[string]string{"X-DevRev-Signature": hvalue}, BodyPreview: body},
		Response:  Response{Status: status, Headers: map[string]string{hname: hvalue}, BodyPreview: body, Error: reason},
		Reproduce: "curl -sS " + body, Replay: &Replay{Exchange: 1, Method: "POST", Body: body, Command: "revhook replay " + reason},
	}
	r := &Report{Target: Target{URL: "http://127.0.0.1:8089/", Detection: reason}, Requirements: []Requirement{
		{ID: "SIG-02", Level: LevelMust, Title: "wrong signature refused", Status: StatusFail, Reason: reason, Evidence: []Evidence{ev},
			Scenarios: []Scenario{{Name: reason, Status: StatusFail, Reason: reason}}},
		{ID: "SIG-03", Level: LevelShould, Title: "stale", Status: StatusFail, Reason: reason, BlockedBy: []string{"SIG-02"}},
		{ID: "ACK-01", Level: LevelMust, Title: "ack", Status: StatusPass, Note: reason},
	}}
	r.Finish()
	return r
}

func checkJSON(t *testing.T, out []byte) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("json: not valid JSON")
	}
	var back Report
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("json: %v", err)
	}
	if len(back.Requirements) != 3 || !strings.HasPrefix(back.Requirements[0].Reason, fuzzMarker) {
		t.Fatalf("json: the requirements did not round-trip")
	}
}

func checkXML(t *testing.T, out []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(out))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("junit: not well-formed XML: %v", err)
		}
	}
}
