package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/revhook/revhook/steps/report"
)

// Evidence bounds.
const (
	previewBytes        = 512     // body previews in the report
	inlineBodyLimit     = 8 << 10 // bodies up to this size are inlined in curl
	evidencePerScenario = 4
	evidencePerReq      = 8
)

// evidence turns an exchange into report evidence. reqID names the
// requirement for the re-run hint of bodies too large to inline.
func (e *env) evidence(x *exchange, scenario, reqID string) report.Evidence {
	sum := sha256.Sum256(x.body)
	ev := report.Evidence{
		Scenario: scenario,
		Note:     x.what,
		Request: report.Request{
			Method:      x.method,
			URL:         e.url,
			Headers:     flatten(x.header),
			BodySHA256:  hex.EncodeToString(sum[:]),
			BodyPreview: preview(x.body),
			BodyBytes:   len(x.body),
		},
		Response: report.Response{
			Status:      x.status,
			Headers:     flatten(x.respHeader),
			BodyPreview: preview(x.respBody),
			LatencyMS:   x.latency.Milliseconds(),
		},
		Reproduce: e.curl(x, reqID),
	}
	if x.err != nil {
		ev.Response.Error = x.err.Error()
	}
	if ev.Request.Headers == nil {
		ev.Request.Headers = map[string]string{}
	}
	if ev.Response.Headers == nil {
		ev.Response.Headers = map[string]string{}
	}
	return ev
}

func flatten(h http.Header) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// preview is at most previewBytes of b, cut on a rune boundary, with
// invalid UTF-8 replaced.
func preview(b []byte) string {
	if len(b) > previewBytes {
		b = b[:previewBytes]
		for len(b) > 0 && !utf8.Valid(b) && len(b) > previewBytes-utf8.UTFMax {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// curl returns a command that repeats the exchange.
func (e *env) curl(x *exchange, reqID string) string {
	var b strings.Builder
	b.WriteString("curl -sS -i")
	if e.s.Insecure {
		b.WriteString(" -k")
	}
	fmt.Fprintf(&b, " --max-time %g -X %s %s", e.s.Timeout.Seconds(), x.method, shellQuote(e.url))
	keys := make([]string, 0, len(x.header))
	for k := range x.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range x.header[k] {
			fmt.Fprintf(&b, " -H %s", shellQuote(k+": "+v))
		}
	}
	rerun := fmt.Sprintf("revhook check --url %s --only %s", shellQuote(e.url), reqID)
	switch {
	case x.body == nil:
	case len(x.body) <= inlineBodyLimit && !strings.ContainsRune(string(x.body), 0):
		fmt.Fprintf(&b, " --data-binary %s", shellQuote(string(x.body)))
	default:
		fmt.Fprintf(&b, " --data-binary @body.json\n# body.json: the %d-byte body (sha256 above) is too large to inline here; re-run `%s` to send a fresh one", len(x.body), rerun)
	}
	if x.raw != "" {
		fmt.Fprintf(&b, "\n# not reproducible with curl: %s; re-run `%s`", x.raw, rerun)
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
