package harness

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outcome is what a judge said: "pass", "fail", or "blocked by X".
func outcome(err error) string {
	var b *Blocked
	var f *Failure
	switch {
	case err == nil:
		return "pass"
	case errors.As(err, &b):
		return fmt.Sprintf("blocked by %v", b.By)
	case errors.As(err, &f):
		return "fail"
	}
	return "harness: " + err.Error()
}

const challenge = "Yx4sK1mN0pQ7rT2uV9wZ3aB6cD8eF5gH1jL0k"

// Exchanges every judge is tried on.
var (
	ok200      = Exchange{What: "it", Status: 200, RespHeader: http.Header{}, Latency: 20 * time.Millisecond}
	late200    = Exchange{What: "it", Status: 200, RespHeader: http.Header{}, Late: true, Latency: 4100 * time.Millisecond}
	refused    = Exchange{What: "it", Status: 401, RespHeader: http.Header{}, RespBody: []byte(`{"error":"bad signature"}`)}
	lateRefuse = Exchange{What: "it", Status: 400, RespHeader: http.Header{}, Late: true, Latency: 4100 * time.Millisecond}
	noAnswer   = Exchange{What: "it", Err: errors.New("timeout: no answer within 4.5 s")}

	verifyOK = Exchange{What: "verify", Status: 200, Challenge: challenge,
		RespHeader: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, RespBody: []byte(`{"challenge":"` + challenge + `"}`)}
	verifyLate   = withLate(verifyOK)
	verifyPlain  = withHeader(verifyOK, "Content-Type", "text/plain")
	verifyNoType = withHeader(verifyOK, "Content-Type", "")
	verifyWrong  = Exchange{What: "verify", Status: 200, Challenge: challenge, RespHeader: http.Header{}, RespBody: []byte(`{"challenge":"other"}`)}
	verifyTop    = Exchange{What: "verify", Status: 200, Challenge: challenge, RespHeader: http.Header{}, RespBody: []byte(`{"challenge":""}`)}
	verifyNull   = Exchange{What: "verify", Status: 200, Challenge: challenge, RespHeader: http.Header{}, RespBody: []byte(`{"challenge":null}`)}
	verifyText   = Exchange{What: "verify", Status: 200, Challenge: challenge, RespHeader: http.Header{}, RespBody: []byte(challenge)}
	verifyNoKey  = Exchange{What: "verify", Status: 200, Challenge: challenge, RespHeader: http.Header{}, RespBody: []byte(`{"ok":true}`)}
	verify401    = Exchange{What: "verify", Status: 401, Challenge: challenge, RespHeader: http.Header{}, RespBody: []byte(`{"challenge":"` + challenge + `"}`)}
	verifyNone   = Exchange{What: "verify", Challenge: challenge, Err: errors.New("timeout")}
)

func withLate(x Exchange) Exchange {
	x.Late, x.Latency = true, 4100*time.Millisecond
	return x
}

func withHeader(x Exchange, k, v string) Exchange {
	x.RespHeader = http.Header{}
	if v != "" {
		x.RespHeader.Set(k, v)
	}
	return x
}

func TestAcknowledged(t *testing.T) {
	h := offline(t)
	cases := map[string]map[string]string{
		// SIG-01 judges the status only; no answer at all is ACK-01's.
		"SIG-01": {"ok": "pass", "late": "pass", "refused": "fail", "late refusal": "fail", "no answer": "blocked by [ACK-01]"},
		// ACK-01 judges the time only; a refusal is SIG-01's.
		"ACK-01": {"ok": "pass", "late": "fail", "refused": "blocked by [SIG-01]", "late refusal": "blocked by [SIG-01]", "no answer": "fail"},
		// Every other requirement judges both.
		"DUP-01": {"ok": "pass", "late": "fail", "refused": "fail", "late refusal": "fail", "no answer": "fail"},
		"SIG-05": {"ok": "pass", "late": "fail", "refused": "fail", "late refusal": "fail", "no answer": "fail"},
	}
	xs := map[string]Exchange{"ok": ok200, "late": late200, "refused": refused, "late refusal": lateRefuse, "no answer": noAnswer}
	for req, want := range cases {
		sc := h.NewScenario("ack", "ack", req, "MUST")
		for name, x := range xs {
			assert.Equal(t, want[name], outcome(h.Acknowledged(sc, &x)), "%s on %s", req, name)
		}
	}
	sc := h.NewScenario("ack", "ack", "ACK-01", "MUST")
	x := late200
	assert.ErrorContains(t, h.Acknowledged(sc, &x), "after 4.1 s, over the 3.0 s deadline")
}

func TestAcknowledgedSIG01Reasons(t *testing.T) {
	h := offline(t)
	sc := h.NewScenario("sig", "sig", "SIG-01", "MUST")
	x := refused
	err := h.Acknowledged(sc, &x)
	assert.ErrorContains(t, err, `receiver answered 401 {"error":"bad signature"} to it`)
	assert.ErrorContains(t, err, "signed hex with the raw key; see --encoding and --key-encoding")
	x = Exchange{What: "it", Status: 500, RespHeader: http.Header{}}
	assert.NotContains(t, h.Acknowledged(sc, &x).Error(), "--encoding", "no signing hint on a 500")
	// When detection found no accepted signing, SIG-01 says so once.
	h.Detection.NoAcceptance = "the receiver refused a correctly signed event in every signing way tried"
	x = refused
	assert.EqualError(t, h.Acknowledged(sc, &x), h.Detection.NoAcceptance)
}

func TestRefusedAndStatus(t *testing.T) {
	h := offline(t)
	redirect := Exchange{What: "it", Status: 405, RespHeader: http.Header{}}
	for _, tc := range []struct {
		name                    string
		x                       Exchange
		refusedW, fourxx, st405 string
	}{
		{"ok", ok200, "fail", "fail", "fail"},
		{"late ok", late200, "fail", "fail", "fail"},
		{"refused 401", refused, "pass", "pass", "fail"},
		{"late refusal", lateRefuse, "pass", "pass", "fail"},
		{"405", redirect, "pass", "pass", "pass"},
		{"500", Exchange{What: "it", Status: 500, RespHeader: http.Header{}}, "pass", "fail", "fail"},
		{"no answer", noAnswer, "fail", "fail", "blocked by [ACK-01]"},
	} {
		x := tc.x
		assert.Equal(t, tc.refusedW, outcome(h.Refused(&x)), "Refused on %s", tc.name)
		assert.Equal(t, tc.fourxx, outcome(h.FourXX(&x)), "FourXX on %s", tc.name)
		assert.Equal(t, tc.st405, outcome(h.Status(&x, http.StatusMethodNotAllowed)), "Status 405 on %s", tc.name)
	}
	x := ok200
	assert.ErrorContains(t, h.Refused(&x), "it must refuse it (401 or 403)")
}

func TestVerifyJudges(t *testing.T) {
	h := offline(t)
	for _, tc := range []struct {
		name                                         string
		x                                            Exchange
		challenge, inTime, jsonType, noChallengeWant string
	}{
		{"correct", verifyOK, "pass", "pass", "pass", "fail"},
		{"correct but late", verifyLate, "pass", "fail", "pass", "fail"},
		{"correct, text/plain", verifyPlain, "pass", "pass", "fail", "fail"},
		{"correct, no content type", verifyNoType, "pass", "pass", "fail", "fail"},
		{"another challenge", verifyWrong, "fail", "blocked by [VER-01]", "blocked by [VER-01]", "pass"},
		{"a top-level challenge read", verifyTop, "fail", "blocked by [VER-01]", "blocked by [VER-01]", "pass"},
		{"a null challenge", verifyNull, "fail", "blocked by [VER-01]", "blocked by [VER-01]", "pass"},
		{"plain text", verifyText, "fail", "blocked by [VER-01]", "blocked by [VER-01]", "fail"},
		{"no challenge field", verifyNoKey, "fail", "blocked by [VER-01]", "blocked by [VER-01]", "pass"},
		{"refused", verify401, "fail", "blocked by [VER-01]", "blocked by [VER-01]", "pass"},
		{"no answer", verifyNone, "blocked by [VER-02]", "fail", "blocked by [VER-02]", "pass"},
	} {
		x := tc.x
		assert.Equal(t, tc.challenge, outcome(h.Challenge(&x)), "Challenge (VER-01) on %s", tc.name)
		assert.Equal(t, tc.inTime, outcome(h.VerifyInTime(&x)), "VerifyInTime (VER-02) on %s", tc.name)
		assert.Equal(t, tc.jsonType, outcome(h.JSONType(&x)), "JSONType (VER-03) on %s", tc.name)
		assert.Equal(t, tc.noChallengeWant, outcome(h.NoChallenge(&x)), "NoChallenge (VER-04) on %s", tc.name)
	}
}

func TestChallengeHints(t *testing.T) {
	for _, tc := range []struct {
		x    Exchange
		want string
	}{
		{verifyOK, ""},
		{verifyTop, "it reads a top-level `challenge`; DevRev sends it at `verify.challenge`"},
		{verifyNull, "it reads a top-level `challenge`"},
		{verifyWrong, `answered 200 with the challenge "other" instead of "` + challenge + `"`},
		{verifyText, "a body that is not a JSON object"},
		{verifyNoKey, `without a "challenge" field`},
		{verify401, "answered 401"},
		{verifyNone, "gave no answer (timeout)"},
	} {
		p := ChallengeProblem(&tc.x)
		if tc.want == "" {
			assert.Empty(t, p)
			continue
		}
		assert.Contains(t, p, tc.want)
	}
}

// TestControlBlocks: a control that did not behave blocks the scenario by
// the requirement that covers what failed.
func TestControlBlocks(t *testing.T) {
	h := offline(t)
	sc := h.NewScenario("control", "control", "SIG-02", "MUST")
	for _, tc := range []struct {
		name string
		x    Exchange
		want string
	}{
		{"accepted", ok200, "pass"},
		{"refused", refused, "blocked by [SIG-01]"},
		{"refused after the deadline", lateRefuse, "blocked by [SIG-01]"},
		{"a 500", Exchange{Status: 500, RespHeader: http.Header{}}, "blocked by [SIG-01]"},
		{"a redirect", Exchange{Status: 307, RespHeader: http.Header{"Location": {"https://x/y"}}}, "blocked by [SIG-01]"},
		{"no answer", noAnswer, "blocked by [ACK-01]"},
		{"accepted after the deadline", late200, "blocked by [ACK-01]"},
	} {
		x := tc.x
		err := h.controlProblem(sc, &x)
		assert.Equal(t, tc.want, outcome(err), tc.name)
		if err != nil {
			assert.Contains(t, err.Error(), "not observed", tc.name)
			assert.Contains(t, err.Error(), "so what SIG-02 checks could not be observed", tc.name)
		}
	}
	x := late200
	assert.ErrorContains(t, h.controlProblem(sc, &x), "only after 4.1 s, past the 3.0 s deadline")

	vsc := h.NewScenario("verify control", "verify control", "VER-03", "SHOULD")
	for _, tc := range []struct {
		name string
		x    Exchange
		want string
	}{
		{"answered", verifyOK, "pass"},
		{"answered with text/plain", verifyPlain, "pass"},
		{"a wrong answer", verifyWrong, "blocked by [VER-01]"},
		{"a refusal", verify401, "blocked by [VER-01]"},
		{"a wrong answer after the deadline", withLate(verifyWrong), "blocked by [VER-01]"},
		{"a correct answer after the deadline", verifyLate, "blocked by [VER-02]"},
		{"no answer", verifyNone, "blocked by [VER-02]"},
	} {
		x := tc.x
		assert.Equal(t, tc.want, outcome(verifyControlProblem(vsc, &x)), tc.name)
	}
}

func TestHTTPSJudge(t *testing.T) {
	x := ok200
	assert.ErrorContains(t, offline(t).HTTPS(&x), "plain HTTP")
	h := newHarness(t, "https://127.0.0.1:9/hook", nil)
	assert.Equal(t, "pass", outcome(h.HTTPS(&x)))
	x = noAnswer
	assert.Equal(t, "blocked by [ACK-01]", outcome(h.HTTPS(&x)))
}

// TestScenarioRecordsTheBlame: Blame keeps evidence and Reason strips
// godog's wrapping.
func TestScenarioRecordsTheBlame(t *testing.T) {
	h := offline(t)
	sc := h.NewScenario("k", "n", "SIG-02", "MUST")
	_, err := sc.Last()
	assert.True(t, IsHarnessFailure(err), "checking an answer before sending is the harness's fault")
	assert.Equal(t, "scenario did not run to completion", sc.Reason())
	c := &Exchange{What: "control", Control: true}
	x := &Exchange{What: "test"}
	sc.Record(c, false)
	sc.Record(x, true)
	last, err := sc.Last()
	require.NoError(t, err)
	assert.Same(t, x, last)
	assert.Same(t, c, sc.ControlExchange())
	assert.Nil(t, sc.Blame(nil, x))
	sc.Finish(fmt.Errorf("before scenario hook failed: %w", sc.Blame(&Blocked{By: []string{"SIG-01"}, Msg: "not\n observed"}, x)))
	assert.Equal(t, "not observed", sc.Reason())
	assert.Equal(t, []string{"SIG-01"}, sc.BlockedBy())
	assert.False(t, sc.Passed())
	assert.Equal(t, []*Exchange{c, x}, sc.EvidenceExchanges(4))
	assert.Equal(t, []*Exchange{c}, sc.EvidenceExchanges(1))
}
