package harness

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps/report"
)

// ran returns a finished scenario of reqID that sent xs and ended with err
// (the non-control exchanges blamed).
func ran(h *Harness, name, reqID string, err error, xs ...*Exchange) *Scenario {
	sc := h.NewScenario("verdict: "+name, name, reqID, features.Must)
	var blamed []*Exchange
	for _, x := range xs {
		sc.Record(x, !x.Control)
		if !x.Control {
			blamed = append(blamed, x)
		}
	}
	sc.Finish(sc.Blame(err, blamed...))
	return sc
}

func exchange(what string, control bool) *Exchange {
	body := []byte(`{"what":"` + what + `"}`)
	return &Exchange{
		What: what, Control: control, Method: http.MethodPost, Header: SignedHeader("sig", false), Body: body,
		Status: 401, RespHeader: http.Header{}, Recipe: Recipe{Base: body, Variation: "a random signature"},
	}
}

func requirement(t *testing.T, id string) features.Requirement {
	t.Helper()
	r, ok := features.Lookup(id)
	require.True(t, ok, id)
	return r
}

func TestVerdictAggregation(t *testing.T) {
	h := offline(t)
	blockedBy := func(by ...string) error { return &Blocked{By: by, Msg: "not observed: " + strings.Join(by, "+")} }
	passNoted := func(name, note string) *Scenario {
		sc := ran(h, name, "SIG-02", nil, exchange(name, false))
		sc.SetNote(note)
		return sc
	}
	const note = "failed while other scenarios ran (x); passed when re-run alone"
	for _, tc := range []struct {
		name      string
		scs       func() []*Scenario
		status    string
		blockedBy []string
		reason    string
		note      string
	}{
		{"all pass", func() []*Scenario {
			return []*Scenario{ran(h, "a", "SIG-02", nil), ran(h, "b", "SIG-02", nil)}
		}, report.StatusPass, nil, "", ""},
		{"a root failure beats a blocked scenario, whatever the order", func() []*Scenario {
			return []*Scenario{
				ran(h, "blocked", "SIG-02", blockedBy(CoversStatus), exchange("c", true)),
				ran(h, "root", "SIG-02", Failf("receiver answered 200"), exchange("r", false)),
			}
		}, report.StatusFail, nil, "root — receiver answered 200", ""},
		{"blocked_by is the union, sorted", func() []*Scenario {
			return []*Scenario{
				ran(h, "one", "SIG-02", blockedBy(CoversTime), exchange("c1", true)),
				ran(h, "two", "SIG-02", blockedBy(CoversStatus), exchange("c2", true)),
				ran(h, "three", "SIG-02", blockedBy(CoversTime, CoversStatus), exchange("c3", true)),
				ran(h, "fine", "SIG-02", nil),
			}
		}, report.StatusFail, []string{"ACK-01", "SIG-01"}, "one — not observed: ACK-01", ""},
		{"a pass with a note keeps the note", func() []*Scenario {
			return []*Scenario{ran(h, "plain", "SIG-02", nil), passNoted("noted", note)}
		}, report.StatusPass, nil, "", note},
		{"a failure drops the note of a pass", func() []*Scenario {
			return []*Scenario{passNoted("noted", note), ran(h, "root", "SIG-02", Failf("bad"), exchange("r", false))}
		}, report.StatusFail, nil, "root — bad", ""},
		{"no scenario", func() []*Scenario { return nil }, report.StatusFail, nil, "no scenario ran", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := h.Verdict(requirement(t, "SIG-02"), tc.scs())
			assert.Equal(t, "SIG-02", q.ID)
			assert.Equal(t, "SIG", q.Group)
			assert.Equal(t, tc.status, q.Status)
			assert.Equal(t, tc.blockedBy, q.BlockedBy)
			assert.Equal(t, tc.reason, q.Reason)
			assert.Equal(t, tc.note, q.Note)
			assert.Equal(t, len(tc.blockedBy) > 0, q.Blocked())
			if tc.status == report.StatusPass {
				assert.Empty(t, q.Evidence)
			} else if tc.reason != "no scenario ran" {
				assert.NotEmpty(t, q.Evidence)
			}
		})
	}
}

func TestVerdictScenariosKeepTheirOwnOutcome(t *testing.T) {
	h := offline(t)
	noted := ran(h, "noted", "SIG-02", nil)
	noted.SetNote("n")
	q := h.Verdict(requirement(t, "SIG-02"), []*Scenario{
		noted,
		ran(h, "blocked", "SIG-02", &Blocked{By: []string{CoversTime}, Msg: "not  observed:\n no answer"}),
	})
	assert.Equal(t, []report.Scenario{
		{Name: "noted", Status: report.StatusPass, Note: "n"},
		{Name: "blocked", Status: report.StatusFail, Reason: "not observed: no answer", BlockedBy: []string{"ACK-01"}},
	}, q.Scenarios)
}

func TestVerdictEvidenceIsCappedAndReplayable(t *testing.T) {
	h := offline(t)
	var scs []*Scenario
	for i := 0; i < 3; i++ {
		xs := []*Exchange{exchange(fmt.Sprintf("control %d", i), true)}
		for j := 0; j < 5; j++ {
			xs = append(xs, exchange(fmt.Sprintf("test %d.%d", i, j), false))
		}
		scs = append(scs, ran(h, fmt.Sprintf("s%d", i), "SIG-02", Failf("accepted"), xs...))
	}
	q := h.Verdict(requirement(t, "SIG-02"), scs)
	require.Len(t, q.Evidence, evidencePerReq)
	perScenario := map[string]int{}
	for i, e := range q.Evidence {
		perScenario[e.Scenario]++
		require.NotNil(t, e.Replay, i)
		assert.Equal(t, i+1, e.Replay.Exchange)
		assert.Equal(t, fmt.Sprintf("revhook replay --report REPORT.json SIG-02 --exchange %d", i+1), e.Replay.Command)
		assert.Equal(t, "a random signature", e.Replay.Variation)
		assert.Equal(t, http.MethodPost, e.Replay.Method)
		assert.Contains(t, e.Replay.Body, `"what":`)
	}
	assert.Equal(t, map[string]int{"s0": evidencePerScenario, "s1": evidencePerScenario}, perScenario)
	// The control comes first, then the blamed exchanges.
	assert.Equal(t, "control 0", q.Evidence[0].Note)
	assert.Equal(t, "test 0.0", q.Evidence[1].Note)
}

func TestReplayRecipe(t *testing.T) {
	big := bytes.Repeat([]byte("a"), maxReplayBody+1)
	for _, tc := range []struct {
		name string
		x    *Exchange
		ok   bool
	}{
		{"a varied event", exchange("x", false), true},
		{"a bodiless request", &Exchange{Method: http.MethodPut, Header: http.Header{}}, true},
		{"a padded event", &Exchange{Method: http.MethodPost, Body: big, Recipe: Recipe{Base: []byte(`{}`), PadTo: len(big)}}, true},
		{"a body without its base", &Exchange{Method: http.MethodPost, Body: []byte(`{}`)}, false},
		{"a base too large to store", &Exchange{Method: http.MethodPost, Body: big, Recipe: Recipe{Base: big}}, false},
		{"a raw cut attempt", &Exchange{Method: http.MethodPost, Body: []byte(`{}`), Raw: "cut", Recipe: Recipe{Base: []byte(`{}`)}}, false},
		{"not replayable", &Exchange{Method: http.MethodPost, Body: []byte(`{}`), Recipe: Recipe{Base: []byte(`{}`), NotReplayable: "why"}}, false},
	} {
		r := replayOf(tc.x, "ROB-02", 3)
		if !tc.ok {
			assert.Nil(t, r, tc.name)
			continue
		}
		require.NotNil(t, r, tc.name)
		assert.Equal(t, 3, r.Exchange, tc.name)
		assert.Equal(t, tc.x.Method, r.Method, tc.name)
		assert.Equal(t, string(tc.x.Recipe.Base), r.Body, tc.name)
		assert.Equal(t, tc.x.Recipe.PadTo, r.PadTo, tc.name)
		assert.Equal(t, "revhook replay --report REPORT.json ROB-02 --exchange 3", r.Command, tc.name)
	}
}

func TestEvidenceAndCurl(t *testing.T) {
	h := newHarness(t, "http://127.0.0.1:9/hook", func(o *Options) { o.Insecure = true })
	hd := SignedHeader("abc'def", false)
	x := &Exchange{
		What: "a thing", Method: http.MethodPost, Header: hd, Body: []byte(`{"it's":"ok"}`),
		Status: 401, RespHeader: http.Header{"Content-Type": {"application/json"}},
		RespBody: []byte(`{"error":"no"}`), Latency: 12 * time.Millisecond,
	}
	ev := h.evidence(x, "scenario", "SIG-02", 1)
	assert.Equal(t, "scenario", ev.Scenario)
	assert.Equal(t, "a thing", ev.Note)
	assert.Equal(t, "abc'def", ev.Request.Headers[signature.Header])
	assert.Equal(t, "application/json", ev.Request.Headers["Content-Type"])
	assert.Len(t, ev.Request.BodySHA256, 64)
	assert.Equal(t, `{"it's":"ok"}`, ev.Request.BodyPreview)
	assert.Equal(t, 401, ev.Response.Status)
	assert.Equal(t, `{"error":"no"}`, ev.Response.BodyPreview)
	assert.Equal(t, int64(12), ev.Response.LatencyMS)
	assert.Empty(t, ev.Response.Error)
	assert.Equal(t, `curl -sS -i -k --max-time 3 -X POST 'http://127.0.0.1:9/hook' -H 'Content-Type: application/json' -H 'X-DevRev-Signature: abc'\''def' --data-binary '{"it'\''s":"ok"}'`, ev.Reproduce)

	big := &Exchange{What: "big", Method: http.MethodPost, Header: hd, Body: bytes.Repeat([]byte("a"), 9000), Err: fmt.Errorf("timeout")}
	ev = h.evidence(big, "s", "ROB-02", 2)
	assert.Len(t, ev.Request.BodyPreview, previewBytes)
	assert.Equal(t, 9000, ev.Request.BodyBytes)
	assert.Equal(t, "timeout", ev.Response.Error)
	assert.Contains(t, ev.Reproduce, "--data-binary @body.json")
	assert.Contains(t, ev.Reproduce, "`revhook replay --report REPORT.json ROB-02 --exchange 2`")
	assert.NotNil(t, ev.Response.Headers)

	raw := &Exchange{What: "cut", Method: http.MethodPost, Header: hd, Body: []byte(`{}`), Raw: "the harness closed the connection"}
	ev = h.evidence(raw, "s", "DUP-02", 1)
	assert.Contains(t, ev.Reproduce, "# not reproducible with curl: the harness closed the connection; re-run `revhook check --url 'http://127.0.0.1:9/hook' --only DUP-02`")
	assert.Nil(t, ev.Replay)

	get := &Exchange{What: "get", Method: http.MethodGet, Header: http.Header{}}
	ev = h.evidence(get, "s", "ROB-03", 1)
	assert.NotContains(t, ev.Reproduce, "--data-binary")
	assert.NotContains(t, offline(t).evidence(get, "s", "ROB-03", 1).Reproduce, " -k")
	assert.NotNil(t, ev.Request.Headers)
}

func TestPreviewCutsOnARuneBoundary(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"2-byte runes", strings.Repeat("é", 400)},
		{"3-byte runes, off by one", "a" + strings.Repeat("€", 300)},
		{"4-byte runes, off by two", "ab" + strings.Repeat("🚀", 200)},
	} {
		p := preview([]byte(tc.in))
		assert.LessOrEqual(t, len(p), previewBytes, tc.name)
		assert.Greater(t, len(p), previewBytes-utf8.UTFMax, tc.name)
		assert.True(t, strings.HasPrefix(tc.in, p), tc.name)
		assert.NotContains(t, p, "\uFFFD", tc.name)
	}
	assert.Equal(t, "ab\uFFFDc", preview([]byte("ab\xffc")))
	assert.Equal(t, "", preview(nil))
}

func TestSnippetAndOutcome(t *testing.T) {
	assert.Equal(t, "a b c", Snippet([]byte("a\n  b\tc"), 100))
	assert.Equal(t, strings.Repeat("é", 10)+"…", Snippet([]byte(strings.Repeat("é", 50)), 10))
	for _, tc := range []struct {
		x    Exchange
		want string
	}{
		{Exchange{Status: 401, RespBody: []byte("{\"error\":\n\"no\"}")}, `401 {"error": "no"}`},
		{Exchange{Status: 302, RespHeader: http.Header{"Location": {"https://elsewhere/hook"}}}, "302 (a redirect to https://elsewhere/hook, which DevRev does not follow)"},
		{Exchange{Status: 400, Late: true, Latency: 4100 * time.Millisecond}, "400 after 4.1 s"},
		{Exchange{Status: 200, Late: true, Latency: 350 * time.Millisecond}, "200 after 350ms"},
		{Exchange{Err: fmt.Errorf("connection refused")}, "no answer (connection refused)"},
	} {
		assert.Equal(t, tc.want, tc.x.Outcome())
	}
}

// TestCurlCarriesTheExtraHeaders: --header values went with the request,
// so the curl that repeats it carries them too (redacted in reports).
func TestCurlCarriesTheExtraHeaders(t *testing.T) {
	h := newHarness(t, "http://127.0.0.1:9/hook", func(o *Options) {
		o.Header = http.Header{"X-Api-Key": {"gateway-key-1234"}}
	})
	x := &Exchange{What: "it", Method: http.MethodPost, Header: SignedHeader("sig", false), Body: []byte(`{}`)}
	ev := h.evidence(x, "s", "SIG-02", 1)
	assert.Contains(t, ev.Reproduce, `-H 'X-Api-Key: gateway-key-1234'`)
	assert.Equal(t, "gateway-key-1234", ev.Request.Headers["X-Api-Key"])
	redact.New(testSecret, "gateway-key-1234").Value(&ev)
	assert.Contains(t, ev.Reproduce, `-H 'X-Api-Key: `+redact.Redacted+`'`)
}
