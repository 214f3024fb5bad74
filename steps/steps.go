package steps

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/cucumber/godog"

	"github.com/revhook/revhook/steps/harness"
)

// stepDef is one step definition: its keyword, pattern and handler.
type stepDef struct {
	keyword string // Given, When or Then
	expr    *regexp.Regexp
	handler any
}

// def compiles one step definition.
func def(keyword, pattern string, handler any) stepDef {
	return stepDef{keyword: keyword, expr: regexp.MustCompile(pattern), handler: handler}
}

// oneOf is a regexp group matching exactly the names of a variation table:
// a feature file naming a variation that does not exist is an undefined
// step, found when the features are parsed, not a failure at run time.
func oneOf(vs []harness.Variation) string {
	names := harness.Names(vs)
	for i, n := range names {
		names[i] = regexp.QuoteMeta(n)
	}
	return "(" + strings.Join(names, "|") + ")"
}

// bindings binds the harness to the feature files' steps. Each feature
// group has its own file of step definitions (verify_steps.go, …); the
// steps here are shared by several groups.
type bindings struct{ h *harness.Harness }

// all returns every step definition, compiled once per run.
func (b *bindings) all() []stepDef {
	var out []stepDef
	for _, group := range [][]stepDef{
		b.commonSteps(), b.verifySteps(), b.signatureSteps(), b.replaySteps(), b.ackSteps(),
		b.duplicateSteps(), b.orderingSteps(), b.forwardSteps(), b.robustnessSteps(), b.transportSteps(),
	} {
		out = append(out, group...)
	}
	return out
}

// register binds defs to sc.
func register(sc *godog.ScenarioContext, defs []stepDef) {
	for _, d := range defs {
		switch d.keyword {
		case "Given":
			sc.Given(d.expr, d.handler)
		case "When":
			sc.When(d.expr, d.handler)
		default:
			sc.Then(d.expr, d.handler)
		}
	}
}

type scenarioKey struct{}

func withScenario(ctx context.Context, sc *harness.Scenario) context.Context {
	return context.WithValue(ctx, scenarioKey{}, sc)
}

func scenarioOf(ctx context.Context) (*harness.Scenario, error) {
	sc, ok := ctx.Value(scenarioKey{}).(*harness.Scenario)
	if !ok {
		return nil, harness.Harnessf("no scenario state in the context")
	}
	return sc, nil
}

// judgeLast runs judge on the scenario's last exchange and blames it.
func judgeLast(ctx context.Context, judge func(sc *harness.Scenario, x *harness.Exchange) error) error {
	sc, err := scenarioOf(ctx)
	if err != nil {
		return err
	}
	x, err := sc.Last()
	if err != nil {
		return err
	}
	return sc.Blame(judge(sc, x), x)
}

// send runs an action of the harness on the scenario.
func send(ctx context.Context, action func(sc *harness.Scenario) error) error {
	sc, err := scenarioOf(ctx)
	if err != nil {
		return err
	}
	return action(sc)
}

// sendVaried sends the base event of typ with variation v.
func (b *bindings) sendVaried(ctx context.Context, typ string, v harness.Variation, what string) error {
	return send(ctx, func(sc *harness.Scenario) error {
		_, err := b.h.SendVaried(ctx, sc, typ, v, what)
		return err
	})
}

// commonSteps are the controls and judges every group uses.
func (b *bindings) commonSteps() []stepDef {
	h := b.h
	return []stepDef{
		def("Given", `^the receiver accepts a correctly signed (\S+) event$`, func(ctx context.Context, typ string) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.Control(ctx, sc, typ) })
		}),
		def("Given", `^the receiver answers a correctly signed verify event with its challenge$`, func(ctx context.Context) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.ControlVerify(ctx, sc) })
		}),
		def("When", `^I send a correctly signed (\S+) event$`, func(ctx context.Context, typ string) error {
			return b.sendVaried(ctx, typ, harness.Correct(), "a correctly signed "+typ+" event")
		}),
		def("Then", `^the receiver acknowledges it with 2xx(?: within the deadline)?$`, func(ctx context.Context) error {
			return judgeLast(ctx, h.Acknowledged)
		}),
		def("Then", `^the receiver acknowledges every one with 2xx(?: within the deadline)?$`, b.thenAckEvery),
		def("Then", `^the receiver refuses it$`, func(ctx context.Context) error {
			return judgeLast(ctx, func(_ *harness.Scenario, x *harness.Exchange) error { return h.Refused(x) })
		}),
		def("Then", `^the receiver refuses it with a 4xx$`, func(ctx context.Context) error {
			return judgeLast(ctx, func(_ *harness.Scenario, x *harness.Exchange) error { return h.FourXX(x) })
		}),
		def("Then", `^the receiver answers (\d{3})$`, func(ctx context.Context, want int) error {
			return judgeLast(ctx, func(_ *harness.Scenario, x *harness.Exchange) error { return h.Status(x, want) })
		}),
	}
}

// ackEveryLimit bounds the failing deliveries named in one reason.
const ackEveryLimit = 5

// thenAckEvery judges every delivery the scenario sent.
func (b *bindings) thenAckEvery(ctx context.Context) error {
	sc, err := scenarioOf(ctx)
	if err != nil {
		return err
	}
	xs := sc.Sent()
	if len(xs) == 0 {
		return harness.Harnessf("nothing was sent")
	}
	var bad []*harness.Exchange
	var first error
	var what []string
	for _, x := range xs {
		if p := b.h.Acknowledged(sc, x); p != nil {
			bad = append(bad, x)
			if first == nil {
				first = p
			}
			if len(what) < ackEveryLimit {
				what = append(what, fmt.Sprintf("%s → %s", x.What, x.Outcome()))
			}
		}
	}
	switch {
	case len(bad) == 0:
		return nil
	case len(xs) == 1:
		return sc.Blame(first, bad...)
	}
	more := ""
	if len(bad) > len(what) {
		more = fmt.Sprintf("; and %d more", len(bad)-len(what))
	}
	return sc.Blame(harness.Failf("%d of %d deliveries were not acknowledged with 2xx in time: %s%s", len(bad), len(xs), strings.Join(what, "; "), more), bad...)
}
