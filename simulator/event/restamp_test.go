package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var restampAt = time.Date(2026, 11, 30, 12, 34, 56, 123456789, time.UTC)

// The real DevRev capture is indented; only the top-level value changes,
// byte for byte, and its precision is read back from it.
func TestRestampDevRevCapture(t *testing.T) {
	sample, err := os.ReadFile("../../fixtures/golden/devrev_work_updated.json")
	require.NoError(t, err)
	old, err := EnvelopeTimestamp(sample)
	require.NoError(t, err)
	assert.Equal(t, "2025-07-02T13:07:40.937074Z", old)
	p, ok := PrecisionOf(old)
	require.True(t, ok)
	assert.Equal(t, Microseconds, p)

	out, err := Restamp(sample, restampAt, p)
	require.NoError(t, err)
	assert.Equal(t, strings.Replace(string(sample), old, "2026-11-30T12:34:56.123456Z", 1), string(out))
	assert.Equal(t, 1, strings.Count(string(sample), old), "the capture's value is unique, so the replace above is exact")
	stamp, err := EnvelopeTimestamp(out)
	require.NoError(t, err)
	assert.Equal(t, "2026-11-30T12:34:56.123456Z", stamp)
}

// Restamping an encoded event gives exactly the bytes of the same event
// encoded with the new timestamp, for every catalogue type and precision.
func TestRestampEqualsEncodeWithNewTimestamp(t *testing.T) {
	for _, p := range []Precision{Nanoseconds, Microseconds, Milliseconds} {
		g := NewGenerator(Options{Seed: 7, Precision: p})
		for _, typ := range Types() {
			ev, err := g.New(typ, g.WebhookID())
			require.NoError(t, err, typ)
			ev.Extra = Object{"a_extra": Object{"timestamp": "nested"}, "zz": []any{"timestamp"}}
			body := ev.MustEncode()
			ev.Timestamp = restampAt
			want := ev.MustEncode()
			got, err := Restamp(body, restampAt, p)
			require.NoError(t, err, typ)
			assert.Equal(t, string(want), string(got), "%s at %d digits", typ, p)
		}
	}
}

func TestRestampFindsTheTopLevelKey(t *testing.T) {
	const stamp = `2026-11-30T12:34:56.123Z`
	tests := []struct{ name, body, want string }{
		{"DevRev order", `{"id":"e","timestamp":"old","webhook_id":"w","x":{},"type":"x"}`,
			`{"id":"e","timestamp":"` + stamp + `","webhook_id":"w","x":{},"type":"x"}`},
		{"payload first with its own timestamp keys",
			`{"work":{"timestamp":"keep","list":[{"timestamp":"keep"}]},"timestamp":"old"}`,
			`{"work":{"timestamp":"keep","list":[{"timestamp":"keep"}]},"timestamp":"` + stamp + `"}`},
		{"key text inside strings", `{"id":"\",\"timestamp\":\"x","s":"{[}]\\","timestamp":"old"}`,
			`{"id":"\",\"timestamp\":\"x","s":"{[}]\\","timestamp":"` + stamp + `"}`},
		{"escaped key", `{"time\u0073tamp":"old"}`, `{"time\u0073tamp":"` + stamp + `"}`},
		{"the first of two", `{"timestamp":"old","timestamp":"b"}`, `{"timestamp":"` + stamp + `","timestamp":"b"}`},
		{"the rest is not parsed", `{"id":"e","timestamp":"old","work":{"body":"a
b"}} trailing`,
			`{"id":"e","timestamp":"` + stamp + `","work":{"body":"a
b"}} trailing`},
		{"spacing kept", " {\n \"n\" : -1.5e3 ,\t\"b\":true, \"z\":null,\r\n\"timestamp\" : \"\" }\n",
			" {\n \"n\" : -1.5e3 ,\t\"b\":true, \"z\":null,\r\n\"timestamp\" : \"" + stamp + "\" }\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Restamp([]byte(tt.body), restampAt, Milliseconds)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestRestampRefuses(t *testing.T) {
	tests := []struct{ name, body, err string }{
		{"empty", ``, "not a JSON object"},
		{"array", `[{"timestamp":"x"}]`, "not a JSON object"},
		{"no timestamp", `{"id":"e","work":{"timestamp":"x"}}`, `no top-level "timestamp" string`},
		{"number", `{"timestamp":17}`, "its value is not a string"},
		{"truncated before the key", `{"id":"e","work":{"a":[1,2`, "unterminated object or array"},
		{"unterminated string", `{"timestamp":"x`, "unterminated string"},
		{"unbalanced", `{"a":{"b":]},"timestamp":"x"}`, "unbalanced"},
		{"missing colon", `{"timestamp" "x"}`, "expected :"},
		{"missing comma", `{"a":1 "timestamp":"x"}`, "expected , or }"},
		{"key not a string", `{timestamp:"x"}`, "expected a string"},
		{"missing value", `{"a":,"timestamp":"x"}`, "expected a value"},
		{"unterminated escape", `{"a":"\`, "unterminated string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Restamp([]byte(tt.body), restampAt, Milliseconds)
			assert.ErrorContains(t, err, tt.err)
			assert.Nil(t, out)
			_, err = EnvelopeTimestamp([]byte(tt.body))
			assert.ErrorContains(t, err, tt.err)
		})
	}
	_, err := Restamp([]byte(`{}`), restampAt, Milliseconds)
	assert.True(t, errors.Is(err, ErrNoTimestamp))
}

func TestRestampLeavesItsInputAlone(t *testing.T) {
	body := []byte(`{"id":"e","timestamp":"2020-01-01T00:00:00.000Z"}`)
	orig := bytes.Clone(body)
	out, err := Restamp(body, restampAt, Milliseconds)
	require.NoError(t, err)
	assert.Equal(t, orig, body)
	out[0] = 'X'
	assert.Equal(t, orig, body, "the result does not share the input's memory")
}

func TestAppendTimestampIsFormatTimestamp(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6007008, time.FixedZone("x", 3600))
	for p := Precision(-1); p <= 10; p++ {
		assert.Equal(t, FormatTimestamp(at, p), string(AppendTimestamp([]byte(nil), at, p)), "precision %d", p)
	}
	buf := make([]byte, 0, 64)
	assert.Zero(t, testing.AllocsPerRun(10, func() { buf = AppendTimestamp(buf[:0], at, Microseconds) }))
}

func TestPrecisionOf(t *testing.T) {
	tests := []struct {
		in   string
		want Precision
		ok   bool
	}{
		{"2025-07-02T13:07:40.937074Z", Microseconds, true},
		{"2025-07-02T13:07:40.937074123Z", Nanoseconds, true},
		{"2025-07-02T13:07:40.937Z", Milliseconds, true},
		{"2025-07-02T13:07:40.9+02:00", 1, true},
		{"2025-07-02T13:07:40Z", 0, false},
		{"yesterday", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		p, ok := PrecisionOf(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, p, tt.in)
	}
}

// Whatever the body, Restamp never panics, and on valid JSON with one
// top-level timestamp it changes that and nothing else.
func FuzzRestamp(f *testing.F) {
	f.Add([]byte(`{"id":"e","timestamp":"old","work":{"timestamp":"keep"},"type":"x"}`))
	f.Add([]byte(`{"a":[{"b":"]}"}],"timestamp":"t"}`))
	f.Add([]byte(`{"time\u0073tamp":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := Restamp(body, restampAt, Microseconds)
		if err != nil || !json.Valid(body) {
			return
		}
		var before, after map[string]any
		if json.Unmarshal(body, &before) != nil || topLevelCount(body, "timestamp") != 1 {
			return
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("restamped %q into invalid JSON %q: %v", body, out, err)
		}
		if after["timestamp"] != "2026-11-30T12:34:56.123456Z" {
			t.Fatalf("timestamp of %q is %v", out, after["timestamp"])
		}
		delete(before, "timestamp")
		delete(after, "timestamp")
		b1, _ := json.Marshal(before)
		b2, _ := json.Marshal(after)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("restamping %q changed more than the timestamp: %q", body, out)
		}
	})
}

// BenchmarkRestamp: re-stamping a catalogue event's body (~4 KiB), what
// every delivery attempt costs on top of signing.
func BenchmarkRestamp(b *testing.B) {
	ev, err := NewGenerator(Options{Seed: 1}).New("work_updated", "don:integration:dvrv-us-1:devo/1:webhook/1")
	if err != nil {
		b.Fatal(err)
	}
	body := ev.MustEncode()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Restamp(body, restampAt, Nanoseconds); err != nil {
			b.Fatal(err)
		}
	}
}

// topLevelCount counts the top-level keys named key in a JSON object.
func topLevelCount(body []byte, key string) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	n, depth, wantKey := 0, 0, false
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			wantKey = depth == 1 && tok == json.Delim('{')
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 1 && wantKey && tok == key {
			n++
		}
		if depth == 1 {
			wantKey = !wantKey
		}
	}
}
