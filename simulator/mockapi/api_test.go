package mockapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedCreateBody is the body of the create request in DevRev's guide
// (seed 002), verbatim but for the placeholder URL.
const seedCreateBody = `{
"event_types": ["work_created", "work_deleted"],
"url": "http://127.0.0.1:8089/"
}`

func TestCreateAndAuth(t *testing.T) {
	tests := []struct {
		name   string
		auth   string
		body   string
		status int
		typ    string // error type when status >= 400
	}{
		{"seed's curl: bare token header", testToken, seedCreateBody, 201, ""},
		{"bearer token", "Bearer " + testToken, seedCreateBody, 201, ""},
		{"bearer scheme is case-insensitive", "bearer " + testToken, seedCreateBody, 201, ""},
		{"no token", "", seedCreateBody, 401, TypeUnauthenticated},
		{"wrong token", "Bearer nope", seedCreateBody, 401, TypeUnauthenticated},
		{"wrong bare token", "nope", seedCreateBody, 401, TypeUnauthenticated},
		{"empty bearer", "Bearer ", seedCreateBody, 401, TypeUnauthenticated},
		{"seed's placeholder url", testToken, `{"event_types": ["work_created"], "url": "your-webhook-endpoint-url"}`, 400, TypeInvalidField},
		{"missing url", testToken, `{"event_types": ["work_created"]}`, 400, TypeMissingRequiredField},
		{"ftp url", testToken, `{"url": "ftp://example.com/x"}`, 400, TypeInvalidField},
		{"url without host", testToken, `{"url": "http:///path"}`, 400, TypeInvalidField},
		{"url with bad port", testToken, `{"url": "http://127.0.0.1:99999/"}`, 400, TypeInvalidField},
		{"url does not parse", testToken, `{"url": "http://[::1/"}`, 400, TypeInvalidField},
		{"url too long", testToken, `{"url": "http://x/` + strings.Repeat("a", 3000) + `"}`, 400, TypeInvalidField},
		{"unknown event type", testToken, `{"url": "http://127.0.0.1/", "event_types": ["work_exploded"]}`, 400, TypeInvalidEnumValue},
		{"event_types not an array", testToken, `{"url": "http://127.0.0.1/", "event_types": "work_created"}`, 400, TypeUnexpectedJSONType},
		{"event type not a string", testToken, `{"url": "http://127.0.0.1/", "event_types": [1]}`, 400, TypeUnexpectedJSONType},
		{"secret too short", testToken, `{"url": "http://127.0.0.1/", "secret": "1234567"}`, 400, TypeInvalidField},
		{"secret too long", testToken, `{"url": "http://127.0.0.1/", "secret": "` + strings.Repeat("s", 33) + `"}`, 400, TypeInvalidField},
		{"secret 8 bytes", testToken, `{"url": "http://127.0.0.1/", "secret": "12345678"}`, 201, ""},
		{"secret 32 bytes", testToken, `{"url": "http://127.0.0.1/", "secret": "` + strings.Repeat("s", 32) + `"}`, 201, ""},
		{"unknown field", testToken, `{"url": "http://127.0.0.1/", "colour": "red"}`, 400, TypeInvalidField},
		{"not JSON", testToken, `url=http://127.0.0.1/`, 400, TypeParseError},
		{"JSON array", testToken, `[{"url": "http://127.0.0.1/"}]`, 400, TypeParseError},
		{"JSON null", testToken, `null`, 400, TypeParseError},
		{"trailing data", testToken, `{"url": "http://127.0.0.1/"} {}`, 400, TypeParseError},
		{"truncated JSON", testToken, `{"url": "http://127.0.0.1/"`, 400, TypeParseError},
		{"empty body", testToken, ``, 400, TypeParseError},
		{"body over the limit", testToken, `{"url": "http://127.0.0.1/", "secret": "` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`, 413, TypeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newOffline(t)
			rec := call(t, s, http.MethodPost, "/webhooks.create", tc.auth, tc.body)
			if tc.status >= 400 {
				requireError(t, rec, tc.status, tc.typ)
				if tc.status == 401 {
					assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
				}
				return
			}
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
		})
	}
}

// TestSeedCurlVerbatim sends the create request of DevRev's guide as its
// curl does: header "Authorization:token" (no Bearer), against a mock whose
// token is literally "token". Only the placeholder URL is not verbatim.
func TestSeedCurlVerbatim(t *testing.T) {
	s, _ := newOffline(t, func(c *Config) { c.Token = "token" })
	req := httptest.NewRequest("POST", "/webhooks.create", strings.NewReader(seedCreateBody))
	req.Header["Authorization"] = []string{"token"}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Equal(t, "unverified", decode(t, rec)["webhook"].(map[string]any)["status"])
}

func TestCreateObject(t *testing.T) {
	s, _ := newOffline(t)
	rec := call(t, s, http.MethodPost, "/webhooks.create", testToken, seedCreateBody)
	require.Equal(t, http.StatusCreated, rec.Code)
	body := decode(t, rec)
	wh := body["webhook"].(map[string]any)
	for _, f := range []string{"created_by", "created_date", "display_id", "event_types", "id", "modified_by", "modified_date", "secret", "status", "url"} {
		assert.Contains(t, wh, f)
	}
	assert.Equal(t, "unverified", wh["status"])
	assert.Equal(t, "http://127.0.0.1:8089/", wh["url"])
	assert.Equal(t, []any{"work_created", "work_deleted"}, wh["event_types"])
	assert.Equal(t, "webhook-1", wh["display_id"])
	assert.Regexp(t, `^don:integration:dvrv-us-1:devo/TESTORG:webhook/\w+$`, wh["id"])
	assert.Equal(t, "2026-11-23T10:00:00.000Z", wh["created_date"])
	assert.Len(t, wh["secret"], 32, "an absent secret is generated: 32 characters")
	by := wh["created_by"].(map[string]any)
	assert.Equal(t, "dev_user", by["type"])
	for _, f := range []string{"display_id", "id", "display_name", "display_picture", "email", "full_name", "state"} {
		assert.Contains(t, by, f)
	}
	pic := by["display_picture"].(map[string]any)
	assert.Contains(t, pic["file"], "size")

	// Explicit secret kept; duplicates in event_types dropped.
	rec = call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"https://example.test/h","event_types":["work_created","work_created"],"secret":"my-secret-1"}`)
	require.Equal(t, http.StatusCreated, rec.Code)
	wh = decode(t, rec)["webhook"].(map[string]any)
	assert.Equal(t, "my-secret-1", wh["secret"])
	assert.Equal(t, []any{"work_created"}, wh["event_types"])
	assert.Equal(t, "webhook-2", wh["display_id"])

	// No event_types at all is allowed (verify only), and renders as [].
	rec = call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"https://example.test/h"}`)
	require.Equal(t, http.StatusCreated, rec.Code)
	assert.Contains(t, rec.Body.String(), `"event_types":[]`)
}

func TestMaxWebhooks(t *testing.T) {
	s, _ := newOffline(t, func(c *Config) { c.MaxWebhooks = 2 })
	create(t, s, "http://127.0.0.1:1/a")
	create(t, s, "http://127.0.0.1:1/b")
	requireError(t, call(t, s, "POST", "/webhooks.create", bearer(), `{"url":"http://127.0.0.1:1/c"}`), 400, TypeBadRequest)
	for i := 0; i < 2; i++ {
		require.Equal(t, 201, call(t, s, "POST", "/v1/webhooks", bearer(), `{"url":"https://x.test/","events":["a"]}`).Code)
	}
	requireError(t, call(t, s, "POST", "/v1/webhooks", bearer(), `{"url":"https://x.test/","events":["a"]}`), 409, TypeConflict)
}

func TestRequireHTTPS(t *testing.T) {
	s, _ := newOffline(t, func(c *Config) { c.RequireHTTPS = true })
	rec := call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"http://127.0.0.1/"}`)
	body := requireError(t, rec, 400, TypeValueNotPermitted)
	assert.Contains(t, body["detail"], "https")
	rec = call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"https://127.0.0.1/"}`)
	require.Equal(t, 201, rec.Code)
}

func TestKeyEncodingBase64Secrets(t *testing.T) {
	s, _ := newOffline(t, func(c *Config) { c.KeyEncoding = "base64" })
	rec := call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"http://127.0.0.1/","secret":"not base64!"}`)
	requireError(t, rec, 400, TypeInvalidField)
	rec = call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"http://127.0.0.1/"}`)
	require.Equal(t, 201, rec.Code)
	wh := decode(t, rec)["webhook"].(map[string]any)
	assert.Len(t, wh["secret"], 24, "generated secret is the base64 of 18 bytes")
}

func TestRoutingErrors(t *testing.T) {
	tests := []struct {
		name, method, path, auth string
		status                   int
		typ                      string
		allow                    string
	}{
		{"unknown path", "POST", "/webhooks.explode", bearer(), 404, TypeNotFound, ""},
		{"unknown path without auth", "GET", "/nothing/here", "", 404, TypeNotFound, ""},
		{"GET create", "GET", "/webhooks.create", bearer(), 405, TypeBadRequest, "POST"},
		{"PUT update", "PUT", "/webhooks.update", bearer(), 405, TypeBadRequest, "POST"},
		{"DELETE delete", "DELETE", "/webhooks.delete", bearer(), 405, TypeBadRequest, "POST"},
		{"PATCH get", "PATCH", "/webhooks.get", bearer(), 405, TypeBadRequest, "POST, GET"},
		{"PUT revont collection", "PUT", "/v1/webhooks", bearer(), 405, TypeBadRequest, "GET, POST"},
		{"GET revont item", "GET", "/v1/webhooks/wh_1", bearer(), 405, TypeBadRequest, "DELETE"},
		{"revont nested path", "DELETE", "/v1/webhooks/a/b", bearer(), 404, TypeNotFound, ""},
		{"GET trigger", "GET", "/simulator/events", bearer(), 405, TypeBadRequest, "POST"},
		{"POST deliveries", "POST", "/simulator/deliveries", bearer(), 405, TypeBadRequest, "GET"},
		{"list without auth", "POST", "/webhooks.list", "", 401, TypeUnauthenticated, ""},
		{"revont without auth", "GET", "/v1/webhooks", "", 401, TypeUnauthenticated, ""},
		{"trigger without auth", "POST", "/simulator/events", "", 401, TypeUnauthenticated, ""},
		{"log without auth", "GET", "/simulator/deliveries", "", 401, TypeUnauthenticated, ""},
		{"faults without auth", "POST", "/simulator/faults", "", 401, TypeUnauthenticated, ""},
	}
	s, _ := newOffline(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(t, s, tc.method, tc.path, tc.auth, `{}`)
			requireError(t, rec, tc.status, tc.typ)
			if tc.allow != "" {
				assert.Equal(t, tc.allow, rec.Header().Get("Allow"))
			}
		})
	}
	rec := call(t, s, "GET", "/", "", "")
	require.Equal(t, 200, rec.Code)
	assert.Contains(t, rec.Body.String(), "/webhooks.create")
}

func TestGetListDelete(t *testing.T) {
	s, _ := newOffline(t)
	a := create(t, s, "http://127.0.0.1:1/a", "work_created")
	b := create(t, s, "http://127.0.0.1:1/b")
	id := a["id"].(string)

	runAPICases(t, s, []apiCase{
		{"get by id", "POST", "/webhooks.get", `{"id":"` + id + `"}`, 200, ""},
		{"get by display id", "POST", "/webhooks.get", `{"id":"webhook-1"}`, 200, ""},
		{"get with GET", "GET", "/webhooks.get?id=" + id, "", 200, ""},
		{"get unknown", "POST", "/webhooks.get", `{"id":"don:integration:dvrv-us-1:devo/x:webhook/nope"}`, 404, TypeNotFound},
		{"get unknown with GET", "GET", "/webhooks.get?id=nope", "", 404, TypeNotFound},
		{"get without id", "POST", "/webhooks.get", `{}`, 400, TypeMissingRequiredField},
		{"get GET without id", "GET", "/webhooks.get", "", 400, TypeMissingRequiredField},
		{"get with id of wrong type", "POST", "/webhooks.get", `{"id":12}`, 400, TypeUnexpectedJSONType},
		{"get bad query", "GET", "/webhooks.get?id=%zz", "", 400, TypeParseError},
		{"get unknown field", "POST", "/webhooks.get", `{"id":"` + id + `","x":1}`, 400, TypeInvalidField},
		{"list", "POST", "/webhooks.list", `{}`, 200, ""},
		{"list empty body", "POST", "/webhooks.list", ``, 200, ""},
		{"list GET", "GET", "/webhooks.list", ``, 200, ""},
		{"list takes no limit", "POST", "/webhooks.list", `{"limit":1}`, 400, TypeInvalidField},
		{"list GET takes no parameters", "GET", "/webhooks.list?limit=1", ``, 400, TypeInvalidField},
		{"list POST takes no query", "POST", "/webhooks.list?cursor=x", `{}`, 400, TypeInvalidField},
		{"list unknown field", "POST", "/webhooks.list", `{"cursor":"x"}`, 400, TypeInvalidField},
		{"list body not an object", "POST", "/webhooks.list", `[]`, 400, TypeParseError},
		{"get GET unknown parameter", "GET", "/webhooks.get?id=" + id + "&verbose=1", "", 400, TypeInvalidField},
		{"get GET id twice", "GET", "/webhooks.get?id=" + id + "&id=" + id, "", 400, TypeInvalidField},
		{"get POST takes no query", "POST", "/webhooks.get?id=" + id, `{"id":"` + id + `"}`, 400, TypeInvalidField},
		{"get id too long", "POST", "/webhooks.get", `{"id":"` + strings.Repeat("x", 600) + `"}`, 400, TypeInvalidID},
		{"delete without id", "POST", "/webhooks.delete", `{}`, 400, TypeMissingRequiredField},
		{"delete unknown", "POST", "/webhooks.delete", `{"id":"nope"}`, 404, TypeNotFound},
	})

	rec := call(t, s, "POST", "/webhooks.list", bearer(), `{}`)
	list := decode(t, rec)["webhooks"].([]any)
	require.Len(t, list, 2)
	assert.Equal(t, id, list[0].(map[string]any)["id"])
	assert.Equal(t, b["id"], list[1].(map[string]any)["id"])

	rec = call(t, s, "POST", "/webhooks.delete", bearer(), `{"id":"`+id+`"}`)
	require.Equal(t, 200, rec.Code)
	assert.JSONEq(t, `{}`, rec.Body.String())
	requireError(t, call(t, s, "POST", "/webhooks.get", bearer(), `{"id":"`+id+`"}`), 404, TypeNotFound)
	rec = call(t, s, "POST", "/webhooks.list", bearer(), `{}`)
	require.Len(t, decode(t, rec)["webhooks"], 1)
}

func TestUpdate(t *testing.T) {
	s, _ := newOffline(t)
	wh := create(t, s, "http://127.0.0.1:1/a", "work_created")
	id := wh["id"].(string)
	upd := func(fields string) string { return `{"id":"` + id + `"` + fields + `}` }

	tests := []struct {
		name   string
		body   string
		status int
		typ    string
		check  func(t *testing.T, wh map[string]any)
	}{
		{"no change", upd(``), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, "unverified", wh["status"])
		}},
		{"unknown id", `{"id":"nope","action":"deactivate"}`, 404, TypeNotFound, nil},
		{"missing id", `{"action":"deactivate"}`, 400, TypeMissingRequiredField, nil},
		{"bad action", upd(`,"action":"pause"`), 400, TypeInvalidEnumValue, nil},
		{"bad url", upd(`,"url":"nope"`), 400, TypeInvalidField, nil},
		{"empty url", upd(`,"url":""`), 400, TypeInvalidField, nil},
		{"bad secret", upd(`,"secret":"short"`), 400, TypeInvalidField, nil},
		{"unknown type in set", upd(`,"event_types":{"set":["nope"]}`), 400, TypeInvalidEnumValue, nil},
		{"unknown type in add", upd(`,"event_types":{"add":["work_created","nope"]}`), 400, TypeInvalidEnumValue, nil},
		{"unknown key in event_types", upd(`,"event_types":{"replace":["work_created"]}`), 400, TypeInvalidField, nil},
		{"event_types wrong type", upd(`,"event_types":7`), 400, TypeUnexpectedJSONType, nil},
		{"event_types as an array (DevRev takes an object)", upd(`,"event_types":["work_deleted"]`), 400, TypeUnexpectedJSONType, nil},
		{"set with add", upd(`,"event_types":{"set":["work_created"],"add":["work_deleted"]}`), 400, TypeValueNotPermitted, nil},
		{"unknown field", upd(`,"colour":"red"`), 400, TypeInvalidField, nil},
		{"id of wrong type", `{"id":7}`, 400, TypeUnexpectedJSONType, nil},
		{"event_types add and remove", upd(`,"event_types":{"add":["tag_created","work_deleted","work_updated"],"remove":["work_updated"]}`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, []any{"work_created", "tag_created", "work_deleted"}, wh["event_types"])
		}},
		{"event_types set", upd(`,"event_types":{"set":["work_created"]}`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, []any{"work_created"}, wh["event_types"])
		}},
		{"new secret", upd(`,"secret":"rotated-secret"`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, "rotated-secret", wh["secret"])
		}},
		{"empty secret generates one", upd(`,"secret":""`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Len(t, wh["secret"], 32)
			assert.NotEqual(t, "rotated-secret", wh["secret"])
		}},
		{"deactivate", upd(`,"action":"deactivate"`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, "inactive", wh["status"])
		}},
		{"url change while inactive keeps it inactive", upd(`,"url":"http://127.0.0.1:1/b"`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, "inactive", wh["status"])
			assert.Equal(t, "http://127.0.0.1:1/b", wh["url"])
		}},
		{"activate verifies again", upd(`,"action":"activate"`), 200, "", func(t *testing.T, wh map[string]any) {
			assert.Equal(t, "unverified", wh["status"])
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(t, s, "POST", "/webhooks.update", bearer(), tc.body)
			if tc.status >= 400 {
				requireError(t, rec, tc.status, tc.typ)
				return
			}
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.check != nil {
				tc.check(t, decode(t, rec)["webhook"].(map[string]any))
			}
		})
	}
}

func TestRevont(t *testing.T) {
	s, _ := newOffline(t)
	tests := []struct {
		name   string
		body   string
		status int
		typ    string
	}{
		{"seed's request", `{"url": "https://hooks.yourapp.com/revont", "events": ["call.ended", "summary.ready"], "description": "Production event handler"}`, 201, ""},
		{"no description", `{"url": "https://hooks.yourapp.com/b", "events": ["call.ended"]}`, 201, ""},
		{"http refused", `{"url": "http://hooks.yourapp.com/revont", "events": ["call.ended"]}`, 400, TypeValueNotPermitted},
		{"missing url", `{"events": ["call.ended"]}`, 400, TypeMissingRequiredField},
		{"no events", `{"url": "https://hooks.yourapp.com/revont", "events": []}`, 400, TypeMissingRequiredField},
		{"missing events", `{"url": "https://hooks.yourapp.com/revont"}`, 400, TypeMissingRequiredField},
		{"blank event", `{"url": "https://hooks.yourapp.com/revont", "events": [" "]}`, 400, TypeInvalidField},
		{"unknown field", `{"url": "https://hooks.yourapp.com/revont", "events": ["a"], "secret": "x"}`, 400, TypeInvalidField},
		{"description too long", `{"url": "https://h.test/", "events": ["a"], "description": "` + strings.Repeat("d", 600) + `"}`, 400, TypeInvalidField},
		{"not JSON", `nope`, 400, TypeParseError},
	}
	var created []map[string]any
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := call(t, s, "POST", "/v1/webhooks", bearer(), tc.body)
			if tc.status >= 400 {
				requireError(t, rec, tc.status, tc.typ)
				return
			}
			require.Equal(t, 201, rec.Code, rec.Body.String())
			obj := decode(t, rec)
			assert.Regexp(t, `^wh_01[0-9A-Z]{8}$`, obj["id"])
			assert.Regexp(t, `^whsec_[0-9a-f]{32}$`, obj["secret"])
			assert.Equal(t, "active", obj["status"])
			assert.NotEmpty(t, obj["created_at"])
			created = append(created, obj)
		})
	}
	require.Len(t, created, 2)

	rec := call(t, s, "GET", "/v1/webhooks", bearer(), "")
	require.Equal(t, 200, rec.Code)
	assert.NotContains(t, rec.Body.String(), "secret", "the secret is shown only at creation")
	var list struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.Data, 2)
	assert.Equal(t, "Production event handler", list.Data[0]["description"])
	assert.Equal(t, []any{"call.ended", "summary.ready"}, list.Data[0]["events"])

	id := created[0]["id"].(string)
	rec = call(t, s, "DELETE", "/v1/webhooks/"+id, bearer(), "")
	require.Equal(t, 204, rec.Code)
	assert.Empty(t, rec.Body.String())
	requireError(t, call(t, s, "DELETE", "/v1/webhooks/"+id, bearer(), ""), 404, TypeNotFound)
	requireError(t, call(t, s, "DELETE", "/v1/webhooks/"+id, "", ""), 401, TypeUnauthenticated)
	rec = call(t, s, "GET", "/v1/webhooks", bearer(), "")
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.Data, 1)
	// Revont webhooks are a separate store: not listed by webhooks.list.
	rec = call(t, s, "POST", "/webhooks.list", bearer(), "{}")
	assert.JSONEq(t, `{"webhooks":[]}`, rec.Body.String())
}

func TestSimulatorEndpointsValidation(t *testing.T) {
	s, _ := newOffline(t)
	wh := create(t, s, "http://127.0.0.1:1/a", "work_created")
	id := wh["id"].(string)
	runAPICases(t, s, []apiCase{
		{"trigger: no type", "POST", "/simulator/events", `{}`, 400, TypeMissingRequiredField},
		{"trigger: unknown type", "POST", "/simulator/events", `{"type":"work_exploded"}`, 400, TypeInvalidEnumValue},
		{"trigger: count 0", "POST", "/simulator/events", `{"type":"work_created","count":0}`, 400, TypeInvalidField},
		{"trigger: count too big", "POST", "/simulator/events", `{"type":"work_created","count":1000001}`, 400, TypeInvalidField},
		{"trigger: count not a number", "POST", "/simulator/events", `{"type":"work_created","count":"3"}`, 400, TypeUnexpectedJSONType},
		{"trigger: payload not an object", "POST", "/simulator/events", `{"type":"work_created","payload":[1]}`, 400, TypeUnexpectedJSONType},
		{"trigger: duplicate_rate > 1", "POST", "/simulator/events", `{"type":"work_created","duplicate_rate":1.5}`, 400, TypeInvalidField},
		{"trigger: negative reorder", "POST", "/simulator/events", `{"type":"work_created","reorder_window":-1}`, 400, TypeInvalidField},
		{"trigger: negative drop_first", "POST", "/simulator/events", `{"type":"work_created","drop_first":-1}`, 400, TypeInvalidField},
		{"trigger: unknown field", "POST", "/simulator/events", `{"type":"work_created","colour":1}`, 400, TypeInvalidField},
		{"trigger: unknown webhook", "POST", "/simulator/events", `{"type":"work_created","webhook_id":"nope"}`, 404, TypeNotFound},
		{"trigger: webhook not subscribed", "POST", "/simulator/events", `{"type":"work_deleted","webhook_id":"` + id + `"}`, 409, TypeConflict},
		{"trigger: nobody active", "POST", "/simulator/events", `{"type":"work_created","count":2}`, 202, ""},
		{"trigger: with payload", "POST", "/simulator/events", `{"type":"work_created","payload":{"work":{"title":"x"}}}`, 202, ""},
		{"log: bad kind", "GET", "/simulator/deliveries?kind=x", ``, 400, TypeInvalidEnumValue},
		{"log: bad delivered", "GET", "/simulator/deliveries?delivered=maybe", ``, 400, TypeInvalidEnumValue},
		{"log: bad limit", "GET", "/simulator/deliveries?limit=-3", ``, 400, TypeInvalidField},
		{"log: bad status", "GET", "/simulator/deliveries?status=abc", ``, 400, TypeInvalidField},
		{"log: bad query", "GET", "/simulator/deliveries?%zz", ``, 400, TypeParseError},
		{"log", "GET", "/simulator/deliveries?webhook_id=" + id + "&kind=transition&limit=5", ``, 200, ""},
		{"faults: unknown webhook", "POST", "/simulator/faults", `{"webhook_id":"nope","drop_first":1}`, 404, TypeNotFound},
		{"faults: no webhook", "POST", "/simulator/faults", `{"drop_first":1}`, 400, TypeMissingRequiredField},
		{"faults: bad rate", "POST", "/simulator/faults", `{"webhook_id":"` + id + `","duplicate_rate":-0.1}`, 400, TypeInvalidField},
		{"faults", "POST", "/simulator/faults", `{"webhook_id":"` + id + `","duplicate_rate":0.5,"drop_first":1}`, 200, ""},
	})

	rec := call(t, s, "POST", "/simulator/events", bearer(), `{"type":"work_created"}`)
	require.Equal(t, 202, rec.Code)
	var tr TriggerResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &tr))
	assert.Empty(t, tr.Events, "an unverified webhook gets no object events")
	require.Len(t, tr.Skipped, 1)
	assert.Equal(t, "unverified", tr.Skipped[0].Status)

	rec = call(t, s, "GET", "/simulator/deliveries?webhook_id="+id, bearer(), "")
	var log struct {
		Entries []map[string]any `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &log))
	require.NotEmpty(t, log.Entries)
	assert.Equal(t, "transition", log.Entries[0]["kind"])
	assert.Equal(t, "unverified", log.Entries[0]["to"])
}

func TestClosedAnswers503(t *testing.T) {
	s, _ := newOffline(t)
	require.NoError(t, s.Close(t.Context()))
	requireError(t, call(t, s, "POST", "/webhooks.list", bearer(), "{}"), 503, TypeServiceUnavailable)
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	_, err = New(Config{Token: "t", Encoding: "rot13"})
	require.Error(t, err)
	_, err = New(Config{Token: "t", KeyEncoding: "hex"})
	require.Error(t, err)
	_, err = New(Config{Token: "t", Schedule: []time.Duration{-1}})
	require.Error(t, err)
	assert.Len(t, ErrorTypes(), 8)
	assert.True(t, strings.HasPrefix(NewToken(), "rvh_"))
}
