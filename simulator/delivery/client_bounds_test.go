package delivery

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawReceiver is a TCP receiver scripted byte by byte: for each connection
// it reads one request and calls answer, which writes what it likes. It
// returns the receiver's http:// URL.
func rawReceiver(t *testing.T, answer func(conn net.Conn, stop <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(stop)
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				go func() { <-stop; _ = conn.Close() }()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				answer(conn, stop)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// writeForever writes chunk until the client goes away or the test ends.
func writeForever(conn net.Conn, chunk []byte, stop <-chan struct{}) {
	for {
		if _, err := conn.Write(chunk); err != nil {
			return
		}
		select {
		case <-stop:
			return
		default:
		}
	}
}

// holdOpen keeps the connection open and silent until the test ends.
func holdOpen(_ net.Conn, stop <-chan struct{}) { <-stop }

// patientTimeout is the deadline of attempts expected to end before it:
// long, so that a loaded machine cannot turn their reason into a timeout.
const patientTimeout = 10 * time.Second

// TestResponseHeadersAreBounded: however a receiver inflates its headers —
// one 100 MB field, many small ones, a flood of 1xx responses — the attempt
// fails as soon as MaxResponseHeaderBytes were read, says so, and keeps
// memory small. Answers under the bound still get through. Cases whose
// reason is a timeout run with hostileTimeout, the others with
// patientTimeout.
func TestResponseHeadersAreBounded(t *testing.T) {
	fill := strings.Repeat("a", 32<<10)
	tests := []struct {
		name   string
		answer func(conn net.Conn, stop <-chan struct{})
		ok     bool
		reason string
	}{
		{"one 100 MB header", func(conn net.Conn, stop <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Big: ")
			for sent := 0; sent < 100<<20; sent += len(fill) {
				if _, err := io.WriteString(conn, fill); err != nil {
					return
				}
			}
		}, false, "response headers exceeded 64 KiB"},
		{"endless small headers", func(conn net.Conn, stop <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
			writeForever(conn, []byte("X-Small: 0123456789\r\n"), stop)
		}, false, "response headers exceeded 64 KiB"},
		{"1xx flood", func(conn net.Conn, stop <-chan struct{}) {
			writeForever(conn, []byte("HTTP/1.1 102 Processing\r\n\r\n"), stop)
		}, false, "response headers exceeded 64 KiB"},
		{"a few 1xx, then 200", func(conn net.Conn, _ <-chan struct{}) {
			_, _ = io.WriteString(conn, strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", 5)+
				"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}, true, ""},
		{"60 KiB of headers", func(conn net.Conn, _ <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("a", 60<<10)+"\r\nContent-Length: 0\r\n\r\n")
		}, true, ""},
		{"headers trickled", func(conn net.Conn, stop <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				if _, err := io.WriteString(conn, "X"); err != nil {
					return
				}
				select {
				case <-tick.C:
				case <-stop:
					return
				}
			}
		}, false, "timeout after 200ms: no response"},
		{"101 Switching Protocols, then silence", func(conn net.Conn, stop <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
			holdOpen(conn, stop)
		}, false, "101"},
		{"HTTP/1.0 without length, closed", func(conn net.Conn, _ <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.0 200 OK\r\n\r\nthe body")
		}, true, ""},
		{"HTTP/1.0 without length, never closed", func(conn net.Conn, stop <-chan struct{}) {
			_, _ = io.WriteString(conn, "HTTP/1.0 200 OK\r\n\r\nthe body")
			holdOpen(conn, stop)
		}, false, "timeout after 200ms: response body incomplete (8 bytes read)"},
	}
	quick, patient := NewClient(ClientOptions{Timeout: hostileTimeout}), NewClient(ClientOptions{Timeout: patientTimeout})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := rawReceiver(t, tt.answer)
			c, limit := patient, patientTimeout
			if strings.HasPrefix(tt.reason, "timeout") {
				c, limit = quick, bound
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			resp := c.Post(context.Background(), url, []byte(`{"id":"x"}`), nil)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("reason: %q, status %d (took %s, allocated %d KiB)", resp.Reason(), resp.Status, took, (after.TotalAlloc-before.TotalAlloc)>>10)
			assert.Equal(t, tt.ok, resp.OK())
			assert.Contains(t, resp.Reason(), tt.reason)
			if tt.reason == "response headers exceeded 64 KiB" {
				assert.ErrorIs(t, resp.Err, ErrResponseHeadersTooLarge)
				assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "memory stays small")
			}
			assert.Less(t, took, limit, "one bounded attempt")
		})
	}
}

// Over HTTP/2 the bound is the header list size the client advertises;
// HTTP/2 reports a violation as a connection error, which the reason names.
func TestResponseHeadersAreBoundedOverHTTP2(t *testing.T) {
	tests := []struct {
		name        string
		fields, len int
		reason      string
	}{
		{"one 1 MiB field", 1, 1 << 20, "response headers exceeded 64 KiB or were malformed (HTTP/2 COMPRESSION_ERROR)"},
		{"a thousand 1 KiB fields", 1000, 1 << 10, "response headers exceeded 64 KiB or were malformed (HTTP/2 PROTOCOL_ERROR)"},
		{"60 KiB", 1, 60 << 10, ""},
	}
	c := NewClient(ClientOptions{Timeout: patientTimeout, Insecure: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for i := range tt.fields {
					w.Header().Set(fmt.Sprint("X-Big-", i), strings.Repeat("a", tt.len))
				}
				w.WriteHeader(200)
			}))
			srv.EnableHTTP2 = true
			srv.StartTLS()
			t.Cleanup(srv.Close)
			start := time.Now()
			resp := c.Post(context.Background(), srv.URL, []byte(`{}`), nil)
			t.Logf("reason: %q (took %s)", resp.Reason(), time.Since(start))
			assert.Equal(t, tt.reason, resp.Reason())
			assert.Equal(t, tt.reason == "", resp.OK())
		})
	}
}

// A TLS receiver that accepts the connection and never answers the
// handshake costs one deadline.
func TestTLSHandshakeIsBounded(t *testing.T) {
	url := rawReceiverTCP(t)
	start := time.Now()
	resp := NewClient(ClientOptions{Timeout: hostileTimeout}).Post(context.Background(), "https://"+url+"/", []byte(`{}`), nil)
	t.Logf("reason: %q", resp.Reason())
	assert.Contains(t, resp.Reason(), "timeout after 200ms")
	assert.Less(t, time.Since(start), bound)
}

// rawReceiverTCP accepts connections and never writes; it returns host:port.
func rawReceiverTCP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}
