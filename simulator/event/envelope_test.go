package event

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// writeString must be byte-identical to encoding/json's default escaping,
// which is what DevRev's sender emits.
func TestWriteStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "<don:core:dvrv-us-1:devo/1:issue/9>", "a & b > c",
		"tab\tnew\nline\rcr", "\b\f\x00\x01\x1f\x7f", "café ☃ 🚀", "\u2028\u2029", "bad \xff utf8 \xc3",
		"ends with \xe2\x82", string([]byte{0xed, 0xa0, 0x80}),
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		assert.NoError(t, err)
		var b bytes.Buffer
		writeString(&b, s)
		assert.Equal(t, string(want), b.String(), "%q", s)
	}
}

func FuzzWriteString(f *testing.F) {
	f.Add("<x>")
	f.Add("\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		var b bytes.Buffer
		writeString(&b, s)
		if b.String() != string(want) {
			t.Fatalf("writeString(%q) = %s, want %s", s, b.String(), want)
		}
	})
}

func TestMarshalOrdered(t *testing.T) {
	reverse := func(k []string) { slices.Sort(k); slices.Reverse(k) }
	cases := []struct {
		name  string
		in    any
		order func([]string)
		want  string
	}{
		{
			name:  "reversed at every depth, values as Marshal writes them",
			in:    map[string]any{"type": "x", "b": []any{map[string]any{"y": 1, "x": "<"}}, "a": json.Number("12345678901234567890")},
			order: reverse,
			want:  `{"type":"x","b":[{"y":1,"x":"\u003c"}],"a":12345678901234567890}`,
		},
		{
			name:  "alphabetical puts type among the others",
			in:    map[string]any{"type": "x", "a": true, "z": nil},
			order: slices.Sort[[]string],
			want:  `{"a":true,"type":"x","z":null}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MarshalOrdered(c.in, c.order)
			assert.NoError(t, err)
			assert.Equal(t, c.want, string(got))
		})
	}
}
