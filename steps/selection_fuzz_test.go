package steps

import (
	"errors"
	"strings"
	"testing"

	"github.com/revhook/revhook/features"
)

// FuzzOnly is `revhook check --only X --skip Y` against arbitrary input,
// read as check reads it (IDs when it looks like IDs, else a tag
// expression): List never panics; it either refuses with a one-line
// *ConfigError naming --only or --skip, or selects scenarios of known
// requirements, none of them skipped.
//
//	go test -run '^$' -fuzz=FuzzOnly -fuzztime=5s ./steps
func FuzzOnly(f *testing.F) {
	f.Add("SIG-02,@VER-01", "")
	f.Add("@must && ~@slow", "DUP-02")
	f.Add("SIG-2", "")
	f.Add("@SIG-02,,", "sig-02")
	f.Add("((@must) or not @x)", "")
	f.Add("~", "~@")
	f.Add("@ACK-01 && @ACK-02", "")
	f.Fuzz(func(t *testing.T, only, skip string) {
		cfg := Config{Skip: SplitIDs(skip)}
		if LooksLikeIDs(only) {
			cfg.Only = SplitIDs(only)
		} else {
			cfg.Tags = only
		}
		ls, err := List(cfg)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || (ce.Field != "only" && ce.Field != "skip") {
				t.Fatalf("List(--only %q --skip %q): %v is not a --only/--skip error", only, skip, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		skipped := map[string]bool{}
		for _, id := range cfg.Skip {
			skipped[strings.ToUpper(strings.TrimPrefix(id, "@"))] = true
		}
		for _, l := range ls {
			if _, ok := features.Lookup(l.ID); !ok || skipped[l.ID] {
				t.Fatalf("selected %s (known: %v, skipped: %v)", l.ID, ok, skipped[l.ID])
			}
		}
	})
}
