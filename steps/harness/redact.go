package harness

import "github.com/revhook/revhook/internal/redact"

// Redacted replaces a secret wherever it would have appeared.
const Redacted = redact.Redacted

// Redactor removes every known spelling of the run's secrets from output
// (package redact: one redactor for check, replay and serve).
type Redactor = redact.Redactor

// NewRedactor knows secret in every form and the values of extra (see
// redact.New).
func NewRedactor(secret string, extra ...string) *Redactor { return redact.New(secret, extra...) }
