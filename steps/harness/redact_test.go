package harness

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/steps/report"
)

func TestRedactorKnowsEveryForm(t *testing.T) {
	// Bytes whose base64 differs between the standard and URL alphabets.
	const secret = "p@ss/word with space\xfb\xff?"
	const header = "gateway-key-1234"
	r := redact.New(secret, header, "", "abc")
	js, err := json.Marshal(secret)
	require.NoError(t, err)
	forms := map[string]string{
		"raw":            secret,
		"JSON-escaped":   string(js[1 : len(js)-1]),
		"query-escaped":  url.QueryEscape(secret),
		"path-escaped":   url.PathEscape(secret),
		"hex":            hex.EncodeToString([]byte(secret)),
		"HEX":            strings.ToUpper(hex.EncodeToString([]byte(secret))),
		"base64 std":     base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64 url":     base64.URLEncoding.EncodeToString([]byte(secret)),
		"base64 raw std": base64.RawStdEncoding.EncodeToString([]byte(secret)),
		"base64 raw url": base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"extra value":    header,
		"extra in hex":   hex.EncodeToString([]byte(header)),
		"extra base64":   base64.StdEncoding.EncodeToString([]byte(header)),
	}
	require.NotEqual(t, forms["base64 std"], forms["base64 url"])
	for name, f := range forms {
		in := "before " + f + " after"
		assert.Equal(t, "before "+redact.Redacted+" after", r.String(in), name)
		assert.Equal(t, []byte("before "+redact.Redacted+" after"), r.Bytes([]byte(in)), name)
	}
	// Values under 4 bytes are not redacted (they would blank out words).
	assert.Equal(t, "abc", r.String("abc"))
	// No secret: nothing changes.
	assert.Equal(t, "anything", redact.New("").String("anything"))
}

func TestRedactorWalksEverything(t *testing.T) {
	const secret = "p@ss/word with space"
	r := redact.New(secret, "gateway-key-1234")
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	rep := &report.Report{
		Target: report.Target{URL: "http://x/?s=" + url.QueryEscape(secret)},
		Requirements: []report.Requirement{{
			Reason: "leaked " + secret,
			Note:   "hex " + hex.EncodeToString([]byte(secret)),
			Evidence: []report.Evidence{{
				Request:   report.Request{Headers: map[string]string{secret: secret, "X-Api-Key": "gateway-key-1234"}},
				Response:  report.Response{BodyPreview: `{"s":"` + secret + `"}`, Error: b64},
				Reproduce: "curl -H 'X-Api-Key: gateway-key-1234'",
				Replay:    &report.Replay{Body: `{"k":"` + secret + `"}`, Command: "x"},
			}},
			Scenarios: []report.Scenario{{Name: secret, BlockedBy: []string{secret}}},
		}},
	}
	r.Value(rep)
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	for _, leak := range []string{"ss/word", "word+with", b64, "gateway-key"} {
		assert.NotContains(t, string(js), leak)
	}
	q := rep.Requirements[0]
	assert.Equal(t, "leaked "+redact.Redacted, q.Reason)
	assert.Equal(t, map[string]string{redact.Redacted: redact.Redacted, "X-Api-Key": redact.Redacted}, q.Evidence[0].Request.Headers)
	assert.Equal(t, `{"k":"`+redact.Redacted+`"}`, q.Evidence[0].Replay.Body)
	assert.Equal(t, []string{redact.Redacted}, q.Scenarios[0].BlockedBy)
	assert.Equal(t, "curl -H 'X-Api-Key: "+redact.Redacted+"'", q.Evidence[0].Reproduce)
}

func TestIsHarnessFailure(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{Failf("receiver answered 500"), false},
		{fmt.Errorf("step: %w", Failf("receiver answered 500")), false},
		{&Blocked{By: []string{CoversStatus}, Msg: "not observed"}, false},
		{Harnessf("broken"), true},
		{assert.AnError, true},
	} {
		assert.Equal(t, tc.want, IsHarnessFailure(tc.err), "%v", tc.err)
	}
}
