//go:build unix

package load

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/delivery/deliverybench"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// BenchmarkPipeline runs b.N catalogue events through the whole pipeline
// (Payloads, the engine, Stats) at concurrency 32 to a loopback sink in
// this process, as `revhook send --quiet` does. cpu-µs/event is the
// process's user+system CPU per event, the sink's included: on a shared
// machine it varies less than the time. To see where a delivery's CPU
// goes: go test -run X -bench Pipeline -benchtime 60000x -cpuprofile cpu.out
// ./simulator/load (the sink's share is under net/http.(*conn).serve).
func BenchmarkPipeline(b *testing.B) {
	sink := deliverybench.NewSink()
	b.Cleanup(sink.Close)
	signer, err := signature.NewSigner(deliverybench.Secret, signature.Hex, signature.KeyRaw)
	if err != nil {
		b.Fatal(err)
	}
	g := event.NewGenerator(event.Options{Seed: 1})
	wid := g.WebhookID()
	src, err := NewPayloads(PayloadOptions{New: func() (event.Event, error) { return g.New("work_created", wid) }, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	client := delivery.NewClient(delivery.ClientOptions{})
	b.Cleanup(client.CloseIdleConnections)
	run, err := New(Config{
		Delivery: delivery.Config{Client: client, Concurrency: 32, Seed: 1},
		Next: func() (delivery.Job, error) {
			ev, body, err := src.Next()
			return delivery.Job{Event: ev, Body: body, URL: sink.URL, Signer: signer}, err
		},
		Count: b.N,
	})
	if err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime()
	b.ResetTimer()
	s, err := run.Run(context.Background())
	b.StopTimer()
	if err != nil || s.Delivered != b.N {
		b.Fatalf("delivered %d of %d: %v", s.Delivered, b.N, err)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/event")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// cpuTime is the user+system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
