package mockapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultMaxBodyBytes bounds a request body (1 MiB); larger bodies get 413.
const DefaultMaxBodyBytes = 1 << 20

// readBody reads at most limit bytes of r's body; a longer body is an error
// (413) and is never buffered whole.
func readBody(r *http.Request, limit int64) ([]byte, *Error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, parseError("could not read the request body", "%s", truncate(err.Error(), 200))
	}
	if int64(len(b)) > limit {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Type: TypeBadRequest,
			Message: "request body too large", Detail: fmt.Sprintf("the limit is %d bytes", limit)}
	}
	return b, nil
}

// readJSON reads r's body, bounded by the configured MaxBodyBytes, and
// decodes it into dst with decodeJSON.
func (s *Server) readJSON(r *http.Request, dst any, allowEmpty bool) *Error {
	body, e := readBody(r, s.cfg.MaxBodyBytes)
	if e != nil {
		return e
	}
	return decodeJSON(body, dst, allowEmpty)
}

// decodeJSON decodes body, which must be exactly one JSON object, into dst,
// rejecting unknown fields as DevRev does. An empty body is accepted only
// when allowEmpty (dst stays zero).
func decodeJSON(body []byte, dst any, allowEmpty bool) *Error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if allowEmpty {
			return nil
		}
		return parseError("request body is empty", "send a JSON object")
	}
	if trimmed[0] != '{' {
		return parseError("request body must be a JSON object", "it starts with %q", preview(trimmed, 16))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return parseError("malformed JSON", "unexpected data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into the 400 sub-type naming the
// problem: parse_error, unexpected_json_type or invalid_field.
func jsonError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &syn):
		return parseError("malformed JSON", "%s (at byte %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return wrongType(field, jsonKind(typ.Type), valueKind(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return parseError("malformed JSON", "the body ends before the JSON object does")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := truncate(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), 64)
		e := invalidField(name, "this endpoint does not take field %q", name)
		e.Message = "unknown field " + name
		return e
	}
	return parseError("malformed JSON", "%v", err)
}

// query parses r's query string and refuses parameters other than allowed
// (invalid_field naming the first one).
func query(r *http.Request, allowed ...string) (url.Values, *Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, parseError("malformed query string", "%s", truncate(err.Error(), 200))
	}
	names := make([]string, 0, len(q))
	for k := range q {
		if k == "" { // "?=x": no name to put in field_name
			return nil, parseError("malformed query string", "a query parameter has no name")
		}
		if !slices.Contains(allowed, k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return q, nil
	}
	slices.Sort(names)
	name := truncate(names[0], 64)
	e := invalidField(name, "%s %s takes no query parameter %q", r.Method, r.URL.Path, name)
	if len(allowed) > 0 {
		e.Detail = fmt.Sprintf("%s %s takes only %s as query parameters, not %q", r.Method, r.URL.Path, strings.Join(allowed, ", "), name)
	}
	e.Message = "unknown query parameter " + name
	return nil, e
}

// jsonValueKind names the JSON type of raw, a valid JSON value, in
// DevRev's words (array, bool, null, number, object, string).
func jsonValueKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// preview returns at most n bytes of b as valid UTF-8.
func preview(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// truncate returns s cut to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
