package delivery

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileTimeout is the per-attempt deadline in the hostile-receiver tests:
// small, so the suite stays fast, and the bound every attempt must respect.
const hostileTimeout = 200 * time.Millisecond

// bound is how long a hostile attempt may take at most: its deadline plus
// scheduling slack on a loaded CI machine.
const bound = hostileTimeout + 2*time.Second

// trickleTimeout is the deadline of the trickling receiver's case: long
// enough that its flushed headers arrive first even on a loaded machine.
const trickleTimeout = 2 * time.Second

// newServer starts h on loopback and makes sure blocked handlers are
// released before the server closes.
func newServer(t *testing.T, h func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, stop) }))
	t.Cleanup(func() {
		close(stop)
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

func TestPostSendsJSONAndHeaders(t *testing.T) {
	type seen struct {
		method string
		header http.Header
		body   []byte
	}
	seenc := make(chan seen, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		body, _ := io.ReadAll(r.Body)
		seenc <- seen{r.Method, r.Header, body}
		w.Header().Set("X-Answer", "yes")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	c := NewClient(ClientOptions{UserAgent: "test-agent"})
	resp := c.Post(context.Background(), srv.URL, []byte(`{"a":1}`), http.Header{"X-Devrev-Signature": {"abc"}, "content-type": {"text/plain"}})
	require.NoError(t, resp.Err)
	assert.True(t, resp.OK())
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, "yes", resp.Header.Get("X-Answer"))
	assert.Equal(t, `{"ok":true}`, string(resp.Body))
	assert.Positive(t, resp.Latency)
	got := <-seenc
	assert.Equal(t, http.MethodPost, got.method)
	assert.Equal(t, []string{"application/json"}, got.header.Values("Content-Type"))
	assert.Equal(t, "test-agent", got.header.Get("User-Agent"))
	assert.Equal(t, "abc", got.header.Get("X-DevRev-Signature"))
	assert.Equal(t, `{"a":1}`, string(got.body))
	assert.Empty(t, resp.Reason())
}

func TestClientDefaults(t *testing.T) {
	o := NewClient(ClientOptions{}).Options()
	assert.Equal(t, 3*time.Second, o.Timeout)
	assert.Equal(t, int64(64<<10), o.MaxResponseBytes)
	assert.Equal(t, DefaultUserAgent, o.UserAgent)
	assert.GreaterOrEqual(t, o.MaxConnsPerHost, DefaultConcurrency)
}

func TestPostIgnoresProxyEnvironment(t *testing.T) {
	// A proxy that would answer 407 to everything: the client must not use it.
	proxy := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		w.WriteHeader(http.StatusProxyAuthRequired)
	})
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	t.Setenv("NO_PROXY", "")
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {})
	// Use a non-loopback-looking name for the same address would need DNS;
	// net/http never proxies loopback, so check the transport directly too.
	resp := NewClient(ClientOptions{}).Post(context.Background(), srv.URL, nil, nil)
	assert.True(t, resp.OK(), resp.Reason())
	tr := NewClient(ClientOptions{}).tr
	assert.Nil(t, tr.Proxy, "the proxy function must be nil, not ProxyFromEnvironment")
}

func TestStatusOutcomes(t *testing.T) {
	tests := []struct {
		status int
		ok     bool
		reason string
	}{
		{200, true, ""},
		{201, true, ""},
		{202, true, ""},
		{204, true, ""},
		{299, true, ""},
		{301, false, "redirect (HTTP 301) to /elsewhere not followed"},
		{302, false, "redirect (HTTP 302) to /elsewhere not followed"},
		{304, false, "redirect (HTTP 304) to /elsewhere not followed"},
		{307, false, "redirect (HTTP 307) to /elsewhere not followed"},
		{400, false, "HTTP 400 is not 2xx"},
		{401, false, "HTTP 401 is not 2xx"},
		{409, false, "HTTP 409 is not 2xx"},
		{500, false, "HTTP 500 is not 2xx"},
		{503, false, "HTTP 503 is not 2xx"},
	}
	c := NewClient(ClientOptions{Timeout: hostileTimeout})
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				hits.Add(1)
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(tt.status)
			})
			resp := c.Post(context.Background(), srv.URL, []byte(`{}`), nil)
			assert.Equal(t, tt.status, resp.Status)
			assert.Equal(t, tt.ok, resp.OK())
			assert.Equal(t, tt.reason, resp.Reason())
			assert.Equal(t, int32(1), hits.Load(), "exactly one request; redirects are not followed")
		})
	}
}

// TestHostileReceivers proves that each kind of hostile receiver costs one
// bounded attempt, recorded as failed with a clear reason.
func TestHostileReceivers(t *testing.T) {
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})
		reason  string
		status  int
		is      error
		timeout time.Duration // the client's deadline when not hostileTimeout
	}{
		{
			name: "hangs without answering",
			handler: func(_ http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
				select {
				case <-r.Context().Done():
				case <-stop:
				}
			},
			reason: "timeout after 200ms: no response",
			is:     context.DeadlineExceeded,
		},
		{
			name: "answers headers then hangs",
			handler: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-stop:
				}
			},
			reason: "timeout after 200ms: response body incomplete (0 bytes read)",
			status: 200,
		},
		{
			name: "trickles bytes",
			handler: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
				w.WriteHeader(200)
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					if _, err := w.Write([]byte("x")); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-tick.C:
					case <-r.Context().Done():
						return
					case <-stop:
						return
					}
				}
			},
			// Its own deadline: the headers are flushed at once, but under
			// load 200 ms could pass before they arrive, and the reason
			// would then be "no response" — not what this case is about.
			reason:  "timeout after 2s: response body incomplete (",
			status:  200,
			timeout: trickleTimeout,
		},
		{
			name: "returns a 1 GiB body",
			handler: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
				w.Header().Set("Content-Length", "1073741824")
				w.WriteHeader(200)
				chunk := make([]byte, 32<<10)
				for sent := 0; sent < 1<<30; sent += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			},
			reason: "response body exceeds 64 KiB",
			status: 200,
			is:     ErrResponseTooLarge,
		},
		{
			name: "returns a chunked body just over the bound",
			handler: func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
				w.WriteHeader(200)
				_, _ = w.Write(make([]byte, 64<<10))
				w.(http.Flusher).Flush()
				_, _ = w.Write([]byte("!"))
			},
			reason: "response body exceeds 64 KiB",
			status: 200,
		},
		{
			name: "resets the connection",
			handler: func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST instead of FIN
				}
				_ = conn.Close()
			},
			reason: "connection",
		},
		{
			name: "closes mid-response",
			handler: func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
				_ = buf.Flush()
				_ = conn.Close()
			},
			reason: "connection closed by receiver: response body incomplete (7 bytes read)",
			status: 200,
		},
		{
			name: "redirects in a loop",
			handler: func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
				http.Redirect(w, r, r.URL.Path, http.StatusFound)
			},
			reason: "redirect (HTTP 302) to / not followed",
			status: 302,
		},
	}
	// Cases whose reason is not a timeout get a deadline a loaded machine
	// cannot reach, so their reason never turns into one.
	quick, patient := NewClient(ClientOptions{Timeout: hostileTimeout}), NewClient(ClientOptions{Timeout: patientTimeout})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			c, limit := patient, patientTimeout
			switch {
			case tt.timeout != 0:
				c, limit = NewClient(ClientOptions{Timeout: tt.timeout}), tt.timeout+2*time.Second
			case strings.HasPrefix(tt.reason, "timeout"):
				c, limit = quick, bound
			}
			start := time.Now()
			resp := c.Post(context.Background(), srv.URL+"/", []byte(`{"id":"x"}`), nil)
			took := time.Since(start)
			t.Logf("reason: %s (took %s)", resp.Reason(), took)
			assert.False(t, resp.OK())
			assert.Equal(t, tt.status, resp.Status)
			assert.Contains(t, resp.Reason(), tt.reason)
			if tt.is != nil {
				assert.ErrorIs(t, resp.Err, tt.is)
			}
			assert.LessOrEqual(t, int64(len(resp.Body)), int64(64<<10), "never more than the bound is kept")
			assert.Less(t, took, limit, "one bounded attempt")
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	resp := NewClient(ClientOptions{Timeout: hostileTimeout}).Post(context.Background(), "http://"+addr+"/", nil, nil)
	assert.False(t, resp.OK())
	assert.Contains(t, resp.Reason(), "connection refused")
}

func TestConnectTimeoutCoversSlowAccept(t *testing.T) {
	// A listener that never answers the HTTP exchange: the TCP handshake
	// completes (kernel backlog) but nothing is read or written.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	start := time.Now()
	resp := NewClient(ClientOptions{Timeout: hostileTimeout}).Post(context.Background(), "http://"+ln.Addr().String()+"/", []byte("{}"), nil)
	assert.Contains(t, resp.Reason(), "timeout")
	assert.Less(t, time.Since(start), bound)
}

func TestPostCancelled(t *testing.T) {
	srv := newServer(t, func(_ http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp := NewClient(ClientOptions{}).Post(ctx, srv.URL, nil, nil)
	assert.False(t, resp.OK())
	assert.True(t, strings.HasPrefix(resp.Reason(), "aborted"), resp.Reason())
}

func TestBadURL(t *testing.T) {
	resp := NewClient(ClientOptions{}).Post(context.Background(), "http://[::1", nil, nil)
	assert.False(t, resp.OK())
	assert.Contains(t, resp.Reason(), "bad request")
}

func TestConnectionsAreReused(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := NewClient(ClientOptions{})
	for i := 0; i < 20; i++ {
		require.True(t, c.Post(context.Background(), srv.URL, []byte(`{}`), nil).OK())
	}
	assert.Equal(t, int32(1), conns.Load(), "sequential posts share one keep-alive connection")
}

func TestFormatBytes(t *testing.T) {
	for in, want := range map[int64]string{512: "512 bytes", 1024: "1 KiB", 64 << 10: "64 KiB", 1 << 20: "1 MiB", 1500: "1500 bytes"} {
		assert.Equal(t, want, formatBytes(in))
	}
}
