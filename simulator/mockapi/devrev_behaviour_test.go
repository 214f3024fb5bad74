package mockapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/devrevschema"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
)

// createWith registers a webhook for the receiver with extra create fields.
func (e *env) createWith(fields map[string]any) (id, secret string) {
	e.t.Helper()
	fields["url"] = e.rcv.URL
	b, _ := json.Marshal(fields)
	code, out := e.call("POST", "/webhooks.create", string(b))
	require.Equal(e.t, http.StatusCreated, code, out)
	wh := out["webhook"].(map[string]any)
	return wh["id"].(string), wh["secret"].(string)
}

func TestCustomHeadersReachTheReceiver(t *testing.T) {
	e := newEnv(t)
	id, _ := e.createWith(map[string]any{
		"event_types": []string{"work_created"},
		"headers":     []map[string]string{{"name": "x-api-key", "value": "gateway-key-1"}, {"name": "X_Tenant", "value": "acme"}},
	})
	e.settle()
	require.Equal(t, "active", e.status(id))
	verify := e.rcv.Of("verify")
	require.Len(t, verify, 1)
	assert.Equal(t, "gateway-key-1", verify[0].Header.Get("X-Api-Key"), "verify is an invocation too")

	e.trigger(`{"type":"work_created"}`)
	e.settle()
	got := e.rcv.Of("work_created")
	require.Len(t, got, 1)
	assert.Equal(t, "gateway-key-1", got[0].Header.Get("x-api-key"))
	assert.Equal(t, []string{"acme"}, got[0].Header.Values("X_Tenant"))
	assert.Equal(t, "application/json", got[0].Header.Get("Content-Type"))
	assert.NotEmpty(t, got[0].Header.Get("X-DevRev-Signature"))

	// Retries carry them too.
	e.rcv.AnswerEvents(mocktest.Fail(500))
	e.trigger(`{"type":"work_created"}`)
	e.advance(30 * time.Second)
	got = e.rcv.Of("work_created")
	require.Len(t, got, 3)
	assert.Equal(t, "gateway-key-1", got[2].Header.Get("x-api-key"), "the retry")

	// Changing the headers changes what later invocations carry.
	code, out := e.call("POST", "/webhooks.update", `{"id":"`+id+`","headers":{"remove":["X_TENANT"],"add":[{"name":"x-api-key","value":"gateway-key-2"}]}}`)
	require.Equal(t, 200, code, out)
	e.rcv.AnswerEvents(mocktest.OK)
	e.trigger(`{"type":"work_created"}`)
	e.settle()
	got = e.rcv.Of("work_created")
	last := got[len(got)-1]
	assert.Equal(t, "gateway-key-2", last.Header.Get("x-api-key"))
	assert.Empty(t, last.Header.Values("X_Tenant"))
	assert.Equal(t, []string{"x-api-key"}, e.sim(id).HeaderNames)
}

// TestVerifyRetriesRestamped: every verify attempt in the window is a new
// invocation of the same verify event (same id and challenge) with its own
// timestamp and a signature over its own bytes; SameBytesOnRetry re-sends
// the first attempt's bytes.
func TestVerifyRetriesRestamped(t *testing.T) {
	for _, restamp := range []bool{true, false} {
		t.Run(map[bool]string{true: "restamped", false: "identical bytes"}[restamp], func(t *testing.T) {
			e := newEnv(t, func(c *mockapi.Config) { c.SameBytesOnRetry = !restamp })
			e.rcv.AnswerVerify(mocktest.Fail(500))
			id, secret := e.create("work_created")
			e.advance(time.Minute)
			got := e.rcv.Of("verify")
			require.Len(t, got, 3, "attempts at 0 s, 30 s and 60 s")
			sch, err := devrevschema.Load()
			require.NoError(t, err)
			stamps := map[string]bool{}
			for i, r := range got {
				assert.NoError(t, sch.ValidateEvent(r.Body), "verify attempt %d matches DevRev's schema", i+1)
				assert.True(t, r.SignedWith(secret), "attempt %d is signed over its own bytes", i+1)
				assert.Equal(t, got[0].ID, r.ID, "one verify event")
				assert.Equal(t, got[0].Challenge, r.Challenge, "one challenge")
				stamps[r.Timestamp] = true
			}
			entries := e.srv.Log().List(deliverylog.Filter{WebhookID: id, EventID: got[0].ID, Kind: "attempt"})
			require.Len(t, entries, 3)
			if !restamp {
				assert.Len(t, stamps, 1)
				assert.Equal(t, got[0].Body, got[2].Body)
				assert.Equal(t, got[0].Signature, got[2].Signature)
				return
			}
			assert.Len(t, stamps, 3, "three attempts, three timestamps")
			assert.NotEqual(t, got[0].Signature, got[1].Signature)
			for i, r := range got {
				ts, err := time.Parse(time.RFC3339Nano, r.Timestamp)
				require.NoError(t, err)
				assert.Equal(t, t0.Add(time.Duration(i)*30*time.Second), ts, "attempt %d is stamped when sent", i+1)
				assert.Equal(t, r.Timestamp, entries[i].Timestamp, "the log shows each attempt's timestamp")
			}
		})
	}
}

func TestWebhooksFetch(t *testing.T) {
	e := newEnv(t)
	id, _ := e.create("work_created")
	e.settle()
	org := e.srv.Org()

	tests := []struct {
		object, typ, result, key string
	}{
		{"ISS-12345", "work_fetched", "ok", "work"},
		{"TKT-7", "work_fetched", "ok", "work"},
		{"don:core:dvrv-us-1:devo/" + org + ":task/3", "work_fetched", "ok", "work"},
		{"ISS-0", "work_fetched", "not_found", ""},
		{"ISS-x", "work_fetched", "not_found", ""},
		{"don:core:dvrv-us-1:devo/someone-else:issue/4", "work_fetched", "forbidden", ""},
		{"don:core:dvrv-us-1:devo/" + org + ":sla_tracker/9", "sla_tracker_fetched", "ok", "sla_tracker"},
	}
	for _, tc := range tests {
		t.Run(tc.object, func(t *testing.T) {
			before := len(e.rcv.Of(tc.typ))
			b, _ := json.Marshal(map[string]string{"id": id, "object": tc.object})
			code, out := e.call("POST", "/webhooks.fetch", string(b))
			require.Equal(t, 200, code, out)
			assert.Empty(t, out, "webhooks-fetch-response is {}")
			e.settle()
			got := e.rcv.Of(tc.typ)
			require.Len(t, got, before+1)
			sch, err := devrevschema.Load()
			require.NoError(t, err)
			assert.NoError(t, sch.ValidateEvent(got[len(got)-1].Body), "the %s event matches DevRev's schema", tc.typ)
			var env map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(got[len(got)-1].Body, &env))
			var payload map[string]any
			require.NoError(t, json.Unmarshal(env[tc.typ], &payload))
			assert.Equal(t, tc.object, payload["id"])
			assert.Equal(t, tc.result, payload["result"])
			if tc.key == "" {
				assert.Len(t, payload, 2, "only id and result when not ok: %v", payload)
				return
			}
			obj, ok := payload[tc.key].(map[string]any)
			require.True(t, ok, "the object is in the payload: %v", payload)
			if obj["display_id"] != tc.object {
				assert.Equal(t, tc.object, obj["id"])
			}
		})
	}

	for name, tc := range map[string]struct {
		body   string
		status int
		typ    string
	}{
		"not a fetchable kind": {`{"id":"` + id + `","object":"REV-1"}`, 400, mockapi.TypeUnexpectedIDType},
		"malformed DON":        {`{"id":"` + id + `","object":"don:core"}`, 400, mockapi.TypeUnexpectedIDType},
		"no object":            {`{"id":"` + id + `"}`, 400, mockapi.TypeMissingRequiredField},
		"no id":                {`{"object":"ISS-1"}`, 400, mockapi.TypeMissingRequiredField},
		"unknown webhook":      {`{"id":"nope","object":"ISS-1"}`, 404, mockapi.TypeNotFound},
		"unknown field":        {`{"id":"` + id + `","object":"ISS-1","work":{}}`, 400, mockapi.TypeInvalidField},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := e.call("POST", "/webhooks.fetch", tc.body)
			require.Equal(t, tc.status, code, out)
			assert.Equal(t, tc.typ, out["type"])
		})
	}

	// An inactive webhook receives no object events: refused.
	code, out := e.call("POST", "/webhooks.update", `{"id":"`+id+`","action":"deactivate"}`)
	require.Equal(t, 200, code, out)
	code, out = e.call("POST", "/webhooks.fetch", `{"id":"`+id+`","object":"ISS-1"}`)
	require.Equal(t, 400, code, out)
	assert.Equal(t, mockapi.TypeValueNotPermitted, out["type"])
}

func TestRequestIDsAndReferenceIDsAreUUIDs(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for _, path := range []string{"/webhooks.list", "/webhooks.get", "/nope"} {
		req := httptest.NewRequest("POST", path, strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		rid := rec.Header().Get("X-Request-Id")
		_, err := uuid.Parse(rid)
		require.NoError(t, err, "X-Request-Id %q on %s", rid, path)
		assert.False(t, seen[rid], "a fresh id per request")
		seen[rid] = true
	}
	code, out := e.call("POST", "/simulator/api-faults", `{"type":"internal_error","path":"/webhooks.list"}`)
	require.Equal(t, 201, code, out)
	code, out = e.call("POST", "/webhooks.list", `{}`)
	require.Equal(t, 500, code, out)
	_, err := uuid.Parse(out["reference_id"].(string))
	assert.NoError(t, err, "reference_id is a UUID")
}

func TestSimulatorWebhooksView(t *testing.T) {
	e := newEnv(t)
	e.rcv.AnswerVerify(mocktest.Fail(500))
	id, _ := e.create("work_created")
	e.settle()

	code, out := e.call("GET", "/simulator/webhooks", "")
	require.Equal(t, 200, code, out)
	list := out["webhooks"].([]any)
	require.Len(t, list, 1)
	v := e.sim("webhook-1")
	assert.Equal(t, id, v.ID, "display ids work in the path")
	assert.Equal(t, "unverified", v.State)
	require.NotNil(t, v.Verify)
	assert.Equal(t, mockapi.VerifyWindow, v.Verify.Kind)
	assert.Equal(t, 1, v.Verify.Attempts)
	assert.Equal(t, t0.Add(30*time.Second), *v.Verify.NextAt)
	assert.Equal(t, t0.Add(3*time.Minute), *v.Verify.WindowEndsAt)
	require.NotNil(t, v.LastVerify)
	assert.Equal(t, 500, v.LastVerify.Status)

	for name, tc := range map[string]struct {
		path   string
		status int
		typ    string
	}{
		"filter by state":   {"/simulator/webhooks?state=degraded", 200, ""},
		"unknown state":     {"/simulator/webhooks?state=sleepy", 400, mockapi.TypeInvalidEnumValue},
		"unknown parameter": {"/simulator/webhooks?limit=1", 400, mockapi.TypeInvalidField},
		"unknown webhook":   {"/simulator/webhooks/nope", 404, mockapi.TypeNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := e.call("GET", tc.path, "")
			require.Equal(t, tc.status, code, out)
			if tc.typ != "" {
				assert.Equal(t, tc.typ, out["type"])
			} else {
				assert.Empty(t, out["webhooks"])
			}
		})
	}
}
