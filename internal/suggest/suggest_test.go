package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClosest(t *testing.T) {
	ids := []string{"VER-01", "VER-02", "SIG-01", "SIG-02", "SIG-03", "RPL-01"}
	tests := []struct {
		input      string
		candidates []string
		want       string
	}{
		{"SIG-2", ids, "SIG-02"},
		{"sig-02", ids, "SIG-02"},
		{"SGI-02", ids, "SIG-02"},
		{"SIG02", ids, "SIG-02"},
		{"XYZ-99", ids, ""},
		{"", ids, ""},
		{"hexx", []string{"auto", "hex", "base64"}, "hex"},
		{"bas64", []string{"auto", "hex", "base64"}, "base64"},
		{"rot13", []string{"auto", "hex", "base64"}, ""},
		{"chek", []string{"check", "serve", "send", "receiver", "catalog"}, "check"},
		{"rec", []string{"check", "serve", "send", "receiver", "catalog"}, "receiver"},
		{"server", []string{"check", "serve", "send", "receiver", "catalog"}, "serve"},
		{"x", []string{"check", "serve"}, ""},
		{"urll", []string{"url", "secret", "only"}, "url"},
		{"markdown-sumary", []string{"json", "markdown", "markdown-summary"}, "markdown-summary"},
		{"warn", []string{"must", "warn"}, "warn"},
		{"should", []string{"must", "warn"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			assert.Equal(t, tt.want, Closest(tt.input, tt.candidates))
		})
	}
	assert.Equal(t, " (did you mean SIG-02?)", Hint("SIG-2", ids))
	assert.Equal(t, "", Hint("SIG-02", ids), "no hint for an exact match")
	assert.Equal(t, "", Hint("nothing like it", ids))
}
