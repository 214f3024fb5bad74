package mockapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/devrevschema"
)

const testToken = "test-token-123"

// offline is a poster that never touches the network: every request fails.
type offline struct{}

func (offline) Post(context.Context, string, []byte, http.Header) delivery.Response {
	return delivery.Response{Err: errOffline}
}

var errOffline = &offlineErr{}

type offlineErr struct{}

func (*offlineErr) Error() string { return "offline test poster" }

// newOffline returns a server whose verify requests never leave the process,
// on a fake clock that never moves unless the test moves it.
func newOffline(t testing.TB, mods ...func(*Config)) (*Server, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	cfg := Config{Token: testToken, Clock: fake, Seed: 7, Org: "TESTORG"}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	s.poster = offline{}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, s.Close(ctx))
	})
	return s, fake
}

// call sends one request to the handler. auth "" sends no Authorization.
// Every answer of DevRev's API (/webhooks.*) is checked against DevRev's
// schema (checkDevRevSchema).
func call(t testing.TB, s http.Handler, method, target, auth, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if err := checkDevRevSchema(method, req.URL.Path, rec.Code, rec.Body.Bytes()); err != nil {
		t.Errorf("%s %s answered %d, which DevRev's schema does not allow: %v\n%s", method, target, rec.Code, err, rec.Body.String())
	}
	return rec
}

// checkDevRevSchema validates an answer of DevRev's webhooks API (paths
// /webhooks.*; others are not DevRev's) against DevRev's OpenAPI
// (simulator/devrevschema): the success body of each operation and the
// error body of each status it declares. Two answers have no operation or
// status in DevRev's schema, so their bodies are checked as the endpoint's
// 400: 405 (a method the endpoint does not take) and 413 (a body over the
// mock's size limit); both are of type bad_request.
func checkDevRevSchema(method, path string, status int, body []byte) error {
	if !strings.HasPrefix(path, "/webhooks.") {
		return nil
	}
	sch, err := devrevschema.Load()
	if err != nil {
		return fmt.Errorf("load DevRev's schema: %w", err)
	}
	if sch.Doc().Paths.Value(path) == nil {
		return nil // not an endpoint of DevRev's (the mock answers 404)
	}
	if status == http.StatusMethodNotAllowed || status == http.StatusRequestEntityTooLarge {
		method, status = http.MethodPost, http.StatusBadRequest
	}
	return sch.ValidateResponse(method, path, status, body)
}

func bearer() string { return "Bearer " + testToken }

// decode parses a JSON object answer.
func decode(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), "body: %s", rec.Body.String())
	return out
}

// requireError checks DevRev's error shape: the type, message and detail,
// and the fields DevRev's schema requires of the type.
func requireError(t testing.TB, rec *httptest.ResponseRecorder, status int, typ string) map[string]any {
	t.Helper()
	require.Equal(t, status, rec.Code, "body: %s", rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	body := decode(t, rec)
	require.Equal(t, typ, body["type"], "body: %s", rec.Body.String())
	require.NotEmpty(t, body["message"])
	require.NotEmpty(t, body["detail"])
	require.NoError(t, errorFieldsProblem(body), "body: %s", rec.Body.String())
	return body
}

// errorFieldsProblem reports a field DevRev's schema requires of the
// error's type that the body lacks, or a field the type does not have.
func errorFieldsProblem(body map[string]any) error {
	required := map[string][]string{
		TypeMissingRequiredField: {"field_name"}, TypeInvalidField: {"field_name"}, TypeInvalidID: {"field_name"},
		TypeUnexpectedIDType: {"field_name"}, TypeInvalidEnumValue: {"field_name", "value", "allowed_values"},
		TypeUnexpectedJSONType: {"field_name", "expected", "actual"},
	}
	allowed := map[string][]string{
		TypeValueNotPermitted: {"field_name", "reason", "allowed_values"},
		TypeTooManyRequests:   {"retry_after"}, TypeInternalError: {"reference_id"},
	}
	typ, _ := body["type"].(string)
	for _, f := range required[typ] {
		if _, ok := body[f]; !ok {
			return fmt.Errorf("%s without %s", typ, f)
		}
	}
	for f := range body {
		if f != "type" && f != "message" && f != "detail" && !slices.Contains(required[typ], f) && !slices.Contains(allowed[typ], f) {
			return fmt.Errorf("%s has field %s, which its schema does not have", typ, f)
		}
	}
	return nil
}

// create registers a webhook and returns its object.
func create(t testing.TB, s http.Handler, url string, types ...string) map[string]any {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"url": url, "event_types": types})
	rec := call(t, s, http.MethodPost, "/webhooks.create", bearer(), string(b))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	return decode(t, rec)["webhook"].(map[string]any)
}

// apiCase is one authorised API request and the answer it must get; typ is
// the error type when status is 400 or more.
type apiCase struct {
	name, method, target, body string
	status                     int
	typ                        string
}

// runAPICases sends each case to s as a subtest and checks its answer.
func runAPICases(t *testing.T, s http.Handler, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(t, s, tc.method, tc.target, bearer(), tc.body)
			if tc.status >= 400 {
				requireError(t, rec, tc.status, tc.typ)
				return
			}
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
		})
	}
}
