package event

import "sort"

// builder makes the payload of one event type; g.mu is held while it runs.
type builder func(g *Generator) Object

// catalogue maps every event type of seed 000 to its payload builder.
// TODO(catalogue owner): all 73 types with realistic payloads.
var catalogue = map[string]builder{
	"verify": func(g *Generator) Object { return Object{"challenge": g.token(37)} },
	"work_created": func(g *Generator) Object {
		return Object{"work": Object{"type": "issue", "title": g.fake.Sentence(5)}}
	},
}

// Types returns every event type in the catalogue, sorted.
func Types() []string {
	out := make([]string, 0, len(catalogue))
	for t := range catalogue {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Known reports whether typ is in the catalogue.
func Known(typ string) bool {
	_, ok := catalogue[typ]
	return ok
}
