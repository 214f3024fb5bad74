package mockapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/google/uuid"
)

// Error types (docs/protocol.md §1.4). Every error the mock answers has one
// of them: a 400 carries one of DevRev's bad-request sub-types (its
// error-bad-request schema's oneOf), every other status the type of its own
// error schema. DevRev's webhooks API never answers conflict (409): only
// the Revont-style API and the simulator's own endpoints do.
const (
	TypeBadRequest         = "bad_request"
	TypeUnauthenticated    = "unauthenticated"
	TypeForbidden          = "forbidden"
	TypeNotFound           = "not_found"
	TypeConflict           = "conflict"
	TypeTooManyRequests    = "too_many_requests"
	TypeInternalError      = "internal_error"
	TypeServiceUnavailable = "service_unavailable"
)

// Sub-types of a 400 the mock answers, with the fields DevRev's schema
// requires of each.
const (
	// TypeParseError: the body is not one JSON object (no extra fields).
	TypeParseError = "parse_error"
	// TypeMissingRequiredField: a required field is absent (field_name).
	TypeMissingRequiredField = "missing_required_field"
	// TypeInvalidField: a field the endpoint does not take, or a value that
	// is malformed for its field (field_name).
	TypeInvalidField = "invalid_field"
	// TypeInvalidEnumValue: a value outside its field's enum (field_name,
	// value, allowed_values).
	TypeInvalidEnumValue = "invalid_enum_value"
	// TypeInvalidID: an id that cannot name anything (field_name).
	TypeInvalidID = "invalid_id"
	// TypeUnexpectedIDType: an id of a kind the field does not take
	// (field_name).
	TypeUnexpectedIDType = "unexpected_id_type"
	// TypeUnexpectedJSONType: a value of the wrong JSON type (field_name,
	// expected, actual).
	TypeUnexpectedJSONType = "unexpected_json_type"
	// TypeValueNotPermitted: a well-formed value refused by a rule (a
	// reserved header name, too many headers, http where https is
	// required): field_name, reason, and allowed_values when they are few.
	TypeValueNotPermitted = "value_not_permitted"
)

// ErrorTypes lists every top-level error type the mock can answer.
func ErrorTypes() []string {
	return []string{TypeBadRequest, TypeUnauthenticated, TypeForbidden, TypeNotFound,
		TypeConflict, TypeTooManyRequests, TypeInternalError, TypeServiceUnavailable}
}

// BadRequestTypes lists the 400 sub-types the mock can answer (bad_request
// included, for 400s no narrower sub-type fits).
func BadRequestTypes() []string {
	return []string{TypeBadRequest, TypeParseError, TypeMissingRequiredField, TypeInvalidField,
		TypeInvalidEnumValue, TypeInvalidID, TypeUnexpectedIDType, TypeUnexpectedJSONType, TypeValueNotPermitted}
}

// Error is the JSON error body of every failed request, in DevRev's shape:
// {"type": ..., "message": ..., "detail": ...} plus the fields of its type:
// field_name, value, allowed_values, expected, actual and reason for the 400
// sub-types, retry_after for too_many_requests, reference_id for
// internal_error.
//
// Status codes: 400 for every bad-request sub-type (also 405 for a method
// the endpoint does not take, with an Allow header, and 413 for a body over
// the size limit, both of type bad_request), unauthenticated 401, forbidden
// 403, not_found 404, conflict 409, too_many_requests 429, internal_error
// 500, service_unavailable 503.
type Error struct {
	// Status is the HTTP status code; not part of the body.
	Status int `json:"-"`
	// Type is the error type (for a 400, DevRev's sub-type).
	Type string `json:"type"`
	// Message says what went wrong in one line.
	Message string `json:"message"`
	// Detail adds the specifics: the value's problem, a hint.
	Detail string `json:"detail"`
	// FieldName names the field at fault (400 sub-types but parse_error
	// and bad_request).
	FieldName string `json:"field_name,omitempty"`
	// Value is the value received (invalid_enum_value).
	Value *string `json:"value,omitempty"`
	// AllowedValues lists what the field takes (invalid_enum_value,
	// value_not_permitted).
	AllowedValues []string `json:"allowed_values,omitempty"`
	// Expected and Actual are JSON types (unexpected_json_type): array,
	// bool, null, number, object or string.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Reason says why a value is not permitted (value_not_permitted).
	Reason string `json:"reason,omitempty"`
	// RetryAfter is set on too_many_requests: seconds to wait.
	RetryAfter *int `json:"retry_after,omitempty"`
	// ReferenceID is set on internal_error: a UUID to find the failure in
	// the delivery log.
	ReferenceID string `json:"reference_id,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s (%s)", e.Status, e.Type, e.Message, e.Detail)
}

func newError(status int, typ, message, detail string, a ...any) *Error {
	return &Error{Status: status, Type: typ, Message: message, Detail: fmt.Sprintf(detail, a...)}
}

// badRequest is a 400 that no narrower sub-type describes.
func badRequest(message, detail string, a ...any) *Error {
	return newError(http.StatusBadRequest, TypeBadRequest, message, detail, a...)
}

// parseError is a body that is not exactly one JSON object.
func parseError(message, detail string, a ...any) *Error {
	return newError(http.StatusBadRequest, TypeParseError, message, detail, a...)
}

// missingField is a required field that is absent (or empty).
func missingField(field, hint string, a ...any) *Error {
	e := newError(http.StatusBadRequest, TypeMissingRequiredField, "missing field "+field, hint, a...)
	e.FieldName = field
	return e
}

// invalidField is a field the endpoint does not take, or a malformed value.
func invalidField(field, detail string, a ...any) *Error {
	e := newError(http.StatusBadRequest, TypeInvalidField, "invalid field "+field, detail, a...)
	e.FieldName = field
	return e
}

// invalidID is an id that cannot name anything.
func invalidID(field, detail string, a ...any) *Error {
	e := newError(http.StatusBadRequest, TypeInvalidID, "invalid id in field "+field, detail, a...)
	e.FieldName = field
	return e
}

// invalidEnum is a value outside the field's enum.
func invalidEnum(field, value string, allowed []string) *Error {
	v := truncate(value, 64)
	detail := fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))
	if len(allowed) > 8 {
		detail = fmt.Sprintf("%q is not one of the %d values in allowed_values", v, len(allowed))
	}
	e := newError(http.StatusBadRequest, TypeInvalidEnumValue, "invalid value for field "+field, "%s", detail)
	e.FieldName, e.Value, e.AllowedValues = field, &v, allowed
	return e
}

// wrongType is a value of the wrong JSON type.
func wrongType(field, expected, actual string) *Error {
	e := newError(http.StatusBadRequest, TypeUnexpectedJSONType, "wrong type for field "+field,
		"expected %s, got %s", expected, actual)
	e.FieldName, e.Expected, e.Actual = field, expected, actual
	return e
}

// notPermitted is a well-formed value refused by a rule.
func notPermitted(field, reason string, allowed ...string) *Error {
	e := newError(http.StatusBadRequest, TypeValueNotPermitted, "value not permitted for field "+field, "%s", reason)
	e.FieldName, e.Reason, e.AllowedValues = field, reason, allowed
	return e
}

func notFound(message, detail string, a ...any) *Error {
	return newError(http.StatusNotFound, TypeNotFound, message, detail, a...)
}

func conflict(message, detail string, a ...any) *Error {
	return newError(http.StatusConflict, TypeConflict, message, detail, a...)
}

func unauthenticated(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Type: TypeUnauthenticated,
		Message: "authentication required", Detail: detail}
}

func methodNotAllowed(method, path string, allow []string) *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Type: TypeBadRequest,
		Message: fmt.Sprintf("method %s is not allowed on %s", method, path),
		Detail:  fmt.Sprintf("use %v", allow)}
}

// internalError is a 500 whose reference_id is a fresh UUID, as DevRev's.
func internalError(detail string) *Error {
	return &Error{Status: http.StatusInternalServerError, Type: TypeInternalError,
		Message: "internal error", Detail: detail, ReferenceID: uuid.NewString()}
}

// jsonKind names the JSON type a Go type decodes from, in DevRev's words
// (error-bad-request-unexpected-json-type-type).
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "object"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	}
	return "object"
}

// valueKind names the JSON type of encoding/json's UnmarshalTypeError.Value
// ("string", "number", "number 1e999", "bool", "array", "object").
func valueKind(v string) string {
	switch k, _, _ := strings.Cut(v, " "); k {
	case "string", "number", "bool", "array", "object", "null":
		return k
	}
	return "string"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; they always marshal.
		status = http.StatusInternalServerError
		b, _ = json.Marshal(internalError("the response could not be encoded; see the server log"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusTooManyRequests && e.RetryAfter != nil {
		w.Header().Set("Retry-After", fmt.Sprint(*e.RetryAfter))
	}
	writeJSON(w, e.Status, e)
}
