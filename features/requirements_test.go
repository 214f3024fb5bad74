package features

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequirementsTable(t *testing.T) {
	reqs := Requirements()
	require.Len(t, reqs, 26, "PROTOCOL.md §2 has 26 requirements")
	var ids []string
	seen := map[string]bool{}
	idRe := regexp.MustCompile(`^(VER|SIG|RPL|ACK|DUP|ORD|FWD|ROB|SEC)-0[1-7]$`)
	for _, r := range reqs {
		assert.Regexp(t, idRe, r.ID)
		assert.False(t, seen[r.ID], "duplicate %s", r.ID)
		seen[r.ID] = true
		ids = append(ids, r.ID)
		assert.Contains(t, []string{Must, Should, Info}, r.Level, r.ID)
		assert.NotEmpty(t, r.Title, r.ID)
		assert.NotContains(t, r.Title, "\n", r.ID)
		assert.True(t, strings.HasSuffix(r.Text, "."), r.ID)
		got, ok := Lookup(r.ID)
		assert.True(t, ok)
		assert.Equal(t, r, got)
	}
	assert.Equal(t, "VER-01", ids[0])
	assert.Equal(t, "SEC-01", ids[len(ids)-1])
	levels := map[string]int{}
	for _, r := range reqs {
		levels[r.Level]++
	}
	assert.Equal(t, map[string]int{Must: 20, Should: 5, Info: 1}, levels)

	_, ok := Lookup("sig-02")
	assert.False(t, ok, "IDs are exact")
	reqs[0].ID = "changed"
	assert.Equal(t, "VER-01", Requirements()[0].ID, "callers get a copy")
	assert.Equal(t, "SIG", Group("SIG-02"))
	assert.Equal(t, "X", Group("X"))
}

func TestEmbeddedFeatures(t *testing.T) {
	names, err := fs.Glob(FS(), "*.feature")
	require.NoError(t, err)
	assert.ElementsMatch(t, Files(), names, "Files lists every embedded feature")
	for _, name := range Files() {
		b, err := fs.ReadFile(FS(), name)
		require.NoError(t, err)
		text := string(b)
		assert.True(t, strings.HasPrefix(text, "Feature: "), name)
		// Each feature quotes the requirements it checks.
		for _, r := range Requirements() {
			if strings.Contains(text, "@"+r.ID+" ") {
				assert.Contains(t, text, r.ID+"  "+r.Level, "%s quotes %s", name, r.ID)
			}
		}
	}
}
