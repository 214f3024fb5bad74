package signature

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vector is one published test vector in fixtures/vectors/signatures.json.
type vector struct {
	Name        string `json:"name"`
	Secret      string `json:"secret"`
	KeyEncoding string `json:"key_encoding"`
	Body        string `json:"body"`
	Hex         string `json:"hex"`
	Base64      string `json:"base64"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "vectors", "signatures.json"))
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(raw, &vs))
	require.NotEmpty(t, vs)
	return vs
}

func TestPublishedVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			k, err := ParseKeyEncoding(v.KeyEncoding)
			require.NoError(t, err)
			for enc, want := range map[Encoding]string{Hex: v.Hex, Base64: v.Base64} {
				s, err := NewSigner(v.Secret, enc, k)
				require.NoError(t, err)
				assert.Equal(t, want, s.Sign([]byte(v.Body)), "encoding %s", enc)
			}
			ver, err := NewVerifier(v.Secret, k)
			require.NoError(t, err)
			assert.True(t, ver.Verify([]byte(v.Body), v.Hex))
			assert.True(t, ver.Verify([]byte(v.Body), v.Base64))
			assert.True(t, ver.Verify([]byte(v.Body), strings.ToUpper(v.Hex)))
		})
	}
}

func TestVerifierRefuses(t *testing.T) {
	body := []byte(`{"id":"x","type":"work_created"}`)
	s, err := NewSigner("s3cr3t-value", Hex, KeyRaw)
	require.NoError(t, err)
	good := s.Sign(body)
	other, err := NewSigner("s3cr3t-valuf", Hex, KeyRaw)
	require.NoError(t, err)
	v, err := NewVerifier("s3cr3t-value", KeyRaw)
	require.NoError(t, err)

	tampered := append([]byte(nil), body...)
	tampered[2] ^= 1
	for name, tc := range map[string]struct {
		body []byte
		sig  string
	}{
		"empty":          {body, ""},
		"truncated":      {body, good[:32]},
		"one char short": {body, good[:63]},
		"other secret":   {body, other.Sign(body)},
		"tampered body":  {tampered, good},
		"garbage":        {body, strings.Repeat("z", 64)},
		"with prefix":    {body, "sha256=" + good},
	} {
		assert.False(t, v.Verify(tc.body, tc.sig), name)
	}
	assert.True(t, v.Verify(body, good))
}

func TestValidateSecret(t *testing.T) {
	assert.Error(t, ValidateSecret("short"))
	assert.NoError(t, ValidateSecret("12345678"))
	assert.NoError(t, ValidateSecret(strings.Repeat("x", 32)))
	assert.Error(t, ValidateSecret(strings.Repeat("x", 33)))
}

func TestKeyBase64(t *testing.T) {
	_, err := NewSigner("not base64!!", Hex, KeyBase64)
	assert.ErrorContains(t, err, "base64")
	_, err = ParseEncoding("rot13")
	assert.Error(t, err)
}

func BenchmarkSign4KiB(b *testing.B) {
	s, err := NewSigner("s3cr3t-value", Hex, KeyRaw)
	require.NoError(b, err)
	body := []byte(strings.Repeat("a", 4096))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Sign(body)
	}
}
