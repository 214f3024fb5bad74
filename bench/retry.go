package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/delivery/deliverybench"
	"github.com/revhook/revhook/simulator/signature"
)

// retryScale is `--time-scale 0.001`: 30 s → 30 ms, 3 min → 180 ms.
const retryScale = 0.001

// retry spacing goal (issue 6): within 5 % of the requested gap or 2 ms,
// whichever is larger.
const (
	retryRelTolerance = 0.05
	retryAbsTolerance = 2 * time.Millisecond
)

// arrivals records when each signed body reached a sink, by signature.
type arrivals struct {
	mu sync.Mutex
	at map[string][]time.Time
}

// measureRetry delivers events to an always-500 loopback sink with DevRev's
// schedule on a real clock scaled by 0.001, and compares the gaps between
// attempts as the sink saw them with the requested ones.
func measureRetry(s Settings) ([]Row, error) {
	arr := &arrivals{at: map[string][]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		arr.mu.Lock()
		sig := r.Header.Get(signature.Header)
		arr.at[sig] = append(arr.at[sig], now)
		arr.mu.Unlock()
		http.Error(w, "unavailable", http.StatusInternalServerError)
	}))
	defer srv.Close()
	p, err := deliverybench.NewPayload()
	if err != nil {
		return nil, err
	}
	events, rounds := 4, s.Rounds
	if s.Quick {
		events, rounds = 2, 1
	}
	schedule := delivery.DefaultSchedule()
	client := delivery.NewClient(delivery.ClientOptions{})
	defer client.CloseIdleConnections()
	e := delivery.New(delivery.Config{
		Client: client, Clock: clock.Scaled(clock.Real(), retryScale),
		Schedule: schedule, Concurrency: events,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobs := p.Jobs(srv.URL, events*rounds)
	for r := range rounds {
		for _, res := range e.DeliverAll(ctx, jobs[r*events:(r+1)*events], nil) {
			if !res.Exhausted() || len(res.Attempts) != len(schedule)+1 {
				return nil, fmt.Errorf("retry schedule: event %s: %d attempts, err %v (want %d failed attempts)",
					res.Job.Event.ID, len(res.Attempts), res.Err, len(schedule)+1)
			}
		}
	}

	gaps := make([][]time.Duration, len(schedule)) // gaps[k]: before attempt k+2
	arr.mu.Lock()
	for sig, ts := range arr.at {
		if len(ts) != len(schedule)+1 {
			arr.mu.Unlock()
			return nil, fmt.Errorf("retry schedule: the sink saw %d attempts of one event (signature %.12s…), want %d", len(ts), sig, len(schedule)+1)
		}
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for k := range schedule {
			gaps[k] = append(gaps[k], ts[k+1].Sub(ts[k]))
		}
	}
	arr.mu.Unlock()

	var rows []Row
	names := []string{"30 s", "3 min"}
	for k, want := range schedule {
		req := clock.Scale(want, retryScale)
		tol := max(time.Duration(float64(req)*retryRelTolerance), retryAbsTolerance)
		var sum, worst time.Duration
		for _, g := range gaps[k] {
			sum += g
			if abs(g-req) > abs(worst) {
				worst = g - req
			}
		}
		mean := sum / time.Duration(len(gaps[k]))
		label := want.String()
		if k < len(names) {
			label = names[k]
		}
		rows = append(rows,
			Row{Name: fmt.Sprintf("retry gap %d→%d (%s × %g): achieved", k+1, k+2, label, retryScale), Value: ms(mean), Unit: "ms",
				Note: fmt.Sprintf("requested %.0f ms; mean of %d events as the always-500 sink saw them (start to start)", ms(req), len(gaps[k]))},
			Row{Name: fmt.Sprintf("retry gap %d→%d: worst error", k+1, k+2), Value: ms(worst), Unit: "ms",
				Target: fmt.Sprintf("|err| ≤ %.1f ms (5 %% or 2 ms)", ms(tol)), OK: check(abs(worst) <= tol),
				Note: fmt.Sprintf("%+.1f %% of the requested gap", 100*float64(worst)/float64(req))},
		)
	}
	return rows, nil
}

// abs returns |d|.
func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
