package harness

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/signature"
)

const testSecret = "s3cr3t-value-for-tests"

// epoch is the fake clock's time: every timestamp of a test harness.
var epoch = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

// newHarness returns a harness for rawURL signing hex with the raw key, on
// a fake clock, with mod applied to its options first.
func newHarness(t *testing.T, rawURL string, mod func(*Options)) *Harness {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	o := Options{URL: u, Secret: testSecret, Timeout: 3 * time.Second, Seed: 42, Clock: clock.NewFake(epoch)}
	if mod != nil {
		mod(&o)
	}
	h, err := New(o)
	require.NoError(t, err)
	return h
}

// offline is a harness whose URL nothing listens on (for tests that send nothing).
func offline(t *testing.T) *Harness { return newHarness(t, "http://127.0.0.1:9/hook", nil) }

func serve(t *testing.T, f http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

// hmacOf is HMAC-SHA256 of body with key.
func hmacOf(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// decodeJSON decodes b keeping numbers as written.
func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v), "%s", b)
	return v
}

var (
	idValue        = regexp.MustCompile(`"id":"[^"]*:webhook_event/[^"]*"`)
	timestampValue = regexp.MustCompile(`"timestamp":"[^"]*"`)
)

// withoutID replaces the event id's value.
func withoutID(b []byte) []byte { return idValue.ReplaceAll(b, []byte(`"id":"ID"`)) }

// withoutTimestamp replaces the timestamp's value.
func withoutTimestamp(b []byte) []byte {
	return timestampValue.ReplaceAll(b, []byte(`"timestamp":"TS"`))
}

// diffBytes counts the positions where a and b (of one length) differ.
func diffBytes(a, b []byte) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// sigOf returns the X-DevRev-Signature of a request header, written with
// DevRev's capitalisation (not Go's canonical one), "" if absent.
func sigOf(h http.Header) string {
	if v := h[signature.Header]; len(v) > 0 {
		return v[0]
	}
	return ""
}
