package main

import (
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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// Issue 12's targets for `revhook send` as users run it: a whole process,
// measured from outside, against a loopback sink.
const (
	sendConcurrency  = 32
	sendBareTarget   = 0.9 // × the bare net/http loop's throughput
	sendVegetaTarget = 1.0 // × vegeta's
	sendRSSCount     = 200_000
	sendRSSTarget    = 100 << 20
	sendRSSSmall     = 20_000
	sendRSSLarge     = 1_000_000 // with -send-million
	sendFlatTarget   = 1.25      // peak RSS at the larger count ÷ at 20 000
	sendFirstTarget  = 50 * time.Millisecond
	sendFirstCount   = 1_000_000
	// sendMinRounds is the fewest interleaved rounds the throughput
	// comparison runs: its per-round ratios spread widely on a shared
	// machine, and the median of five is steadier than of three.
	sendMinRounds = 5
	sendSecret    = "bench-s3cr3t-value"
	// vegetaModule is built from the module proxy into a temporary
	// directory (go install pkg@version: outside this module, which
	// does not depend on it).
	vegetaModule = "github.com/tsenart/vegeta/v12@v12.13.0"
	// sendProcessTimeout bounds every process the send rows start.
	sendProcessTimeout = 5 * time.Minute
)

// sendTools are the programs the send rows run.
type sendTools struct {
	dir, revhook, vegeta string
	vegetaErr            error // why vegeta is missing, if it is
}

// buildSendTools builds revhook from this checkout and vegeta from the
// module proxy into a temporary directory; remove it with close.
func buildSendTools(s Settings, withVegeta bool) (*sendTools, error) {
	dir, err := os.MkdirTemp("", "revhook-bench-send-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	t := &sendTools{dir: dir, revhook: filepath.Join(dir, "revhook"), vegeta: filepath.Join(dir, "vegeta")}
	root, err := moduleRoot()
	if err != nil {
		t.close()
		return nil, err
	}
	fmt.Fprintf(s.Log, "bench:   building revhook…\n")
	if out, err := goCommand(root, nil, "build", "-o", t.revhook, "./cmd/revhook"); err != nil {
		t.close()
		return nil, fmt.Errorf("build revhook: %w: %s", err, out)
	}
	if !withVegeta {
		t.vegetaErr = errors.New("not built for this measurement")
		return t, nil
	}
	if s.Quick {
		t.vegetaErr = errors.New("not built in -quick runs (it downloads and compiles vegeta)")
		return t, nil
	}
	fmt.Fprintf(s.Log, "bench:   building %s (first time: a minute)…\n", vegetaModule)
	if out, err := goCommand(dir, []string{"GOBIN=" + dir, "GOFLAGS=-mod=mod"}, "install", vegetaModule); err != nil {
		t.vegetaErr = fmt.Errorf("go install %s: %v: %s", vegetaModule, err, strings.TrimSpace(out))
	}
	return t, nil
}

func (t *sendTools) close() { _ = os.RemoveAll(t.dir) }

// goCommand runs the go tool in dir with extra environment variables.
func goCommand(dir string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sendProcessTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// moduleRoot is the directory of this checkout's go.mod.
func moduleRoot() (string, error) {
	out, err := goCommand(".", nil, "env", "GOMOD")
	gomod := strings.TrimSpace(out)
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("find the revhook module (run the bench from the repository): %v %s", err, out)
	}
	return filepath.Dir(gomod), nil
}

// sendSink is a loopback receiver that drains the body, answers 200, and
// tells when its first request arrived.
type sendSink struct {
	URL      string
	requests atomic.Int64
	once     sync.Once
	firstAt  time.Time
	first    chan struct{}
	srv      *httptest.Server
}

func newSendSink() *sendSink {
	s := &sendSink{first: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.once.Do(func() { s.firstAt = time.Now(); close(s.first) })
		s.requests.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	s.URL = s.srv.URL + "/"
	return s
}

func (s *sendSink) close() { s.srv.Close() }

// typicalBody is a catalogue work_created event (what `revhook send` sends
// by default) of median encoded size among 64, and its signature: what the
// baselines send, every time.
func typicalBody() ([]byte, string, error) {
	g := event.NewGenerator(event.Options{Seed: 1})
	wid := g.WebhookID()
	var bodies [][]byte
	for range 64 {
		ev, err := g.New("work_created", wid)
		if err != nil {
			return nil, "", err
		}
		b, err := ev.Encode()
		if err != nil {
			return nil, "", err
		}
		bodies = append(bodies, b)
	}
	slices.SortFunc(bodies, func(a, b []byte) int { return len(a) - len(b) })
	body := bodies[len(bodies)/2]
	signer, err := signature.NewSigner(sendSecret, signature.Hex, signature.KeyRaw)
	if err != nil {
		return nil, "", err
	}
	return body, signer.Sign(body), nil
}

// processRun is one whole process measured from outside.
type processRun struct {
	wall    time.Duration
	cpu     time.Duration // user + system, from the process's rusage
	peakRSS uint64        // bytes, from the process's rusage
	stdout  string
	code    int
}

// runProcess starts name with args and waits for it (bounded).
func runProcess(name string, env []string, args ...string) (processRun, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sendProcessTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	var hwm uint64
	if err == nil {
		stop := pollHWM(cmd.Process.Pid, &hwm)
		err = cmd.Wait()
		stop()
	}
	r := processRun{wall: time.Since(start), stdout: stdout.String(), code: cmd.ProcessState.ExitCode(), peakRSS: hwm}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if r.peakRSS == 0 { // no /proc: rusage, which counts the parent's RSS at exec too
			r.peakRSS = uint64(ru.Maxrss) << 10 // kilobytes on Linux
		}
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err != nil {
		return r, fmt.Errorf("%s: %w: %s", filepath.Base(name), err, strings.TrimSpace(stderr.String()))
	}
	return r, nil
}

// pollHWM reads pid's VmHWM into *hwm every few milliseconds until the
// returned stop is called. rusage's maxrss cannot be used: a child started
// with vfork reports the parent's high-water mark at exec as its own (the
// bench parent's ~50 MiB for every child). VmHWM only grows, so the last
// reading before exit is the peak, give or take the process's last
// milliseconds.
func pollHWM(pid int, hwm *uint64) (stop func()) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if h, _ := procStatusOf(path); h > *hwm {
				*hwm = h
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// revhookSend runs `revhook send --count n --quiet` at the bench's
// concurrency against url.
func (t *sendTools) revhookSend(url string, n int) (processRun, error) {
	return runProcess(t.revhook, nil, "send", "--url", url, "--secret", sendSecret, "--count", strconv.Itoa(n),
		"--concurrency", strconv.Itoa(sendConcurrency), "--quiet", "--seed", "1")
}

// bareSend runs the bare net/http loop in a child process of this binary.
func bareSend(url string, n int, body []byte, sig string) (processRun, error) {
	exe, err := os.Executable()
	if err != nil {
		return processRun{}, fmt.Errorf("find this binary: %w", err)
	}
	spec, err := json.Marshal(childSpec{Kind: "bare", N: n, URL: url, Body: body, Signature: sig, Concurrency: sendConcurrency})
	if err != nil {
		return processRun{}, err
	}
	return runProcess(exe, []string{childEnv + "=" + string(spec), "GORACE=atexit_sleep_ms=0"})
}

// vegetaSend runs vegeta at the same concurrency for d and returns the
// run and the number of requests it made.
func (t *sendTools) vegetaSend(url string, d time.Duration, body []byte, sig string) (processRun, int, error) {
	bodyFile, targets, results := filepath.Join(t.dir, "body.json"), filepath.Join(t.dir, "targets.txt"), filepath.Join(t.dir, "results.bin")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return processRun{}, 0, err
	}
	target := fmt.Sprintf("POST %s\nContent-Type: application/json\n%s: %s\n@%s\n", url, signature.Header, sig, bodyFile)
	if err := os.WriteFile(targets, []byte(target), 0o600); err != nil {
		return processRun{}, 0, err
	}
	c := strconv.Itoa(sendConcurrency)
	run, err := runProcess(t.vegeta, nil, "attack", "-targets="+targets, "-rate=0", "-workers="+c, "-max-workers="+c,
		"-duration="+d.String(), "-output="+results)
	if err != nil {
		return run, 0, err
	}
	rep, err := runProcess(t.vegeta, nil, "report", "-type=json", results)
	if err != nil {
		return run, 0, err
	}
	var r struct {
		Requests int     `json:"requests"`
		Success  float64 `json:"success"`
	}
	if err := json.Unmarshal([]byte(rep.stdout), &r); err != nil {
		return run, 0, fmt.Errorf("vegeta report: %w", err)
	}
	if r.Success < 1 {
		return run, 0, fmt.Errorf("vegeta: success ratio %.4f", r.Success)
	}
	return run, r.Requests, nil
}

// childBare is the bare loop: n POSTs of one signed body from concurrency
// goroutines with a plain keep-alive net/http client.
func childBare(ctx context.Context, cs childSpec) error {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cs.Concurrency, MaxConnsPerHost: cs.Concurrency}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range cs.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cs.N) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, cs.URL, bytes.NewReader(cs.Body))
				if err != nil {
					failed.Add(1)
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(signature.Header, cs.Signature)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d requests failed", n, cs.N)
	}
	return nil
}

// measureSend compares the whole `revhook send --quiet` process with a bare
// net/http loop and with vegeta, at the same concurrency against the same
// loopback sink, interleaved round by round so that all three see the
// same machine load; the best round of each is kept.
func measureSend(s Settings) ([]Row, error) {
	tools, err := buildSendTools(s, true)
	if err != nil {
		return nil, err
	}
	defer tools.close()
	body, sig, err := typicalBody()
	if err != nil {
		return nil, err
	}
	sink := newSendSink()
	defer sink.close()
	n := 20_000
	if s.Quick {
		n = 300
	}
	var bestRev, bestBare, bestVeg float64
	var ratios, vratios, cpuRatios, vcpuRatios []float64
	var revCPU, bareCPU, vegCPU []float64 // µs per request
	rounds := s.Rounds
	if !s.Quick {
		rounds = max(rounds, sendMinRounds)
	}
	for round := 1; round <= rounds; round++ {
		bare, err := bareSend(sink.URL, n, body, sig)
		if err != nil {
			return nil, err
		}
		rev, err := tools.revhookSend(sink.URL, n)
		if err != nil {
			return nil, err
		}
		b, r := float64(n)/bare.wall.Seconds(), float64(n)/rev.wall.Seconds()
		bestBare, bestRev = max(bestBare, b), max(bestRev, r)
		ratios = append(ratios, r/b)
		rc, bc := perRequest(rev.cpu, n), perRequest(bare.cpu, n)
		revCPU, bareCPU, cpuRatios = append(revCPU, rc), append(bareCPU, bc), append(cpuRatios, rc/bc)
		line := fmt.Sprintf("bench:   round %d: bare %.0f/s, revhook send %.0f/s (%.2f×); CPU/request bare %.0f µs, revhook %.0f µs", round, b, r, r/b, bc, rc)
		if tools.vegetaErr == nil {
			veg, reqs, err := tools.vegetaSend(sink.URL, bare.wall, body, sig)
			if err != nil {
				return nil, err
			}
			v := float64(reqs) / veg.wall.Seconds()
			bestVeg = max(bestVeg, v)
			vratios = append(vratios, r/v)
			vc := perRequest(veg.cpu, reqs)
			vegCPU, vcpuRatios = append(vegCPU, vc), append(vcpuRatios, rc/vc)
			line += fmt.Sprintf(", vegeta %.0f/s (revhook %.2f×), %.0f µs", v, r/v, vc)
		}
		fmt.Fprintln(s.Log, line)
	}
	note := fmt.Sprintf("whole processes, concurrency %d, %d events, loopback sink; baselines send one signed %d-byte work_created body", sendConcurrency, n, len(body))
	// Each round runs the contestants back to back under the same load, so
	// the ratio within a round is the comparison; the median of the rounds'
	// ratios is judged (on a shared machine the best rounds of each
	// contestant may come from different loads).
	bareRatio, vegRatio := median(ratios), median(vratios)
	rows := []Row{
		{Name: "send: revhook send --quiet, whole process", Value: bestRev, Unit: "events/s", Note: note + "; best round"},
		{Name: "send: bare net/http loop, whole process", Value: bestBare, Unit: "requests/s", Note: "same sink, concurrency, one pre-signed body; best round"},
		{Name: "send: revhook ÷ bare loop, throughput", Value: bareRatio, Unit: "×", Target: fmt.Sprintf("≥ %.1f×", sendBareTarget),
			OK: check(bareRatio >= sendBareTarget), Note: fmt.Sprintf("median of %d interleaved rounds (%s); ratio of the best rounds %.2f×", len(ratios), spread(ratios), bestRev/bestBare)},
		{Name: "send: CPU per request, revhook ÷ bare loop", Value: median(cpuRatios), Unit: "×",
			Note: fmt.Sprintf("user+sys of each whole process ÷ requests, median: revhook %.0f µs, bare %.0f µs (less sensitive to other load than throughput)", median(revCPU), median(bareCPU))},
	}
	if tools.vegetaErr != nil {
		rows = append(rows, Row{Name: "send: revhook ÷ vegeta, throughput", Unit: "×",
			Note: fmt.Sprintf("target ≥ %.1f× not measured: vegeta %v", sendVegetaTarget, tools.vegetaErr)})
		return rows, nil
	}
	return append(rows,
		Row{Name: "send: vegeta -rate=0, whole process", Value: bestVeg, Unit: "requests/s", Note: vegetaModule + ", -workers=-max-workers=32, as long as the bare loop ran; best round"},
		Row{Name: "send: revhook ÷ vegeta, throughput", Value: vegRatio, Unit: "×", Target: fmt.Sprintf("≥ %.1f×", sendVegetaTarget),
			OK: check(vegRatio >= sendVegetaTarget), Note: fmt.Sprintf("median of %d interleaved rounds (%s); ratio of the best rounds %.2f×", len(vratios), spread(vratios), bestRev/bestVeg)},
		Row{Name: "send: CPU per request, revhook ÷ vegeta", Value: median(vcpuRatios), Unit: "×",
			Note: fmt.Sprintf("median: vegeta %.0f µs per request (it also encodes every result to its output file)", median(vegCPU))},
	), nil
}

// perRequest is cpu in microseconds per request.
func perRequest(cpu time.Duration, n int) float64 {
	return float64(cpu) / float64(time.Microsecond) / float64(max(n, 1))
}

// median of xs (0 for none); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread writes the smallest and largest of xs as "a–b×".
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f–%.2f×", slices.Min(xs), slices.Max(xs))
}

// measureSendMemory measures the peak RSS of whole `revhook send --quiet`
// processes for 20 000 and 200 000 events (and 1 000 000 with
// -send-million): memory must not grow with --count.
func measureSendMemory(s Settings) ([]Row, error) {
	tools, err := buildSendTools(s, false)
	if err != nil {
		return nil, err
	}
	defer tools.close()
	sink := newSendSink()
	defer sink.close()
	small, large := sendRSSSmall, sendRSSCount
	if s.Quick {
		small, large = 200, 2000
	}
	counts := []int{small, large}
	if s.SendMillion && !s.Quick {
		counts = append(counts, sendRSSLarge)
	}
	peaks := map[int]uint64{}
	for _, n := range counts {
		run, err := tools.revhookSend(sink.URL, n)
		if err != nil {
			return nil, err
		}
		peaks[n] = run.peakRSS
		fmt.Fprintf(s.Log, "bench:   --count %d: peak RSS %.1f MiB in %s\n", n, float64(run.peakRSS)/(1<<20), run.wall.Round(time.Millisecond))
	}
	var rows []Row
	for _, n := range counts {
		r := Row{Name: fmt.Sprintf("send: peak RSS, --count %d", n), Value: float64(peaks[n]) / (1 << 20), Unit: "MiB",
			Note: fmt.Sprintf("whole process, --quiet, concurrency %d", sendConcurrency)}
		if n == sendRSSCount || (s.Quick && n == large) {
			r.Target, r.OK = fmt.Sprintf("≤ %d MiB", sendRSSTarget>>20), check(peaks[n] <= sendRSSTarget)
		}
		rows = append(rows, r)
	}
	top := counts[len(counts)-1]
	growth := float64(peaks[top]) / float64(max(peaks[small], 1))
	rows = append(rows, Row{Name: fmt.Sprintf("send: peak RSS growth, %d → %d events", small, top), Value: growth, Unit: "×",
		Target: fmt.Sprintf("≤ %.2f× (flat)", sendFlatTarget), OK: check(growth <= sendFlatTarget)})
	return rows, nil
}

// measureFirstDelivery times, for each round, a `revhook send --count
// 1000000 --quiet` process from its start to the sink's first request, then
// interrupts it as Ctrl-C would and checks that it stops at once with the
// summary and exit 130.
func measureFirstDelivery(s Settings) ([]Row, error) {
	tools, err := buildSendTools(s, false)
	if err != nil {
		return nil, err
	}
	defer tools.close()
	var firsts, stops, floors []time.Duration
	interruptOK := true
	for round := 1; round <= max(s.Rounds, 3); round++ {
		floor, err := runProcess(tools.revhook, nil, "--version")
		if err != nil {
			return nil, err
		}
		first, stop, ok, err := firstDelivery(tools.revhook)
		if err != nil {
			return nil, err
		}
		firsts, stops, floors = append(firsts, first), append(stops, stop), append(floors, floor.wall)
		interruptOK = interruptOK && ok
		fmt.Fprintf(s.Log, "bench:   round %d: revhook --version %s; first delivery after %s; SIGINT to exit %s\n",
			round, floor.wall.Round(time.Microsecond), first.Round(time.Microsecond), stop.Round(time.Microsecond))
	}
	slices.Sort(firsts)
	slices.Sort(stops)
	slices.Sort(floors)
	med, floor := firsts[len(firsts)/2], floors[len(floors)/2]
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return []Row{
		{Name: fmt.Sprintf("send: time to first delivery, --count %d", sendFirstCount), Value: ms(med), Unit: "ms",
			Target: fmt.Sprintf("< %d ms", sendFirstTarget/time.Millisecond), OK: check(med < sendFirstTarget),
			Note: "median; from process start (exec included) to the sink's first request"},
		{Name: "send: process start floor (revhook --version, whole process)", Value: ms(floor), Unit: "ms",
			Note: "median, same rounds: exec, runtime and package init (godog's alone is ~15 ms), exit"},
		{Name: "send: Ctrl-C stops at once", Value: float64(stops[len(stops)-1]) / float64(time.Millisecond), Unit: "ms",
			Target: "summary printed, exit 130", OK: check(interruptOK), Note: "slowest round, SIGINT to exit, 32 requests in flight"},
	}, nil
}

// firstDelivery runs one interrupted send: the time to the first request,
// the time from SIGINT to exit, and whether it exited 130 with a summary.
func firstDelivery(revhook string) (first, stop time.Duration, ok bool, err error) {
	sink := newSendSink()
	defer sink.close()
	ctx, cancel := context.WithTimeout(context.Background(), sendProcessTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, revhook, "send", "--url", sink.URL, "--secret", sendSecret,
		"--count", strconv.Itoa(sendFirstCount), "--concurrency", strconv.Itoa(sendConcurrency), "--quiet")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, false, fmt.Errorf("start revhook: %w", err)
	}
	select {
	case <-sink.first:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, 0, false, errors.New("revhook send: no delivery within 30 s")
	}
	first = sink.firstAt.Sub(start)
	sigAt := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, 0, false, fmt.Errorf("interrupt revhook: %w", err)
	}
	werr := cmd.Wait()
	stop = time.Since(sigAt)
	var exit *exec.ExitError
	ok = errors.As(werr, &exit) && exit.ExitCode() == 130 && strings.Contains(stdout.String(), "interrupted after")
	return first, stop, ok, nil
}
