package mockapi

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConsoleRoutesRefuse: the stream wants the token (header or ?token=)
// and GET; the page wants GET or HEAD. Every refusal has the mock's error
// shape.
func TestConsoleRoutesRefuse(t *testing.T) {
	s, _ := newOffline(t)
	tests := []struct {
		name, method, target, auth string
		status                     int
		typ                        string
	}{
		{"stream without a token", "GET", "/simulator/stream", "", 401, TypeUnauthenticated},
		{"stream with a wrong ?token=", "GET", "/simulator/stream?token=nope", "", 401, TypeUnauthenticated},
		{"stream with an empty ?token=", "GET", "/simulator/stream?token=", "", 401, TypeUnauthenticated},
		{"stream: a wrong header wins over a right ?token=", "GET", "/simulator/stream?token=" + testToken, "Bearer nope", 401, TypeUnauthenticated},
		{"stream with another query parameter", "GET", "/simulator/stream?token=" + testToken + "&x=1", "", 400, TypeInvalidField},
		{"stream by POST", "POST", "/simulator/stream", bearer(), 405, TypeBadRequest},
		{"page by POST", "POST", "/console", "", 405, TypeBadRequest},
		{"page by DELETE", "DELETE", "/console", bearer(), 405, TypeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(t, s, tc.method, tc.target, tc.auth, "")
			requireError(t, rec, tc.status, tc.typ)
			if tc.status == 401 {
				assert.Equal(t, `Bearer realm="revhook"`, rec.Header().Get("WWW-Authenticate"))
			}
			if tc.status == 405 {
				assert.NotEmpty(t, rec.Header().Get("Allow"))
			}
		})
	}
}

// TestConsolePageNeedsNoTokenAndNoFault: the page holds no data, so it is
// served without a token, and injected API faults are not spent on it.
func TestConsolePageNeedsNoTokenAndNoFault(t *testing.T) {
	s, _ := newOffline(t)
	require.Equal(t, 201, call(t, s, "POST", "/simulator/api-faults", bearer(), `{"type":"internal_error","count":1}`).Code)
	rec := call(t, s, "GET", "/console", "", "")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Header().Get("Content-Type"), "text/html")
	assert.Contains(t, rec.Body.String(), "revhook console")
	assert.NotContains(t, rec.Body.String(), testToken)
	requireError(t, call(t, s, "POST", "/webhooks.list", bearer(), `{}`), 500, TypeInternalError)
}

// TestConsoleStreamAcceptsTheToken: with the header or with ?token= the
// stream answers text/event-stream, starts with hello, carries the
// simulator's view of the webhooks (no secret), and ends with bye when the
// mock shuts down.
func TestConsoleStreamAcceptsTheToken(t *testing.T) {
	for _, tc := range []struct{ name, query, auth string }{
		{"header", "", bearer()},
		{"bare header", "", testToken},
		{"query", "?token=" + testToken, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newOffline(t)
			created := create(t, s, "https://example.invalid/hook", "work_created")
			secret, _ := created["secret"].(string)
			require.NotEmpty(t, secret)
			srv := httptest.NewServer(s)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/simulator/stream"+tc.query, nil)
			require.NoError(t, err)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
			var lines []string
			readUntil := func(prefix string) string {
				t.Helper()
				for sc.Scan() {
					lines = append(lines, sc.Text())
					if strings.HasPrefix(sc.Text(), prefix) {
						return sc.Text()
					}
				}
				t.Fatalf("the stream ended before %q:\n%s", prefix, strings.Join(lines, "\n"))
				return ""
			}
			readUntil("event: hello")
			readUntil("event: webhooks")
			hooks := readUntil("data: ")
			assert.Contains(t, hooks, `"display_id":"webhook-1"`)
			assert.Contains(t, hooks, `"state":"unverified"`)
			assert.NotContains(t, hooks, secret)

			closeCtx, closeCancel := context.WithTimeout(ctx, 5*time.Second)
			defer closeCancel()
			require.NoError(t, s.Close(closeCtx))
			readUntil("event: bye")
			for sc.Scan() {
				lines = append(lines, sc.Text())
			}
			assert.Equal(t, "", lines[len(lines)-1], "the stream ends after bye")
			assert.NotContains(t, strings.Join(lines, "\n"), secret)
		})
	}
}
