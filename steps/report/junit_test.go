package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsedJUnit is the JUnit schema as consumers read it.
type parsedJUnit struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Time     string `xml:"time,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut *string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, r *Report) parsedJUnit {
	t.Helper()
	out := written(t, FormatJUnit, r)
	require.True(t, strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`))
	var doc parsedJUnit
	require.NoError(t, xml.Unmarshal([]byte(out), &doc), out)
	return doc
}

func TestJUnitSuiteAndCounts(t *testing.T) {
	doc := parseJUnit(t, sampleReport())
	require.Len(t, doc.Suites, 1)
	s := doc.Suites[0]
	assert.Equal(t, "revhook conformance", s.Name)
	assert.Equal(t, 10, s.Tests)
	assert.Equal(t, 10, doc.Tests)
	assert.Equal(t, 2, s.Failures, "only the two MUST root failures are <failure>s")
	assert.Equal(t, 1, s.Errors, "the blocked MUST is an <error>")
	assert.Equal(t, 1, s.Skipped)
	assert.Equal(t, "1.234", s.Time)
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	assert.Equal(t, "http://127.0.0.1:8089/", props["target.url"])
	assert.Equal(t, "hex (detected)", props["target.encoding"])
	assert.Equal(t, "revhook v0.1.0", props["tool"])
	assert.Equal(t, "fail", props["verdict"])
	assert.Equal(t, sampleRunID, props["run_id"])
	assert.Equal(t, "42", props["seed"])
	assert.Equal(t, "2", props["summary.blocked"])
	assert.Equal(t, "6", props["summary.failed"])
	assert.NotContains(t, props, "interrupted")

	// Counts agree with the cases themselves.
	var failures, errs, skipped int
	for _, c := range s.Cases {
		if c.Failure != nil {
			failures++
		}
		if c.Error != nil {
			errs++
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	assert.Equal(t, s.Failures, failures)
	assert.Equal(t, s.Errors, errs)
	assert.Equal(t, s.Skipped, skipped)
	assert.Len(t, s.Cases, s.Tests)
}

func TestJUnitCases(t *testing.T) {
	doc := parseJUnit(t, sampleReport())
	cases := doc.Suites[0].Cases
	require.Len(t, cases, 10)
	tests := []struct {
		i                    int
		classname, name      string
		failure, skip, err   bool
		systemOut            string
		failureContains      []string
		failureMessage, time string
	}{
		{i: 0, classname: "VER", name: "VER-01 A signed verify event gets 200 and the challenge back", time: "0.012"},
		{i: 1, classname: "SIG", name: "SIG-02 An event with a wrong signature is refused", failure: true,
			failureMessage: "receiver answered 200 to an event signed with a wrong key", time: "0.014",
			failureContains: []string{"> POST http://127.0.0.1:8089/", "> X-DevRev-Signature: 9b1c0e3f", "< 200 (3ms)",
				`"title":"Disk <full> & \"hot\""`, "Reproduce:\ncurl -sS -X POST"}},
		{i: 2, classname: "ACK", name: "ACK-01 A valid event is acknowledged with 2xx within 3 s", failure: true,
			failureMessage: "no response within 3s", failureContains: []string{"No exchange recorded."}, time: "3.001"},
		{i: 3, classname: "RPL", name: "RPL-01 A correctly signed event with a stale timestamp (10 min old) is refused",
			systemOut: "WARN: SHOULD requirement not met", time: "0.008"},
		{i: 4, classname: "ROB", name: "ROB-03 A method other than POST gets 405", skip: true, time: "0.000"},
		{i: 5, classname: "SEC", name: "SEC-01 The endpoint is served over HTTPS", systemOut: "INFO: not met (reported only): plain http", time: "0.000"},
		{i: 6, classname: "FWD", name: "FWD-01 An unknown event type is acknowledged | not 5xx", time: "0.005"},
		{i: 7, classname: "SIG", name: "SIG-03 An event without X-DevRev-Signature is refused", err: true, time: "3.002",
			failureMessage:  "blocked by ACK-01: not observed: the correctly signed control event was not acknowledged",
			failureContains: []string{"Blocked by: ACK-01", "< error after 3000ms: timeout"}},
		{i: 8, classname: "VER", name: "VER-04 A verify event with a bad signature is not answered with the challenge", time: "0.000",
			systemOut: "BLOCK: SHOULD requirement not observed (not met, reported only): blocked by VER-02: not observed"},
		{i: 9, classname: "DUP", name: "DUP-01 A duplicate delivery is acknowledged with 2xx", time: "0.009",
			systemOut: "PASS, with a note: failed while other scenarios ran; passed when re-run alone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cases[tt.i]
			assert.Equal(t, tt.classname, c.Classname)
			assert.Equal(t, tt.name, c.Name)
			assert.Equal(t, tt.time, c.Time)
			assert.Equal(t, tt.failure, c.Failure != nil, "failure")
			assert.Equal(t, tt.skip, c.Skipped != nil, "skipped")
			assert.Equal(t, tt.err, c.Error != nil, "error")
			if tt.err {
				assert.Equal(t, tt.failureMessage, c.Error.Message)
				assert.Equal(t, "blocked", c.Error.Type)
				for _, s := range tt.failureContains {
					assert.Contains(t, c.Error.Text, s)
				}
			}
			if tt.failure {
				assert.Equal(t, tt.failureMessage, c.Failure.Message)
				assert.Equal(t, "MUST", c.Failure.Type)
				for _, s := range tt.failureContains {
					assert.Contains(t, c.Failure.Text, s)
				}
			}
			if tt.systemOut != "" {
				require.NotNil(t, c.SystemOut)
				assert.Contains(t, *c.SystemOut, tt.systemOut)
			} else {
				assert.Nil(t, c.SystemOut)
			}
		})
	}
}

func TestJUnitInvalidXMLCharactersAndZeroRequirements(t *testing.T) {
	r := sampleReport()
	r.Requirements[1].Reason = "bad\x00reason \x1b[31m\"quoted\" <tag> & ]]>"
	r.Requirements[1].Evidence[0].Response.BodyPreview = "\x00\x01\x02 binary \xff\xfe ]]>"
	doc := parseJUnit(t, r)
	c := doc.Suites[0].Cases[1]
	require.NotNil(t, c.Failure)
	assert.Contains(t, c.Failure.Message, `"quoted" <tag> & ]]>`)
	assert.Contains(t, c.Failure.Text, "\uFFFD\uFFFD\uFFFD binary \uFFFD ]]>", "CDATA keeps ]]>; control bytes and invalid UTF-8 become U+FFFD")

	info := sampleReport()
	info.Requirements[5].Status, info.Requirements[5].Reason = StatusPass, ""
	info.Finish()
	c = parseJUnit(t, info).Suites[0].Cases[5]
	require.NotNil(t, c.SystemOut)
	assert.Equal(t, "INFO: met", *c.SystemOut)
	assert.Nil(t, c.Failure)

	empty := parseJUnit(t, &Report{})
	require.Len(t, empty.Suites, 1)
	assert.Equal(t, 0, empty.Suites[0].Tests)
	assert.Empty(t, empty.Suites[0].Cases)
}
