package main

import (
	"fmt"
	"net/http"
	"strings"
)

// headerFlag collects repeatable --header NAME=VALUE flags. Values may be
// keys: they are never printed, and check redacts them from its reports.
type headerFlag struct{ h http.Header }

// String implements flag.Value without the values.
func (f *headerFlag) String() string {
	if f == nil || len(f.h) == 0 {
		return ""
	}
	names := make([]string, 0, len(f.h))
	for k := range f.h {
		names = append(names, k)
	}
	return strings.Join(names, ",")
}

// Set adds one NAME=VALUE.
func (f *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", redactValue(v))
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(http.CanonicalHeaderKey(name), value)
	return nil
}

// Header returns the collected headers (nil if none).
func (f *headerFlag) Header() http.Header { return f.h }

// redactValue shows what a malformed --header looks like without its value.
func redactValue(v string) string {
	if name, _, ok := strings.Cut(v, "="); ok {
		return name + "=…"
	}
	if len(v) > 12 {
		return v[:4] + "…"
	}
	return v
}
