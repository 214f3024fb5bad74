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
	ctx, cancel := context.WithTimeout(ctx, e.s.Timeout)
	defer cancel()
	u := e.s.target
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		} else {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if u.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{
			ServerName:         u.Hostname(),
			InsecureSkipVerify: e.s.Insecure, //nolint:gosec // --insecure, opt-in
			NextProtos:         []string{"http/1.1"},
		})
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
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

// rawNote describes a deliberately cut attempt for the evidence.
func rawNote(n, total int, started time.Time) string {
	if n < total {
		return fmt.Sprintf("the harness closed the connection after %d of %d body bytes (a connection broken mid-body)", n, total)
	}
	return fmt.Sprintf("the harness wrote the whole request (%d body bytes) and closed the connection without waiting for the answer (a sender that gave up), after %s", total, time.Since(started).Round(time.Millisecond))
}
