package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormats(t *testing.T) {
	assert.Equal(t, []string{"json", "junit", "markdown", "markdown-summary", "html"}, Formats())
}

func TestWriteRejectsUnknownFormatAndNilReport(t *testing.T) {
	tests := []struct {
		name   string
		format string
		r      *Report
		want   string
	}{
		{"unknown format", "pdf", sampleReport(), `unknown format "pdf"`},
		{"cucumber is godog's", "cucumber", sampleReport(), "unknown format"},
		{"empty format", "", sampleReport(), "unknown format"},
		{"case matters", "JSON", sampleReport(), "unknown format"},
		{"nil report", "json", nil, "nil report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tt.format, tt.r)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, buf.String())
		})
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWritePropagatesWriteErrors(t *testing.T) {
	for _, f := range Formats() {
		t.Run(f, func(t *testing.T) {
			err := Write(failingWriter{}, f, sampleReport())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "disk full")
			assert.Contains(t, err.Error(), f)
		})
	}
}

// TestWritersHandleEdgeCases renders every format for reports that are
// empty, minimal or hostile, and checks basic expectations of each.
func TestWritersHandleEdgeCases(t *testing.T) {
	hostile := sampleReport()
	e := &hostile.Requirements[1].Evidence[0]
	e.Request.BodyPreview = strings.Repeat("A", 100_000) + "<script>alert(1)</script>"
	e.Response.BodyPreview = "\x00\x01bad\xffutf8 ]]> </pre></details>"
	e.Request.Headers["X-Evil"] = "\"><img src=x onerror=alert(1)>"
	e.Reproduce = "curl ``` | `x`"
	hostile.Requirements[1].Title = "title with | pipe and `code` and <b>tags</b>\nand a newline"

	emptyEvidence := sampleReport()
	emptyEvidence.Requirements[1].Evidence = []Evidence{{}}

	reports := map[string]*Report{
		"sample":         sampleReport(),
		"zero":           {},
		"hostile":        hostile,
		"empty evidence": emptyEvidence,
		"full":           fullReport(true),
	}
	for name, r := range reports {
		for _, f := range Formats() {
			t.Run(name+"/"+f, func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, Write(&buf, f, r))
				out := buf.String()
				assert.NotEmpty(t, out)
				assert.True(t, strings.HasSuffix(out, "\n"), "ends with a newline")
				if f != FormatJSON {
					assert.Less(t, len(out), 200_000, "previews are truncated")
					assert.NotContains(t, out, "<script>alert", "hostile text is escaped or truncated")
				}
			})
		}
		t.Run(name+"/console", func(t *testing.T) {
			for _, v := range []Verbosity{Quiet, Normal, Verbose} {
				var buf bytes.Buffer
				WriteConsole(&buf, r, v)
				assert.Contains(t, buf.String(), "verdict: ")
			}
		})
	}
}

func TestWriteDoesNotModifyTheReport(t *testing.T) {
	r := sampleReport()
	r.Requirements[0].Group = ""
	r.Requirements[1].Evidence[0].Response.Headers = nil
	before := *r
	before.Requirements = append([]Requirement(nil), r.Requirements...)
	for _, f := range Formats() {
		require.NoError(t, Write(&bytes.Buffer{}, f, r))
	}
	WriteConsole(&bytes.Buffer{}, r, Verbose)
	assert.Equal(t, before, *r)
	assert.Nil(t, r.Requirements[1].Evidence[0].Response.Headers)
}

func TestBadge(t *testing.T) {
	tests := []struct {
		level, status, want string
	}{
		{LevelMust, StatusPass, BadgePass},
		{LevelMust, StatusFail, BadgeFail},
		{LevelMust, StatusSkip, BadgeSkip},
		{LevelShould, StatusPass, BadgePass},
		{LevelShould, StatusFail, BadgeWarn},
		{LevelShould, StatusSkip, BadgeSkip},
		{LevelInfo, StatusPass, BadgeInfo},
		{LevelInfo, StatusFail, BadgeInfo},
		{LevelInfo, StatusSkip, BadgeSkip},
		{"", StatusFail, BadgeFail},
		{LevelMust, "", "?"},
		{LevelMust, "pending", "PENDING"},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.status, func(t *testing.T) {
			assert.Equal(t, tt.want, Badge(Requirement{Level: tt.level, Status: tt.status}))
		})
	}
}

func TestGroupOfAndName(t *testing.T) {
	tests := []struct{ id, group, name string }{
		{"SIG-02", "SIG", "Signature verification"},
		{"VER-01", "VER", "Endpoint verification"},
		{"XYZ-9", "XYZ", "XYZ"},
		{"NOPREFIX", "NOPREFIX", "NOPREFIX"},
		{"-01", "-01", "-01"},
		{"", "", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.group, GroupOf(tt.id), tt.id)
		assert.Equal(t, tt.name, GroupName(GroupOf(tt.id)), tt.id)
	}
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "short", truncate("short", 10))
	assert.Equal(t, "abc… [3 more bytes not shown]", truncate("abcdef", 3))
	// Never splits a rune: "é" is two bytes.
	got := truncate("aéé", 2)
	assert.True(t, strings.HasPrefix(got, "a…"), got)
	assert.Equal(t, "a\uFFFDb", truncate("a\xffb", 10))
}

func TestGroupRequirementsKeepsCatalogueOrder(t *testing.T) {
	reqs := normalize(sampleReport()).Requirements
	var keys []string
	for _, g := range groupRequirements(reqs) {
		keys = append(keys, g.Key)
	}
	assert.Equal(t, []string{"VER", "SIG", "ACK", "RPL", "ROB", "SEC", "FWD", "DUP"}, keys)
}

func TestEncodingText(t *testing.T) {
	assert.Equal(t, "hex (detected), key raw", encodingText(Target{Encoding: "hex", EncodingDetected: true, KeyEncoding: "raw"}))
	assert.Equal(t, "base64 (set by --encoding)", encodingText(Target{Encoding: "base64"}))
	assert.Equal(t, "undetermined: the receiver also accepts a wrong signature",
		encodingText(Target{Encoding: "hex", Detection: "undetermined: the receiver\nalso accepts a wrong signature"}))
}
