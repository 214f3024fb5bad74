package steps

import (
	"context"
	"fmt"

	"github.com/revhook/revhook/steps/harness"
)

// signatureSteps bind features/signature.feature (SIG-01 … SIG-07) and the
// badly signed verify events of VER-04.
func (b *bindings) signatureSteps() []stepDef {
	h := b.h
	varied := func(table []harness.Variation, what string) func(context.Context, string, string) error {
		return func(ctx context.Context, typ, name string) error {
			v, err := harness.Find(table, name)
			if err != nil {
				return err
			}
			return b.sendVaried(ctx, typ, v, fmt.Sprintf(what, typ, name))
		}
	}
	return []stepDef{
		def("When", `^I send a (\S+) event signed with `+oneOf(harness.SignatureVariations())+`$`,
			varied(harness.SignatureVariations(), "a %s event signed with %s")),
		def("When", `^I send a (\S+) event `+oneOf(harness.SignatureHeaderVariations())+`$`,
			varied(harness.SignatureHeaderVariations(), "a %s event %s")),
		def("When", `^I sign a (\S+) event and then `+oneOf(harness.TamperVariations())+` before sending it$`,
			varied(harness.TamperVariations(), "a %s event signed and then changed (%s)")),
		def("When", `^I send a correctly signed (\S+) event written with `+oneOf(harness.StyleVariations())+`$`,
			varied(harness.StyleVariations(), "a correctly signed %s event written with %s")),
		def("When", `^I send the accepted event's signature with its body changed, after I `+oneOf(harness.TamperVariations())+`$`, func(ctx context.Context, name string) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendControlTampered(ctx, sc, name) })
		}),
	}
}
