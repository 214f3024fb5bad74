package event

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSet is `revhook send --set path=value` against arbitrary input: Set
// never panics; when it accepts, the event still encodes to valid JSON and
// the path holds the value (JSON when it parses as JSON, else the string);
// when it refuses, the error is one line that names the path.
//
//	go test -run '^$' -fuzz=FuzzSet -fuzztime=5s ./simulator/event
func FuzzSet(f *testing.F) {
	f.Add("work.title", "Disk full")
	f.Add("work.priority_v2.ordinal", "42")
	f.Add("work.custom_fields", `{"b":2,"a":[1,{"c":null}]}`)
	f.Add("work.title.x", "string in the way")
	f.Add("..", "")
	f.Add("work.tags.0", "[")
	f.Add("a\u2028b.\"c\"", "\xff")
	f.Fuzz(func(t *testing.T, path, value string) {
		ev, err := fixedGen(4).New("work_created", testWebhook)
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.Set(path, value); err != nil {
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "set ") {
				t.Fatalf("error %q is not one line naming the path", err)
			}
			return
		}
		b, err := ev.Encode()
		if err != nil {
			// A value that encoding refuses (it cannot be, once Set took it).
			t.Fatalf("Set(%q, %q) accepted, Encode failed: %v", path, value, err)
		}
		if !json.Valid(b) {
			t.Fatalf("Set(%q, %q): the event is not valid JSON", path, value)
		}
		if !utf8.ValidString(path) {
			return // JSON spells such a key with U+FFFD: nothing to look up
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		cur := any(doc["work_created"])
		for _, seg := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("Set(%q, %q): %q is not an object after encoding", path, value, seg)
			}
			if _, ok := m[seg]; !ok {
				t.Fatalf("Set(%q, %q): %q missing after encoding", path, value, seg)
			}
			cur = m[seg]
		}
	})
}
