package sender

import (
	"testing"

	"github.com/cucumber/godog"
)

// TestSenderFeatures runs features/sender (the @sender scenarios) against the
// mock DevRev on a fake clock.
func TestSenderFeatures(t *testing.T) {
	suite := godog.TestSuite{
		Name:                "sender",
		ScenarioInitializer: InitializeScenario,
		Options: &godog.Options{
			Format:   "progress",
			Paths:    []string{"../../features/sender"},
			Tags:     "@sender",
			Strict:   true,
			NoColors: true,
			TestingT: t,
		},
	}
	if code := suite.Run(); code != 0 {
		t.Fatalf("sender features failed (godog exit %d)", code)
	}
}
