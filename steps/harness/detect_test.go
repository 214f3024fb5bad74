package harness

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/signature"
)

// keyedBase64Secret is a secret that is valid base64: its decoding can be
// the HMAC key.
var keyedBase64Secret = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123"))

// accepting answers 200 to a body signed in one of the ways, 401 otherwise.
func accepting(t *testing.T, secret string, ways ...way) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := r.Header.Get(signature.Header)
		for _, wy := range ways {
			key, err := signature.Key(secret, wy.key)
			require.NoError(t, err)
			if got == signature.Encode(hmacOf(key, body), wy.enc) {
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
	}
}

func status(code int, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "first line of the body\nsecond line")
	}
}

func detect(t *testing.T, url string, mod func(*Options)) *Harness {
	t.Helper()
	h := newHarness(t, url, func(o *Options) {
		o.Timeout = 2 * time.Second
		if mod != nil {
			mod(o)
		}
	})
	h.Detect(context.Background())
	return h
}

func TestDetect(t *testing.T) {
	hexRaw := way{signature.Hex, signature.KeyRaw}
	b64Raw := way{signature.Base64, signature.KeyRaw}
	hexKey := way{signature.Hex, signature.KeyBase64}
	b64Key := way{signature.Base64, signature.KeyBase64}
	for _, tc := range []struct {
		name         string
		secret       string
		handler      func(secret string) http.HandlerFunc
		opt          func(*Options)
		enc          signature.Encoding
		key          signature.KeyEncoding
		detected     bool
		undetermined bool
		summary      string
		noAcceptance []string // substrings; nil: accepted
	}{
		{name: "hex only", secret: testSecret, handler: func(s string) http.HandlerFunc { return accepting(t, s, hexRaw) },
			enc: signature.Hex, key: signature.KeyRaw, detected: true, summary: "hex signature, raw key (detected)"},
		{name: "base64 only", secret: testSecret, handler: func(s string) http.HandlerFunc { return accepting(t, s, b64Raw) },
			enc: signature.Base64, key: signature.KeyRaw, detected: true, summary: "base64 signature, raw key (detected)"},
		{name: "hex and base64: hex first", secret: testSecret, handler: func(s string) http.HandlerFunc { return accepting(t, s, b64Raw, hexRaw) },
			enc: signature.Hex, key: signature.KeyRaw, detected: true},
		{name: "hex keyed with the base64 decoding", secret: keyedBase64Secret, handler: func(s string) http.HandlerFunc { return accepting(t, s, hexKey) },
			enc: signature.Hex, key: signature.KeyBase64, detected: true, summary: "hex signature, base64 key (detected)"},
		{name: "base64 keyed with the base64 decoding", secret: keyedBase64Secret, handler: func(s string) http.HandlerFunc { return accepting(t, s, b64Key) },
			enc: signature.Base64, key: signature.KeyBase64, detected: true},
		{name: "accepts anything", secret: testSecret, handler: func(string) http.HandlerFunc { return status(200) },
			enc: signature.Hex, key: signature.KeyRaw, detected: true, undetermined: true,
			summary: "undetermined: the receiver also accepts a wrong signature"},
		{name: "refuses everything", secret: keyedBase64Secret, handler: func(string) http.HandlerFunc { return status(401) },
			enc: signature.Hex, key: signature.KeyRaw, summary: "hex signature, raw key",
			noAcceptance: []string{"refused a correctly signed event in every signing way tried",
				"a hex signature, a base64 signature, a hex signature keyed with the secret's base64 decoding, a base64 signature keyed with the secret's base64 decoding",
				"with 401 first line of the body", "--encoding hex|base64 and --key-encoding raw|base64"}},
		{name: "an explicit encoding is the only way tried", secret: testSecret, handler: func(s string) http.HandlerFunc { return accepting(t, s, hexRaw) },
			opt: func(o *Options) { o.Encoding = signature.Base64 }, enc: signature.Base64, key: signature.KeyRaw,
			noAcceptance: []string{"every signing way tried (a base64 signature) with 401"}},
		{name: "redirects", secret: testSecret, handler: func(string) http.HandlerFunc { return status(302, "Location", "https://hooks.example.com/final") },
			enc: signature.Hex, key: signature.KeyRaw,
			noAcceptance: []string{"the receiver redirects", "https://hooks.example.com/final", "DevRev does not follow redirects"}},
		{name: "a server error", secret: testSecret, handler: func(string) http.HandlerFunc { return status(500) },
			enc: signature.Hex, key: signature.KeyRaw,
			noAcceptance: []string{"the receiver answered 500 first line of the body second line to a correctly signed event (tried a hex signature, a base64 signature)"}},
		{name: "different answers", secret: testSecret, handler: func(s string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if len(r.Header.Get(signature.Header)) == 64 {
					w.WriteHeader(http.StatusInternalServerError)
					return
				}
				w.WriteHeader(http.StatusForbidden)
			}
		}, enc: signature.Hex, key: signature.KeyRaw,
			noAcceptance: []string{"the receiver accepted no correctly signed event: a hex signature: 500; a base64 signature: 403"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.handler(tc.secret))
			h := detect(t, srv.URL, func(o *Options) {
				o.Secret = tc.secret
				if tc.opt != nil {
					tc.opt(o)
				}
			})
			d := h.Detection
			assert.Empty(t, d.Unreachable)
			assert.Equal(t, tc.detected, d.Detected)
			assert.Equal(t, tc.undetermined, d.Undetermined)
			assert.Equal(t, tc.enc, h.Encoding())
			assert.Equal(t, tc.key, h.KeyEncoding())
			if tc.summary != "" {
				assert.Equal(t, tc.summary, d.Summary(h.Encoding(), h.KeyEncoding()))
			}
			if tc.noAcceptance == nil {
				assert.Empty(t, d.NoAcceptance)
			}
			for _, s := range tc.noAcceptance {
				assert.Contains(t, d.NoAcceptance, s)
			}
			assert.NotContains(t, d.NoAcceptance, "\n", "one line")
			require.NotEmpty(t, d.Probes)
			for _, p := range d.Probes {
				assert.True(t, p.Control)
				assert.NotNil(t, p.Body)
			}
			if tc.detected && !tc.undetermined {
				// The run signs the way the receiver accepted.
				body := []byte(`{"id":"x"}`)
				key, err := signature.Key(tc.secret, tc.key)
				require.NoError(t, err)
				assert.Equal(t, signature.Encode(hmacOf(key, body), tc.enc), h.Sign(body))
			}
		})
	}
}

func TestDetectUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	h := detect(t, "http://"+addr+"/hook", nil)
	assert.Contains(t, h.Detection.Unreachable, "receiver unreachable")
	assert.Contains(t, h.Detection.Unreachable, "connection refused at "+addr)
	assert.False(t, h.Detection.Detected)
	assert.Empty(t, h.Detection.Probes, "nothing sent")
}

func TestDetectTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(accepting(t, testSecret, way{signature.Hex, signature.KeyRaw}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// The refusal comes at the end of the handshake: keep a deadline the
	// handshake cannot exceed on a loaded machine.
	long := func(o *Options) { o.Timeout = 5 * time.Second }
	h := detect(t, srv.URL, long)
	assert.Contains(t, h.Detection.Unreachable, "certificate")
	assert.Contains(t, h.Detection.Unreachable, "pass --insecure to accept a self-signed certificate")
	assert.False(t, strings.Contains(h.Detection.Unreachable, "\n"))

	h = detect(t, srv.URL, func(o *Options) { long(o); o.Insecure = true })
	assert.Empty(t, h.Detection.Unreachable)
	assert.True(t, h.Detection.Detected)
}
