// Package deliverybench holds the delivery throughput benchmarks shared by
// `go test -bench` in simulator/delivery and by `go run ./bench`: the engine
// and a bare net/http client loop, with the same concurrency, the same
// bodies and the same trivial loopback sink, so their ratio is meaningful.
package deliverybench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// Secret signs the benchmark bodies.
const Secret = "bench-s3cr3t-value"

// distinctBodies is how many different events the benchmarks cycle through.
const distinctBodies = 256

// Sink is a trivial loopback receiver: it drains the body and answers 200.
type Sink struct {
	// URL is the sink's address.
	URL string
	// Requests counts the requests served.
	Requests atomic.Int64
	srv      *httptest.Server
}

// NewSink starts a sink on 127.0.0.1. Close it when done.
func NewSink() *Sink {
	s := &Sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.Requests.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	s.URL = s.srv.URL
	return s
}

// Close stops the sink.
func (s *Sink) Close() { s.srv.Close() }

// Payload is what both contestants send: the bodies, their signatures
// (for the bare loop, which does not sign) and the signer (for the engine,
// which signs every job itself).
type Payload struct {
	Events []event.Event
	Bodies [][]byte
	Sigs   []string
	Signer *signature.Signer
}

// NewPayload builds distinctBodies realistic work_created events (~1 KiB).
func NewPayload() (*Payload, error) {
	signer, err := signature.NewSigner(Secret, signature.Hex, signature.KeyRaw)
	if err != nil {
		return nil, fmt.Errorf("bench signer: %w", err)
	}
	p := &Payload{Signer: signer}
	ts := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	for i := 0; i < distinctBodies; i++ {
		ev := event.Event{
			ID:        fmt.Sprintf("don:integration:dvrv-us-1:devo/bench:webhook/1:webhook_event/%08d", i),
			WebhookID: "don:integration:dvrv-us-1:devo/bench:webhook/1",
			Timestamp: ts.Add(time.Duration(i) * time.Millisecond),
			Type:      "work_created",
			Payload: event.Object{"work": event.Object{
				"type": "issue", "id": fmt.Sprintf("don:core:dvrv-us-1:devo/bench:issue/%d", i),
				"display_id": fmt.Sprintf("ISS-%d", i), "title": "Disk full on the build machine",
				"body":     "The build machine ran out of disk space during the nightly job; logs attached. <details>",
				"priority": "p1", "severity": "high",
				"stage":           event.Object{"name": "triage", "display_name": "Triage"},
				"created_by":      event.Object{"type": "dev_user", "display_name": "Alex Doe", "email": "alex@example.com", "id": "don:identity:dvrv-us-1:devo/bench:devu/1"},
				"owned_by":        []any{event.Object{"type": "dev_user", "display_name": "Sam Roe", "id": "don:identity:dvrv-us-1:devo/bench:devu/2"}},
				"applies_to_part": event.Object{"type": "product", "name": "Platform", "id": "don:core:dvrv-us-1:devo/bench:product/1"},
				"tags":            []any{event.Object{"tag": event.Object{"name": "infra"}}},
				"created_date":    "2026-11-23T09:59:59.000Z", "modified_date": "2026-11-23T10:00:00.000Z",
			}},
		}
		body, err := ev.Encode()
		if err != nil {
			return nil, fmt.Errorf("bench event: %w", err)
		}
		p.Events = append(p.Events, ev)
		p.Bodies = append(p.Bodies, body)
		p.Sigs = append(p.Sigs, signer.Sign(body))
	}
	return p, nil
}

// Jobs returns n jobs for url cycling through the payload's events, with
// their bodies pre-encoded (as the bare loop has them) but not signed.
func (p *Payload) Jobs(url string, n int) []delivery.Job {
	jobs := make([]delivery.Job, n)
	for i := range jobs {
		k := i % len(p.Bodies)
		jobs[i] = delivery.Job{Event: p.Events[k], Body: p.Bodies[k], URL: url, Signer: p.Signer}
	}
	return jobs
}

func perSecond(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "deliveries/s")
	}
}

// Engine delivers b.N signed events to url with the engine at the given
// concurrency and reports deliveries/s. It fails b if any delivery fails.
// The engine works as it does by default: it re-stamps and signs each
// attempt's bytes (one copy of the body more than the bare loop, which
// sends pre-signed bodies; event.BenchmarkRestamp measures it).
func Engine(b *testing.B, p *Payload, url string, concurrency int) {
	client := delivery.NewClient(delivery.ClientOptions{MaxConnsPerHost: concurrency * 2})
	defer client.CloseIdleConnections()
	e := delivery.New(delivery.Config{Client: client, Concurrency: concurrency, Schedule: []time.Duration{}})
	jobs := p.Jobs(url, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	var failed atomic.Int64
	e.DeliverAll(context.Background(), jobs, func(r delivery.Result) {
		if !r.Delivered {
			failed.Add(1)
		}
	})
	b.StopTimer()
	perSecond(b)
	if n := failed.Load(); n > 0 {
		b.Fatalf("engine: %d of %d deliveries failed", n, b.N)
	}
}

// BareLoop posts b.N pre-signed bodies to url from concurrency goroutines
// with a plain net/http client (keep-alive, idle pool ≥ concurrency) and
// reports deliveries/s: the baseline the engine is measured against.
func BareLoop(b *testing.B, p *Payload, url string, concurrency int) {
	client, closeClient := newBareClient(concurrency)
	defer closeClient()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if barePost(client, p, url, int(i)) != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	perSecond(b)
	if n := failed.Load(); n > 0 {
		b.Fatalf("bare loop: %d of %d deliveries failed", n, b.N)
	}
}

// newBareClient is the bare loop's plain net/http client: keep-alive, an
// idle pool of at least concurrency connections, a 3 s deadline. Call the
// returned function to close its idle connections.
func newBareClient(concurrency int) (*http.Client, func()) {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 4,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 3 * time.Second}, tr.CloseIdleConnections
}

// barePost posts the payload's i-th pre-signed body (cycling) to url, drains
// the answer and fails on anything but 2xx.
func barePost(client *http.Client, p *Payload, url string, i int) error {
	k := i % len(p.Bodies)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(p.Bodies[k]))
	if err != nil {
		return fmt.Errorf("bare loop request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.Header, p.Sigs[k])
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("bare loop post: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("bare loop: HTTP %d", resp.StatusCode)
	}
	return nil
}

// BareLatencies posts n pre-signed bodies to url from concurrency goroutines
// (the bare loop of BareLoop, closed-loop: each goroutine sends its next
// request when the previous answer was read) and returns every request's
// latency, from building the request to the end of the response body.
func BareLatencies(ctx context.Context, p *Payload, url string, concurrency, n int) ([]time.Duration, error) {
	client, closeClient := newBareClient(concurrency)
	defer closeClient()
	lat := make([]time.Duration, n)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				start := time.Now()
				if barePost(client, p, url, int(i)) != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(start)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bare loop latencies: %w", err)
	}
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("bare loop latencies: %d of %d deliveries failed", f, n)
	}
	return lat, nil
}

// EngineLatencies delivers n signed events to url through the engine's
// streaming path (Engine.DeliverStream, what the load generator uses) at the
// given concurrency, closed-loop like BareLatencies: at most concurrency
// jobs are outstanding and a new one is submitted as each result arrives.
// It returns every delivery's latency, from handing the job to the engine
// to its result: the engine's signing, hand-offs and bookkeeping included.
func EngineLatencies(ctx context.Context, p *Payload, url string, concurrency, n int) ([]time.Duration, error) {
	client := delivery.NewClient(delivery.ClientOptions{MaxConnsPerHost: concurrency * 2})
	defer client.CloseIdleConnections()
	e := delivery.New(delivery.Config{Client: client, Concurrency: concurrency, Schedule: []time.Duration{}})
	jobs := p.Jobs(url, n)
	index := make(map[string]int, n)
	for i := range jobs {
		jobs[i].Event.ID = fmt.Sprintf("%s-%d", jobs[i].Event.ID, i)
		index[jobs[i].Event.ID] = i
	}
	started := make([]time.Time, n)
	lat := make([]time.Duration, n)
	tokens := make(chan struct{}, concurrency)
	for range concurrency {
		tokens <- struct{}{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan delivery.Job, concurrency)
	go func() {
		defer close(in)
		for i := range jobs {
			select {
			case <-tokens:
			case <-ctx.Done():
				return
			}
			started[i] = time.Now()
			select {
			case in <- jobs[i]:
			case <-ctx.Done():
				return
			}
		}
	}()
	var failed, done int
	e.DeliverStream(ctx, in, func(r delivery.Result) {
		i := index[r.Job.Event.ID]
		lat[i] = time.Since(started[i])
		done++
		if !r.Delivered {
			failed++
		}
		tokens <- struct{}{}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("engine latencies: %w", err)
	}
	if failed > 0 || done != n {
		return nil, fmt.Errorf("engine latencies: %d of %d deliveries failed, %d finished", failed, n, done)
	}
	return lat, nil
}
