package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/delivery/deliverybench"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// childEnv, when set in the environment, turns the bench binary (or the
// bench test binary) into a memory-measurement child: it runs the
// childSpec JSON it holds, prints a childResult as JSON and exits. Each
// memory row runs in its own child so that peak RSS (VmHWM, which never
// goes down) belongs to that row alone.
const childEnv = "REVHOOK_BENCH_CHILD"

// queueTarget is issue 6's goal for 100 000 queued events.
const (
	queueEvents = 100_000
	queueTarget = 256 << 20
)

// heapProfileEnv, when set to a path, makes the queue child write a heap
// profile there with every event queued (for `go tool pprof`).
const heapProfileEnv = "REVHOOK_BENCH_HEAPPROFILE"

// childTimeout bounds one child process.
const childTimeout = 90 * time.Second

// childSpec says what a child measures.
type childSpec struct {
	// Kind is "queue" (N events queued in the engine) or "log" (a delivery
	// log of capacity N filled to 3×N).
	Kind string `json:"kind"`
	N    int    `json:"n"`
	// Shape of the queued events (queue only): shapeCompact or shapeCatalogue.
	Shape string `json:"shape,omitempty"`
	// URL, Body, Signature and Concurrency configure the "bare" child: N
	// POSTs of one signed body (the baseline of the send rows).
	URL         string `json:"url,omitempty"`
	Body        []byte `json:"body,omitempty"`
	Signature   string `json:"signature,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
}

// Shapes of queued events.
const (
	// shapeCompact: distinct ~1 KiB work_created events (the delivery
	// benchmark's shape, each with its own id), handed to the engine
	// encoded (Job.Body, exact size) with the event's labels only, no
	// payload objects: what the engine itself holds per queued event.
	shapeCompact = "compact"
	// shapeCatalogue: the catalogue generator's work_created events (~4 KiB
	// encoded), handed over as `revhook send` and the mock do: encoded, with
	// the event's labels only.
	shapeCatalogue = "catalogue"
)

// memSnapshot is the process's memory at one moment.
type memSnapshot struct {
	// PeakRSS and RSS are VmHWM and VmRSS of /proc/self/status, in bytes
	// (0 where /proc is not available).
	PeakRSS uint64 `json:"peak_rss"`
	RSS     uint64 `json:"rss"`
	// HeapInuse, HeapAlloc, StackInuse and Sys are from runtime.MemStats,
	// read after a full GC.
	HeapInuse  uint64 `json:"heap_inuse"`
	HeapAlloc  uint64 `json:"heap_alloc"`
	StackInuse uint64 `json:"stack_inuse"`
	Sys        uint64 `json:"sys"`
	Goroutines int    `json:"goroutines"`
}

// childResult is what a child prints.
type childResult struct {
	// Base is before the measured work, At when it is in place (all events
	// queued; the log filled to capacity), Final after the log was filled
	// past capacity (log only).
	Base  memSnapshot  `json:"base"`
	At    memSnapshot  `json:"at"`
	Final *memSnapshot `json:"final,omitempty"`
	// Seconds is how long the measured work took to set up.
	Seconds float64 `json:"seconds"`
	// Figures are a child's own results by name (serve load).
	Figures map[string]float64 `json:"figures,omitempty"`
}

// snapshot collects garbage and reads the process's memory.
func snapshot() memSnapshot {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := memSnapshot{HeapInuse: m.HeapInuse, HeapAlloc: m.HeapAlloc, StackInuse: m.StackInuse, Sys: m.Sys, Goroutines: runtime.NumGoroutine()}
	s.PeakRSS, s.RSS = procStatus()
	return s
}

// procStatus returns this process's VmHWM and VmRSS in bytes, zeros when
// unknown.
func procStatus() (hwm, rss uint64) { return procStatusOf("/proc/self/status") }

// procStatusOf returns VmHWM and VmRSS in bytes from a /proc status file,
// zeros when unknown.
func procStatusOf(path string) (hwm, rss uint64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmHWM" && name != "VmRSS") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if name == "VmHWM" {
			hwm = kb << 10
		} else {
			rss = kb << 10
		}
	}
	return hwm, rss
}

// childMain runs the child described by spec (childEnv's value) and writes
// its result to w. It returns the process exit code.
func childMain(spec string, w, stderr io.Writer) int {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Fprintf(stderr, "bench child: bad %s: %v\n", childEnv, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	var res childResult
	var err error
	switch cs.Kind {
	case "queue":
		res, err = childQueue(ctx, cs.N, cs.Shape)
	case "log":
		res, err = childLog(cs.N)
	case "bare":
		err = childBare(ctx, cs)
	case "serve":
		res, err = childServeLoad(ctx, cs.N)
	default:
		err = fmt.Errorf("unknown kind %q", cs.Kind)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench child %s: %v\n", cs.Kind, err)
		return 1
	}
	if err := json.NewEncoder(w).Encode(res); err != nil {
		fmt.Fprintf(stderr, "bench child: %v\n", err)
		return 1
	}
	return 0
}

// runChild re-executes this binary as a child measuring spec.
func runChild(spec childSpec) (childResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return childResult{}, fmt.Errorf("memory child: find this binary: %w", err)
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return childResult{}, fmt.Errorf("memory child: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	if os.Getenv("GORACE") == "" {
		// A race-enabled binary (go test -race) otherwise idles 1 s at exit.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return childResult{}, fmt.Errorf("memory child %s %d: %w: %s", spec.Kind, spec.N, err, strings.TrimSpace(stderr.String()))
	}
	var res childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return childResult{}, fmt.Errorf("memory child %s %d: bad output %q: %w", spec.Kind, spec.N, stdout.String(), err)
	}
	return res, nil
}

// childQueue queues n events in the engine and measures the process. The
// honest meaning of "queued" for the engine: events it has accepted and
// holds until their next attempt. (A receiver that holds requests open
// does not make the engine queue: it admits at most Concurrency+1 jobs
// and the rest wait in the caller's channel.) Here every event's first
// attempt gets a 503 from a loopback sink (a receiver that is down), so
// all n wait for their 30 s retry at once, each holding its body
// (deflated), its attempt record and its timer, as with `revhook send
// --rate` against a down receiver (its engine lets every event of the run
// be pending, as DevRev keeps sending while retries wait). Jobs stream in
// through DeliverStream, like the load generator's. A fake clock tells
// when all n are waiting (Fake.BlockUntil) without sleeping.
func childQueue(ctx context.Context, n int, shape string) (childResult, error) {
	var res childResult
	res.Base = snapshot()
	next, err := jobSource(shape)
	if err != nil {
		return res, err
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "receiver down", http.StatusServiceUnavailable)
	}))
	defer sink.Close()
	fake := clock.NewFake(time.Now())
	client := delivery.NewClient(delivery.ClientOptions{})
	defer client.CloseIdleConnections()
	e := delivery.New(delivery.Config{Client: client, Clock: fake, MaxPending: n})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan delivery.Job, e.Config().Concurrency)
	genErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		for i := range n {
			job, err := next(i)
			if err != nil {
				genErr <- err
				cancel() // n will never be queued
				return
			}
			job.URL = sink.URL
			select {
			case jobs <- job:
			case <-ctx.Done():
				return
			}
		}
		genErr <- nil
	}()
	start := time.Now()
	var finished, delivered int
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.DeliverStream(ctx, jobs, func(r delivery.Result) {
			finished++
			if r.Delivered {
				delivered++
			}
		})
	}()
	if err := fake.BlockUntil(ctx, n); err != nil {
		cancel()
		<-done
		select {
		case gerr := <-genErr:
			if gerr != nil {
				return res, fmt.Errorf("generate events: %w", gerr)
			}
		default:
		}
		return res, fmt.Errorf("%d events queued: %d waiting for a retry when %w", n, fake.Waiters(), err)
	}
	res.Seconds = time.Since(start).Seconds()
	res.At = snapshot()
	if path := os.Getenv(heapProfileEnv); path != "" {
		if err := writeHeapProfile(path); err != nil {
			return res, err
		}
	}
	cancel()
	<-done
	if err := <-genErr; err != nil {
		return res, fmt.Errorf("generate events: %w", err)
	}
	if delivered > 0 || finished != n {
		return res, fmt.Errorf("%d events queued: %d finished, %d delivered, want all aborted", n, finished, delivered)
	}
	return res, nil
}

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}

// jobSource returns a function making the i-th job of the given shape
// (without its URL).
func jobSource(shape string) (func(i int) (delivery.Job, error), error) {
	signer, err := signature.NewSigner(checkSecret, signature.Hex, signature.KeyRaw)
	if err != nil {
		return nil, err
	}
	switch shape {
	case shapeCompact:
		p, err := deliverybench.NewPayload()
		if err != nil {
			return nil, err
		}
		return func(i int) (delivery.Job, error) {
			ev := p.Events[i%len(p.Events)]
			ev.ID = fmt.Sprintf("%s:webhook_event/q%09d", ev.WebhookID, i)
			job, err := delivery.EncodedJob(ev)
			// An exact-size copy: Encode's buffer has up to 2× slack.
			job.Body, job.Signer = bytes.Clone(job.Body), signer
			return job, err
		}, nil
	case shapeCatalogue:
		g := event.NewGenerator(event.Options{Seed: 1})
		wid := g.WebhookID()
		return func(int) (delivery.Job, error) {
			ev, err := g.New("work_created", wid)
			if err != nil {
				return delivery.Job{}, err
			}
			job, err := delivery.EncodedJob(ev)
			job.Signer = signer
			return job, err
		}, nil
	}
	return nil, fmt.Errorf("unknown event shape %q", shape)
}

// childLog fills a delivery log of capacity n to n entries, then to 3×n,
// and measures the process at both points. One entry in three is a failed
// attempt with a 256-byte response preview (the most the engine keeps);
// the others are delivered attempts with a short preview. Event ids are
// distinct, as in a real run.
func childLog(n int) (childResult, error) {
	if n < 1 {
		return childResult{}, errors.New("capacity must be positive")
	}
	var res childResult
	res.Base = snapshot()
	start := time.Now()
	l := deliverylog.New(n)
	g := event.NewGenerator(event.Options{Seed: 1})
	wid := g.WebhookID()
	failBody := strings.Repeat("x", delivery.PreviewBytes)
	at := time.Now()
	add := func(i int) {
		a := delivery.Attempt{
			EventID: g.EventID(wid), WebhookID: wid, Type: "work_created", URL: "http://127.0.0.1:8089/",
			Number: 1, Of: 3, At: at.Add(time.Duration(i) * time.Millisecond), Status: http.StatusOK,
			Latency: time.Duration(i%900+100) * time.Microsecond, Delivered: true,
			ResponsePreview: strings.Clone(`{"ok":true}`),
		}
		if i%3 == 2 {
			a.Status, a.Delivered = http.StatusInternalServerError, false
			a.Err = fmt.Sprintf("HTTP %d is not 2xx", a.Status)
			a.ResponsePreview = strings.Clone(failBody)
		}
		l.Add(deliverylog.FromAttempt(a))
	}
	for i := range n {
		add(i)
	}
	res.Seconds = time.Since(start).Seconds()
	res.At = snapshot()
	for i := n; i < 3*n; i++ {
		add(i)
	}
	final := snapshot()
	res.Final = &final
	if l.Len() != n || l.Dropped() != uint64(2*n) {
		return res, fmt.Errorf("log of capacity %d holds %d entries and dropped %d after %d adds", n, l.Len(), l.Dropped(), 3*n)
	}
	runtime.KeepAlive(l)
	return res, nil
}

// measureMemory runs each memory measurement in its own child process.
func measureMemory(s Settings) ([]Row, error) {
	events, caps := queueEvents, []int{deliverylog.DefaultCapacity, 100_000}
	if s.Quick {
		events, caps = 1_000, []int{1_000}
	}
	var rows []Row
	for _, shape := range []string{shapeCompact, shapeCatalogue} {
		r, err := queueRows(s, events, shape)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	for _, c := range caps {
		r, err := runChild(childSpec{Kind: "log", N: c})
		if err != nil {
			return nil, err
		}
		at := int64(r.At.HeapInuse) - int64(r.Base.HeapInuse)
		past := int64(r.Final.HeapInuse) - int64(r.Base.HeapInuse)
		// At its cap the log must stop growing: filled to 3× its capacity
		// it holds no more than at 1× (10 % + 1 MiB of allocator slack).
		limit := at + at/10 + 1<<20
		name := fmt.Sprintf("memory: delivery log at its cap (%s)", thousands(c))
		rows = append(rows,
			Row{Name: name + ": heap", Value: mib(uint64(max(past, 0))), Unit: "MiB",
				Target: "no growth past cap", OK: check(past <= limit),
				Note: fmt.Sprintf("filled to 3× cap; %.1f MiB at 1× cap; %.0f bytes per entry (1 in 3 failed with a 256-byte preview)", mib(uint64(max(at, 0))), float64(past)/float64(c))},
			Row{Name: name + ": peak RSS", Value: mib(r.Final.PeakRSS), Unit: "MiB", Note: "whole child process, VmHWM"},
		)
	}
	return rows, nil
}

// queueRows measures events queued in the engine, of one shape, in a child.
// Only the compact shape carries issue 6's target: it is what the engine
// itself holds; the catalogue shape adds what its callers hand it today.
func queueRows(s Settings, events int, shape string) ([]Row, error) {
	q, err := runChild(childSpec{Kind: "queue", N: events, Shape: shape})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Log, "bench:   %d queued %s events: peak RSS %.1f MiB, heap %.1f MiB (set up in %.1f s)\n",
		events, shape, mib(q.At.PeakRSS), mib(q.At.HeapInuse), q.Seconds)
	held := int64(q.At.HeapInuse+q.At.StackInuse) - int64(q.Base.HeapInuse+q.Base.StackInuse)
	what := fmt.Sprintf("%s queued events", thousands(events))
	rss := Row{Name: "memory: " + what + ": peak RSS", Value: mib(q.At.PeakRSS), Unit: "MiB",
		Note: "VmHWM of the child: engine, event source, loopback sink; each event waits for its 30 s retry (receiver answered 503), MaxPending = events"}
	heap := Row{Name: "memory: " + what + ": heap + stacks", Value: mib(q.At.HeapInuse + q.At.StackInuse), Unit: "MiB"}
	switch shape {
	case shapeCompact:
		rss.Name = "memory: " + what + " (~1 KiB, encoded): peak RSS"
		heap.Name = "memory: " + what + " (~1 KiB, encoded): heap + stacks"
		rss.Target = fmt.Sprintf("≤ %d MiB", queueTarget>>20)
		if q.At.PeakRSS > 0 {
			rss.OK = check(q.At.PeakRSS <= queueTarget)
		} else {
			rss.Note = "VmHWM unavailable (no /proc/self/status)"
		}
	case shapeCatalogue:
		rss.Name = "memory: " + what + " (catalogue, ~4 KiB): peak RSS"
		heap.Name = "memory: " + what + " (catalogue, ~4 KiB): heap + stacks"
		rss.Note = "generated work_created events as `revhook send` hands them over (encoded, labels only); no target (the bodies alone are ~400 MB before the engine deflates them)"
	}
	heap.Note = fmt.Sprintf("after GC: heap %.1f MiB + stacks %.1f MiB (%d goroutines); %.0f bytes per event held",
		mib(q.At.HeapInuse), mib(q.At.StackInuse), q.At.Goroutines, float64(held)/float64(events))
	return []Row{rss, heap}, nil
}

// mib converts bytes to MiB.
func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// thousands writes n with a space every three digits ("100 000").
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
