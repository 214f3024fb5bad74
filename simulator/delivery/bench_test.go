package delivery_test

import (
	"testing"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/delivery/deliverybench"
)

// benchConcurrency is the same for both contestants.
const benchConcurrency = delivery.DefaultConcurrency

func benchSetup(b *testing.B) (*deliverybench.Payload, *deliverybench.Sink) {
	b.Helper()
	p, err := deliverybench.NewPayload()
	if err != nil {
		b.Fatal(err)
	}
	sink := deliverybench.NewSink()
	b.Cleanup(sink.Close)
	return p, sink
}

// BenchmarkEngine: signed deliveries/s through the engine to a loopback sink.
func BenchmarkEngine(b *testing.B) {
	p, sink := benchSetup(b)
	deliverybench.Engine(b, p, sink.URL, benchConcurrency)
}

// BenchmarkBareLoop: the same bodies through a plain net/http loop, the baseline.
func BenchmarkBareLoop(b *testing.B) {
	p, sink := benchSetup(b)
	deliverybench.BareLoop(b, p, sink.URL, benchConcurrency)
}

// BenchmarkSign4KiB: signing a 4 KiB body (hex).
func BenchmarkSign4KiB(b *testing.B) {
	p, _ := benchSetup(b)
	body := make([]byte, 4<<10)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = p.Signer.Sign(body)
	}
}
