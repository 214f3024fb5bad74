package mockapi

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error types of the seeds (PROTOCOL.md §1.4). Every error the mock answers
// has one of them.
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

// ErrorTypes lists every error type the mock can answer, for tests and
// clients.
func ErrorTypes() []string {
	return []string{TypeBadRequest, TypeUnauthenticated, TypeForbidden, TypeNotFound,
		TypeConflict, TypeTooManyRequests, TypeInternalError, TypeServiceUnavailable}
}

// Error is the JSON error body of every failed request, in the seeds' shape:
// {"type": ..., "message": ..., "detail": ...}, plus retry_after for
// too_many_requests and reference_id for internal_error.
//
// Status codes: bad_request 400 (also 405 for a method the endpoint does not
// take, with an Allow header, and 413 for a body over the size limit — the
// seeds define no type of their own for those), unauthenticated 401,
// forbidden 403, not_found 404, conflict 409, too_many_requests 429,
// internal_error 500, service_unavailable 503.
type Error struct {
	// Status is the HTTP status code; not part of the body.
	Status int `json:"-"`
	// Type is one of the seeds' error types.
	Type string `json:"type"`
	// Message says what went wrong in one line.
	Message string `json:"message"`
	// Detail adds the specifics: the field, the value's problem, a hint.
	Detail string `json:"detail"`
	// RetryAfter is set on too_many_requests: seconds to wait.
	RetryAfter *int `json:"retry_after,omitempty"`
	// ReferenceID is set on internal_error, to find the failure in logs.
	ReferenceID string `json:"reference_id,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s (%s)", e.Status, e.Type, e.Message, e.Detail)
}

func badRequest(message, detail string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeBadRequest, Message: message, Detail: fmt.Sprintf(detail, a...)}
}

func notFound(message, detail string, a ...any) *Error {
	return &Error{Status: http.StatusNotFound, Type: TypeNotFound, Message: message, Detail: fmt.Sprintf(detail, a...)}
}

func conflict(message, detail string, a ...any) *Error {
	return &Error{Status: http.StatusConflict, Type: TypeConflict, Message: message, Detail: fmt.Sprintf(detail, a...)}
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; they always marshal.
		status = http.StatusInternalServerError
		b = []byte(`{"type":"internal_error","message":"response encoding failed","detail":"see the server log","reference_id":"encode"}`)
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
