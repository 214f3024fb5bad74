// Command bench is `make bench`: it runs revhook's performance measurements
// in one process, prints a table with each target beside its figure, and
// writes the results to bench.json so runs can be compared.
//
// Every row comes from a named measurement in measurements(); to add rows,
// add a measurement (a name and a function returning rows).
//
// Memory rows run in child processes: the bench re-executes itself with
// REVHOOK_BENCH_CHILD set, so each peak RSS belongs to one row alone.
//
//	go run ./bench [-benchtime 1s] [-rounds 3] [-concurrency 8] [-json bench.json] [-only delivery,latency,check,memory,retry,sign,send,send-memory,send-first] [-quick] [-send-million]
//
// The send rows measure what users run: whole `revhook send` processes
// (built from this checkout) against a bare net/http loop and vegeta (built
// from the module proxy into a temporary directory), at concurrency 32.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// Row is one line of the results table.
type Row struct {
	// Measurement is the name of the measurement that produced the row.
	Measurement string `json:"measurement"`
	// Name says what was measured.
	Name string `json:"name"`
	// Value is the figure, in Unit.
	Value float64 `json:"value"`
	// Unit of Value (deliveries/s, ns/op, allocs/op, ×, …).
	Unit string `json:"unit"`
	// Target is the goal in words ("≥ 0.8×"), empty when there is none.
	Target string `json:"target,omitempty"`
	// OK tells whether the target was met; nil when there is no target.
	OK *bool `json:"ok,omitempty"`
	// Note adds context (how it was measured).
	Note string `json:"note,omitempty"`
}

// Settings are the knobs every measurement may read.
type Settings struct {
	Benchtime   time.Duration
	Rounds      int
	Concurrency int
	// Quick shrinks every measurement to prove it works, not to measure
	// (the unit tests; -quick).
	Quick bool
	// SendMillion adds a 1 000 000-event peak RSS row to send-memory.
	SendMillion bool
	Log         io.Writer // progress messages
}

// Measurement is a named group of rows.
type Measurement struct {
	// Name selects the measurement with -only.
	Name string
	// Run measures and returns its rows; an error aborts the run.
	Run func(s Settings) ([]Row, error)
}

// measurements lists everything `make bench` measures, in print order.
// Add new measurements here.
func measurements() []Measurement {
	return []Measurement{
		{Name: "delivery", Run: measureDelivery},
		{Name: "latency", Run: measureLatency},
		{Name: "check", Run: measureCheck},
		{Name: "memory", Run: measureMemory},
		{Name: "retry", Run: measureRetry},
		{Name: "sign", Run: measureSign},
		{Name: "send", Run: measureSend},
		{Name: "send-memory", Run: measureSendMemory},
		{Name: "send-first", Run: measureFirstDelivery},
		{Name: "serve", Run: measureServe},
	}
}

// Report is the bench.json document.
type Report struct {
	Schema     string    `json:"schema"`
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	GoVersion  string    `json:"go_version"`
	GOOS       string    `json:"goos"`
	GOARCH     string    `json:"goarch"`
	CPUs       int       `json:"cpus"`
	Settings   struct {
		Benchtime   string `json:"benchtime"`
		Rounds      int    `json:"rounds"`
		Concurrency int    `json:"concurrency"`
		Quick       bool   `json:"quick,omitempty"`
	} `json:"settings"`
	Rows []Row `json:"rows"`
}

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec, os.Stdout, os.Stderr))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	testing.Init()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	benchtime := fs.Duration("benchtime", time.Second, "target duration of each benchmark run")
	rounds := fs.Int("rounds", 3, "rounds of interleaved runs for comparisons (the best of each is kept)")
	concurrency := fs.Int("concurrency", 8, "concurrency of the delivery benchmarks (engine and bare loop alike)")
	jsonPath := fs.String("json", "bench.json", "where to write the results as JSON (empty: do not write)")
	only := fs.String("only", "", "comma-separated measurement names to run (default all)")
	quick := fs.Bool("quick", false, "tiny runs that prove each measurement works (figures not meaningful)")
	million := fs.Bool("send-million", false, "send-memory: also measure --count 1000000 (a few minutes)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *benchtime <= 0 || *rounds < 1 || *concurrency < 1 {
		fmt.Fprintln(stderr, "bench: -benchtime, -rounds and -concurrency must be positive")
		return 2
	}
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fmt.Fprintf(stderr, "bench: set benchtime: %v\n", err)
		return 2
	}
	selected, err := selectMeasurements(measurements(), *only)
	if err != nil {
		fmt.Fprintf(stderr, "bench: -only: %v\n", err)
		return 2
	}

	rep := Report{
		Schema: "revhook.bench/v1", StartedAt: time.Now().UTC(), GoVersion: runtime.Version(),
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(),
	}
	rep.Settings.Benchtime, rep.Settings.Rounds, rep.Settings.Concurrency = benchtime.String(), *rounds, *concurrency
	rep.Settings.Quick = *quick
	s := Settings{Benchtime: *benchtime, Rounds: *rounds, Concurrency: *concurrency, Quick: *quick, SendMillion: *million, Log: stderr}
	for _, m := range selected {
		fmt.Fprintf(stderr, "bench: measuring %s…\n", m.Name)
		rows, err := m.Run(s)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: %v\n", m.Name, err)
			return 1
		}
		for i := range rows {
			rows[i].Measurement = m.Name
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	rep.DurationMS = time.Since(rep.StartedAt).Milliseconds()

	printTable(stdout, rep)
	if *jsonPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "bench: encode results: %v\n", err)
			return 1
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintf(stderr, "bench: write %s: %v\n", *jsonPath, err)
			return 1
		}
		fmt.Fprintf(stdout, "\nresults written to %s\n", *jsonPath)
	}
	for _, r := range rep.Rows {
		if r.OK != nil && !*r.OK {
			return 1
		}
	}
	return 0
}

func selectMeasurements(all []Measurement, only string) ([]Measurement, error) {
	if strings.TrimSpace(only) == "" {
		return all, nil
	}
	var out []Measurement
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, m := range all {
			if m.Name == name {
				out = append(out, m)
				found = true
			}
		}
		if !found {
			names := make([]string, len(all))
			for i, m := range all {
				names[i] = m.Name
			}
			return nil, fmt.Errorf("unknown measurement %q (have %s)", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

func printTable(w io.Writer, rep Report) {
	fmt.Fprintf(w, "revhook bench — %s %s/%s, %d CPUs, benchtime %s, best of %d rounds\n\n",
		rep.GoVersion, rep.GOOS, rep.GOARCH, rep.CPUs, rep.Settings.Benchtime, rep.Settings.Rounds)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tvalue\tunit\ttarget\tresult\tnote")
	for _, r := range rep.Rows {
		result := ""
		if r.OK != nil {
			result = map[bool]string{true: "ok", false: "MISSED"}[*r.OK]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, formatValue(r.Value), r.Unit, r.Target, result, r.Note)
	}
	_ = tw.Flush()
}

func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// check returns a pointer to ok, for Row.OK.
func check(ok bool) *bool { return &ok }
