// Package devrevschema validates webhook deliveries and webhooks API bodies
// against DevRev's published OpenAPI description, kept in the tree as
// devrev-webhooks.schema.json: its shapes only, derived by derive.go from
// devrev/fern-api-docs at commit 7da689d (docs/protocol.md §1.1).
//
// Validation is kin-openapi's, plus one check of its own: an object may not
// carry fields its schema does not name (OpenAPI allows them by default,
// DevRev's objects never have them), except where the schema says
// additionalProperties or is a free-form map such as custom_fields.
package devrevschema

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed devrev-webhooks.schema.json
var document []byte

// Names of the schemas this package validates against.
const (
	// EventRequestSchema is the body DevRev POSTs to a webhook's URL.
	EventRequestSchema = "webhook-event-request"
	// EventTypeSchema is the enum of event types.
	EventTypeSchema = "webhook-event-type"
	// WebhookStatusSchema is the enum of a webhook's status.
	WebhookStatusSchema = "webhook-status"
)

// ErrNoPayloadSchema is wrapped by ValidateEvent when the event type is in
// DevRev's enum but the schema gives its payload no shape (job_created,
// job_updated, job_deleted, sync_unit_updated): the envelope was checked,
// the payload could not be.
var ErrNoPayloadSchema = errors.New("DevRev's schema has no payload shape for this event type")

// isEnvelopeField reports the webhook-event-request fields every event may
// carry besides its payload.
func isEnvelopeField(k string) bool {
	switch k {
	case "id", "timestamp", "type", "webhook_id":
		return true
	}
	return false
}

// Option adjusts one validation.
type Option func(*settings)

type settings struct {
	schemaOnly bool
}

// SchemaOnly refuses the fields DevRev's real deliveries carry although its
// schema lacks them (id_v1, display_handle, thumbnail, a part's stage, a
// stage's display_name, a work's references and state: x-revhook-observed in
// the derived file). By default they are accepted, and only they.
func SchemaOnly() Option { return func(s *settings) { s.schemaOnly = true } }

func apply(opts []Option) settings {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Schema is DevRev's webhooks API description, loaded and resolved. It is
// read-only and safe for concurrent use.
type Schema struct {
	doc *openapi3.T
}

// load parses the embedded document once per process.
var load = sync.OnceValues(parse)

// Load returns the embedded schema, parsed on first use and shared after:
// callers keep the value.
func Load() (*Schema, error) { return load() }

func parse() (*Schema, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("load DevRev schema: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("DevRev schema is not a valid OpenAPI document: %w", err)
	}
	for _, name := range []string{EventRequestSchema, EventTypeSchema, WebhookStatusSchema} {
		if s := doc.Components.Schemas[name]; s == nil || s.Value == nil {
			return nil, fmt.Errorf("DevRev schema lacks %s", name)
		}
	}
	return &Schema{doc: doc}, nil
}

// Doc returns the parsed OpenAPI document, for lookups this package does not
// offer. Callers must not modify it.
func (s *Schema) Doc() *openapi3.T { return s.doc }

// Source names where the shapes come from: repository, commit, date and files.
func (s *Schema) Source() string {
	src, _ := s.doc.Info.Extensions["x-revhook-source"].(map[string]any)
	b, _ := json.Marshal(src)
	return string(b)
}

// Enum returns the values of the named enum schema (e.g. WebhookStatusSchema
// gives active, inactive, unverified), sorted.
func (s *Schema) Enum(name string) ([]string, error) {
	ref := s.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("no schema %q", name)
	}
	if len(ref.Value.Enum) == 0 {
		return nil, fmt.Errorf("schema %q is not an enum", name)
	}
	out := make([]string, 0, len(ref.Value.Enum))
	for _, v := range ref.Value.Enum {
		if str, ok := v.(string); ok {
			out = append(out, str)
		}
	}
	sort.Strings(out)
	return out, nil
}

// EventTypes returns every event type DevRev's enum names, sorted.
func (s *Schema) EventTypes() []string {
	types, _ := s.Enum(EventTypeSchema) // checked present by parse
	return types
}

// PayloadSchema returns the name of the payload schema of event type typ
// (e.g. "event-work-created"), or "" when the schema gives it no shape.
func (s *Schema) PayloadSchema(typ string) string {
	p := s.doc.Components.Schemas[EventRequestSchema].Value.Properties[typ]
	if p == nil || isEnvelopeField(typ) {
		return ""
	}
	return strings.TrimPrefix(p.Ref, "#/components/schemas/")
}

// ValidateEvent checks a delivery body as DevRev's webhooks.event request
// (webhook-event-request): the envelope, a type from DevRev's enum, exactly
// one payload field named after the type, the payload against its event
// schema (event-work-created, …), and no field anywhere that the schema does
// not have. Errors name the JSON path. A type whose payload has no shape in
// the schema gives an error wrapping ErrNoPayloadSchema once the envelope is
// checked.
func (s *Schema) ValidateEvent(body []byte, opts ...Option) error {
	v, err := decode(body)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("/: event body is not a JSON object")
	}
	typ, ok := m["type"].(string)
	if !ok {
		return errors.New("/type: missing or not a string")
	}
	types := s.EventTypes()
	if !slices.Contains(types, typ) {
		return fmt.Errorf("/type: %q is not in DevRev's %s enum", typ, EventTypeSchema)
	}
	reqSchema := s.doc.Components.Schemas[EventRequestSchema]
	noShape := s.PayloadSchema(typ) == ""
	if noShape {
		m = withoutKey(m, typ)
	} else if _, ok := m[typ]; !ok {
		return fmt.Errorf("/%s: missing: a %s event carries its payload under %q", typ, typ, typ)
	}
	for k := range m {
		if k != typ && !isEnvelopeField(k) && slices.Contains(types, k) {
			return fmt.Errorf("/%s: payload field of another event type in a %s event", k, typ)
		}
	}
	if err := validate(reqSchema, m, apply(opts), openapi3.VisitAsRequest()); err != nil {
		return err
	}
	if noShape {
		return fmt.Errorf("/%s: %w", typ, ErrNoPayloadSchema)
	}
	return nil
}

func withoutKey(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// ValidateResponse checks a webhooks API response body against the schema
// of operation method path (e.g. "POST", "/webhooks.get") for status: the
// success body, or DevRev's error body for that status (oneOf branches allow
// their parent's fields, see the derived file's x-revhook-notes). Fields the
// schema does not have are errors; errors name the JSON path.
func (s *Schema) ValidateResponse(method, path string, status int, body []byte, opts ...Option) error {
	op, err := s.operation(method, path)
	if err != nil {
		return err
	}
	if op.Responses == nil {
		return fmt.Errorf("%s %s: no responses in DevRev's schema", method, path)
	}
	resp := op.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("%s %s: DevRev's schema has no %d response", method, path, status)
	}
	sch, err := jsonSchema(resp.Value.Content)
	if err != nil {
		return fmt.Errorf("%s %s %d: %w", method, path, status, err)
	}
	v, err := decode(body)
	if err != nil {
		return err
	}
	return validate(sch, v, apply(opts), openapi3.VisitAsResponse())
}

// ValidateRequest checks a request body for the POST operation at path
// (e.g. "/webhooks.create") against DevRev's request schema, fields the
// schema does not have included. Errors name the JSON path.
func (s *Schema) ValidateRequest(path string, body []byte, opts ...Option) error {
	op, err := s.operation(http.MethodPost, path)
	if err != nil {
		return err
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return fmt.Errorf("POST %s: DevRev's schema has no request body", path)
	}
	sch, err := jsonSchema(op.RequestBody.Value.Content)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	v, err := decode(body)
	if err != nil {
		return err
	}
	return validate(sch, v, apply(opts), openapi3.VisitAsRequest())
}

// ValidateValue checks body against the named component schema (e.g.
// "webhook", "event-work-created"), fields the schema does not have included.
func (s *Schema) ValidateValue(name string, body []byte, opts ...Option) error {
	ref := s.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("no schema %q", name)
	}
	v, err := decode(body)
	if err != nil {
		return err
	}
	return validate(ref, v, apply(opts))
}

func (s *Schema) operation(method, path string) (*openapi3.Operation, error) {
	item := s.doc.Paths.Value(path)
	if item == nil {
		return nil, fmt.Errorf("%s: no such path in DevRev's schema", path)
	}
	op := item.GetOperation(strings.ToUpper(method))
	if op == nil {
		return nil, fmt.Errorf("%s %s: no such operation in DevRev's schema", method, path)
	}
	return op, nil
}

func jsonSchema(c openapi3.Content) (*openapi3.SchemaRef, error) {
	mt := c.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, errors.New("no application/json body in DevRev's schema")
	}
	return mt.Schema, nil
}

// decode reads one JSON value; numbers become float64 as kin-openapi expects.
func decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("/: body is not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("/: body has data after its JSON value")
	}
	return v, nil
}

// validate runs kin-openapi's validation, then the unknown-field check.
func validate(ref *openapi3.SchemaRef, v any, set settings, opts ...openapi3.SchemaValidationOption) error {
	if err := ref.Value.VisitJSON(v, opts...); err != nil {
		return describe(err)
	}
	return unknownFields(ref.Value, v, set)
}

// describe turns kin-openapi's error (which embeds whole schemas and values)
// into one line: the JSON path and the reason, following allOf parts and a
// oneOf that tried a single branch down to the error that caused it.
func describe(err error) error {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return err
	}
	for {
		inner := cause(se)
		if inner == nil {
			break
		}
		se = inner
	}
	return fmt.Errorf("%s: %s", orRoot(pointer(se.JSONPointer())), se.Reason)
}

// cause returns the error inside a failed allOf (its first failing part) or
// oneOf/anyOf (when only one branch was tried), or nil. Inner errors carry
// their full JSON path already.
func cause(se *openapi3.SchemaError) *openapi3.SchemaError {
	if se.SchemaField != "allOf" && se.SchemaField != "oneOf" && se.SchemaField != "anyOf" {
		return nil
	}
	var multi openapi3.MultiError
	if !errors.As(se.Origin, &multi) || len(multi) == 0 {
		return nil
	}
	if se.SchemaField != "allOf" && len(multi) != 1 {
		return nil
	}
	var inner *openapi3.SchemaError
	if !errors.As(multi[0], &inner) {
		return nil
	}
	return inner
}

func pointer(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return "/" + strings.Join(parts, "/")
}

// maxDepth bounds the unknown-field walk (DevRev's objects nest a few levels).
const maxDepth = 64

// maxReported is how many unknown fields one error lists.
const maxReported = 10

// unknownFields reports the object fields, at any depth, that the schema has
// no property for, where the schema is closed: it names properties (itself,
// through allOf, or through the oneOf/anyOf branch the value matches) and
// does not allow additionalProperties. Schemas that name no properties at
// all (custom_fields, client_metadata) are free-form maps.
func unknownFields(s *openapi3.Schema, v any, set settings) error {
	w := &walker{schemaOnly: set.schemaOnly}
	w.walk([]*openapi3.Schema{s}, v, "", 0)
	if len(w.found) == 0 {
		return nil
	}
	msg := strings.Join(w.found, "; ")
	if w.more > 0 {
		msg += fmt.Sprintf("; and %d more", w.more)
	}
	return errors.New(msg)
}

// walker collects unknown fields in a stable (key) order.
type walker struct {
	schemaOnly bool // refuse x-revhook-observed fields too
	found      []string
	more       int
}

func (w *walker) report(path, what string) {
	if len(w.found) < maxReported {
		w.found = append(w.found, path+": "+what)
		return
	}
	w.more++
}

func (w *walker) walk(ss []*openapi3.Schema, v any, path string, depth int) {
	if depth > maxDepth {
		w.report(orRoot(path), "nested too deep to check")
		return
	}
	switch x := v.(type) {
	case map[string]any:
		f := newFields()
		for _, s := range ss {
			f.add(s, x, 0)
		}
		w.check(f, x, path, depth)
	case []any:
		var items []*openapi3.Schema
		for _, s := range ss {
			items = append(items, itemSchemas(s, 0)...)
		}
		if len(items) == 0 {
			return
		}
		for i, e := range x {
			w.walk(items, e, path+"/"+strconv.Itoa(i), depth+1)
		}
	}
}

func orRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// itemSchemas returns the items schemas of an array schema, through allOf.
func itemSchemas(s *openapi3.Schema, depth int) []*openapi3.Schema {
	if s == nil || depth > maxDepth {
		return nil
	}
	var out []*openapi3.Schema
	if s.Items != nil && s.Items.Value != nil {
		out = append(out, s.Items.Value)
	}
	for _, p := range s.AllOf {
		out = append(out, itemSchemas(p.Value, depth+1)...)
	}
	return out
}

// fields is what an object value may hold under a set of schemas.
type fields struct {
	props    map[string][]*openapi3.Schema
	observed map[string]bool    // x-revhook-observed: sent by DevRev, not in its schema
	extra    []*openapi3.Schema // additionalProperties schemas
	open     bool               // additionalProperties: true
	closed   bool               // additionalProperties: false somewhere
}

func newFields() *fields {
	return &fields{props: map[string][]*openapi3.Schema{}, observed: map[string]bool{}}
}

// add gathers s's properties, its allOf parts' and those of the oneOf/anyOf
// branches v matches.
func (f *fields) add(s *openapi3.Schema, v map[string]any, depth int) {
	if s == nil || depth > maxDepth {
		return
	}
	for name, p := range s.Properties {
		if p != nil && p.Value != nil {
			f.props[name] = append(f.props[name], p.Value)
		}
	}
	if names, ok := s.Extensions["x-revhook-observed"].([]any); ok {
		for _, n := range names {
			if name, ok := n.(string); ok {
				f.observed[name] = true
			}
		}
	}
	ap := s.AdditionalProperties
	if ap.Has != nil {
		f.open = f.open || *ap.Has
		f.closed = f.closed || !*ap.Has
	}
	if ap.Schema != nil && ap.Schema.Value != nil {
		f.extra = append(f.extra, ap.Schema.Value)
	}
	for _, p := range s.AllOf {
		f.add(p.Value, v, depth+1)
	}
	for _, b := range matching(s.OneOf, s.Discriminator, v) {
		f.add(b, v, depth+1)
	}
	for _, b := range matching(s.AnyOf, nil, v) {
		f.add(b, v, depth+1)
	}
}

// matching returns the branches v is validated against: the one its
// discriminator maps to, else every branch it satisfies.
func matching(branches openapi3.SchemaRefs, d *openapi3.Discriminator, v map[string]any) []*openapi3.Schema {
	if len(branches) == 0 {
		return nil
	}
	if d != nil {
		if val, ok := v[d.PropertyName].(string); ok {
			if ref, ok := d.Mapping[val]; ok {
				for _, b := range branches {
					if b.Ref == ref.Ref && b.Value != nil {
						return []*openapi3.Schema{b.Value}
					}
				}
			}
		}
	}
	var out []*openapi3.Schema
	for _, b := range branches {
		if b.Value != nil && b.Value.VisitJSON(v) == nil {
			out = append(out, b.Value)
		}
	}
	return out
}

// check reports the unknown fields of x (in key order, so errors are
// stable) and walks into the known ones.
func (w *walker) check(f *fields, x map[string]any, path string, depth int) {
	free := len(f.props) == 0 && len(f.extra) == 0 && !f.closed
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub := f.props[k]
		if len(sub) == 0 {
			sub = f.extra
		}
		if len(sub) == 0 {
			switch {
			case f.open || free:
			case f.observed[k] && !w.schemaOnly:
				// sent by DevRev although its schema lacks it; contents unchecked
			case f.observed[k]:
				w.report(path+"/"+k, "field not in DevRev's schema (real deliveries carry it)")
			default:
				w.report(path+"/"+k, "field not in DevRev's schema")
			}
			continue
		}
		w.walk(sub, x[k], path+"/"+k, depth+1)
	}
}
