package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/revhook/revhook/simulator/webhook"
)

// headerFlag collects repeatable --header NAME=VALUE flags. Values may be
// keys: they are never printed, so Set only collects (the flag package
// would quote a refused value in its error) and Header checks them.
type headerFlag struct{ raw []string }

// String implements flag.Value without the values.
func (f *headerFlag) String() string { return "" }

// Set collects one NAME=VALUE; Header checks it.
func (f *headerFlag) Set(v string) error {
	f.raw = append(f.raw, v)
	return nil
}

// Header returns the collected headers, checked by DevRev's rules for a
// webhook's custom headers (the same rules as the mock's API applies):
// nil when none were given. Errors name the header, never its value.
func (f *headerFlag) Header() (http.Header, error) {
	if len(f.raw) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, v := range f.raw {
		name, value, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("want NAME=VALUE, e.g. --header X-Api-Key=VALUE (got an argument without '=')")
		}
		if err := webhook.CheckHeaderName(name); err != nil {
			return nil, err
		}
		if err := webhook.CheckHeaderValue(value); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		h.Set(name, value)
	}
	if len(h) > webhook.MaxHeaders {
		return nil, fmt.Errorf("%d headers; at most %d", len(h), webhook.MaxHeaders)
	}
	return h, nil
}

// values are the header values given, for redaction.
func (f *headerFlag) values() []string {
	var out []string
	for _, v := range f.raw {
		if _, value, ok := strings.Cut(v, "="); ok {
			out = append(out, value)
		}
	}
	return out
}
