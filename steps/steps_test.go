package steps

import (
	"net/url"
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
func TestThrottledLoadFailsAPassingLoadScenario(t *testing.T) {
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
	throttledLoad([]*harness.Scenario{quiet}, []*harness.Scenario{load})
	assert.True(t, load.Passed(), "nothing was rate-limited")

	limited := newSc("SIG-03", &harness.Exchange{What: "the control", Status: 429, Throttle: "rate limited: …"})
	throttledLoad([]*harness.Scenario{quiet, limited}, []*harness.Scenario{load})
	assert.False(t, load.Passed())
	assert.Contains(t, load.Reason(), "rate-limited 1 scenario(s)")
}
