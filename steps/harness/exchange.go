// Package harness is the core of `revhook check`, with no godog in it: the
// exchanges the harness makes with a receiver, the conservative base event
// every scenario starts from, its control (the same event correctly signed),
// the variations a scenario applies to it, the judges that read an answer,
// and the verdicts — pass, root failure, or blocked by the failure of the
// requirement that covers a control — with their evidence.
//
// Package steps binds it to the Gherkin scenarios of package features; a
// requirement lives in one place: its Rule in a feature file, its variation
// table here (the names are the feature files' phrases), its faulty fixture
// in fixtures/faulty.
package harness

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Exchange is one request the harness made and what came back.
type Exchange struct {
	// What describes the request in a reason: "a work_created event signed
	// with a random signature".
	What string
	// Control marks an exchange that proves a precondition (the base event
	// accepted) before the property under test is varied.
	Control bool
	Method  string
	Header  http.Header
	Body    []byte

	Status     int
	RespHeader http.Header
	RespBody   []byte
	// Truncated reports that the body went on past MaxResponseBytes (it
	// was not read further).
	Truncated bool
	Latency   time.Duration
	// Err is set when no complete answer arrived within the deadline and
	// its grace; Late is set when the answer came after the deadline.
	Err  error
	Late bool

	// Raw, for an attempt cut short on purpose over a raw socket, says
	// what the harness did ("closed the connection after …").
	Raw string
	// Challenge is the verify challenge the request carried, if any.
	Challenge string
	// Recipe is how `revhook replay` rebuilds the exchange.
	Recipe Recipe
	// Waited lists the pauses the receiver asked for (429, or 503 with a
	// Retry-After) before the answer recorded, each followed by the same
	// request again; Throttle says why the harness stopped retrying.
	Waited   []time.Duration
	Throttle string
}

// retryAfter reports whether the answer asks for the request again later
// (429, or 503 with a Retry-After), and after how long: its Retry-After in
// seconds or as a date, 1 s when absent.
func (x *Exchange) retryAfter(now time.Time) (time.Duration, bool) {
	if x.Err != nil || (x.Status != http.StatusTooManyRequests && x.Status != http.StatusServiceUnavailable) {
		return 0, false
	}
	ra := strings.TrimSpace(x.RespHeader.Get("Retry-After"))
	if ra == "" {
		if x.Status != http.StatusTooManyRequests {
			return 0, false // a plain 503 is an error, not back-pressure
		}
		return time.Second, true
	}
	if n, err := strconv.Atoi(ra); err == nil && n >= 0 {
		return time.Duration(min(n, 1<<20)) * time.Second, true
	}
	if t, err := http.ParseTime(ra); err == nil {
		return max(t.Sub(now), 0), true
	}
	return time.Second, true
}

// Recipe is what rebuilds an exchange with a fresh timestamp and signature:
// the base body before the variation and the variation's name.
type Recipe struct {
	// Base is the unvaried, correctly encoded base event (nil: no body).
	Base []byte
	// Variation names the variation applied ("" for none).
	Variation string
	// PadTo rebuilds a large body from Base (ROB-02).
	PadTo int
	// NotReplayable says why the exchange cannot be replayed ("" if it can).
	NotReplayable string
}

// OK reports a complete 2xx answer (late or not).
func (x *Exchange) OK() bool { return x.Err == nil && x.Status >= 200 && x.Status <= 299 }

// Answered reports that a complete answer arrived (late or not).
func (x *Exchange) Answered() bool { return x.Err == nil }

// Outcome describes the answer in a few words: "401 {"error":…}", "no
// answer (timeout …)", "200 after 4.1 s, over the 3 s deadline".
func (x *Exchange) Outcome() string {
	if x.Err != nil {
		return "no answer (" + x.Err.Error() + ")"
	}
	s := fmt.Sprintf("%d", x.Status)
	if loc := x.RespHeader.Get("Location"); x.Status >= 300 && x.Status <= 399 && loc != "" {
		s += " (a redirect to " + loc + ", which DevRev does not follow)"
	}
	if b := Snippet(x.RespBody, 100); b != "" {
		s += " " + b
	}
	if x.Truncated {
		s += fmt.Sprintf(" (the response body exceeded %d KiB; read no further)", MaxResponseBytes>>10)
	}
	if x.Late {
		s += fmt.Sprintf(" after %s", seconds(x.Latency))
	}
	if x.Throttle != "" {
		s += " (" + x.Throttle + ")"
	}
	return s
}

// seconds writes d as "4.1 s" (or "350 ms" under a second).
func seconds(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// Snippet is a one-line, bounded excerpt of a response body.
func Snippet(b []byte, limit int) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), limit*4)]), "�")), " ")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

// QuoteShort quotes s, cut to 60 runes.
func QuoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%q…", string(r[:60]))
	}
	return fmt.Sprintf("%q", s)
}
