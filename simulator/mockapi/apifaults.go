package mockapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Bounds of injected API errors.
const (
	maxAPIFaults     = 100
	maxAPIFaultCount = 10000
	maxRetryAfter    = 3600
)

// statusOf maps each error type to its HTTP status.
var statusOf = map[string]int{
	TypeBadRequest: http.StatusBadRequest, TypeUnauthenticated: http.StatusUnauthorized,
	TypeForbidden: http.StatusForbidden, TypeNotFound: http.StatusNotFound, TypeConflict: http.StatusConflict,
	TypeTooManyRequests: http.StatusTooManyRequests, TypeInternalError: http.StatusInternalServerError,
	TypeServiceUnavailable: http.StatusServiceUnavailable,
}

// devrevStatuses are the error statuses DevRev's OpenAPI declares for each
// endpoint of its webhooks API: an injected fault never makes an endpoint
// answer a status DevRev's never does.
var devrevStatuses = map[string][]int{
	"/webhooks.create": {400, 401, 403, 429, 500, 503},
	"/webhooks.list":   {400, 401, 403, 429, 500, 503},
	"/webhooks.get":    {400, 401, 403, 404, 429, 500, 503},
	"/webhooks.update": {400, 401, 403, 404, 429, 500, 503},
	"/webhooks.delete": {400, 401, 403, 404, 429, 500, 503},
	"/webhooks.fetch":  {400, 401, 403, 404, 429, 500, 503},
}

// faultFits reports whether an injected error of type typ may answer a call
// to path: any error on the Revont-style API, only the statuses DevRev
// declares for its own endpoints.
func faultFits(typ, path string) bool {
	declared, ok := devrevStatuses[path]
	return !ok || slices.Contains(declared, statusOf[typ])
}

// apiFault makes the next Count API calls (to Path, or to any webhooks
// endpoint when Path is empty) fail with an error of Type, so that a client
// can be tested against every error DevRev's API answers. A DevRev
// endpoint only gets the errors its schema declares (devrevStatuses).
type apiFault struct {
	Type       string `json:"type"`
	Count      int    `json:"count"`
	Path       string `json:"path,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"`
	served     int
}

// apiFaultRequest is the body of POST /simulator/api-faults.
type apiFaultRequest struct {
	Type       string `json:"type"`
	Count      *int   `json:"count"`
	Path       string `json:"path"`
	RetryAfter *int   `json:"retry_after"`
}

// simAPIFaults queues an injected API error (POST) or clears them (DELETE).
func (s *Server) simAPIFaults(w http.ResponseWriter, r *http.Request) *Error {
	if r.Method == http.MethodDelete {
		s.mu.Lock()
		n := len(s.apiFaults)
		s.apiFaults = nil
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"cleared": n})
		return nil
	}
	var req apiFaultRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	if req.Type == "" {
		return missingField("type", "give the error type to inject, one of %s", strings.Join(ErrorTypes(), ", "))
	}
	if _, ok := statusOf[req.Type]; !ok {
		return invalidEnum("type", req.Type, ErrorTypes())
	}
	f := &apiFault{Type: req.Type, Count: 1, Path: req.Path}
	if req.Count != nil {
		f.Count = *req.Count
	}
	if f.Count < 1 || f.Count > maxAPIFaultCount {
		return invalidField("count", "count must be 1 to %d", maxAPIFaultCount)
	}
	if f.Path != "" {
		if _, ok := s.routes(f.Path); !ok || strings.HasPrefix(f.Path, "/simulator/") || f.Path == "/" {
			return invalidField("path", "path must be an API endpoint such as /webhooks.create or /v1/webhooks")
		}
		if !faultFits(f.Type, f.Path) {
			return notPermitted("type", fmt.Sprintf("DevRev's %s never answers %d %s; its schema declares %v",
				f.Path, statusOf[f.Type], f.Type, devrevStatuses[f.Path]))
		}
	}
	if req.RetryAfter != nil {
		if *req.RetryAfter < 0 || *req.RetryAfter > maxRetryAfter {
			return invalidField("retry_after", "retry_after must be 0 to %d seconds", maxRetryAfter)
		}
		f.RetryAfter = *req.RetryAfter
	} else if f.Type == TypeTooManyRequests {
		f.RetryAfter = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.apiFaults) >= maxAPIFaults {
		return conflict("too many API faults queued", "at most %d; DELETE /simulator/api-faults clears them", maxAPIFaults)
	}
	s.apiFaults = append(s.apiFaults, f)
	writeJSON(w, http.StatusCreated, map[string]any{"fault": f, "queued": len(s.apiFaults)})
	return nil
}

// takeAPIFault consumes the first queued API error matching path, if any.
func (s *Server) takeAPIFault(path string) *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.apiFaults {
		if f.Path != "" && f.Path != path && !(f.Path == "/v1/webhooks" && strings.HasPrefix(path, "/v1/webhooks/")) {
			continue
		}
		if !faultFits(f.Type, path) {
			continue
		}
		f.served++
		if f.served >= f.Count {
			s.apiFaults = slices.Delete(s.apiFaults, i, i+1)
		}
		e := &Error{Status: statusOf[f.Type], Type: f.Type, Message: "injected " + f.Type,
			Detail: fmt.Sprintf("fault injected with POST /simulator/api-faults (%d of %d)", f.served, f.Count)}
		switch f.Type {
		case TypeTooManyRequests:
			ra := f.RetryAfter
			e.RetryAfter = &ra
		case TypeInternalError:
			e.ReferenceID = uuid.NewString()
		}
		return e
	}
	return nil
}
