package steps

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps/report"
)

func testEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	cfg := Config{URL: "http://127.0.0.1:9/hook", Secret: testSecret}
	if mod != nil {
		mod(&cfg)
	}
	s, err := validate(cfg)
	require.NoError(t, err)
	e, err := newEnv(s)
	require.NoError(t, err)
	t.Cleanup(e.close)
	return e
}

func workEvent(t *testing.T, e *env) (event.Event, []byte) {
	t.Helper()
	ev, err := e.newEvent("work_created")
	require.NoError(t, err)
	body, err := encode(ev)
	require.NoError(t, err)
	return ev, body
}

func TestRestyledBodiesMeanTheSame(t *testing.T) {
	e := testEnv(t, nil)
	for _, style := range []string{
		"indentation, tabs and spaces around the colons",
		"a trailing newline",
		"its keys in reverse order",
		"escaped unicode",
		"large numbers",
	} {
		t.Run(style, func(t *testing.T) {
			ev, _ := workEvent(t, e)
			body, err := restyle(style, ev)
			require.NoError(t, err)
			require.True(t, json.Valid(body), "%s", body)
			// A receiver that parses and re-serialises gets other bytes.
			var v any
			require.NoError(t, json.Unmarshal(body, &v))
			again, err := json.Marshal(v)
			require.NoError(t, err)
			assert.NotEqual(t, string(body), string(again))
			var env struct{ ID, Type string }
			require.NoError(t, json.Unmarshal(body, &env))
			assert.Equal(t, ev.ID, env.ID)
			assert.Equal(t, "work_created", env.Type)
		})
	}
	ev, _ := workEvent(t, e)
	body, err := restyle("escaped unicode", ev)
	require.NoError(t, err)
	var got struct {
		WorkCreated struct{ Work struct{ Title string } } `json:"work_created"`
	}
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, "Café ✓ «déjà vu» 🚀 /api/v1 <tag> & \"q\" \\ \t", got.WorkCreated.Work.Title)
	ev, _ = workEvent(t, e)
	body, err = restyle("its keys in reverse order", ev)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(body, []byte(`{"work_created":`)), "%.40s", body)
	_, err = restyle("sideways", ev)
	assert.Error(t, err)
}

func TestTamperChangesOneByte(t *testing.T) {
	e := testEnv(t, nil)
	for _, change := range []string{"change one character of its title", "change one digit of its timestamp", "change one character of its id"} {
		_, body := workEvent(t, e)
		out, err := tamper(change, body)
		require.NoError(t, err, change)
		require.Len(t, out, len(body))
		diff := 0
		for i := range body {
			if body[i] != out[i] {
				diff++
			}
		}
		assert.Equal(t, 1, diff, change)
		assert.True(t, json.Valid(out), change)
	}
	_, err := tamper("change one character of its title", []byte(`{"id":"x"}`))
	assert.Error(t, err)
}

func TestMalformedBodiesAreInvalidJSON(t *testing.T) {
	e := testEnv(t, nil)
	_, valid := workEvent(t, e)
	for _, kind := range malformedBodies() {
		b, err := malformed(kind, valid)
		require.NoError(t, err, kind)
		assert.False(t, json.Valid(b), kind)
	}
	_, err := malformed("fine", valid)
	assert.Error(t, err)
}

func TestPadToIsExact(t *testing.T) {
	e := testEnv(t, nil)
	ev, _ := workEvent(t, e)
	body, err := padTo(ev, 512<<10)
	require.NoError(t, err)
	assert.Len(t, body, 512<<10)
	assert.True(t, json.Valid(body))
	ev, _ = workEvent(t, e)
	_, err = padTo(ev, 10)
	assert.Error(t, err)
}

func TestSignatureVariantsAreWrong(t *testing.T) {
	for _, k := range []signature.KeyEncoding{signature.KeyRaw, signature.KeyBase64} {
		for _, enc := range []string{"hex", "base64"} {
			secret := testSecret
			if k == signature.KeyBase64 {
				secret = "c2VjcmV0LWtleS1ieXRlcw=="
			}
			e := testEnv(t, func(c *Config) { c.Secret, c.KeyEncoding, c.Encoding = secret, k, enc })
			v, err := signature.NewVerifier(secret, k)
			require.NoError(t, err)
			_, body := workEvent(t, e)
			require.True(t, v.Verify(body, e.signer.Sign(body)))
			for _, variant := range []string{
				"a random signature", "the signature of another body", "a random signature behind a sha256= prefix",
				"another secret", "the secret with its last character changed",
				"the correct signature without its last character", "the first half of the correct signature",
				"the first 8 characters of the correct signature",
			} {
				sig, err := e.signVariant(variant, body)
				require.NoError(t, err, variant)
				assert.NotEmpty(t, sig, variant)
				assert.False(t, v.Verify(body, sig), "%s/%s/%s", k, enc, variant)
			}
			_, err = e.signVariant("a lucky guess", body)
			assert.Error(t, err)
		}
	}
	assert.Equal(t, "s3cr3t-value-for-tesx", nearSecret("s3cr3t-value-for-test", signature.KeyRaw))
	assert.Equal(t, "abcdefgy", nearSecret("abcdefgx", signature.KeyRaw))
}

func TestEvidenceAndCurl(t *testing.T) {
	e := testEnv(t, func(c *Config) { c.Insecure = true })
	h := signedHeader("abc'def", false)
	x := &exchange{
		what: "a thing", method: http.MethodPost, header: h, body: []byte(`{"it's":"ok"}`),
		status: 401, respHeader: http.Header{"Content-Type": {"application/json"}},
		respBody: []byte(`{"error":"no"}`), latency: 12 * time.Millisecond,
	}
	ev := e.evidence(x, "scenario", "SIG-02")
	assert.Equal(t, "abc'def", ev.Request.Headers[signature.Header])
	assert.Equal(t, "application/json", ev.Request.Headers["Content-Type"])
	assert.Len(t, ev.Request.BodySHA256, 64)
	assert.Equal(t, `{"it's":"ok"}`, ev.Request.BodyPreview)
	assert.Equal(t, 401, ev.Response.Status)
	assert.Equal(t, int64(12), ev.Response.LatencyMS)
	assert.Equal(t, `curl -sS -i -k --max-time 3 -X POST 'http://127.0.0.1:9/hook' -H 'Content-Type: application/json' -H 'X-DevRev-Signature: abc'\''def' --data-binary '{"it'\''s":"ok"}'`, ev.Reproduce)

	big := &exchange{what: "big", method: http.MethodPost, header: h, body: bytes.Repeat([]byte("a"), 9000)}
	ev = e.evidence(big, "s", "ROB-02")
	assert.Len(t, ev.Request.BodyPreview, previewBytes)
	assert.Equal(t, 9000, ev.Request.BodyBytes)
	assert.Contains(t, ev.Reproduce, "--data-binary @body.json")
	assert.Contains(t, ev.Reproduce, "revhook check --url 'http://127.0.0.1:9/hook' --only ROB-02")
	assert.NotNil(t, ev.Response.Headers)

	get := &exchange{what: "get", method: http.MethodGet, header: http.Header{}}
	assert.NotContains(t, e.evidence(get, "s", "ROB-03").Reproduce, "--data-binary")
}

func TestPreviewCutsOnRuneBoundary(t *testing.T) {
	b := []byte(strings.Repeat("é", 400)) // 800 bytes
	p := preview(b)
	assert.LessOrEqual(t, len(p), previewBytes)
	assert.NotContains(t, p, "\uFFFD")
	assert.Equal(t, "ab\uFFFDc", preview([]byte("ab\xffc")))
}

func TestRedactWalksEverything(t *testing.T) {
	const secret = "p@ss/word with space"
	forms := secretForms(secret)
	assert.Contains(t, forms, url.QueryEscape(secret))
	rep := &report.Report{
		Target: report.Target{URL: "http://x/?s=" + url.QueryEscape(secret)},
		Requirements: []report.Requirement{{
			Reason: "leaked " + secret,
			Evidence: []report.Evidence{{
				Request:  report.Request{Headers: map[string]string{secret: secret}},
				Response: report.Response{BodyPreview: `{"s":"` + secret + `"}`},
			}},
			Scenarios: []report.Scenario{{Name: secret}},
		}},
	}
	redactValue(reflect.ValueOf(rep), forms)
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.NotContains(t, string(js), "ss/word")
	assert.NotContains(t, string(js), "word+with")
	assert.Equal(t, "leaked "+Redacted, rep.Requirements[0].Reason)
	assert.Equal(t, map[string]string{Redacted: Redacted}, rep.Requirements[0].Evidence[0].Request.Headers)
	assert.Equal(t, []byte("a "+Redacted+" b"), redactBytes([]byte("a "+secret+" b"), forms))
	assert.Nil(t, secretForms(""))
}

func TestIsHarnessFailure(t *testing.T) {
	assert.False(t, isHarnessFailure(nil))
	assert.False(t, isHarnessFailure(failf("receiver answered 500")))
	assert.True(t, isHarnessFailure(harnessf("broken")))
	assert.True(t, isHarnessFailure(assert.AnError))
}
