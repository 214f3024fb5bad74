package steps

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/steps/harness"
	"github.com/revhook/revhook/steps/report"
)

// BenchmarkCheckReference times a full `revhook check` against the
// reference receiver on loopback. It reports the wall time split into the
// harness's own time and the deliberate waits of the catalogue (the DUP-02
// retry pause; a correct receiver causes no deadline waits). Target: harness
// time well under 2 s on a 2-core machine.
func BenchmarkCheckReference(b *testing.B) {
	rcv, err := receiver.New(receiver.Config{Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	defer rcv.Close()
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rep, err := Run(context.Background(), Config{URL: srv.URL, Secret: testSecret})
		total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Verdict != report.VerdictPass {
			b.Fatalf("reference receiver verdict %s", rep.Verdict)
		}
	}
	wall := total / time.Duration(b.N)
	b.ReportMetric(float64(wall.Milliseconds()), "wall-ms/check")
	b.ReportMetric(float64(harness.RetryPause.Milliseconds()), "deliberate-wait-ms/check")
	b.ReportMetric(float64((wall - harness.RetryPause).Milliseconds()), "harness-ms/check")
}
