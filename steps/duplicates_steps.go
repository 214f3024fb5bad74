package steps

import (
	"context"

	"github.com/revhook/revhook/steps/harness"
)

// duplicateSteps bind features/duplicates.feature (DUP-01, DUP-02).
func (b *bindings) duplicateSteps() []stepDef {
	h := b.h
	same := func(what string) func(context.Context) error {
		return func(ctx context.Context) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendSame(ctx, sc, what) })
		}
	}
	restamped := func(ctx context.Context) error {
		if err := h.PauseBeforeRetry(ctx); err != nil {
			return err
		}
		return send(ctx, func(sc *harness.Scenario) error {
			return h.SendRestamped(ctx, sc, "the retry of the same event as DevRev makes it (same id and payload, a new timestamp and signature)")
		})
	}
	first := func(half bool) func(context.Context, string) error {
		return func(ctx context.Context, typ string) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.FirstAttempt(ctx, sc, typ, half) })
		}
	}
	return []stepDef{
		def("When", `^I send the same event again$`, same("the same event again (same id, same body, same signature)")),
		def("When", `^I send the same correctly signed (\S+) event (\d+) times at the same time$`, func(ctx context.Context, typ string, n int) error {
			return send(ctx, func(sc *harness.Scenario) error { return h.SendSameConcurrently(ctx, sc, typ, n) })
		}),
		def("When", `^a first attempt of a correctly signed (\S+) event is cut off after half of its body$`, first(true)),
		def("When", `^a first attempt of a correctly signed (\S+) event is abandoned right after the whole request was written$`, first(false)),
		def("When", `^after a short pause the same event is delivered again$`, func(ctx context.Context) error {
			if err := h.PauseBeforeRetry(ctx); err != nil {
				return err
			}
			return same("the retry of the same event (same id, same body, same signature)")(ctx)
		}),
		def("When", `^after a short pause the same event is delivered again with a new timestamp and signature$`, restamped),
	}
}
