package main

import (
	"fmt"
	"testing"

	"github.com/revhook/revhook/simulator/delivery/deliverybench"
	"github.com/revhook/revhook/simulator/signature"
)

// engineTarget is issue 6's goal: the engine reaches at least this fraction
// of a bare net/http loop's throughput.
const engineTarget = 0.8

// benchRun runs f under testing.Benchmark and fails instead of returning a
// zero result when f called b.Fatal.
func benchRun(name string, f func(b *testing.B)) (testing.BenchmarkResult, error) {
	r := testing.Benchmark(f)
	if r.N == 0 {
		return r, fmt.Errorf("%s failed (see the benchmark's output above)", name)
	}
	return r, nil
}

// measureDelivery runs the engine and the bare loop against the same sink,
// interleaved for Rounds rounds so both see the same machine load, and keeps
// the best round of each.
func measureDelivery(s Settings) ([]Row, error) {
	p, err := deliverybench.NewPayload()
	if err != nil {
		return nil, err
	}
	sink := deliverybench.NewSink()
	defer sink.Close()
	var bestEngine, bestBare float64
	var engineRes testing.BenchmarkResult
	for round := 1; round <= s.Rounds; round++ {
		bare, err := benchRun("bare loop", func(b *testing.B) { deliverybench.BareLoop(b, p, sink.URL, s.Concurrency) })
		if err != nil {
			return nil, err
		}
		eng, err := benchRun("engine", func(b *testing.B) { deliverybench.Engine(b, p, sink.URL, s.Concurrency) })
		if err != nil {
			return nil, err
		}
		b, e := bare.Extra["deliveries/s"], eng.Extra["deliveries/s"]
		fmt.Fprintf(s.Log, "bench:   round %d: bare %.0f/s, engine %.0f/s (%.2f×)\n", round, b, e, e/b)
		bestBare = max(bestBare, b)
		if e > bestEngine {
			bestEngine, engineRes = e, eng
		}
	}
	ratio := bestEngine / bestBare
	note := fmt.Sprintf("concurrency %d, loopback sink, ~%d-byte bodies", s.Concurrency, len(p.Bodies[0]))
	return []Row{
		{Name: "engine: signed deliveries/s", Value: bestEngine, Unit: "deliveries/s", Note: note},
		{Name: "bare net/http loop: deliveries/s", Value: bestBare, Unit: "deliveries/s", Note: "pre-signed bodies, same sink and concurrency"},
		{Name: "engine / bare loop throughput", Value: ratio, Unit: "×", Target: fmt.Sprintf("≥ %.1f×", engineTarget), OK: check(ratio >= engineTarget)},
		{Name: "engine: allocations per delivery", Value: float64(engineRes.AllocsPerOp()), Unit: "allocs/op"},
	}, nil
}

// measureSign measures signing a 4 KiB body.
func measureSign(Settings) ([]Row, error) {
	signer, err := signature.NewSigner(deliverybench.Secret, signature.Hex, signature.KeyRaw)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 4<<10)
	r, err := benchRun("sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = signer.Sign(body)
		}
	})
	if err != nil {
		return nil, err
	}
	return []Row{
		{Name: "Sign(4 KiB body)", Value: float64(r.NsPerOp()), Unit: "ns/op", Note: "HMAC-SHA256, hex"},
		{Name: "Sign(4 KiB body) allocations", Value: float64(r.AllocsPerOp()), Unit: "allocs/op", Target: "allocation-light (≤ 4)", OK: check(r.AllocsPerOp() <= 4)},
	}, nil
}
