package mockapi

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/revhook/revhook/simulator/console"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
)

// serveConsole serves the live console (simulator/console) and reports
// whether r was for it: GET /console, the page, needs no token (it holds
// none); GET /simulator/stream, its server-sent event stream, takes the
// token as the API does or as ?token= (EventSource cannot send headers).
// Neither is subject to injected API faults.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) bool {
	var allowed []string
	switch r.URL.Path {
	case console.PagePath:
		allowed = []string{http.MethodGet, http.MethodHead}
	case console.StreamPath:
		allowed = []string{http.MethodGet}
	default:
		return false
	}
	if !slices.Contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, methodNotAllowed(r.Method, r.URL.Path, allowed))
		return true
	}
	if r.URL.Path == console.StreamPath {
		if e := s.streamAuth(r); e != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="revhook"`)
			writeError(w, e)
			return true
		}
	}
	console.New(console.Options{Source: consoleSource{s}, Done: s.root.Done()}).ServeHTTP(w, r)
	return true
}

// streamAuth accepts the Authorization header, or else ?token=.
func (s *Server) streamAuth(r *http.Request) *Error {
	q, e := query(r, "token")
	if e != nil {
		return e
	}
	if r.Header.Get("Authorization") != "" || !q.Has("token") {
		return s.authenticate(r)
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("token")), []byte(s.cfg.Token)) != 1 {
		return unauthenticated("the token is not valid for this mock")
	}
	return nil
}

// consoleSource is the mock as the console reads it.
type consoleSource struct{ s *Server }

func (c consoleSource) Entries(after uint64, limit int) []deliverylog.Entry {
	return c.s.log.List(deliverylog.Filter{AfterSeq: after, Limit: limit})
}

func (c consoleSource) LastSeq() uint64 { return c.s.log.Total() }

func (c consoleSource) Webhooks() any { return c.s.SimWebhooks() }

func (c consoleSource) EventTypes() []string { return event.Types() }
