package mockapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
		return nil, badRequest("could not read the request body", "%v", err)
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
		return badRequest("request body is empty", "send a JSON object")
	}
	if trimmed[0] != '{' {
		return badRequest("request body must be a JSON object", "it starts with %q", preview(trimmed, 16))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed JSON", "unexpected data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a bad_request naming the problem.
func jsonError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest("malformed JSON", "%s (at byte %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return badRequest("wrong type for field "+field, "expected %s, got JSON %s", typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("malformed JSON", "the body ends before the JSON object does")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return badRequest("unknown field "+name, "this endpoint does not accept field %s", name)
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		return badRequest("invalid field "+fe.field, "%s", fe.msg)
	}
	return badRequest("malformed JSON", "%v", err)
}

// fieldError is returned by custom UnmarshalJSON methods.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

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
