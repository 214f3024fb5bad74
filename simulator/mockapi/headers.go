package mockapi

import (
	"fmt"
	"net/http"
	"strings"
)

// Custom header bounds (docs/protocol.md §1.2: DevRev's beta API lets a
// webhook carry up to 8 headers sent with every invocation).
const (
	// MaxHeaders is how many custom headers a webhook may carry
	// (webhooks-create-request: maxItems 8).
	MaxHeaders = 8
	// maxHeaderName and maxHeaderValue bound one header (project choice:
	// DevRev's schema sets no length).
	maxHeaderName  = 256
	maxHeaderValue = 4096
)

// reservedHeaders are names a webhook may not set, lower-case: the
// signature and body framing the sender owns, and hop-by-hop or
// connection-level headers that would break the request.
var reservedHeaders = []string{
	"x-devrev-signature", "content-type", "content-length", "content-encoding",
	"transfer-encoding", "host", "user-agent", "connection", "keep-alive",
	"proxy-connection", "te", "trailer", "upgrade", "expect",
}

// Header is one custom header of a webhook, as DevRev's webhook-header.
type Header struct {
	// Name is the header name: ASCII letters, digits, '-' and '_'.
	Name string `json:"name"`
	// Value is sent as is with every invocation.
	Value string `json:"value"`
}

// headerIn is a webhook-header as a request carries it: both fields are
// required, so absence is told from "".
type headerIn struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// headersUpdate is webhooks.update's headers (webhooks-update-request-headers).
type headersUpdate struct {
	Add    []headerIn  `json:"add"`
	Remove []string    `json:"remove"`
	Set    *[]headerIn `json:"set"`
}

// validateHeaderName checks DevRev's rule (alphanumeric ASCII, hyphens and
// underscores) and the reserved names; field names the field for the error.
func validateHeaderName(field, name string) *Error {
	if name == "" {
		return missingField(field, "a header needs a name, e.g. x-api-key")
	}
	if len(name) > maxHeaderName {
		return invalidField(field, "the header name is %d bytes; the limit is %d", len(name), maxHeaderName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return invalidField(field, "header names take only ASCII letters, digits, '-' and '_'; %q has %q at byte %d",
				truncate(name, 64), string(rune(c)), i)
		}
	}
	for _, r := range reservedHeaders {
		if strings.EqualFold(name, r) {
			return notPermitted(field, fmt.Sprintf("%s is reserved: the sender sets it itself (reserved: %s)",
				http.CanonicalHeaderKey(name), strings.Join(reservedHeaders, ", ")))
		}
	}
	return nil
}

// validateHeaderValue checks that value can be sent as an HTTP header value
// unchanged: no control characters but tab, no surrounding whitespace.
func validateHeaderValue(field, value string) *Error {
	if len(value) > maxHeaderValue {
		return invalidField(field, "the header value is %d bytes; the limit is %d", len(value), maxHeaderValue)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return invalidField(field, "a header value may not hold control characters (byte %d is 0x%02x)", i, c)
		}
	}
	if strings.TrimSpace(value) != value {
		return invalidField(field, "a header value may not start or end with whitespace (receivers would see it trimmed)")
	}
	return nil
}

// validateHeaders checks a list of headers named field ("headers",
// "headers.set", …): each name and value, at most MaxHeaders, no name twice
// (names are case-insensitive).
func validateHeaders(field string, in []headerIn) ([]Header, *Error) {
	if len(in) > MaxHeaders {
		return nil, notPermitted(field, fmt.Sprintf("%d headers; a webhook carries at most %d", len(in), MaxHeaders))
	}
	out := make([]Header, 0, len(in))
	for i, h := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		if h.Name == nil {
			return nil, missingField(f+".name", "every header has a name and a value")
		}
		if h.Value == nil {
			return nil, missingField(f+".value", "every header has a name and a value")
		}
		if e := validateHeaderName(f+".name", *h.Name); e != nil {
			return nil, e
		}
		if e := validateHeaderValue(f+".value", *h.Value); e != nil {
			return nil, e
		}
		for j, o := range out {
			if strings.EqualFold(o.Name, *h.Name) {
				return nil, notPermitted(f+".name", fmt.Sprintf("%s repeats %s[%d].name (header names are case-insensitive)", *h.Name, field, j))
			}
		}
		out = append(out, Header{Name: *h.Name, Value: *h.Value})
	}
	return out, nil
}

// validatedHeaderOps is a checked headersUpdate.
type validatedHeaderOps struct {
	add, set []Header
	remove   []string
	hasSet   bool
}

// validate checks every list of u.
func (u *headersUpdate) validate() (validatedHeaderOps, *Error) {
	var ops validatedHeaderOps
	var e *Error
	if u.Set != nil {
		ops.hasSet = true
		if ops.set, e = validateHeaders("headers.set", *u.Set); e != nil {
			return ops, e
		}
	}
	if ops.add, e = validateHeaders("headers.add", u.Add); e != nil {
		return ops, e
	}
	if len(u.Remove) > MaxHeaders {
		return ops, notPermitted("headers.remove", fmt.Sprintf("%d names; at most %d", len(u.Remove), MaxHeaders))
	}
	for i, n := range u.Remove {
		f := fmt.Sprintf("headers.remove[%d]", i)
		if n == "" {
			return ops, invalidField(f, "give the name of a header to remove")
		}
		if len(n) > maxHeaderName {
			return ops, invalidField(f, "the header name is %d bytes; the limit is %d", len(n), maxHeaderName)
		}
	}
	ops.remove = u.Remove
	return ops, nil
}

// apply returns base changed by ops: set replaces the list, then remove
// drops names (absent ones are ignored), then add replaces the value of a
// header already there or appends it. More than MaxHeaders is refused.
func (ops validatedHeaderOps) apply(base []Header) ([]Header, *Error) {
	out := append([]Header(nil), base...)
	if ops.hasSet {
		out = append([]Header(nil), ops.set...)
	}
	for _, n := range ops.remove {
		kept := out[:0]
		for _, h := range out {
			if !strings.EqualFold(h.Name, n) {
				kept = append(kept, h)
			}
		}
		out = kept
	}
next:
	for _, a := range ops.add {
		for i, h := range out {
			if strings.EqualFold(h.Name, a.Name) {
				out[i] = a
				continue next
			}
		}
		out = append(out, a)
	}
	if len(out) > MaxHeaders {
		return nil, notPermitted("headers", fmt.Sprintf("the webhook would carry %d headers; at most %d", len(out), MaxHeaders))
	}
	return out, nil
}

// headerOf builds the http.Header sent with every invocation; nil when
// there are none. It is never modified once built (delivery.Job.Header is
// shared by every attempt).
func headerOf(hs []Header) http.Header {
	if len(hs) == 0 {
		return nil
	}
	h := make(http.Header, len(hs))
	for _, x := range hs {
		h.Set(x.Name, x.Value)
	}
	return h
}
