package steps

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/steps/report"
)

// TestFailuresUnderConcurrencyAreConfirmedAlone: a receiver that fails
// any request while another is in flight fails only what is about
// concurrency; everything else passes when re-run alone, with a note.
func TestFailuresUnderConcurrencyAreConfirmedAlone(t *testing.T) {
	ref := reference(t, receiver.Config{})
	var inFlight, overlapped atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		body, err := io.ReadAll(r.Body)
		switch {
		case err != nil: // an attempt the harness cut off
			http.Error(w, "incomplete body", http.StatusBadRequest)
		case n > 1:
			overlapped.Add(1)
			http.Error(w, "busy with another request", http.StatusServiceUnavailable)
		default:
			// The receiver's own pace: long enough for the requests of a
			// burst to arrive while it works.
			time.Sleep(5 * time.Millisecond)
			r.Body = io.NopCloser(bytes.NewReader(body))
			ref.ServeHTTP(w, r)
		}
	}), false)
	rep := run(t, Config{URL: srv.URL})
	require.Positive(t, overlapped.Load(), "the scenarios ran concurrently")

	// Sending at the same time is what these scenarios do: the receiver's
	// fault, alone or not. (An attempt cut off mid-body is retried at
	// once: the receiver may still be reading it.)
	aboutConcurrency := regexp.MustCompile(`at the same time|concurrent deliveries|cut off in the middle`)
	noted := 0
	for _, q := range rep.Requirements {
		if q.ID == "SEC-01" {
			assert.Equal(t, report.StatusFail, q.Status, "plain http")
			continue
		}
		for _, s := range q.Scenarios {
			if aboutConcurrency.MatchString(s.Name) {
				continue
			}
			assert.Equal(t, report.StatusPass, s.Status, "%s %q: %s (%s)", q.ID, s.Name, s.Reason, s.Note)
			if s.Note != "" {
				noted++
				assert.Contains(t, s.Note, "failed while other scenarios ran (", q.ID)
				assert.Contains(t, s.Note, "); passed when re-run alone", q.ID)
			}
		}
		if q.ID != "ACK-02" && q.ID != "DUP-01" && q.ID != "DUP-02" {
			assert.Equal(t, report.StatusPass, q.Status, q.ID)
		}
	}
	assert.Positive(t, noted, "some scenario failed under concurrency and passed alone")
	ack := byID(rep)["ACK-02"]
	assert.Equal(t, report.StatusFail, ack.Status)
	assert.Empty(t, ack.BlockedBy, "a root failure")
	assert.Contains(t, ack.Reason, "503 busy with another request")
	for _, s := range ack.Scenarios {
		assert.Empty(t, s.Note, "ACK-02 is not re-run alone")
	}
}

// TestReceiverThatStopsAnswering: a receiver that answers a few requests
// and then never again ends the run within a few deadlines, and its
// failures say that it stopped answering instead of being re-run alone.
func TestReceiverThatStopsAnswering(t *testing.T) {
	const answered = 6
	const timeout = 300 * time.Millisecond
	ref := reference(t, receiver.Config{})
	release := make(chan struct{})
	var requests atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) <= answered {
			ref.ServeHTTP(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), false)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handlers
	start := time.Now()
	rep := run(t, Config{URL: srv.URL, Timeout: timeout})
	took := time.Since(start)
	t.Logf("run took %s, %d requests", took, requests.Load())
	// Detection, the controls, the confirmation probe and ACK-02's
	// control: a few deadlines and their grace, not one per scenario.
	assert.Less(t, took, 20*timeout)
	assert.Equal(t, report.VerdictFail, rep.Verdict)
	assert.Contains(t, failing(rep), "ACK-01")
	noted := 0
	for _, q := range rep.Requirements {
		for _, s := range q.Scenarios {
			if s.Status == report.StatusFail && q.ID != "ACK-02" && q.ID != "SEC-01" { // SEC-01 reads the URL
				assert.Contains(t, s.Note, "the receiver stopped answering after", "%s %q", q.ID, s.Name)
				noted++
			}
		}
	}
	assert.Positive(t, noted)
}

// dateTime is an RFC 3339 date-time in a body: the envelope's timestamp
// and the payload's dates (created_date, …), which follow the clock.
var dateTime = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)

// sentBodies runs SIG-02 with seed against a reference receiver and returns
// the sorted bodies it received, their date-times blanked (the signatures
// travel in a header).
func sentBodies(t *testing.T, seed int64) []string {
	t.Helper()
	ref := reference(t, receiver.Config{})
	var mu sync.Mutex
	var bodies []string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "incomplete body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, string(dateTime.ReplaceAll(b, []byte(`"TIME"`))))
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		ref.ServeHTTP(w, r)
	}), false)
	rep := run(t, Config{URL: srv.URL, Seed: seed, Only: []string{"SIG-02"}})
	assert.Equal(t, seed, rep.Seed)
	assert.Equal(t, report.VerdictPass, rep.Verdict)
	mu.Lock()
	defer mu.Unlock()
	sort.Strings(bodies)
	return bodies
}

func TestSeedRepeatsThePayloads(t *testing.T) {
	a := sentBodies(t, 1234)
	require.NotEmpty(t, a)
	assert.Contains(t, a[0], `"timestamp":"TIME"`)
	assert.Equal(t, a, sentBodies(t, 1234), "same seed, same bodies and ids")
	other := sentBodies(t, 1235)
	require.Len(t, other, len(a))
	for i := range a {
		assert.NotEqual(t, a[i], other[i], "another seed, other ids")
	}
}

// TestReceiverThatStopsAnsweringDuringTheReRuns: re-running failures alone
// stops as soon as the receiver stops answering; the failures not re-run
// say so. (Re-running each one would cost a deadline apiece.)
func TestReceiverThatStopsAnsweringDuringTheReRuns(t *testing.T) {
	const timeout = 300 * time.Millisecond
	// Detection's 3 probes (hex, base64, a wrong signature), one request
	// per scenario of VER-01 (14) and SIG-01 (1), the probe after the
	// concurrent phase, the first re-run: then nothing more is answered.
	const answered = 3 + 14 + 1 + 1 + 1
	release := make(chan struct{})
	var requests atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if requests.Add(1) <= answered {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), false)
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handlers
	start := time.Now()
	rep := run(t, Config{URL: srv.URL, Timeout: timeout, Only: []string{"VER-01", "SIG-01"}})
	took := time.Since(start)
	t.Logf("run took %s, %d requests", took, requests.Load())
	require.Greater(t, requests.Load(), int64(answered), "the receiver stopped answering during the re-runs")
	assert.Less(t, took, 10*timeout, "not one deadline per failure re-run")
	var confirmed, stopped int
	for _, q := range rep.Requirements {
		assert.Equal(t, report.StatusFail, q.Status, q.ID)
		for _, s := range q.Scenarios {
			switch {
			case strings.Contains(s.Note, "confirmed when re-run alone"):
				confirmed++
			case strings.Contains(s.Note, "the receiver stopped answering after"):
				stopped++
			}
		}
	}
	assert.Positive(t, confirmed, "re-runs began")
	assert.Greater(t, stopped, 10, "then stopped")
}
