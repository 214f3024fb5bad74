// Package docs holds revhook's protocol document, docs/protocol.md. Its tests
// keep the document and the code from drifting apart: the requirement table of
// §2 must list every requirement of the catalogue in package features with the
// same level, and every "docs/protocol.md §N" citation in the repository must
// name a section the document has.
package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/features"
)

const docFile = "protocol.md"

var (
	// headingRE matches a numbered heading: "## §1 …", "### §1.2 …".
	headingRE = regexp.MustCompile(`(?m)^#{2,4} §(\d+(?:\.\d+)*) `)
	// rowRE matches a requirement row of §2's table: "| SIG-02 | MUST | …".
	rowRE = regexp.MustCompile(`(?m)^\| *([A-Z]{2,4}-\d{2}) *\| *([A-Z]+) *\|`)
	// citeRE matches a citation and an optional range: "docs/protocol.md §1.2–1.3".
	citeRE = regexp.MustCompile(`docs/protocol\.md §(\d+(?:\.\d+)*)(?:[–-]§?(\d+(?:\.\d+)*))?`)
)

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docFile)
	require.NoError(t, err, "docs/protocol.md must exist: code and `revhook catalog` cite it")
	return string(b)
}

// sections returns the section numbers of doc's headings.
func sections(doc string) map[string]bool {
	out := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(doc, -1) {
		out[m[1]] = true
	}
	return out
}

// section returns the text of section num: from its heading to the next
// heading of the same or a higher rank ("" when absent).
func section(doc, num string) string {
	locs := headingRE.FindAllStringSubmatchIndex(doc, -1)
	for i, l := range locs {
		if doc[l[2]:l[3]] != num {
			continue
		}
		end := len(doc)
		for _, next := range locs[i+1:] {
			n := doc[next[2]:next[3]]
			if strings.Count(n, ".") <= strings.Count(num, ".") {
				end = next[0]
				break
			}
		}
		return doc[l[0]:end]
	}
	return ""
}

// checkCatalogue compares the requirement rows of doc's §2 (subsections
// included) with reqs and returns one line per disagreement.
func checkCatalogue(doc string, reqs []features.Requirement) []string {
	var problems []string
	text := section(doc, "2")
	if text == "" {
		return []string{"no §2 section"}
	}
	rows := map[string][]string{} // ID -> levels given
	for _, m := range rowRE.FindAllStringSubmatch(text, -1) {
		rows[m[1]] = append(rows[m[1]], m[2])
	}
	known := map[string]bool{}
	for _, r := range reqs {
		known[r.ID] = true
		levels := rows[r.ID]
		switch {
		case len(levels) == 0:
			problems = append(problems, fmt.Sprintf("%s (%s) is missing from the §2 table", r.ID, r.Level))
		case len(levels) > 1:
			problems = append(problems, fmt.Sprintf("%s has %d rows in the §2 table", r.ID, len(levels)))
		case levels[0] != r.Level:
			problems = append(problems, fmt.Sprintf("%s is %s in the catalogue but %s in the §2 table", r.ID, r.Level, levels[0]))
		}
	}
	for id := range rows {
		if !known[id] {
			problems = append(problems, fmt.Sprintf("%s is in the §2 table but not in the catalogue", id))
		}
	}
	return problems
}

// checkCitations returns one line per citation in text naming a section
// that have lacks; where prefixes each line.
func checkCitations(where, text string, have map[string]bool) []string {
	var problems []string
	for _, m := range citeRE.FindAllStringSubmatch(text, -1) {
		for _, num := range m[1:] {
			if num != "" && !have[num] {
				problems = append(problems, fmt.Sprintf("%s: %q cites §%s, which docs/protocol.md does not have", where, m[0], num))
			}
		}
	}
	return problems
}

func TestCatalogueMatchesRequirementTable(t *testing.T) {
	reqs := features.Requirements()
	require.NotEmpty(t, reqs)
	assert.Empty(t, checkCatalogue(readDoc(t), reqs))
}

func TestStableSectionsExist(t *testing.T) {
	have := sections(readDoc(t))
	// The sections code and features cite; they must never go.
	for _, s := range []string{"1", "1.1", "1.2", "1.3", "1.4", "1.5", "2"} {
		assert.True(t, have[s], "§%s is cited across the code and must stay", s)
	}
}

// TestCitationsResolve walks the repository for citations of this document
// and checks each names an existing section.
func TestCitationsResolve(t *testing.T) {
	have := sections(readDoc(t))
	root := ".."
	var problems []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".feature", ".md":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		problems = append(problems, checkCitations(path, string(b), have)...)
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// TestChecksCanFail proves each check reports what it is for.
func TestChecksCanFail(t *testing.T) {
	reqs := []features.Requirement{
		{ID: "SIG-01", Level: features.Must},
		{ID: "RPL-01", Level: features.Should},
	}
	good := "## §1 Sender\n| ID | Level |\n| SIG-01 | MUST | x |\n## §2 Receiver\n\n| ID | Level | Requirement |\n|---|---|---|\n" +
		"| SIG-01 | MUST | a |\n| RPL-01 | SHOULD | b |\n### §2.1 Judging\ntext\n## §3 Choices\n| SEC-01 | INFO | c |\n"
	require.Empty(t, checkCatalogue(good, reqs), "the well-formed document passes")

	tests := []struct {
		name, doc, want string
	}{
		{"missing row", strings.Replace(good, "| RPL-01 | SHOULD | b |\n", "", 1), "RPL-01 (SHOULD) is missing"},
		{"wrong level", strings.Replace(good, "| RPL-01 | SHOULD |", "| RPL-01 | MUST |", 1), "RPL-01 is SHOULD in the catalogue but MUST"},
		{"duplicate row", strings.Replace(good, "### §2.1", "| SIG-01 | MUST | again |\n### §2.1", 1), "SIG-01 has 2 rows"},
		{"unknown ID", strings.Replace(good, "### §2.1", "| XYZ-09 | MUST | new |\n### §2.1", 1), "XYZ-09 is in the §2 table but not"},
		{"row only outside §2", strings.Replace(good, "| SIG-01 | MUST | a |\n", "", 1), "SIG-01 (MUST) is missing"},
		{"no §2", strings.Replace(good, "## §2 Receiver", "## Receiver", 1), "no §2 section"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(checkCatalogue(tc.doc, reqs), "\n")
			assert.Contains(t, got, tc.want)
		})
	}

	have := sections(good)
	assert.Equal(t, map[string]bool{"1": true, "2": true, "2.1": true, "3": true}, have)
	// Built by concatenation so that TestCitationsResolve does not read
	// these deliberately broken citations in this file.
	const cite = "docs/protocol.md §"
	assert.Empty(t, checkCitations("ok.go", "see "+cite+"2.1 and "+cite+"1–2.", have))
	assert.Len(t, checkCitations("bad.go", "see "+cite+"1.4.", have), 1)
	assert.Len(t, checkCitations("range.go", "see "+cite+"2–1.7.", have), 1, "the end of a range is checked too")
}
