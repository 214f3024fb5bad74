package steps

import (
	"context"

	"github.com/revhook/revhook/steps/harness"
)

// orderingSteps bind features/ordering.feature (ORD-01).
func (b *bindings) orderingSteps() []stepDef {
	return []stepDef{
		def("When", `^the events of one work item arrive in the order (.+)$`, func(ctx context.Context, order string) error {
			return send(ctx, func(sc *harness.Scenario) error { return b.h.SendOutOfOrder(ctx, sc, order) })
		}),
	}
}
