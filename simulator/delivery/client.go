package delivery

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for ClientOptions fields left zero.
const (
	// DefaultTimeout is DevRev's response deadline (docs/protocol.md §1.2).
	DefaultTimeout = 3 * time.Second
	// DefaultMaxResponseBytes bounds how much of a response body is read.
	DefaultMaxResponseBytes = 64 << 10
	// MaxResponseHeaderBytes bounds the response's status line and header
	// fields, 1xx informational responses before it included (HTTP/1), or
	// its header list (HTTP/2). A receiver sending more fails the attempt
	// with "response headers exceeded 64 KiB" once that much was read,
	// instead of Go's default of 10 MB buffered per request.
	MaxResponseHeaderBytes = 64 << 10
	// DefaultMaxConnsPerHost is how many idle connections per host are kept
	// for reuse; it must be at least the engine's concurrency.
	DefaultMaxConnsPerHost = 256
	// writeBufferSize is each connection's write buffer: the largest
	// catalogue event (work_updated, up to ~10.3 KB) and its header fit,
	// at 16 KiB per connection in use.
	writeBufferSize = 16 << 10
	// DefaultUserAgent is sent when ClientOptions.UserAgent is empty.
	DefaultUserAgent = "revhook (DevRev webhook simulator)"
)

// ErrResponseTooLarge is the reason of an attempt whose response body was
// larger than ClientOptions.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response body too large")

// ErrResponseHeadersTooLarge is the reason of an attempt whose response
// headers exceeded MaxResponseHeaderBytes.
var ErrResponseHeadersTooLarge = errors.New("response headers too large")

// ClientOptions configures a Client.
type ClientOptions struct {
	// Timeout is the per-attempt deadline. It covers connecting, sending,
	// the response headers and reading the (bounded) body. Default 3 s.
	Timeout time.Duration
	// MaxResponseBytes bounds the response body read; a larger body fails
	// the attempt and is never buffered. Default 64 KiB.
	MaxResponseBytes int64
	// Insecure accepts any TLS certificate (self-signed development receivers).
	Insecure bool
	// UserAgent is the User-Agent header; DefaultUserAgent when empty.
	UserAgent string
	// MaxConnsPerHost is the number of idle keep-alive connections kept per
	// receiver; default 256. Keep it at least the engine's Concurrency.
	MaxConnsPerHost int
}

// Client posts webhook deliveries the way DevRev does: no redirects followed,
// no proxy from the environment, a deadline over the whole exchange and a
// bounded response read. It is safe for concurrent use and reuses connections.
//
// It calls its transport directly rather than through an http.Client: there
// is no redirect to follow (a 3xx is the answer), no cookie jar and no
// client timeout (the request's context is the deadline), and http.Client
// would copy every request's header in case of a redirect.
type Client struct {
	opts ClientOptions
	tr   *http.Transport
	bufs sync.Pool // *bytes.Buffer scratch space for response bodies
}

// NewClient returns a client configured by o, with defaults for zero fields.
func NewClient(o ClientOptions) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               nil, // never from the environment: receivers are addressed directly
		DialContext:         dialer.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        o.MaxConnsPerHost * 2,
		MaxIdleConnsPerHost: o.MaxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: o.Timeout,
		// No ResponseHeaderTimeout: the request's context ends the whole
		// exchange after Timeout, so a second timer per request would
		// never fire first.
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
		ExpectContinueTimeout:  time.Second,
		// The request line, header and body of any catalogue event leave in one
		// write: with net/http's default 4 KiB buffer, a body that does not
		// fit with the header went out in a second write(2), and the
		// receiver woke up twice.
		WriteBufferSize: writeBufferSize,
		// Receivers get the bytes exactly as signed; responses are read raw
		// so that the size bound applies to what crosses the wire.
		DisableCompression: true,
	}
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in for development receivers
	}
	c := &Client{opts: o, tr: tr}
	c.bufs.New = func() any { return new(bytes.Buffer) }
	return c
}

// Options returns the client's effective options (defaults filled in).
func (c *Client) Options() ClientOptions { return c.opts }

// CloseIdleConnections closes keep-alive connections not in use.
func (c *Client) CloseIdleConnections() { c.tr.CloseIdleConnections() }

// Response is what one POST observed.
type Response struct {
	// Status is the HTTP status code; 0 when no response arrived.
	Status int
	// Header is the response header (nil when no response arrived).
	Header http.Header
	// Body is the response body, at most MaxResponseBytes of it.
	Body []byte
	// Latency is the time from sending to the end of the body read.
	Latency time.Duration
	// Err is why no complete, bounded response was obtained: timeout,
	// connection error, reset, body over the bound. Nil for any HTTP answer
	// that was read completely, whatever its status.
	Err error
}

// OK reports whether the delivery succeeded: a complete 2xx response.
func (r Response) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status <= 299 }

// Reason is a one-line explanation of a failed response ("" when OK):
// the error, a redirect that was not followed, or the non-2xx status.
func (r Response) Reason() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.plainStatusFailure():
		return statusReason(r.Status)
	case r.Status >= 300 && r.Status <= 399:
		loc := r.Header.Get("Location")
		if loc == "" {
			return fmt.Sprintf("redirect (HTTP %d) not followed", r.Status)
		}
		return fmt.Sprintf("redirect (HTTP %d) to %s not followed", r.Status, loc)
	}
	return ""
}

// plainStatusFailure reports a complete answer whose only fault is a
// non-2xx, non-redirect status: its Reason is statusReason(Status).
func (r Response) plainStatusFailure() bool {
	return r.Err == nil && (r.Status < 200 || r.Status > 399)
}

// statusReason is the Reason of a plain non-2xx answer.
func statusReason(status int) string { return fmt.Sprintf("HTTP %d is not 2xx", status) }

// Post sends body to url with Content-Type: application/json, the given
// header fields and the client's User-Agent. It never returns before the
// response is complete or the deadline passed, and never reads more than
// MaxResponseBytes+1 bytes of the response body.
func (c *Client) Post(ctx context.Context, url string, body []byte, header http.Header) Response {
	return c.post(ctx, url, body, func(req *http.Request) {
		if header != nil {
			req.Header = header.Clone()
		}
		for k := range req.Header {
			if strings.EqualFold(k, "Content-Type") { // "content-type" would be sent too
				delete(req.Header, k)
			}
		}
		req.Header.Set("Content-Type", "application/json")
		if req.Header.Get("User-Agent") == "" {
			req.Header.Set("User-Agent", c.opts.UserAgent)
		}
	})
}

// postPrepared is Post for a header the engine built once per job: it is
// shared read-only between attempts and must already hold Content-Type and
// User-Agent.
func (c *Client) postPrepared(ctx context.Context, url string, body []byte, header http.Header) Response {
	return c.post(ctx, url, body, func(req *http.Request) { req.Header = header })
}

// post makes the bounded POST of Post and postPrepared; setHeader gives the
// request its header.
func (c *Client) post(ctx context.Context, url string, body []byte, setHeader func(req *http.Request)) Response {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Response{Err: reason(err, "bad request: %v", err)}
	}
	setHeader(req)
	return c.do(ctx, req, start)
}

// do sends req and reads its bounded response; ctx carries the deadline.
func (c *Client) do(ctx context.Context, req *http.Request, start time.Time) Response {
	// DevRev does not follow redirects: a 3xx is the answer, and a failure.
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		return Response{Latency: time.Since(start), Err: c.describe(ctx, err, "no response")}
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode < 200 {
		// A 1xx here is a final 101 Switching Protocols: what follows is
		// another protocol, not a body, and its reader would not heed ctx.
		resp.Body.Close()
		out.Latency = time.Since(start)
		return out
	}
	n, body, err := c.readBody(resp.Body)
	out.Latency = time.Since(start)
	switch {
	case err != nil:
		out.Err = c.describe(ctx, err, fmt.Sprintf("response body incomplete (%d bytes read)", n))
	case n > c.opts.MaxResponseBytes:
		out.Err = reason(ErrResponseTooLarge, "response body exceeds %s", formatBytes(c.opts.MaxResponseBytes))
	}
	out.Body = body
	return out
}

// readBody reads at most MaxResponseBytes+1 bytes of body, closes it and
// returns how many bytes it read and the first MaxResponseBytes of them.
// The transport ends the read when the request's context ends.
func (c *Client) readBody(body io.ReadCloser) (n int64, kept []byte, err error) {
	buf := c.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	n, err = buf.ReadFrom(io.LimitReader(body, c.opts.MaxResponseBytes+1))
	body.Close()
	if n > 0 {
		kept = bytes.Clone(buf.Bytes()[:min(n, c.opts.MaxResponseBytes)])
	}
	if buf.Cap() <= int(c.opts.MaxResponseBytes)+bytes.MinRead*2 {
		c.bufs.Put(buf)
	}
	return n, kept, err
}

// reasonError is a one-line reason that still unwraps to its cause, so
// callers can test errors.Is(err, context.DeadlineExceeded) and friends.
type reasonError struct {
	msg string
	err error
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.err }

func reason(err error, format string, a ...any) error {
	return &reasonError{msg: fmt.Sprintf(format, a...), err: err}
}

// describe turns a transport error into a one-line reason that says what
// the receiver did: timed out, reset, refused, closed early.
func (c *Client) describe(ctx context.Context, err error, what string) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var nerr net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return reason(context.Canceled, "aborted: %s (delivery cancelled)", what)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		(errors.As(err, &nerr) && nerr.Timeout()):
		return reason(context.DeadlineExceeded, "timeout after %s: %s", c.opts.Timeout, what)
	case errors.Is(err, syscall.ECONNRESET):
		return reason(err, "connection reset by receiver: %s", what)
	case errors.Is(err, syscall.ECONNREFUSED):
		return reason(err, "connection refused: %v", err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return reason(err, "connection closed by receiver: %s", what)
	}
	msg := err.Error()
	if strings.Contains(msg, "response headers exceeded") || strings.Contains(msg, "header list larger than") {
		// net/http's errors for MaxResponseHeaderBytes (HTTP/1, HTTP/2)
		// are not exported: their text is all there is to match.
		return reason(ErrResponseHeadersTooLarge, "response headers exceeded %s", formatBytes(MaxResponseHeaderBytes))
	}
	for _, code := range []string{"COMPRESSION_ERROR", "PROTOCOL_ERROR"} {
		if what == "no response" && strings.HasSuffix(msg, "connection error: "+code) {
			// How HTTP/2 refuses a header field (COMPRESSION_ERROR) or
			// list (PROTOCOL_ERROR) over the bound, or a malformed one.
			return reason(err, "response headers exceeded %s or were malformed (HTTP/2 %s)", formatBytes(MaxResponseHeaderBytes), code)
		}
	}
	if strings.Contains(msg, "server closed") || strings.Contains(msg, "connection reset") {
		return reason(err, "connection closed by receiver: %s (%v)", what, err)
	}
	return reason(err, "%s: %v", what, err)
}

// formatBytes writes n as "64 KiB", "1 MiB" or "512 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
