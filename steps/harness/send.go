package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/signature"
)

// Bounds on what the harness reads from a receiver.
const (
	// MaxResponseBytes bounds every response body read; the rest is not read.
	MaxResponseBytes = 64 << 10
	// MaxResponseHeaderBytes bounds every response's headers.
	MaxResponseHeaderBytes = 64 << 10
)

// UserAgent is the User-Agent of every request.
const UserAgent = "revhook (DevRev webhook simulator)"

// client returns the HTTP client of every request: no proxy, no redirects
// followed, no keep-alive (no connection is shared between scenarios or
// requests: a receiver that closes a connection after an error cannot make
// the next scenario fail), bounded headers.
func (h *Harness) client() *http.Client {
	tr := &http.Transport{
		Proxy:                  nil,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
	if h.opt.Deadlines == clock.Real() {
		// On another clock the context's deadline (h.deadline) bounds the
		// dial and the handshake too.
		tr.TLSHandshakeTimeout = h.opt.Timeout
		tr.DialContext = (&net.Dialer{Timeout: h.opt.Timeout}).DialContext
	}
	if h.opt.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure, opt-in
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Request is one request to make.
type Request struct {
	What    string
	Method  string // POST when empty
	Header  http.Header
	Body    []byte
	Control bool
	Recipe  Recipe
	// FirstAnswer judges the request on its first answer: a 429 is not
	// retried (ACK-02's burst, whose subject is taking the load at once).
	FirstAnswer bool
}

// SignedHeader returns the delivery header with sig as X-DevRev-Signature
// (DevRev's capitalisation); no signature header when omit.
func SignedHeader(sig string, omit bool) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if !omit {
		h[signature.Header] = []string{sig}
	}
	return h
}

// Send makes r, records it in sc (sent: it becomes "it") and returns it.
func (h *Harness) Send(ctx context.Context, sc *Scenario, r Request, sent bool) *Exchange {
	h.gate.RLock() // before the deadline starts: waiting for a burst is not the receiver's time
	defer h.gate.RUnlock()
	return h.send(ctx, sc, r, sent)
}

// send is Send for a caller that holds the gate.
func (h *Harness) send(ctx context.Context, sc *Scenario, r Request, sent bool) *Exchange {
	x := h.patiently(ctx, r)
	sc.Record(x, sent)
	return x
}

// Back-pressure: a receiver may answer 429 Too Many Requests (or 503 with
// a Retry-After) to say "later", and DevRev retries such an answer; so does
// the harness, the same bytes after the Retry-After asked for (1 s when
// absent), when that is at most MaxRetryAfter, up to BackoffTries times. A
// rate limit is then judged by ACK-02's burst alone, which takes first
// answers, instead of blocking every scenario whose request it delayed.
const (
	MaxRetryAfter = 5 * time.Second
	BackoffTries  = 3
)

// patiently makes r, again while the receiver asks for it later (within
// the bounds above); the exchange is the last one, with the waits.
func (h *Harness) patiently(ctx context.Context, r Request) *Exchange {
	x := h.do(ctx, r)
	for tries := 0; !r.FirstAnswer && tries < BackoffTries; tries++ {
		wait, ok := x.retryAfter(h.opt.Clock.Now())
		if !ok {
			break
		}
		if wait > MaxRetryAfter {
			x.Throttle = fmt.Sprintf("rate limited: it asks for a retry after %s, longer than the check waits (%s); raise its limit while checking", seconds(wait), seconds(MaxRetryAfter))
			break
		}
		if clock.Sleep(ctx, h.opt.Clock, wait) != nil {
			break
		}
		waited := append(x.Waited, wait)
		x = h.do(ctx, r)
		x.Waited = waited
	}
	if _, again := x.retryAfter(h.opt.Clock.Now()); again && len(x.Waited) > 0 && x.Throttle == "" {
		x.Throttle = fmt.Sprintf("rate limited: still so after %d retries, as DevRev would make them", len(x.Waited))
	}
	return x
}

// do makes the request: the deadline plus the grace bound the whole exchange.
func (h *Harness) do(ctx context.Context, r Request) *Exchange {
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	x := &Exchange{What: r.What, Control: r.Control, Method: r.Method, Header: r.Header, Body: r.Body, Recipe: r.Recipe}
	limit := h.opt.Timeout + h.opt.Grace
	ctx, cancel := h.deadline(ctx, limit)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, h.URL(), body)
	if err != nil {
		x.Err = fmt.Errorf("building the request: %w", err)
		return x
	}
	for k, v := range h.opt.Header {
		req.Header[k] = v
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", UserAgent)
	var ph phases
	req = req.WithContext(httptrace.WithClientTrace(ctx, ph.trace()))
	h.requests.Add(1)
	start, began := h.opt.Deadlines.Now(), time.Now() // the receiver's time, and the silence bookkeeping's
	resp, err := h.client().Do(req)
	if err == nil {
		x.Status, x.RespHeader = resp.StatusCode, resp.Header
		x.RespBody, x.Truncated, err = readBounded(resp.Body)
		resp.Body.Close()
		ph.status = resp.StatusCode
		ph.bodyBytes = len(x.RespBody)
	}
	x.Latency = h.opt.Deadlines.Now().Sub(start)
	if err != nil {
		x.Err = h.describe(ctx, err, limit, &ph)
		for s := began.UnixNano(); ; { // the latest unanswered request's start
			if old := h.silentSince.Load(); old >= s || h.silentSince.CompareAndSwap(old, s) {
				break
			}
		}
		if h.lastAnswer.Load() < time.Now().Add(-h.opt.Timeout).UnixNano() {
			// Nothing at all was answered for a whole deadline while this
			// request waited: the receiver stalls, and waves of scenarios
			// would each wait out the deadline. A receiver that is slow
			// but answers keeps the concurrency it can take.
			h.slots.widen()
		}
		return x
	}
	h.answers.Add(1)
	h.lastAnswer.Store(time.Now().UnixNano())
	x.Late = x.Latency > h.opt.Timeout
	return x
}

// deadline bounds ctx by d on Options.Deadlines, the clock the receiver's
// time is measured on.
func (h *Harness) deadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if h.opt.Deadlines == clock.Real() {
		return context.WithTimeout(ctx, d)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	t := h.opt.Deadlines.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// readBounded reads a response body up to MaxResponseBytes; truncated
// reports that more followed (it is not read).
func readBounded(r io.Reader) (body []byte, truncated bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if len(body) > MaxResponseBytes {
		return body[:MaxResponseBytes], true, nil
	}
	return body, false, err
}

// phases is how far an answer got before it failed: the first byte, the
// 1xx informational answers, the final status and the body bytes read.
type phases struct {
	firstByte     atomic.Bool
	informational atomic.Int32
	status        int // 0: no final answer's head
	bodyBytes     int
}

// trace records the phases of one request.
func (p *phases) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotFirstResponseByte: func() { p.firstByte.Store(true) },
		Got1xxResponse: func(int, textproto.MIMEHeader) error {
			p.informational.Add(1)
			return nil
		},
	}
}

// timeout says how far the answer got when the time ran out.
func (p *phases) timeout(within string) error {
	switch {
	case p == nil || !p.firstByte.Load():
		return fmt.Errorf("timeout: no answer within %s", within)
	case p.status != 0:
		return fmt.Errorf("timeout: the %d answer's body stopped after %d bytes and did not end within %s", p.status, p.bodyBytes, within)
	case p.informational.Load() > 0:
		return fmt.Errorf("timeout: only 1xx informational answers (%d) and no final answer within %s", p.informational.Load(), within)
	}
	return fmt.Errorf("timeout: the answer began but its status line and headers were not complete within %s (a trickle)", within)
}

// describe turns a transport error into a one-line reason naming what the
// receiver did, with a hint where one helps; ph (nil for none) says how
// far the answer got.
func (h *Harness) describe(ctx context.Context, err error, limit time.Duration, ph *phases) error {
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var nerr net.Error
	msg := err.Error()
	switch {
	case strings.Contains(msg, "TLS handshake timeout"):
		return h.handshakeTimeout()
	case errors.Is(context.Cause(ctx), context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()):
		return ph.timeout(fmt.Sprintf("%s (the %s deadline and %s of grace)", seconds(limit), seconds(h.opt.Timeout), seconds(h.opt.Grace)))
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("interrupted before an answer")
	case errors.As(err, &cert) || errors.As(err, &unknown) || errors.As(err, &hostname):
		return fmt.Errorf("TLS: the receiver's certificate is not trusted (%v); pass --insecure to accept a self-signed certificate", rootCause(err))
	case strings.Contains(msg, "server response headers exceeded"):
		return fmt.Errorf("the response headers exceeded %d KiB", MaxResponseHeaderBytes>>10)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused")
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("connection reset by the receiver")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the receiver closed the connection without a complete answer")
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return fmt.Errorf("TLS: the receiver does not speak TLS on this port: is it http:// rather than https://?")
	case strings.Contains(msg, "tls:") || strings.Contains(msg, "TLS"):
		return fmt.Errorf("TLS: %v", rootCause(err))
	}
	return rootCause(err)
}

// handshakeTimeout is the reason for a TLS handshake that never ended.
func (h *Harness) handshakeTimeout() error {
	return fmt.Errorf("TLS handshake not complete within %s: the receiver accepted the connection but never finished the handshake", seconds(h.opt.Timeout))
}

// rootCause strips net/http's "Post \"url\": " wrapping.
func rootCause(err error) error {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err
	}
	return err
}

// SendCut writes a POST of body over a fresh raw connection, stops after
// the first n body bytes and closes the connection without reading an
// answer: a sender whose connection broke (n < len(body)) or that gave up
// waiting (n == len(body)). Every step is bounded by the deadline.
func (h *Harness) SendCut(ctx context.Context, body []byte, hdr http.Header, n int) error {
	h.gate.RLock()
	defer h.gate.RUnlock()
	ctx, cancel := h.deadline(ctx, h.opt.Timeout)
	defer cancel()
	conn, err := h.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	u := h.opt.URL
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\nUser-Agent: %s\r\n", u.RequestURI(), u.Host, len(body), UserAgent)
	all := http.Header{}
	for k, v := range h.opt.Header {
		all[k] = v
	}
	for k, v := range hdr {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range all[k] {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n")
	req.Write(body[:min(n, len(body))])
	h.requests.Add(1)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// Connect opens a connection to the receiver, TLS included for https,
// bounded by ctx; its deadline applies to the connection.
func (h *Harness) Connect(ctx context.Context) (net.Conn, error) {
	u := h.opt.URL
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
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("connection refused at %s", net.JoinHostPort(u.Hostname(), port))
		}
		return nil, fmt.Errorf("connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// On a clock other than the real one ctx has no deadline to copy: its
	// end aborts the connection's pending reads and writes instead.
	context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	if u.Scheme != "https" {
		return conn, nil
	}
	tc := tls.Client(conn, &tls.Config{
		ServerName:         u.Hostname(),
		InsecureSkipVerify: h.opt.Insecure, //nolint:gosec // --insecure, opt-in
		NextProtos:         []string{"http/1.1"},
	})
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		var nerr net.Error // the connection's deadline is ctx's: either may end it first
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
			return nil, h.handshakeTimeout()
		}
		return nil, h.describe(ctx, err, h.opt.Timeout, nil)
	}
	return tc, nil
}

// RawNote describes a deliberately cut attempt for the evidence.
func RawNote(n, total int, started time.Time) string {
	if n < total {
		return fmt.Sprintf("the harness closed the connection after %d of %d body bytes (a connection broken mid-body)", n, total)
	}
	return fmt.Sprintf("the harness wrote the whole request (%d body bytes) and closed the connection without waiting for the answer (a sender that gave up), after %s", total, time.Since(started).Round(time.Millisecond))
}
