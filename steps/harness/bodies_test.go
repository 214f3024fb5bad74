package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// baseEvent returns a fresh base event of the work_created type.
func baseEvent(t *testing.T, h *Harness) (*Scenario, event.Event) {
	t.Helper()
	sc := h.NewScenario("bodies", "bodies", "SIG-05", "MUST")
	ev, err := sc.Event(BaseType)
	require.NoError(t, err)
	return sc, ev
}

func build(t *testing.T, h *Harness, ev event.Event, v Variation) Built {
	t.Helper()
	b, err := h.Build(ev, v)
	require.NoError(t, err, v.Name)
	return b
}

func TestRestyledBodiesMeanTheSame(t *testing.T) {
	h := offline(t)
	for _, v := range StyleVariations() {
		t.Run(v.Name, func(t *testing.T) {
			sc, ev := baseEvent(t, h)
			_ = sc
			body := build(t, h, ev, v).Body
			require.True(t, json.Valid(body), "%s", body)
			// A receiver that parses and re-serialises gets other bytes.
			var decoded any
			require.NoError(t, json.Unmarshal(body, &decoded))
			again, err := json.Marshal(decoded)
			require.NoError(t, err)
			assert.NotEqual(t, string(body), string(again))
			var env struct{ ID, Type string }
			require.NoError(t, json.Unmarshal(body, &env))
			assert.Equal(t, ev.ID, env.ID)
			assert.Equal(t, BaseType, env.Type)
		})
	}

	_, ev := baseEvent(t, h)
	v, err := Find(StyleVariations(), "escaped unicode")
	require.NoError(t, err)
	body := build(t, h, ev, v).Body
	var got struct {
		WorkCreated struct{ Work struct{ Title string } } `json:"work_created"`
	}
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, "Café ✓ «déjà vu» 🚀 /api/v1 <tag> & \"q\" \\ \t", got.WorkCreated.Work.Title)

	_, ev = baseEvent(t, h)
	v, err = Find(StyleVariations(), "its keys in reverse order")
	require.NoError(t, err)
	body = build(t, h, ev, v).Body
	assert.True(t, bytes.HasPrefix(body, []byte(`{"work_created":`)), "%.40s", body)

	_, err = Find(StyleVariations(), "sideways")
	assert.Error(t, err)
	assert.True(t, IsHarnessFailure(err))
}

func TestTamperChangesOneByte(t *testing.T) {
	h := offline(t)
	for _, v := range TamperVariations() {
		t.Run(v.Name, func(t *testing.T) {
			_, ev := baseEvent(t, h)
			body, err := Encode(ev)
			require.NoError(t, err)
			out, err := v.Tamper(bytes.Clone(body))
			require.NoError(t, err)
			require.Len(t, out, len(body))
			assert.Equal(t, 1, diffBytes(body, out))
			assert.True(t, json.Valid(out))
		})
	}
	for _, tc := range []struct{ name, body string }{
		{"change one character of its title", `{"id":"x"}`},
		{"change one character of its title", `{"title":""}`},
		{"change one digit of its timestamp", `{"id":"x"}`},
		{"change one digit of its timestamp", `{"timestamp":"Z"}`},
		{"change one digit of its timestamp", `{"timestamp":"2026-01-01T00:00:00+01:00"}`},
		{"change one character of its id", `{"type":"x"}`},
		{"change one character of its id", `{"id":""}`},
	} {
		v, err := Find(TamperVariations(), tc.name)
		require.NoError(t, err)
		_, err = v.Tamper([]byte(tc.body))
		assert.Error(t, err, "%s on %s", tc.name, tc.body)
	}
}

func TestMalformedBodiesAreInvalidJSON(t *testing.T) {
	h := offline(t)
	for _, v := range MalformedVariations() {
		_, ev := baseEvent(t, h)
		b := build(t, h, ev, v)
		assert.False(t, json.Valid(b.Body), v.Name)
		// Correctly signed: only the JSON is at fault.
		assert.Equal(t, h.Sign(b.Body), sigOf(b.Header), v.Name)
	}
	_, err := Find(MalformedVariations(), "fine")
	assert.Error(t, err)
}

func TestPadToIsExact(t *testing.T) {
	h := offline(t)
	for _, size := range []int{8 << 10, 64<<10 + 1, 512 << 10} {
		_, ev := baseEvent(t, h)
		body, err := PadTo(ev, size)
		require.NoError(t, err)
		assert.Len(t, body, size)
		assert.True(t, json.Valid(body))
	}
	_, ev := baseEvent(t, h)
	_, err := PadTo(ev, 10)
	assert.Error(t, err)
}

func TestSignatureVariationsAreWrong(t *testing.T) {
	for _, k := range []signature.KeyEncoding{signature.KeyRaw, signature.KeyBase64} {
		for _, enc := range []signature.Encoding{signature.Hex, signature.Base64} {
			t.Run(fmt.Sprintf("%s key, %s", k, enc), func(t *testing.T) {
				secret := testSecret
				if k == signature.KeyBase64 {
					secret = "c2VjcmV0LWtleS1ieXRlcw=="
				}
				h := newHarness(t, "http://127.0.0.1:9/hook", func(o *Options) { o.Secret, o.Encoding, o.KeyEncoding = secret, enc, k })
				verifier, err := signature.NewVerifier(secret, k)
				require.NoError(t, err)
				_, ev := baseEvent(t, h)
				correct := build(t, h, ev, Correct())
				good := sigOf(correct.Header)
				require.True(t, verifier.Verify(correct.Body, good))
				for _, v := range SignatureVariations() {
					b := build(t, h, ev, v)
					sig := sigOf(b.Header)
					assert.NotEmpty(t, sig, v.Name)
					assert.Equal(t, correct.Body, b.Body, v.Name)
					assert.False(t, verifier.Verify(b.Body, sig), v.Name)
					// Lenient decoders: the hex or base64 decoding of the
					// header (a prefix of it for the junk) is not the MAC.
					if v.Name == "the correct signature with junk appended" {
						assert.Equal(t, good+"junk", sig)
					} else {
						assert.False(t, strings.HasPrefix(sig, good), v.Name)
					}
				}
			})
		}
	}
	assert.Equal(t, "s3cr3t-value-for-tesx", nearSecret("s3cr3t-value-for-test", signature.KeyRaw))
	assert.Equal(t, "abcdefgy", nearSecret("abcdefgx", signature.KeyRaw))
	// A base64 key changes in its bytes, not only in a padding bit.
	near := nearSecret("c2VjcmV0LWtleS1ieXRlcw==", signature.KeyBase64)
	a, err := signature.Key("c2VjcmV0LWtleS1ieXRlcw==", signature.KeyBase64)
	require.NoError(t, err)
	b, err := signature.Key(near, signature.KeyBase64)
	require.NoError(t, err)
	require.Len(t, b, len(a))
	assert.Equal(t, 1, diffBytes(a, b))
}
