package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactorKnowsEveryForm(t *testing.T) {
	secret := `s3cr3t/"value"+&?`
	r := New(secret, "header-value-1")
	j, _ := json.Marshal(secret)
	for _, form := range []string{
		secret, string(j[1 : len(j)-1]), url.QueryEscape(secret), url.PathEscape(secret),
		hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))),
		base64.StdEncoding.EncodeToString([]byte(secret)), base64.URLEncoding.EncodeToString([]byte(secret)),
		base64.RawStdEncoding.EncodeToString([]byte(secret)), base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"header-value-1", base64.StdEncoding.EncodeToString([]byte("header-value-1")),
	} {
		out := r.String("before " + form + " after")
		assert.Equal(t, "before "+Redacted+" after", out, form)
		assert.Equal(t, "x"+Redacted+"y", string(r.Bytes([]byte("x"+form+"y"))), form)
	}
}

func TestURLPassword(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"http://user:p%40ss@host/", []string{"p@ss", "p%40ss"}},
		{"http://user:plain@host/", []string{"plain", "plain"}},
		{"http://user@host/", nil},
		{"http://host/", nil},
		{"::not a url", nil},
	} {
		assert.Equal(t, tc.want, URLPassword(tc.raw), tc.raw)
	}
}

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://user:pw@127.0.0.1:99999/x": "http://user:" + Redacted + "@127.0.0.1:99999/x",
		"https://u:p:q@h/a@b":              "https://u:" + Redacted + "@h/a@b",
		"http://user@host/":                "http://user@host/",
		"http://host/path?q=a:b@c":         "http://host/path?q=a:b@c",
		"not a url":                        "not a url",
		"http://u:%zz@host/":               "http://u:" + Redacted + "@host/",
	} {
		assert.Equal(t, want, URL(raw), raw)
	}
}
