package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// maxResponseBytes bounds every response body read by the harness.
const maxResponseBytes = 64 << 10

// env is what every scenario of one run shares. It is written while the run
// is prepared (detection) and only read while scenarios run.
type env struct {
	s      *settings
	url    string
	enc    signature.Encoding
	signer *signature.Signer
	client *delivery.Client
	plain  *http.Client // for requests other than a delivery POST
	gen    *event.Generator
	clock  clock.Clock
	hook   string // the webhook id every event is delivered for

	// gate isolates the load-generating steps (bursts, the catalogue sweep):
	// they hold it exclusively while their requests are in flight, every
	// other request holds it shared, so that a receiver slowed down by a
	// burst fails only the requirement that sent the burst.
	gate sync.RWMutex

	detected bool
	// slow is set when a probe got no answer in time.
	slow bool
	// unreachable fails every scenario: the receiver could not be reached.
	unreachable error
	// noAcceptance fails every scenario that needs the receiver to accept
	// a correctly signed event: detection found no encoding it accepts.
	noAcceptance error
	// stepDefs are the compiled step definitions.
	stepDefs []stepDef
	// probes are the detection exchanges, shown as evidence when they
	// decided a failure.
	probes []*exchange
}

func newEnv(s *settings) (*env, error) {
	enc := signature.Hex
	if s.encoding != EncodingAuto {
		enc = signature.Encoding(s.encoding)
	}
	e := &env{
		s:     s,
		url:   s.target.String(),
		enc:   enc,
		gen:   event.NewGenerator(event.Options{}),
		clock: clock.Real(),
		client: delivery.NewClient(delivery.ClientOptions{
			Timeout: s.Timeout, MaxResponseBytes: maxResponseBytes, Insecure: s.Insecure,
		}),
	}
	if err := e.setEncoding(enc); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 nil,
		TLSHandshakeTimeout:   s.Timeout,
		ResponseHeaderTimeout: s.Timeout,
		DisableCompression:    true,
	}
	if s.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure, opt-in
	}
	e.plain = &http.Client{
		Transport:     tr,
		Timeout:       s.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	e.hook = e.gen.WebhookID()
	e.stepDefs = e.steps()
	return e, nil
}

func (e *env) setEncoding(enc signature.Encoding) error {
	signer, err := signature.NewSigner(e.s.Secret, enc, e.s.keyEnc)
	if err != nil {
		return &ConfigError{Field: "secret", Err: err}
	}
	e.enc, e.signer = enc, signer
	return nil
}

func (e *env) close() {
	e.client.CloseIdleConnections()
	e.plain.CloseIdleConnections()
}

// newEvent builds a fresh event of typ (fresh event and object ids).
func (e *env) newEvent(typ string) (event.Event, error) {
	if typ == "verify" {
		return e.gen.Verify(e.hook, e.gen.Challenge()), nil
	}
	ev, err := e.gen.New(typ, e.hook)
	if err != nil {
		return event.Event{}, harnessf("building a %s event: %w", typ, err)
	}
	return ev, nil
}

func encode(ev event.Event) ([]byte, error) {
	b, err := ev.Encode()
	if err != nil {
		return nil, harnessf("encoding a %s event: %w", ev.Type, err)
	}
	return b, nil
}

// signedHeader returns the delivery header with sig as X-DevRev-Signature
// (written with DevRev's capitalisation); no signature header when omit.
func signedHeader(sig string, omit bool) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if !omit {
		h[signature.Header] = []string{sig}
	}
	return h
}

// post delivers body with header as DevRev does and records the exchange.
func (e *env) post(ctx context.Context, st *scenarioState, what string, body []byte, h http.Header, sent bool) *exchange {
	e.gate.RLock()
	defer e.gate.RUnlock()
	return e.postGated(ctx, st, what, body, h, sent)
}

// postGated is post for a caller that already holds the gate.
func (e *env) postGated(ctx context.Context, st *scenarioState, what string, body []byte, h http.Header, sent bool) *exchange {
	r := e.client.Post(ctx, e.url, body, h)
	x := &exchange{
		what: what, method: http.MethodPost, header: h, body: body,
		status: r.Status, respHeader: r.Header, respBody: r.Body, latency: r.Latency, err: r.Err,
	}
	st.record(x, sent)
	return x
}

// postSigned signs body with the run's signer and posts it.
func (e *env) postSigned(ctx context.Context, st *scenarioState, what string, body []byte, sent bool) *exchange {
	return e.post(ctx, st, what, body, signedHeader(e.signer.Sign(body), false), sent)
}

// request sends a request with any method through a bounded plain client.
func (e *env) request(ctx context.Context, st *scenarioState, what, method string, body []byte, h http.Header) *exchange {
	x := &exchange{what: what, method: method, header: h, body: body}
	e.gate.RLock() // before the deadline starts: waiting for a burst is not the receiver's time
	defer e.gate.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, e.s.Timeout)
	defer cancel()
	start := time.Now()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.url, rd)
	if err != nil {
		x.err = fmt.Errorf("build request: %w", err)
		st.record(x, true)
		return x
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", delivery.DefaultUserAgent)
	resp, err := e.plain.Do(req)
	if err != nil {
		x.err = describeErr(ctx, err, e.s.Timeout)
	} else {
		x.status, x.respHeader = resp.StatusCode, resp.Header
		x.respBody, err = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
		resp.Body.Close()
		if err != nil {
			x.err = describeErr(ctx, err, e.s.Timeout)
		}
	}
	x.latency = time.Since(start)
	st.record(x, true)
	return x
}

func describeErr(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timeout: no response within %s", timeout)
	}
	return err
}

// sweep runs f(i) for i in [0,n) with width workers; after the first call
// that reports a timeout it adds workers until all of the rest run at once,
// so that a receiver that stopped answering costs one more deadline, not
// n/width of them.
func sweep(n, width int, f func(i int) (timedOut bool)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	var widen sync.Once
	var worker func()
	worker = func() {
		defer wg.Done()
		for i := range jobs {
			if f(i) {
				widen.Do(func() {
					extra := n - width
					wg.Add(max(extra, 0))
					for k := 0; k < extra; k++ {
						go worker()
					}
				})
			}
		}
	}
	wg.Add(min(width, n))
	for k := 0; k < min(width, n); k++ {
		go worker()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms (Go ≥ 1.24)
	return b
}
