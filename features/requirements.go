package features

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
)

// Requirement is one entry of the conformance catalogue (docs/protocol.md
// §2). IDs are stable: they never change and are never reused. Each lives
// in one place: the Rule of a feature file that checks it, whose name is
// "ID LEVEL — Title" and whose description is the requirement's text.
type Requirement struct {
	// ID is the stable identifier, e.g. "SIG-02"; its prefix is the group.
	ID string `json:"id"`
	// Level is MUST, SHOULD or INFO.
	Level string `json:"level"`
	// Title is a one-line name for reports, e.g. "An event with a wrong signature is refused".
	Title string `json:"title"`
	// Text is the requirement as docs/protocol.md §2 states it.
	Text string `json:"text"`
}

// Requirement levels, as in docs/protocol.md §2.
const (
	Must   = "MUST"
	Should = "SHOULD"
	Info   = "INFO"
)

// ruleName is how a Rule names its requirement: "SIG-02 MUST — Title".
var ruleName = regexp.MustCompile(`^([A-Z]{3}-[0-9]{2}) (MUST|SHOULD|INFO) — (.+)$`)

// parsed is the catalogue read from the embedded feature files, once: the
// files never change in a running program.
var parsed = sync.OnceValues(func() ([]Requirement, error) { return readCatalogue(FS(), Files()) })

// readCatalogue reads the Rules of the feature files, in file order.
func readCatalogue(fsys fs.FS, files []string) ([]Requirement, error) {
	var out []Requirement
	seen := map[string]bool{}
	for _, name := range files {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, err
		}
		doc, err := gherkin.ParseGherkinDocument(f, (&messages.Incrementing{}).NewId)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if doc.Feature == nil {
			return nil, fmt.Errorf("%s: no Feature", name)
		}
		for _, c := range doc.Feature.Children {
			if c.Rule == nil {
				continue
			}
			m := ruleName.FindStringSubmatch(strings.TrimSpace(c.Rule.Name))
			if m == nil {
				return nil, fmt.Errorf("%s: rule %q is not named \"ID LEVEL — Title\"", name, c.Rule.Name)
			}
			if seen[m[1]] {
				return nil, fmt.Errorf("%s: requirement %s has a second rule", name, m[1])
			}
			seen[m[1]] = true
			text := strings.Join(strings.Fields(c.Rule.Description), " ")
			if text == "" {
				return nil, fmt.Errorf("%s: rule %s has no text", name, m[1])
			}
			out = append(out, Requirement{ID: m[1], Level: m[2], Title: m[3], Text: text})
		}
	}
	return out, nil
}

// Requirements returns the whole catalogue in docs/protocol.md §2 order. The
// slice is a fresh copy on every call. The embedded feature files are
// checked by this package's tests, so reading them cannot fail at run time;
// if it did, the catalogue would be empty and every selection an error.
func Requirements() []Requirement {
	reqs, err := parsed()
	if err != nil {
		return nil
	}
	return append([]Requirement(nil), reqs...)
}

// Lookup returns the requirement with the given ID (exact, upper case).
func Lookup(id string) (Requirement, bool) {
	reqs, _ := parsed()
	for _, r := range reqs {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// Group returns the group prefix of a requirement ID ("SIG" for "SIG-02").
func Group(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			return id[:i]
		}
	}
	return id
}
