package steps

import (
	"context"
	"fmt"

	"github.com/revhook/revhook/steps/harness"
)

// robustnessSteps bind features/robustness.feature (ROB-01 … ROB-03).
func (b *bindings) robustnessSteps() []stepDef {
	h := b.h
	return []stepDef{
		def("When", `^I send a correctly signed body that is `+oneOf(harness.MalformedVariations())+`$`, func(ctx context.Context, name string) error {
			v, err := harness.Find(harness.MalformedVariations(), name)
			if err != nil {
				return err
			}
			return b.sendVaried(ctx, harness.BaseType, v, "a correctly signed body that is "+name)
		}),
		def("When", `^I send one after another every kind of malformed body, each correctly signed$`, func(ctx context.Context) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendMalformedSeries(ctx, sc) })
		}),
		def("Then", `^the receiver refuses each one with a 4xx$`, func(ctx context.Context) error {
			sc, err := scenarioOf(ctx)
			if err != nil {
				return err
			}
			for _, x := range sc.Sent() {
				if p := h.FourXX(x); p != nil {
					return sc.Blame(p, x)
				}
			}
			return nil
		}),
		def("Then", `^the receiver still accepts a correctly signed (\S+) event$`, func(ctx context.Context, typ string) error {
			return send(ctx, func(sc *harness.Scenario) error {
				x, err := h.SendVaried(ctx, sc, typ, harness.Correct(), "a correctly signed "+typ+" event sent afterwards")
				if err != nil {
					return err
				}
				if !x.OK() || x.Late {
					return sc.Blame(harness.Failf("after the malformed body, a correctly signed %s event was not acknowledged in time: %s", typ, x.Outcome()), x)
				}
				return nil
			})
		}),
		def("When", `^I send a correctly signed (\S+) event of (\d+) KiB$`, func(ctx context.Context, typ string, kib int) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendLarge(ctx, sc, typ, kib) })
		}),
		def("When", `^I send a (GET|HEAD|DELETE|OPTIONS) request to the endpoint$`, func(ctx context.Context, method string) error {
			return send(ctx, func(sc *harness.Scenario) error { h.SendBodyless(ctx, sc, method); return nil })
		}),
		def("When", `^I send a correctly signed (\S+) event with `+oneOf(harness.MethodVariations())+`$`, func(ctx context.Context, typ, name string) error {
			v, err := harness.Find(harness.MethodVariations(), name)
			if err != nil {
				return err
			}
			return b.sendVaried(ctx, typ, v, fmt.Sprintf("a correctly signed %s event sent with %s", typ, name))
		}),
	}
}
