package steps

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
)

// Redacted replaces the secret wherever it would have appeared.
const Redacted = "[REDACTED]"

// secretForms returns the spellings of secret that output could contain:
// as is, JSON-escaped and URL-escaped.
func secretForms(secret string) []string {
	if secret == "" {
		return nil
	}
	forms := []string{secret}
	if j, err := json.Marshal(secret); err == nil {
		if s := string(j[1 : len(j)-1]); s != secret {
			forms = append(forms, s)
		}
	}
	for _, s := range []string{url.QueryEscape(secret), url.PathEscape(secret)} {
		if s != secret {
			forms = append(forms, s)
		}
	}
	return forms
}

// redactString removes every form of the secret from s.
func redactString(s string, forms []string) string {
	for _, f := range forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return s
}

// redactBytes removes every form of the secret from b.
func redactBytes(b []byte, forms []string) []byte {
	for _, f := range forms {
		b = bytes.ReplaceAll(b, []byte(f), []byte(Redacted))
	}
	return b
}

// redactValue walks v (a pointer to a report) and redacts every string in
// it, map keys and values included, so that fields added later are covered
// too.
func redactValue(v reflect.Value, forms []string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			redactValue(v.Elem(), forms)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				redactValue(f, forms)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			redactValue(v.Index(i), forms)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(redactString(v.String(), forms))
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
			redactValue(k, forms)
			redactValue(val, forms)
			out.SetMapIndex(k, val)
		}
		v.Set(out)
	}
}
