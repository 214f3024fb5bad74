package devrevschema

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func schema(t *testing.T) *Schema {
	t.Helper()
	s, err := Load()
	require.NoError(t, err)
	return s
}

const capture = "../../fixtures/golden/devrev_work_updated.json"

func TestRealCaptureIsValid(t *testing.T) {
	body, err := os.ReadFile(capture)
	require.NoError(t, err)
	require.NoError(t, schema(t).ValidateEvent(body))
	// The capture carries fields DevRev's schema lacks (x-revhook-observed).
	err = schema(t).ValidateEvent(body, SchemaOnly())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/work_updated/old_work/applies_to_part/id_v1: field not in DevRev's schema (real deliveries carry it)")
	assert.Contains(t, err.Error(), "more", "lists are capped")
}

func TestEnumsAndTypes(t *testing.T) {
	s := schema(t)
	st, err := s.Enum(WebhookStatusSchema)
	require.NoError(t, err)
	assert.Equal(t, []string{"active", "inactive", "unverified"}, st)
	assert.Contains(t, s.EventTypes(), "work_fetched")
	assert.Equal(t, "event-work-created", s.PayloadSchema("work_created"))
	assert.Equal(t, "", s.PayloadSchema("job_created"))
	assert.Equal(t, "", s.PayloadSchema("id"))
	_, err = s.Enum("webhook")
	assert.Error(t, err)
	_, err = s.Enum("no-such-schema")
	assert.Error(t, err)
	assert.Contains(t, s.Source(), "7da689d")
}

const (
	env = `"id":"don:integration:dvrv-us-1:devo/x:webhook/w:webhook_event/e","timestamp":"2025-07-02T13:07:40.937074Z","webhook_id":"don:integration:dvrv-us-1:devo/x:webhook/w"`
	who = `{"type":"dev_user","id":"don:identity:dvrv-us-1:devo/x:devu/1","display_name":"a"}`
)

// Each case proves one check can fail (or, for ok cases, that it does not
// refuse what DevRev sends).
func TestValidateEvent(t *testing.T) {
	cases := []struct {
		name, body, want string // want: substring of the error; "" = valid
	}{
		{"verify", `{` + env + `,"verify":{"challenge":"abc"},"type":"verify"}`, ""},
		{"fetched not found", `{` + env + `,"type":"work_fetched","work_fetched":{"id":"don:core:dvrv-us-1:devo/x:issue/1","result":"not_found"}}`, ""},
		{"fetched ok", `{` + env + `,"type":"work_fetched","work_fetched":{"id":"don:core:dvrv-us-1:devo/x:issue/1","result":"ok","work":{"type":"issue","id":"don:core:dvrv-us-1:devo/x:issue/1","owned_by":[` + who + `],"title":"t"}}}`, ""},
		{"fetched not found with work", `{` + env + `,"type":"work_fetched","work_fetched":{"id":"i","result":"not_found","work":{"type":"issue","id":"i","owned_by":[],"title":"t"}}}`, "work"},
		{"fetched as {work}", `{` + env + `,"type":"work_fetched","work_fetched":{"work":{"type":"issue","id":"i","owned_by":[],"title":"t"}}}`, "discriminator"},
		{"not JSON", `{`, "not JSON"},
		{"not an object", `[]`, "not a JSON object"},
		{"no type", `{` + env + `}`, "/type"},
		{"unknown type", `{` + env + `,"type":"work_exploded","work_exploded":{}}`, "not in DevRev's"},
		{"payload missing", `{` + env + `,"type":"verify"}`, "/verify: missing"},
		{"two payloads", `{` + env + `,"verify":{"challenge":"a"},"work_deleted":{"id":"x"},"type":"verify"}`, "/work_deleted: payload field of another"},
		{"no id", `{"webhook_id":"w","verify":{"challenge":"a"},"type":"verify"}`, `property "id" is missing`},
		{"extra envelope field", `{` + env + `,"verify":{"challenge":"a"},"type":"verify","extra":1}`, "/extra: field not in DevRev's schema"},
		{"extra payload field", `{` + env + `,"type":"link_deleted","link_deleted":{"id":"x","old_link":{}}}`, "/link_deleted/old_link: field not in"},
		{"nested extra field", `{` + env + `,"type":"work_deleted","work_deleted":{"id":"x","old_work":{"type":"issue","id":"x","owned_by":[],"title":"t","nope":1}}}`, "/work_deleted/old_work/nope: field not in"},
		{"extra field in array item", `{` + env + `,"type":"work_deleted","work_deleted":{"id":"x","old_work":{"type":"issue","id":"x","owned_by":[{"type":"dev_user","id":"u","nope":1}],"title":"t"}}}`, "/work_deleted/old_work/owned_by/0/nope: field not in"},
		{"custom_fields are free", `{` + env + `,"type":"work_deleted","work_deleted":{"id":"x","old_work":{"type":"issue","id":"x","owned_by":[],"title":"t","custom_fields":{"tnt__anything":{"deep":1}}}}}`, ""},
		{"missing required in payload", `{` + env + `,"type":"ai_agent_response","ai_agent_response":{"agent":"a","session":"s"}}`, "session_object"},
		{"wrong enum", `{` + env + `,"type":"work_deleted","work_deleted":{"id":"x","old_work":{"type":"issue","id":"x","owned_by":[],"title":"t","priority":"p9"}}}`, "/work_deleted/old_work/priority"},
		{"bad date-time", `{"id":"i","timestamp":"yesterday","webhook_id":"w","verify":{"challenge":"a"},"type":"verify"}`, "/timestamp"},
		{"no payload shape", `{` + env + `,"type":"job_created","job_created":{"job":{}}}`, "no payload shape"},
	}
	s := schema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.ValidateEvent([]byte(c.body))
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "\n", "one-line errors")
		})
	}
	err := s.ValidateEvent([]byte(`{` + env + `,"type":"job_created","job_created":{}}`))
	assert.True(t, errors.Is(err, ErrNoPayloadSchema))
}

func TestValidateResponse(t *testing.T) {
	webhook := `{"id":"don:integration:dvrv-us-1:devo/x:webhook/w","event_types":["work_created"],"secret":"c2VjcmV0","status":"active","url":"https://example.com/h"}`
	cases := []struct {
		name, method, path string
		status             int
		body, want         string
	}{
		{"get ok", "POST", "/webhooks.get", 200, `{"webhook":` + webhook + `}`, ""},
		{"get via GET", "GET", "/webhooks.get", 200, `{"webhook":` + webhook + `}`, ""},
		{"list ok", "GET", "/webhooks.list", 200, `{"webhooks":[` + webhook + `]}`, ""},
		{"delete ok", "POST", "/webhooks.delete", 200, `{}`, ""},
		{"delete with a field", "POST", "/webhooks.delete", 200, `{"deleted":true}`, "deleted"},
		{"degraded status", "POST", "/webhooks.get", 200, `{"webhook":` + webhook[:len(webhook)-1] + `,"status":"degraded"}}`, "/webhook/status"},
		{"simulator field", "POST", "/webhooks.get", 200, `{"webhook":` + webhook[:len(webhook)-1] + `,"consecutive_failures":3}}`, "/webhook/consecutive_failures"},
		{"not found with message", "POST", "/webhooks.get", 404, `{"type":"not_found","message":"no such webhook","detail":"d"}`, ""},
		{"not found, wrong type", "POST", "/webhooks.get", 404, `{"type":"forbidden","message":"m"}`, "type"},
		{"not found, extra field", "POST", "/webhooks.get", 404, `{"type":"not_found","message":"m","hint":"h"}`, "hint"},
		{"bad request missing field", "POST", "/webhooks.create", 400, `{"type":"missing_required_field","message":"m","field_name":"url"}`, ""},
		{"bad request without field_name", "POST", "/webhooks.create", 400, `{"type":"missing_required_field","message":"m"}`, "field_name"},
		{"invalid enum", "POST", "/webhooks.create", 400, `{"type":"invalid_enum_value","message":"m","allowed_values":["a"],"field_name":"status","value":"x"}`, ""},
		{"parse error", "POST", "/webhooks.create", 400, `{"type":"parse_error","message":"m"}`, ""},
		{"internal error", "POST", "/webhooks.create", 500, `{"type":"internal_error","message":"m","reference_id":"0190c6e2-8d2d-7c6a-9e6b-1d0f1b7f2a11"}`, ""},
		{"throttled", "POST", "/webhooks.create", 429, `{"type":"too_many_requests","message":"m"}`, ""},
		{"no such status", "POST", "/webhooks.create", 418, `{}`, "no 418 response"},
		{"no such path", "POST", "/webhooks.nope", 200, `{}`, "no such path"},
		{"no such method", "DELETE", "/webhooks.get", 200, `{}`, "no such operation"},
	}
	s := schema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.ValidateResponse(c.method, c.path, c.status, []byte(c.body))
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestValidateRequest(t *testing.T) {
	cases := []struct{ name, path, body, want string }{
		{"create", "/webhooks.create", `{"url":"https://example.com/h","event_types":["work_created"]}`, ""},
		{"create with headers", "/webhooks.create", `{"url":"https://example.com/h","headers":[{"name":"x-api-key","value":"k"}]}`, ""},
		{"create without url", "/webhooks.create", `{"event_types":["work_created"]}`, "url"},
		{"create, unknown event type", "/webhooks.create", `{"url":"u","event_types":["work_exploded"]}`, "/event_types/0"},
		{"create, invented field", "/webhooks.create", `{"url":"u","retries":3}`, "/retries: field not in"},
		{"list takes nothing", "/webhooks.list", `{}`, ""},
		{"list with a parameter", "/webhooks.list", `{"limit":5}`, "limit"},
		{"fetch", "/webhooks.fetch", `{"id":"w","object":"don:core:dvrv-us-1:devo/x:issue/1"}`, ""},
		{"GET-only path", "/webhooks.event2", `{}`, "no such path"},
	}
	s := schema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.ValidateRequest(c.path, []byte(c.body))
			if c.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestValidateValue(t *testing.T) {
	s := schema(t)
	assert.NoError(t, s.ValidateValue("webhook-status", []byte(`"active"`)))
	assert.Error(t, s.ValidateValue("webhook-status", []byte(`"degraded"`)))
	assert.Error(t, s.ValidateValue("nope", []byte(`1`)))
	assert.Error(t, s.ValidateValue("webhook-status", []byte(`"a" "b"`)))
}

// TestConcurrentUse: one Schema serves many goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	body, err := os.ReadFile(capture)
	require.NoError(t, err)
	s := schema(t)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			if err := s.ValidateEvent(body); err != nil {
				errs <- err
				return
			}
			errs <- s.ValidateResponse("POST", "/webhooks.get", 404, []byte(`{"type":"not_found","message":"m"}`))
		}()
	}
	for range 8 {
		assert.NoError(t, <-errs)
	}
	again, err := Load()
	require.NoError(t, err)
	assert.Same(t, s, again, "parsed once per process")
}
