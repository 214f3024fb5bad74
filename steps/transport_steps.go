package steps

import (
	"context"

	"github.com/revhook/revhook/steps/harness"
)

// transportSteps bind features/transport.feature (SEC-01).
func (b *bindings) transportSteps() []stepDef {
	return []stepDef{
		def("Then", `^the exchange was made over HTTPS$`, func(ctx context.Context) error {
			return judgeLast(ctx, func(_ *harness.Scenario, x *harness.Exchange) error { return b.h.HTTPS(x) })
		}),
	}
}
