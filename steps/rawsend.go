package steps

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sort"
	"time"
)

// sendCut writes a POST of body over a fresh raw TCP (or TLS) connection,
// stops after the first n body bytes, and closes the connection without
// reading an answer: a sender whose connection broke (n < len(body)) or
// that gave up waiting (n == len(body)). Every step is bounded by the
// run's timeout.
func (e *env) sendCut(ctx context.Context, body []byte, h http.Header, n int) error {
	e.gate.RLock()
	defer e.gate.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, e.s.Timeout)
	defer cancel()
	conn, err := e.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	u := e.s.target
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", u.RequestURI(), u.Host, len(body))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n")
	req.Write(body[:min(n, len(body))])
	if _, err := conn.Write(req.Bytes()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// connect opens a connection to the receiver, TLS included for https,
// bounded by ctx; its deadline applies to the connection.
func (e *env) connect(ctx context.Context) (net.Conn, error) {
	u := e.s.target
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if u.Scheme != "https" {
		return conn, nil
	}
	tc := tls.Client(conn, &tls.Config{
		ServerName:         u.Hostname(),
		InsecureSkipVerify: e.s.Insecure, //nolint:gosec // --insecure, opt-in
		NextProtos:         []string{"http/1.1"},
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// rawNote describes a deliberately cut attempt for the evidence.
func rawNote(n, total int, started time.Time) string {
	if n < total {
		return fmt.Sprintf("the harness closed the connection after %d of %d body bytes (a connection broken mid-body)", n, total)
	}
	return fmt.Sprintf("the harness wrote the whole request (%d body bytes) and closed the connection without waiting for the answer (a sender that gave up), after %s", total, time.Since(started).Round(time.Millisecond))
}
