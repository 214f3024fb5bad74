package steps

import (
	"context"
	"fmt"

	"github.com/revhook/revhook/steps/harness"
)

// replaySteps bind features/replay.feature (RPL-01 … RPL-03): timestamps
// far from now, and the precisions and skews a receiver must accept.
func (b *bindings) replaySteps() []stepDef {
	return []stepDef{
		def("When", `^I send a correctly signed (\S+) event with a timestamp (\d+) (seconds?|minutes?|hours?|days?) in the (past|future)$`, func(ctx context.Context, typ string, n int, unit, dir string) error {
			v, err := harness.Skew(n, unit, dir)
			if err != nil {
				return err
			}
			return b.sendVaried(ctx, typ, v, fmt.Sprintf("a correctly signed %s event with %s", typ, v.Name))
		}),
		def("When", `^I send a correctly signed (\S+) event with `+oneOf(harness.PrecisionVariations())+`$`, func(ctx context.Context, typ, name string) error {
			v, err := harness.Find(harness.PrecisionVariations(), name)
			if err != nil {
				return err
			}
			return b.sendVaried(ctx, typ, v, fmt.Sprintf("a correctly signed %s event with %s", typ, name))
		}),
	}
}
