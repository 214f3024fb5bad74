package mockapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/revhook/revhook/simulator/devrevschema"
)

// fuzzRoutes are the endpoints FuzzAPI sends bodies to.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/webhooks.create"},
	{"POST", "/webhooks.get"},
	{"GET", "/webhooks.get"},
	{"POST", "/webhooks.list"},
	{"GET", "/webhooks.list"},
	{"POST", "/webhooks.update"},
	{"POST", "/webhooks.delete"},
	{"GET", "/v1/webhooks"},
	{"POST", "/v1/webhooks"},
	{"DELETE", "/v1/webhooks/"},
	{"POST", "/simulator/events"},
	{"GET", "/simulator/deliveries"},
	{"POST", "/simulator/faults"},
	{"PUT", "/webhooks.create"},
	{"POST", "/simulator/api-faults"},
	{"POST", "/webhooks.fetch"},
	{"GET", "/simulator/webhooks"},
	{"GET", "/simulator/webhooks/"},
}

// FuzzAPI sends arbitrary bodies (and query strings, and ids) to every
// endpoint and checks that the mock never answers 5xx and that every error
// has the seeds' shape. "$ID" in the input is replaced by the id of a
// webhook that exists. Run longer with:
//
//	go test -fuzz=FuzzAPI -fuzztime=10s ./simulator/mockapi
func FuzzAPI(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"id":"$ID"}`, `{"id":12}`, `{`, `{"a":1}{"b":2}`,
		seedCreateBody,
		`{"url":"http://127.0.0.1:1/h","event_types":["work_created"],"secret":"12345678"}`,
		`{"url":"https://x.test/","event_types":"work_created"}`,
		`{"url":"http://[::1","secret":""}`,
		`{"id":"$ID","url":"http://127.0.0.1:2/","secret":"","action":"deactivate"}`,
		`{"id":"$ID","event_types":{"add":["work_updated"],"remove":["work_created"],"set":null}}`,
		`{"id":"$ID","event_types":["work_deleted"],"action":"activate"}`,
		`{"url":"https://hooks.yourapp.com/revont","events":["call.ended"],"description":"d"}`,
		`{"type":"work_created","count":2,"payload":{"work":{"title":"x"}},"duplicate_rate":0.5,"reorder_window":2,"drop_first":1}`,
		`{"type":"work_created","webhook_id":"$ID"}`,
		`{"type":"verify","count":-1}`,
		`{"webhook_id":"$ID","duplicate_rate":1e400}`,
		`{"limit":9223372036854775807}`,
		"{\"url\":\"http://\x00/\"}",
		`{"payload":{"a":1e999}, "type":"work_created"}`,
		`{"type":"internal_error","count":3,"path":"/webhooks.get"}`,
		`{"type":"too_many_requests","retry_after":99999}`,
		`{"url":"http://127.0.0.1:1/h","headers":[{"name":"x-api-key","value":"k"},{"name":"X_Team","value":"a b"}]}`,
		`{"url":"http://127.0.0.1:1/h","headers":[{"name":"Content-Type","value":"x"}]}`,
		`{"url":"http://127.0.0.1:1/h","headers":[{"name":"x y","value":"x"},{"value":"v"},{"name":"a"}]}`,
		"{\"id\":\"$ID\",\"headers\":{\"add\":[{\"name\":\"a\",\"value\":\"\\r\\n\"}],\"remove\":[\"b\"],\"set\":[]}}",
		`{"id":"$ID","object":"ISS-12"}`,
		`{"id":"$ID","object":"don:core:dvrv-us-1:devo/other:sla_tracker/x"}`,
		`{"id":"$ID","object":"REV-1"}`,
	}
	queries := []string{"", "id=$ID", "kind=attempt&delivered=true&limit=3", "limit=-1", "%zz", "status=500&webhook_id=$ID", "state=degraded"}
	for i := range fuzzRoutes {
		for j, s := range seeds {
			f.Add(uint8(i), []byte(s), queries[(i+j)%len(queries)], "$ID")
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte, query, pathID string) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		s, _ := newOffline(t)
		wh := create(t, s, "http://127.0.0.1:1/fuzz", "work_created")
		id := wh["id"].(string)
		sub := func(s string) string { return strings.ReplaceAll(s, "$ID", id) }

		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader([]byte(sub(string(body)))))
		req.URL.RawQuery = sub(query)
		if rt.path == "/v1/webhooks/" || rt.path == "/simulator/webhooks/" {
			req.URL.Path += sub(pathID)
			req.URL.RawPath = ""
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s", rt.method, req.URL, rec.Code, rec.Body.String())
		}
		if err := checkDevRevSchema(rt.method, req.URL.Path, rec.Code, rec.Body.Bytes()); err != nil {
			t.Fatalf("%s %s answered %d, which DevRev's schema does not allow: %v\n%s", rt.method, req.URL, rec.Code, err, rec.Body.String())
		}
		if err := schemaRefused(rt.method, req.URL.Path, []byte(sub(string(body)))); err != nil && rec.Code < 300 {
			t.Fatalf("%s %s accepted (%d) a body DevRev's schema refuses: %v\n%s", rt.method, req.URL, rec.Code, err, sub(string(body)))
		}
		if rec.Code == http.StatusNoContent {
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q", rt.method, rt.path, ct)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v: %s", rt.method, rt.path, err, rec.Body.String())
		}
		if rec.Code < 400 {
			return
		}
		typ, _ := out["type"].(string)
		msg, _ := out["message"].(string)
		detail, _ := out["detail"].(string)
		known := slices.Contains(ErrorTypes(), typ) || rec.Code == http.StatusBadRequest && slices.Contains(BadRequestTypes(), typ)
		if !known || msg == "" || detail == "" {
			t.Fatalf("%s %s answered %d without DevRev's error shape: %s", rt.method, rt.path, rec.Code, rec.Body.String())
		}
		if err := errorFieldsProblem(out); err != nil {
			t.Fatalf("%s %s answered %d: %v: %s", rt.method, rt.path, rec.Code, err, rec.Body.String())
		}
	})
}

// schemaRefused validates a POST body to DevRev's API against DevRev's
// request schema; nil for other requests, and for an empty webhooks.list
// body (the mock takes it as {}, as curl -X POST without -d sends it).
func schemaRefused(method, path string, body []byte) error {
	if method != http.MethodPost || !strings.HasPrefix(path, "/webhooks.") {
		return nil
	}
	if path == "/webhooks.list" && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	sch, err := devrevschema.Load()
	if err != nil {
		return err
	}
	if sch.Doc().Paths.Value(path) == nil {
		return nil
	}
	return sch.ValidateRequest(path, body)
}
