// Package redact removes secrets from everything revhook prints or writes:
// one Redactor per run knows every spelling of the run's secrets — raw,
// JSON- and URL-escaped, hex, base64 — and of the other values that must
// not appear (a URL's password, --header values, tokens). Every output
// path of check, replay and serve goes through one.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"reflect"
	"sort"
	"strings"
)

// Redacted replaces a secret wherever it would have appeared.
const Redacted = "[REDACTED]"

// Redactor removes every known spelling of the run's secrets from output.
type Redactor struct{ forms []string }

// New knows secret as is, JSON- and URL-escaped, and its bytes in
// hex and base64 (standard and URL alphabets, padded or not), plus the
// values of extra (e.g. --header values, which may be keys).
func New(secret string, extra ...string) *Redactor {
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if len(s) >= 4 && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	for _, s := range append([]string{secret}, extra...) {
		if s == "" {
			continue
		}
		add(s)
		if j, err := json.Marshal(s); err == nil {
			add(string(j[1 : len(j)-1]))
		}
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		b := []byte(s)
		add(hex.EncodeToString(b))
		add(strings.ToUpper(hex.EncodeToString(b)))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			add(enc.EncodeToString(b))
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return &Redactor{forms: forms}
}

// String removes every form of the secrets from s.
func (r *Redactor) String(s string) string {
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return s
}

// Bytes removes every form of the secrets from b.
func (r *Redactor) Bytes(b []byte) []byte {
	for _, f := range r.forms {
		b = bytes.ReplaceAll(b, []byte(f), []byte(Redacted))
	}
	return b
}

// Value walks v (a pointer to a report) and redacts every string in it,
// map keys and values included, so that fields added later are covered.
func (r *Redactor) Value(v any) { r.value(reflect.ValueOf(v)) }

func (r *Redactor) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			r.value(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				r.value(f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			r.value(v.Index(i))
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(r.String(v.String()))
		}
	case reflect.Map:
		if v.IsNil() || !v.CanSet() {
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(iter.Key())
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(iter.Value())
			r.value(k)
			r.value(val)
			out.SetMapIndex(k, val)
		}
		v.Set(out)
	}
}

// URLPassword returns the password of raw's user info ("user:pass@host")
// as given and as the URL spells it (percent-escaped), for New's extra
// values; nil when there is none.
func URLPassword(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return nil
	}
	p, ok := u.User.Password()
	if !ok || p == "" {
		return nil
	}
	escaped := strings.TrimPrefix(url.UserPassword("", p).String(), ":")
	return []string{p, escaped}
}

// URL returns raw with the password of its user info replaced by
// Redacted, whether or not raw parses as a URL (it is what error messages
// about a bad --url quote).
func URL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return raw
	}
	return scheme + "://" + user + ":" + Redacted + rest[at:]
}
