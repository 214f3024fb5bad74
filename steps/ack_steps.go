package steps

import (
	"context"

	"github.com/revhook/revhook/steps/harness"
)

// ackSteps bind features/ack.feature (ACK-01 … ACK-03).
func (b *bindings) ackSteps() []stepDef {
	h := b.h
	return []stepDef{
		def("When", `^I send (\d+) correctly signed (\S+) events at the same time$`, func(ctx context.Context, n int, typ string) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendBurst(ctx, sc, n, typ) })
		}),
		def("When", `^I send one correctly signed event of every type in the catalogue but verify$`, func(ctx context.Context) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendCatalogue(ctx, sc) })
		}),
	}
}
