package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Custom header rules (docs/protocol.md §1.2): DevRev's beta API lets a
// webhook carry up to 8 headers {name, value}, sent with every invocation.
// The mock's API, `send --header` and `check --header` apply the same rules.
const (
	// MaxHeaders is how many custom headers a webhook may carry
	// (webhooks-create-request: maxItems 8).
	MaxHeaders = 8
	// MaxHeaderName and MaxHeaderValue bound one header (project choice:
	// DevRev's schema sets no length).
	MaxHeaderName  = 256
	MaxHeaderValue = 4096
)

// Errors of CheckHeaderName and CheckHeaderValue, for errors.Is.
var (
	// ErrReservedHeader: the sender sets the header itself.
	ErrReservedHeader = errors.New("reserved header")
	// ErrEmptyHeaderName: a header needs a name.
	ErrEmptyHeaderName = errors.New("empty header name")
)

// ReservedHeaders are the names a custom header may not take, lower-case:
// the signature and body framing the sender owns, and hop-by-hop or
// connection-level headers that would break the request.
func ReservedHeaders() []string {
	return []string{
		"x-devrev-signature", "content-type", "content-length", "content-encoding",
		"transfer-encoding", "host", "user-agent", "connection", "keep-alive",
		"proxy-connection", "te", "trailer", "upgrade", "expect",
	}
}

// CheckHeaderName applies DevRev's rule (ASCII letters, digits, '-' and
// '_'; the rule is prose in its schema) and refuses reserved names.
func CheckHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: a header needs a name, e.g. x-api-key", ErrEmptyHeaderName)
	}
	if len(name) > MaxHeaderName {
		return fmt.Errorf("the header name is %d bytes; the limit is %d", len(name), MaxHeaderName)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("header names take only ASCII letters, digits, '-' and '_'; %q has %q at byte %d", cut(name, 64), string(rune(c)), i)
		}
	}
	for _, r := range ReservedHeaders() {
		if strings.EqualFold(name, r) {
			return fmt.Errorf("%w: %s is set by the sender itself (reserved: %s)", ErrReservedHeader,
				http.CanonicalHeaderKey(name), strings.Join(ReservedHeaders(), ", "))
		}
	}
	return nil
}

// CheckHeaderValue checks that value can be sent as a header value
// unchanged: bounded, no control characters but tab, no surrounding
// whitespace. Its errors never quote the value (it may be a key).
func CheckHeaderValue(value string) error {
	if len(value) > MaxHeaderValue {
		return fmt.Errorf("the header value is %d bytes; the limit is %d", len(value), MaxHeaderValue)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("a header value may not hold control characters (byte %d is 0x%02x)", i, c)
		}
	}
	if strings.TrimSpace(value) != value {
		return errors.New("a header value may not start or end with whitespace (receivers would see it trimmed)")
	}
	return nil
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
