package steps

import (
	"context"
	"fmt"

	"github.com/revhook/revhook/steps/harness"
)

// verifySteps bind features/verify.feature (VER-01 … VER-04).
func (b *bindings) verifySteps() []stepDef {
	h := b.h
	verify := func(judge func(x *harness.Exchange) error) func(context.Context) error {
		return func(ctx context.Context) error {
			return judgeLast(ctx, func(_ *harness.Scenario, x *harness.Exchange) error {
				if x.Challenge == "" {
					return harness.Harnessf("the last request was not a verify event")
				}
				return judge(x)
			})
		}
	}
	return []stepDef{
		def("When", `^I send a signed verify event with a random challenge of (\d+) characters?$`, func(ctx context.Context, n int) error {
			return send(ctx, func(sc *harness.Scenario) error {
				c, err := sc.RandomChallenge(n)
				if err != nil {
					return err
				}
				_, err = h.SendVerify(ctx, sc, c, fmt.Sprintf("a signed verify event with a %d-character challenge", n))
				return err
			})
		}),
		def("When", `^I send a signed verify event with the challenge "((?s:.*))"$`, func(ctx context.Context, c string) error {
			return send(ctx, func(sc *harness.Scenario) error {
				_, err := h.SendVerify(ctx, sc, c, fmt.Sprintf("a signed verify event with the challenge %q", c))
				return err
			})
		}),
		def("Then", `^the receiver answers 200 with the same challenge as JSON$`, verify(h.Challenge)),
		def("Then", `^the receiver answers within the deadline$`, verify(h.VerifyInTime)),
		def("Then", `^the answer has the content type application/json$`, verify(h.JSONType)),
		def("Then", `^the answer does not contain the challenge$`, verify(h.NoChallenge)),
	}
}
