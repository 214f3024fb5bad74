package steps

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/steps/harness"
)

// TestEveryStepMatchesExactlyOneDefinition proves the bindings cover the
// catalogue: every step of every scenario matches one definition, so a
// variation a feature names but no table has is an undefined step here,
// not a failure at run time.
func TestEveryStepMatchesExactlyOneDefinition(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:9/")
	require.NoError(t, err)
	h, err := harness.New(harness.Options{URL: u, Secret: testSecret, Timeout: DefaultTimeout})
	require.NoError(t, err)
	defs := (&bindings{h: h}).all()
	suite := godog.TestSuite{Options: &godog.Options{FS: features.FS(), Paths: features.Files()}}
	feats, err := suite.RetrieveFeatures()
	require.NoError(t, err)
	steps := 0
	for _, f := range feats {
		for _, p := range f.Pickles {
			for _, st := range p.Steps {
				steps++
				n := 0
				for _, d := range defs {
					if d.expr.MatchString(st.Text) {
						n++
					}
				}
				assert.Equal(t, 1, n, "%s %q: step %q matches %d definitions", f.Uri, p.Name, st.Text, n)
			}
		}
	}
	assert.Greater(t, steps, 200)

	// A misspelt variation is no step at all.
	for _, typo := range []string{
		"I send a work_created event signed with a random signatur",
		"I send a correctly signed work_created event written with tabs",
		"I send a correctly signed body that is half an event",
	} {
		for _, d := range defs {
			assert.False(t, d.expr.MatchString(typo), "%q matches %s", typo, d.expr)
		}
	}
}

// A load scenario that passed while the receiver rate-limited other
// scenarios (blocked by it) fails: blocked_by never names a requirement
// that passed.
func TestConsistentBlocksFailAPassingCover(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:9/")
	require.NoError(t, err)
	h, err := harness.New(harness.Options{URL: u, Secret: testSecret, Timeout: DefaultTimeout})
	require.NoError(t, err)
	newSc := func(req string, x *harness.Exchange) *harness.Scenario {
		sc := h.NewScenario(req, req, req, "MUST")
		if x != nil {
			sc.Record(x, true)
		}
		sc.Finish(sc.Throttled(nil))
		return sc
	}
	quiet := newSc("SIG-02", &harness.Exchange{Status: 401})
	load := newSc(harness.CoversLoad, &harness.Exchange{Status: 200})
	consistentBlocks([]*harness.Scenario{quiet, load})
	assert.True(t, load.Passed(), "nothing was rate-limited")

	limited := newSc("SIG-03", &harness.Exchange{What: "the control", Status: 429, Throttle: "rate limited: …"})
	consistentBlocks([]*harness.Scenario{quiet, limited, load})
	assert.False(t, load.Passed())
	assert.Contains(t, load.Reason(), "not met while checking SIG-03: the receiver rate-limited the check")
}

// When the receiver stopped answering everything, a failure seen only as
// a request left unanswered is blocked by the deadline requirement (the
// stop may have been another request's doing) — but not the deadline
// requirement's own, nor the only requirement in flight (the culprit), nor
// a scenario that hung again alone (cut nil).
func TestNotConfirmedBlocksWhatTheStopCut(t *testing.T) {
	u, err := url.Parse("http://127.0.0.1:9/")
	require.NoError(t, err)
	h, err := harness.New(harness.Options{URL: u, Secret: testSecret, Timeout: DefaultTimeout})
	require.NoError(t, err)
	hung := func(req string) *harness.Scenario {
		sc := h.NewScenario(req, req, req, "MUST")
		sc.Record(&harness.Exchange{What: "the variant", Err: errors.New("timeout")}, true)
		sc.Finish(harness.Failf("no answer"))
		return sc
	}
	cases := []struct {
		req     string
		cut     []string
		blocked []string
	}{
		{"ROB-01", []string{"ROB-01", "SIG-05"}, []string{harness.CoversTime}},
		{"VER-01", []string{"VER-01", "SIG-02"}, []string{harness.CoversVerifyTime}},
		{"ROB-01 alone in flight: the culprit", []string{"ROB-01"}, nil},
		{harness.CoversTime, []string{"ACK-01", "ROB-01"}, nil},
		{"DUP-02", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.req, func(t *testing.T) {
			sc := hung(strings.Fields(tc.req)[0])
			notConfirmed(sc, 40, tc.cut)
			assert.False(t, sc.Passed())
			assert.Equal(t, tc.blocked, sc.BlockedBy())
			if tc.blocked != nil {
				assert.Contains(t, sc.Reason(), "while requests of "+strings.Join(tc.cut, ", ")+" were in flight")
			}
		})
	}
}
