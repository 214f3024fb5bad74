package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// finish applies the generator's output options to a fresh payload (see
// Options.Plain); g.mu must be held.
func (g *Generator) finish(o Object) Object {
	if !g.plain {
		return o
	}
	return plainValue(o).(Object)
}

// plainValue returns v with every string made plain (see plainString) and
// pre-encoded sub-objects decoded, made plain and encoded again.
func plainValue(v any) any {
	switch x := v.(type) {
	case string:
		return plainString(x)
	case map[string]any:
		for k, e := range x {
			x[k] = plainValue(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plainValue(e)
		}
		return x
	case json.RawMessage:
		return plainRaw(x)
	}
	return v
}

// plainRaw re-encodes raw JSON with plain strings; it is returned unchanged
// when it has nothing to change or does not decode.
func plainRaw(raw json.RawMessage) json.RawMessage {
	if isPlainJSON(raw) {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	b, err := Marshal(plainValue(v))
	if err != nil {
		return raw
	}
	return b
}

// isPlainJSON reports whether raw has no escape and no byte that a plain
// string may not hold.
func isPlainJSON(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// plainRune spells a character plain strings avoid; ok is false for the
// others (kept when printable ASCII, else dropped).
func plainRune(r rune) (string, bool) {
	switch r {
	case '<', '>':
		return "", true
	case '&':
		return "and", true
	case '"', '\u2018', '\u2019', '\u201c', '\u201d':
		return "'", true
	case '\\':
		return "/", true
	case '\u2013', '\u2014':
		return "-", true
	case '\U0001F44D':
		return "thumbsup", true
	case '\U0001F389':
		return "tada", true
	case '\u2764':
		return "heart", true
	case '\U0001F440':
		return "eyes", true
	case '\U0001F680':
		return "rocket", true
	}
	return "", false
}

// plainString returns s with only printable ASCII that JSON encoders write
// as is: the characters above spelled out, other non-ASCII characters and
// controls dropped, runs of spaces collapsed.
func plainString(s string) string {
	if isPlainString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if rep, ok := plainRune(r); ok {
			b.WriteString(rep)
			continue
		}
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func isPlainString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
