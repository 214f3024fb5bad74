package features

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequirementsTable(t *testing.T) {
	reqs := Requirements()
	require.Len(t, reqs, 26, "docs/protocol.md §2 has 26 requirements")
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
	_, err = readCatalogue(FS(), Files())
	require.NoError(t, err)
	tagged := regexp.MustCompile(`(?m)^\s*@([A-Z]{3}-[0-9]{2}) @(must|should|info)\b`)
	rule := regexp.MustCompile(`(?m)^  Rule: ([A-Z]{3}-[0-9]{2}) `)
	for _, name := range Files() {
		b, err := fs.ReadFile(FS(), name)
		require.NoError(t, err)
		text := string(b)
		assert.True(t, strings.HasPrefix(text, "Feature: "), name)
		// Every scenario sits under the Rule of the requirement it is
		// tagged with, and the tag's level is the rule's.
		rules := rule.FindAllStringSubmatchIndex(text, -1)
		require.NotEmpty(t, rules, name)
		for _, m := range tagged.FindAllStringSubmatchIndex(text, -1) {
			id, level := text[m[2]:m[3]], strings.ToUpper(text[m[4]:m[5]])
			owner := ""
			for _, r := range rules {
				if r[0] < m[0] {
					owner = text[r[2]:r[3]]
				}
			}
			assert.Equal(t, owner, id, "%s: a scenario tagged @%s sits under rule %s", name, id, owner)
			req, ok := Lookup(id)
			require.True(t, ok, id)
			assert.Equal(t, req.Level, level, "%s: @%s is tagged %s", name, id, level)
		}
	}
}

func TestReadCatalogueRefusesBadRules(t *testing.T) {
	const scenario = "\n    @SIG-01 @must\n    Scenario: s\n      When I send a correctly signed work_created event\n"
	cases := map[string]string{
		"unnamed rule":   "Feature: f\n  Rule: a rule\n    text.\n" + scenario,
		"bad level":      "Feature: f\n  Rule: SIG-01 MAY — t\n    text.\n" + scenario,
		"no text":        "Feature: f\n  Rule: SIG-01 MUST — t\n" + scenario,
		"two rules":      "Feature: f\n  Rule: SIG-01 MUST — t\n    text.\n  Rule: SIG-01 MUST — t\n    text.\n",
		"not gherkin":    "this is not gherkin\n",
		"missing a file": "",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			if text != "" {
				fsys["x.feature"] = &fstest.MapFile{Data: []byte(text)}
			}
			_, err := readCatalogue(fsys, []string{"x.feature"})
			assert.Error(t, err)
		})
	}
	good := fstest.MapFS{"x.feature": &fstest.MapFile{Data: []byte("Feature: f\n  Rule: SIG-01 MUST — A title\n    The text,\n    on two lines.\n" + scenario)}}
	reqs, err := readCatalogue(good, []string{"x.feature"})
	require.NoError(t, err)
	assert.Equal(t, []Requirement{{ID: "SIG-01", Level: Must, Title: "A title", Text: "The text, on two lines."}}, reqs)
}
