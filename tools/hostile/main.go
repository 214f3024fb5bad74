// Command hostile is `make hostile`: it runs the real `revhook check`
// binary against fifteen hostile receivers on loopback — one that never
// answers, trickles, floods, resets, redirects forever, fails TLS, … — and
// measures what each costs the whole check process: wall time and peak RSS
// (VmHWM of the child, and its rusage). Each must stay within -max-wall
// and -max-rss, exit 1, and give a one-line reason that names what the
// receiver did (a regexp per receiver). It prints a table and exits 1 when
// a bound is missed.
//
//	go run ./tools/hostile -revhook bin/revhook [-only trickle,reset] [-max-wall 12s] [-max-rss 150]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// secret is the webhook secret every row checks with.
const secret = "hostile-secret-1"

// settings are the command's flags.
type settings struct {
	revhook string
	only    map[string]bool
	maxWall time.Duration
	maxRSS  int64 // MiB
}

// result is one row of the table.
type result struct {
	r      receiver
	wall   time.Duration
	rssKiB int64
	code   int
	reason string
	err    error
}

// ok reports whether the row met every bound.
func (x result) ok(s settings) bool { return len(x.misses(s)) == 0 }

// misses lists the bounds the row missed.
func (x result) misses(s settings) []string {
	var m []string
	if x.err != nil {
		return []string{x.err.Error()}
	}
	if x.wall > s.maxWall {
		m = append(m, fmt.Sprintf("wall %s > %s", x.wall.Round(10*time.Millisecond), s.maxWall))
	}
	if x.rssKiB > s.maxRSS<<10 {
		m = append(m, fmt.Sprintf("RSS %d MiB > %d MiB", x.rssKiB>>10, s.maxRSS))
	}
	if x.code != 1 {
		m = append(m, fmt.Sprintf("exit %d, want 1", x.code))
	}
	if !regexp.MustCompile("(?i)" + x.r.reason).MatchString(x.reason) {
		m = append(m, fmt.Sprintf("reason does not match /%s/", x.r.reason))
	}
	if strings.Contains(x.reason, "\n") {
		m = append(m, "reason is not one line")
	}
	return m
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hostile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	var only string
	fs.StringVar(&s.revhook, "revhook", "bin/revhook", "the revhook binary to measure (make build)")
	fs.StringVar(&only, "only", "", "comma-separated receiver names (default all)")
	fs.DurationVar(&s.maxWall, "max-wall", 12*time.Second, "wall-time bound per receiver, the whole check process")
	fs.Int64Var(&s.maxRSS, "max-rss", 150, "peak RSS bound per receiver, MiB")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if only != "" {
		s.only = map[string]bool{}
		for _, n := range strings.Split(only, ",") {
			s.only[strings.TrimSpace(n)] = true
		}
	}
	if _, err := os.Stat(s.revhook); err != nil {
		fmt.Fprintf(stderr, "hostile: %v (run make build first)\n", err)
		return 2
	}
	dir, err := os.MkdirTemp("", "revhook-hostile")
	if err != nil {
		fmt.Fprintf(stderr, "hostile: %v\n", err)
		return 2
	}
	defer os.RemoveAll(dir)
	var results []result
	for _, r := range receivers() {
		if s.only != nil && !s.only[r.name] {
			continue
		}
		x := measure(s, r, dir)
		fmt.Fprintf(stderr, "hostile: %-26s %6.1f s %4d MiB exit %d\n", r.name, x.wall.Seconds(), x.rssKiB>>10, x.code)
		results = append(results, x)
	}
	return table(stdout, s, results)
}

// table prints the results and returns 1 when a row missed a bound.
func table(w io.Writer, s settings, results []result) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "receiver\twhat it does\twall\tpeak RSS\texit\tok\treason\n")
	failed := 0
	for _, x := range results {
		mark := "ok"
		if !x.ok(s) {
			mark = "MISS: " + strings.Join(x.misses(s), "; ")
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f s\t%d MiB\t%d\t%s\t%s\n", x.r.name, x.r.does, x.wall.Seconds(), x.rssKiB>>10, x.code, mark, x.reason)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbounds: %s wall and %d MiB peak RSS per receiver, exit 1, a reason naming what happened\n", s.maxWall, s.maxRSS)
	if failed > 0 {
		fmt.Fprintf(w, "hostile: %d of %d receivers missed a bound\n", failed, len(results))
		return 1
	}
	fmt.Fprintf(w, "hostile: all %d receivers within bounds\n", len(results))
	return 0
}

// measure runs check against r once.
func measure(s settings, r receiver, dir string) result {
	x := result{r: r}
	url, stop, err := listen(r)
	if err != nil {
		x.err = err
		return x
	}
	defer stop()
	jsonPath := filepath.Join(dir, r.name+".json")
	args := []string{"check", "--url", url, "--secret", secret, "--quiet", "--report", "json=" + jsonPath}
	// A hard stop far past the bound, so a hang cannot hang the table.
	ctx, cancel := context.WithTimeout(context.Background(), 4*s.maxWall)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.revhook, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		x.err = fmt.Errorf("start: %w", err)
		return x
	}
	peak := make(chan int64, 1)
	done := make(chan struct{})
	go func() { peak <- pollHWM(cmd.Process.Pid, done) }()
	err = cmd.Wait()
	x.wall = time.Since(start)
	close(done)
	x.rssKiB = <-peak
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > x.rssKiB {
		x.rssKiB = ru.Maxrss // KiB on Linux
	}
	x.code = cmd.ProcessState.ExitCode()
	if err != nil && x.code < 0 {
		x.err = fmt.Errorf("check did not exit by itself: %v", err)
	}
	x.reason = reasonOf(jsonPath)
	return x
}

// pollHWM reads VmHWM of pid every 20 ms until done; the highest, in KiB.
func pollHWM(pid int, done <-chan struct{}) int64 {
	var peak int64
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if v := vmHWM(pid); v > peak {
			peak = v
		}
		select {
		case <-done:
			return peak
		case <-t.C:
		}
	}
}

// vmHWM is the VmHWM line of /proc/PID/status in KiB (0 if unreadable).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// reasonOf is the reason of the first root failure in the JSON report:
// the first requirement not met that no other blocked.
func reasonOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no JSON report: " + err.Error() + ")"
	}
	var rep struct {
		Requirements []struct {
			ID, Status, Reason string
			BlockedBy          []string `json:"blocked_by"`
		} `json:"requirements"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return "(JSON report unreadable: " + err.Error() + ")"
	}
	for _, q := range rep.Requirements {
		if q.Status == "fail" && len(q.BlockedBy) == 0 {
			return q.ID + ": " + q.Reason
		}
	}
	return "(no root failure)"
}

// quietLog is the error log of the TLS receiver: the handshake errors it
// provokes are the point, not news.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
