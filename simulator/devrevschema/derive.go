//go:build ignore

// Command derive writes devrev-webhooks.schema.json, the shapes of DevRev's
// webhooks API that the tests validate against, from DevRev's own OpenAPI
// documents (the public and the beta excerpt of devrev/fern-api-docs).
//
//	go run simulator/devrevschema/derive.go -in /path/to/reference -out simulator/devrevschema/devrev-webhooks.schema.json
//
// It keeps only shapes — types, formats, enums, patterns, required,
// properties, items, oneOf/anyOf/allOf, discriminators, additionalProperties,
// $refs and size limits — and drops DevRev's prose (description, summary,
// title, example(s), tags, x-* extensions). The beta document is a superset
// of the public one (every public path and schema is also in beta, often with
// more fields), so the output is the beta document's shapes plus anything
// only the public one has. One change is made on purpose: each oneOf branch
// that forbids extra properties is given its parent's fields (see relaxBranches).
// The script fails on any key it does not know, so nothing is dropped silently.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Source of the reference documents.
const (
	sourceRepo   = "devrev/fern-api-docs"
	sourceCommit = "7da689d"
	sourceDate   = "2025-10-16"
	publicPath   = "fern/apis/public/openapi-public.yaml"
	betaPath     = "fern/apis/beta/openapi-beta.yaml"
	publicFile   = "devrev-openapi-webhooks.yaml"
	betaFile     = "devrev-openapi-webhooks-beta.yaml"
)

type obj = map[string]any

func main() {
	in := flag.String("in", "", "directory holding "+publicFile+" and "+betaFile)
	out := flag.String("out", "devrev-webhooks.schema.json", "derived document to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "derive:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" {
		return errors.New("-in is required (the directory with DevRev's OpenAPI excerpts)")
	}
	pub, err := load(filepath.Join(in, publicFile))
	if err != nil {
		return err
	}
	beta, err := load(filepath.Join(in, betaFile))
	if err != nil {
		return err
	}
	pubS, err := shapeDoc(pub)
	if err != nil {
		return fmt.Errorf("%s: %w", publicFile, err)
	}
	doc, err := shapeDoc(beta)
	if err != nil {
		return fmt.Errorf("%s: %w", betaFile, err)
	}
	publicOnly, err := mergePublic(doc, pubS)
	if err != nil {
		return err
	}
	relaxed, err := relaxBranches(doc)
	if err != nil {
		return err
	}
	if err := markObserved(doc); err != nil {
		return err
	}
	doc["info"] = info(publicOnly, relaxed)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

func load(path string) (obj, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	var doc obj
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return doc, nil
}

func info(publicOnly, relaxed []string) obj {
	return obj{
		"title":   "DevRev webhooks API — shapes only (derived)",
		"version": "fern-api-docs@" + sourceCommit,
		"description": "Derived by simulator/devrevschema/derive.go from DevRev's OpenAPI documents in " +
			"github.com/" + sourceRepo + " at commit " + sourceCommit + " (" + sourceDate + "): " +
			betaPath + " (beta) and " + publicPath + " (public), /webhooks.* paths and the schemas they reach. " +
			"Only shapes are kept (types, formats, enums, patterns, required, properties, items, " +
			"oneOf/anyOf/allOf, discriminators, additionalProperties, $refs, size limits); DevRev's prose " +
			"(description, summary, title, examples, x-* extensions) is dropped and response descriptions are " +
			"placeholders. The beta document is the base (a superset of the public one); see x-revhook-notes " +
			"for the one deliberate change. Do not edit by hand: rerun the script (go generate ./simulator/devrevschema).",
		"x-revhook-source": obj{
			"repository": sourceRepo,
			"commit":     sourceCommit,
			"date":       sourceDate,
			"files":      []any{publicPath, betaPath},
		},
		"x-revhook-notes": []any{
			"Where the public and beta documents both define a schema, the beta shape is kept (it only adds fields and enum values). Public-only paths or schemas merged in: " + listOrNone(publicOnly) + ".",
			"x-revhook-observed lists, per schema, fields that DevRev's real deliveries carry although its schema lacks them (seen in a captured work_updated event of 2025-07-02); validators in this project accept exactly these unless asked for schema-only payloads. Nothing else is added: kin-openapi and any other validator ignore x- keys.",
			"Read literally, DevRev's error schemas (and the empty branch of *_fetched events) forbid extra properties inside each oneOf branch (additionalProperties: false), which would reject every real body — even message on not_found. Each such branch here also allows its parent's fields (type, message, detail, id, result, …), listed per schema in x-revhook-relaxed: " + listOrNone(relaxed) + ".",
		},
	}
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// shapeDoc returns the document's paths and components without prose.
func shapeDoc(d obj) (obj, error) {
	out := obj{"openapi": d["openapi"]}
	paths := obj{}
	for p, item := range asObj(d["paths"]) {
		ops := obj{}
		for method, op := range asObj(item) {
			o, err := shapeOperation(asObj(op))
			if err != nil {
				return nil, fmt.Errorf("paths.%s.%s: %w", p, method, err)
			}
			ops[method] = o
		}
		paths[p] = ops
	}
	out["paths"] = paths
	comps := obj{}
	for k, v := range asObj(d["components"]) {
		switch k {
		case "schemas":
			s := obj{}
			for name, sc := range asObj(v) {
				shaped, err := shapeSchema(sc)
				if err != nil {
					return nil, fmt.Errorf("components.schemas.%s: %w", name, err)
				}
				s[name] = shaped
			}
			comps[k] = s
		case "responses":
			r := obj{}
			for name, resp := range asObj(v) {
				shaped, err := shapeResponse(asObj(resp))
				if err != nil {
					return nil, fmt.Errorf("components.responses.%s: %w", name, err)
				}
				r[name] = shaped
			}
			comps[k] = r
		default:
			return nil, fmt.Errorf("components.%s: not handled by this script", k)
		}
	}
	out["components"] = comps
	return out, nil
}

func asObj(v any) obj {
	m, _ := v.(obj)
	return m
}

// isProse reports keys that carry documentation, not shape.
func isProse(k string) bool {
	switch k {
	case "description", "summary", "title", "example", "examples", "tags":
		return true
	}
	return strings.HasPrefix(k, "x-")
}

func shapeOperation(op obj) (obj, error) {
	out := obj{}
	for k, v := range op {
		switch {
		case isProse(k):
		case k == "operationId":
			out[k] = v
		case k == "parameters":
			var ps []any
			for i, p := range v.([]any) {
				sp, err := shapeParameter(asObj(p))
				if err != nil {
					return nil, fmt.Errorf("parameters[%d]: %w", i, err)
				}
				ps = append(ps, sp)
			}
			out[k] = ps
		case k == "requestBody":
			rb := obj{}
			for rk, rv := range asObj(v) {
				switch {
				case isProse(rk):
				case rk == "required":
					rb[rk] = rv
				case rk == "content":
					c, err := shapeContent(asObj(rv))
					if err != nil {
						return nil, fmt.Errorf("requestBody: %w", err)
					}
					rb[rk] = c
				default:
					return nil, fmt.Errorf("requestBody.%s: unknown key", rk)
				}
			}
			out[k] = rb
		case k == "responses":
			rs := obj{}
			for code, r := range asObj(v) {
				sr, err := shapeResponse(asObj(r))
				if err != nil {
					return nil, fmt.Errorf("responses.%s: %w", code, err)
				}
				rs[code] = sr
			}
			out[k] = rs
		default:
			return nil, fmt.Errorf("%s: unknown operation key", k)
		}
	}
	return out, nil
}

func shapeParameter(p obj) (obj, error) {
	out := obj{}
	for k, v := range p {
		switch {
		case isProse(k):
		case k == "name", k == "in", k == "required", k == "explode", k == "style":
			out[k] = v
		case k == "schema":
			s, err := shapeSchema(v)
			if err != nil {
				return nil, err
			}
			out[k] = s
		default:
			return nil, fmt.Errorf("%s: unknown parameter key", k)
		}
	}
	return out, nil
}

// shapeResponse keeps $ref, content and headers; OpenAPI requires a
// description, so a placeholder stands in for DevRev's.
func shapeResponse(r obj) (obj, error) {
	if ref, ok := r["$ref"]; ok {
		return obj{"$ref": ref}, nil
	}
	out := obj{"description": "(DevRev's prose omitted)"}
	for k, v := range r {
		switch {
		case isProse(k):
		case k == "content":
			c, err := shapeContent(asObj(v))
			if err != nil {
				return nil, err
			}
			out[k] = c
		case k == "headers":
			hs := obj{}
			for name, h := range asObj(v) {
				s, err := shapeSchema(asObj(h)["schema"])
				if err != nil {
					return nil, fmt.Errorf("headers.%s: %w", name, err)
				}
				hs[name] = obj{"schema": s}
			}
			out[k] = hs
		default:
			return nil, fmt.Errorf("%s: unknown response key", k)
		}
	}
	return out, nil
}

func shapeContent(c obj) (obj, error) {
	out := obj{}
	for mt, m := range c {
		s, err := shapeSchema(asObj(m)["schema"])
		if err != nil {
			return nil, fmt.Errorf("content.%s: %w", mt, err)
		}
		out[mt] = obj{"schema": s}
	}
	return out, nil
}

// shapeSchema keeps a schema's shape keywords, recursing into subschemas;
// property names are kept whatever they are called (a "description" property
// is a field, not prose).
func shapeSchema(v any) (obj, error) {
	s, ok := v.(obj)
	if !ok {
		return nil, fmt.Errorf("schema is %T, not an object", v)
	}
	out := obj{}
	for k, val := range s {
		switch k {
		case "description", "title", "example", "examples":
		case "type", "format", "enum", "required", "pattern", "$ref", "nullable", "deprecated",
			"maxItems", "minItems", "maxLength", "minLength", "minimum", "maximum",
			"exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems",
			"maxProperties", "minProperties", "readOnly", "writeOnly", "default":
			out[k] = val
		case "properties":
			props := obj{}
			for name, p := range asObj(val) {
				sp, err := shapeSchema(p)
				if err != nil {
					return nil, fmt.Errorf("properties.%s: %w", name, err)
				}
				props[name] = sp
			}
			out[k] = props
		case "items", "not":
			sp, err := shapeSchema(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = sp
		case "additionalProperties":
			if b, ok := val.(bool); ok {
				out[k] = b
				continue
			}
			sp, err := shapeSchema(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = sp
		case "oneOf", "anyOf", "allOf":
			var subs []any
			for i, sub := range val.([]any) {
				sp, err := shapeSchema(sub)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %w", k, i, err)
				}
				subs = append(subs, sp)
			}
			out[k] = subs
		case "discriminator":
			d := asObj(val)
			nd := obj{"propertyName": d["propertyName"]}
			if m, ok := d["mapping"]; ok {
				nd["mapping"] = m
			}
			out[k] = nd
		default:
			if strings.HasPrefix(k, "x-") {
				continue
			}
			return nil, fmt.Errorf("%s: unknown schema keyword", k)
		}
	}
	return out, nil
}

// mergePublic adds to doc the paths and schemas only the public document has
// and returns their names.
func mergePublic(doc, pub obj) ([]string, error) {
	var added []string
	paths := asObj(doc["paths"])
	for p, v := range asObj(pub["paths"]) {
		if _, ok := paths[p]; !ok {
			paths[p] = v
			added = append(added, "path "+p)
		}
	}
	for _, section := range []string{"schemas", "responses"} {
		dst := asObj(asObj(doc["components"])[section])
		for name, v := range asObj(asObj(pub["components"])[section]) {
			if _, ok := dst[name]; !ok {
				dst[name] = v
				added = append(added, section+" "+name)
			}
		}
	}
	sort.Strings(added)
	return added, nil
}

const schemaPrefix = "#/components/schemas/"

// observed lists, per schema, the fields a real DevRev delivery (a captured
// work_updated event, 2025-07-02) carries that DevRev's schema does not name.
func observed() map[string][]string {
	return map[string][]string{
		"atom-base":            {"id_v1"},
		"atom-base-summary":    {"id_v1"},
		"user-base-summary":    {"display_handle", "thumbnail"},
		"part-base-summary":    {"stage"},
		"legacy-stage":         {"display_name"},
		"custom-stage-summary": {"display_name"},
		"custom-state-summary": {"display_name"},
		"work-base":            {"references", "state"},
	}
}

// markObserved records observed() as x-revhook-observed on each schema;
// validators read it wherever they meet the schema.
func markObserved(doc obj) error {
	schemas := asObj(asObj(doc["components"])["schemas"])
	for name, fields := range observed() {
		s := asObj(schemas[name])
		if s == nil {
			return fmt.Errorf("observed fields: no schema %s", name)
		}
		list := make([]any, 0, len(fields))
		for _, f := range fields {
			list = append(list, f)
		}
		s["x-revhook-observed"] = list
	}
	return nil
}

// relaxBranches gives every closed oneOf branch (additionalProperties: false)
// the properties of the schema whose oneOf names it (that schema's own
// properties and those of its allOf parts), so that e.g.
// {"type":"not_found","message":"…"} is a valid error-not-found. It records
// the added names in the branch's x-revhook-relaxed and returns the branches
// changed.
func relaxBranches(doc obj) ([]string, error) {
	schemas := asObj(asObj(doc["components"])["schemas"])
	added := map[string]map[string]any{}
	for _, parentName := range sortedKeys(schemas) {
		parent := asObj(schemas[parentName])
		parts := []obj{parent}
		for _, p := range anySlice(parent["allOf"]) {
			parts = append(parts, asObj(p))
		}
		var branches []string
		for _, p := range parts {
			for _, b := range anySlice(p["oneOf"]) {
				if ref, ok := asObj(b)["$ref"].(string); ok {
					branches = append(branches, strings.TrimPrefix(ref, schemaPrefix))
				}
			}
		}
		if len(branches) == 0 {
			continue
		}
		fields := obj{}
		if err := collectProps(schemas, parent, fields, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", parentName, err)
		}
		for _, bn := range branches {
			branch := asObj(schemas[bn])
			if open, ok := branch["additionalProperties"].(bool); !ok || open {
				continue // only closed branches reject their parent's fields
			}
			props := asObj(branch["properties"])
			if props == nil {
				props = obj{}
				branch["properties"] = props
			}
			if added[bn] == nil {
				added[bn] = map[string]any{}
			}
			for name, fs := range fields {
				if have, ok := props[name]; ok {
					if added[bn][name] != nil && !reflect.DeepEqual(have, fs) {
						return nil, fmt.Errorf("branch %s gets conflicting shapes of %q from several parents", bn, name)
					}
					continue // the branch's own field, or the same shape from another parent
				}
				props[name] = fs
				added[bn][name] = true
			}
		}
	}
	var changed []string
	for bn, names := range added {
		if len(names) == 0 {
			continue
		}
		list := make([]any, 0, len(names))
		for _, n := range sortedKeys(names) {
			list = append(list, n)
		}
		asObj(schemas[bn])["x-revhook-relaxed"] = list
		changed = append(changed, bn)
	}
	sort.Strings(changed)
	return changed, nil
}

// collectProps adds s's properties and those of its allOf parts (following
// $refs) to into; oneOf branches are not the parent's fields.
func collectProps(schemas, s obj, into obj, depth int) error {
	if depth > 32 {
		return errors.New("allOf nesting too deep")
	}
	if ref, ok := s["$ref"].(string); ok {
		target := asObj(schemas[strings.TrimPrefix(ref, schemaPrefix)])
		if target == nil {
			return fmt.Errorf("dangling $ref %s", ref)
		}
		return collectProps(schemas, target, into, depth+1)
	}
	for name, p := range asObj(s["properties"]) {
		into[name] = p
	}
	for _, part := range anySlice(s["allOf"]) {
		if err := collectProps(schemas, asObj(part), into, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
