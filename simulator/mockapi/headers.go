package mockapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/revhook/revhook/simulator/webhook"
)

// MaxHeaders is how many custom headers a webhook may carry
// (webhook.MaxHeaders).
const MaxHeaders = webhook.MaxHeaders

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

// validateHeaderName checks DevRev's rule and the reserved names
// (webhook.CheckHeaderName); field names the field for the error.
func validateHeaderName(field, name string) *Error {
	switch err := webhook.CheckHeaderName(name); {
	case err == nil:
		return nil
	case errors.Is(err, webhook.ErrEmptyHeaderName):
		return missingField(field, "a header needs a name, e.g. x-api-key")
	case errors.Is(err, webhook.ErrReservedHeader):
		return notPermitted(field, err.Error())
	default:
		return invalidField(field, "%s", err.Error())
	}
}

// validateHeaderValue checks that value can be sent unchanged
// (webhook.CheckHeaderValue).
func validateHeaderValue(field, value string) *Error {
	if err := webhook.CheckHeaderValue(value); err != nil {
		return invalidField(field, "%s", err.Error())
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
		if len(n) > webhook.MaxHeaderName {
			return ops, invalidField(f, "the header name is %d bytes; the limit is %d", len(n), webhook.MaxHeaderName)
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
