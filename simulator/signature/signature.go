// Package signature signs and verifies DevRev webhook deliveries.
//
// DevRev puts an HMAC-SHA256 of the raw request body, keyed with the webhook
// secret, in the X-DevRev-Signature header (docs/protocol.md §1.1). The docs do not
// name the encoding; DevRev's own example receiver checks lowercase hex, so hex
// is the default and padded standard base64 is selectable. The key is the
// secret's bytes, or, when KeyBase64 is chosen, the base64 decoding of the
// secret (DevRev's OpenAPI types the secret as format: byte).
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
)

// Header is the request header that carries the signature.
const Header = "X-DevRev-Signature"

// Secret length bounds, inclusive, from webhooks.update (seed 003).
const (
	MinSecretLen = 8
	MaxSecretLen = 32
)

// Encoding is how the HMAC bytes are written into the header.
type Encoding string

// Signature encodings.
const (
	Hex    Encoding = "hex"
	Base64 Encoding = "base64"
)

// KeyEncoding is how the secret string becomes the HMAC key.
type KeyEncoding string

// Key encodings.
const (
	KeyRaw    KeyEncoding = "raw"    // the secret's bytes
	KeyBase64 KeyEncoding = "base64" // the secret's standard base64 decoding
)

// ParseEncoding validates a signature encoding name.
func ParseEncoding(s string) (Encoding, error) {
	switch e := Encoding(s); e {
	case Hex, Base64:
		return e, nil
	}
	return "", fmt.Errorf("unknown signature encoding %q (want hex or base64)", s)
}

// ParseKeyEncoding validates a key encoding name.
func ParseKeyEncoding(s string) (KeyEncoding, error) {
	switch k := KeyEncoding(s); k {
	case KeyRaw, KeyBase64:
		return k, nil
	}
	return "", fmt.Errorf("unknown key encoding %q (want raw or base64)", s)
}

// ValidateSecret checks the 8–32 byte rule of webhooks.update.
func ValidateSecret(secret string) error {
	if n := len(secret); n < MinSecretLen || n > MaxSecretLen {
		return fmt.Errorf("secret is %d bytes; it must be %d to %d bytes", n, MinSecretLen, MaxSecretLen)
	}
	return nil
}

// Key derives the HMAC key from a secret.
func Key(secret string, k KeyEncoding) ([]byte, error) {
	switch k {
	case KeyRaw, "":
		return []byte(secret), nil
	case KeyBase64:
		key, err := base64.StdEncoding.DecodeString(secret)
		if err != nil {
			return nil, fmt.Errorf("secret is not valid base64 (key encoding base64): %w", err)
		}
		return key, nil
	}
	return nil, fmt.Errorf("unknown key encoding %q", k)
}

// Signer computes signatures for one key and encoding. It is safe for
// concurrent use and reuses HMAC states, so signing allocates only the result.
type Signer struct {
	enc  Encoding
	pool sync.Pool
}

// NewSigner returns a signer for secret, deriving the key as k says.
func NewSigner(secret string, enc Encoding, k KeyEncoding) (*Signer, error) {
	if enc == "" {
		enc = Hex
	}
	if _, err := ParseEncoding(string(enc)); err != nil {
		return nil, err
	}
	key, err := Key(secret, k)
	if err != nil {
		return nil, err
	}
	s := &Signer{enc: enc}
	s.pool.New = func() any { return hmac.New(sha256.New, key) }
	return s, nil
}

// Encoding returns the signer's header encoding.
func (s *Signer) Encoding() Encoding { return s.enc }

// Sum returns the raw HMAC-SHA256 of body.
func (s *Signer) Sum(body []byte) [sha256.Size]byte {
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(body)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	s.pool.Put(h)
	return out
}

// Sign returns the header value for body.
func (s *Signer) Sign(body []byte) string {
	sum := s.Sum(body)
	return Encode(sum[:], s.enc)
}

// Encode writes raw MAC bytes in the given encoding.
func Encode(mac []byte, enc Encoding) string {
	if enc == Base64 {
		return base64.StdEncoding.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// Verifier checks signatures the way a careful receiver does: over the raw
// body bytes, accepting lowercase/uppercase hex or padded base64, comparing in
// constant time.
type Verifier struct{ signer *Signer }

// NewVerifier returns a verifier for secret with key derivation k.
func NewVerifier(secret string, k KeyEncoding) (*Verifier, error) {
	s, err := NewSigner(secret, Hex, k)
	if err != nil {
		return nil, err
	}
	return &Verifier{signer: s}, nil
}

// Verify reports whether header is a valid signature of body.
func (v *Verifier) Verify(body []byte, header string) bool {
	got, ok := decode(header)
	if !ok {
		return false
	}
	want := v.signer.Sum(body)
	return hmac.Equal(got, want[:])
}

// decode turns a header value into MAC bytes, trying hex then base64. Only
// values of exactly the MAC's length decode, so truncated signatures fail.
func decode(header string) ([]byte, bool) {
	switch len(header) {
	case hex.EncodedLen(sha256.Size):
		b, err := hex.DecodeString(header)
		return b, err == nil
	case base64.StdEncoding.EncodedLen(sha256.Size):
		b, err := base64.StdEncoding.DecodeString(header)
		return b, err == nil
	}
	return nil, false
}
