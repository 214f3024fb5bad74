package steps

import (
	"context"
	"fmt"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/steps/harness"
)

// forwardSteps bind features/forward.feature (FWD-01, FWD-02).
func (b *bindings) forwardSteps() []stepDef {
	return []stepDef{
		def("When", `^I send a correctly signed event of the new type "([a-z0-9_]+)"$`, func(ctx context.Context, typ string) error {
			if event.Known(typ) {
				return harness.Harnessf("%q is in the catalogue; the scenario needs a type that is not", typ)
			}
			return b.sendVaried(ctx, typ, harness.Correct(), fmt.Sprintf("a correctly signed event of the new type %q", typ))
		}),
		def("When", `^I send a correctly signed (\S+) event with `+oneOf(harness.UnknownFieldVariations())+`$`, func(ctx context.Context, typ, name string) error {
			v, err := harness.Find(harness.UnknownFieldVariations(), name)
			if err != nil {
				return err
			}
			return b.sendVaried(ctx, typ, v, fmt.Sprintf("a correctly signed %s event with %s", typ, name))
		}),
	}
}
