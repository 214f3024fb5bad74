package mockapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hdrs renders name/value pairs as a JSON headers array.
func hdrs(pairs ...string) string {
	out := make([]map[string]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]string{"name": pairs[i], "value": pairs[i+1]})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func TestCreateHeaders(t *testing.T) {
	nine := make([]string, 0, 18)
	for i := 0; i < 9; i++ {
		nine = append(nine, fmt.Sprintf("x-h%d", i), "v")
	}
	tests := []struct {
		name    string
		headers string
		status  int
		typ     string
		field   string
	}{
		{"DevRev's x-api-key", hdrs("x-api-key", "k-123"), 201, "", ""},
		{"underscores and digits", hdrs("X_Team_2", "a b\tc"), 201, "", ""},
		{"eight headers", hdrs(nine[:16]...), 201, "", ""},
		{"empty list", `[]`, 201, "", ""},
		{"nine headers", hdrs(nine...), 400, TypeValueNotPermitted, "headers"},
		{"space in name", hdrs("x api", "v"), 400, TypeInvalidField, "headers[0].name"},
		{"colon in name", hdrs("x:api", "v"), 400, TypeInvalidField, "headers[0].name"},
		{"dot in name", hdrs("x.api", "v"), 400, TypeInvalidField, "headers[0].name"},
		{"non-ASCII name", hdrs("x-clé", "v"), 400, TypeInvalidField, "headers[0].name"},
		{"empty name", hdrs("", "v"), 400, TypeMissingRequiredField, "headers[0].name"},
		{"name too long", hdrs(strings.Repeat("n", 300), "v"), 400, TypeInvalidField, "headers[0].name"},
		{"signature reserved", hdrs("X-DevRev-Signature", "forged"), 400, TypeValueNotPermitted, "headers[0].name"},
		{"reserved in any case", hdrs("ok", "v", "x-devrev-signature", "forged"), 400, TypeValueNotPermitted, "headers[1].name"},
		{"content-type reserved", hdrs("Content-Type", "text/plain"), 400, TypeValueNotPermitted, "headers[0].name"},
		{"content-length reserved", hdrs("content-length", "1"), 400, TypeValueNotPermitted, "headers[0].name"},
		{"host reserved", hdrs("Host", "evil.test"), 400, TypeValueNotPermitted, "headers[0].name"},
		{"user-agent reserved", hdrs("User-Agent", "x"), 400, TypeValueNotPermitted, "headers[0].name"},
		{"transfer-encoding reserved", hdrs("Transfer-Encoding", "chunked"), 400, TypeValueNotPermitted, "headers[0].name"},
		{"duplicate name", hdrs("x-a", "1", "X-A", "2"), 400, TypeValueNotPermitted, "headers[1].name"},
		{"CRLF in value", hdrs("x-a", "v\r\nX-Evil: 1"), 400, TypeInvalidField, "headers[0].value"},
		{"NUL in value", hdrs("x-a", "v\x00"), 400, TypeInvalidField, "headers[0].value"},
		{"value with surrounding space", hdrs("x-a", " v"), 400, TypeInvalidField, "headers[0].value"},
		{"value too long", hdrs("x-a", strings.Repeat("v", 5000)), 400, TypeInvalidField, "headers[0].value"},
		{"missing value", `[{"name":"x-a"}]`, 400, TypeMissingRequiredField, "headers[0].value"},
		{"missing name", `[{"value":"v"}]`, 400, TypeMissingRequiredField, "headers[0].name"},
		{"unknown key", `[{"name":"x-a","value":"v","secret":true}]`, 400, TypeInvalidField, "secret"},
		{"not an array", `{"name":"x-a","value":"v"}`, 400, TypeUnexpectedJSONType, "headers"},
		{"value not a string", `[{"name":"x-a","value":1}]`, 400, TypeUnexpectedJSONType, "headers.value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newOffline(t)
			rec := call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"http://127.0.0.1:1/h","headers":`+tc.headers+`}`)
			if tc.status >= 400 {
				body := requireError(t, rec, tc.status, tc.typ)
				assert.Equal(t, tc.field, body["field_name"])
				return
			}
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			var created struct{ Webhook WebhookObject }
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
			var want []Header
			require.NoError(t, json.Unmarshal([]byte(tc.headers), &want))
			assert.Equal(t, want, nilIfEmpty(created.Webhook.Headers))
			get := call(t, s, http.MethodGet, "/webhooks.get?id="+created.Webhook.ID, bearer(), "")
			var got struct{ Webhook WebhookObject }
			require.NoError(t, json.Unmarshal(get.Body.Bytes(), &got))
			assert.Equal(t, want, nilIfEmpty(got.Webhook.Headers), "webhooks.get shows the headers")
		})
	}
}

func nilIfEmpty(h []Header) []Header {
	if len(h) == 0 {
		return []Header{}
	}
	return h
}

func TestUpdateHeaders(t *testing.T) {
	s, _ := newOffline(t)
	rec := call(t, s, http.MethodPost, "/webhooks.create", bearer(), `{"url":"http://127.0.0.1:1/h","headers":`+hdrs("x-a", "1", "x-b", "2")+`}`)
	require.Equal(t, 201, rec.Code, rec.Body.String())
	id := decode(t, rec)["webhook"].(map[string]any)["id"].(string)
	upd := func(headers string) string { return `{"id":"` + id + `","headers":` + headers + `}` }
	seven := make([]string, 0, 14)
	for i := 0; i < 7; i++ {
		seven = append(seven, fmt.Sprintf("x-s%d", i), "v")
	}

	tests := []struct {
		name, body string
		status     int
		typ, field string
		want       []Header // the headers after the update
	}{
		{"add replaces a value in place and appends", upd(`{"add":` + hdrs("X-A", "10", "x-c", "3") + `}`), 200, "", "",
			[]Header{{"X-A", "10"}, {"x-b", "2"}, {"x-c", "3"}}},
		{"remove ignores absent names, case-insensitive", upd(`{"remove":["X-B","x-nope"]}`), 200, "", "",
			[]Header{{"X-A", "10"}, {"x-c", "3"}}},
		{"remove then add", upd(`{"remove":["x-c"],"add":` + hdrs("x-d", "4") + `}`), 200, "", "",
			[]Header{{"X-A", "10"}, {"x-d", "4"}}},
		{"set replaces all", upd(`{"set":` + hdrs("x-api-key", "k") + `}`), 200, "", "",
			[]Header{{"x-api-key", "k"}}},
		{"empty object changes nothing", upd(`{}`), 200, "", "", []Header{{"x-api-key", "k"}}},
		{"add beyond eight", upd(`{"add":` + hdrs(seven...) + `}`), 200, "", "", nil},
		{"the ninth is refused", upd(`{"add":` + hdrs("x-ninth", "9") + `}`), 400, TypeValueNotPermitted, "headers", nil},
		{"set clears", upd(`{"set":[]}`), 200, "", "", []Header{}},
		{"reserved in add", upd(`{"add":` + hdrs("content-type", "x") + `}`), 400, TypeValueNotPermitted, "headers.add[0].name", nil},
		{"bad name in set", upd(`{"set":` + hdrs("a b", "x") + `}`), 400, TypeInvalidField, "headers.set[0].name", nil},
		{"bad value in add", upd(`{"add":` + hdrs("x-a", "\n") + `}`), 400, TypeInvalidField, "headers.add[0].value", nil},
		{"empty name in remove", upd(`{"remove":[""]}`), 400, TypeInvalidField, "headers.remove[0]", nil},
		{"nine in set", upd(`{"set":` + hdrs(append(seven, "x-8", "v", "x-9", "v")...) + `}`), 400, TypeValueNotPermitted, "headers.set", nil},
		{"unknown key", upd(`{"replace":[]}`), 400, TypeInvalidField, "replace", nil},
		{"an array is not DevRev's shape", upd(hdrs("x-a", "1")), 400, TypeUnexpectedJSONType, "headers", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := call(t, s, http.MethodPost, "/webhooks.get", bearer(), `{"id":"`+id+`"}`).Body.String()
			rec := call(t, s, http.MethodPost, "/webhooks.update", bearer(), tc.body)
			if tc.status >= 400 {
				body := requireError(t, rec, tc.status, tc.typ)
				assert.Equal(t, tc.field, body["field_name"])
				after := call(t, s, http.MethodPost, "/webhooks.get", bearer(), `{"id":"`+id+`"}`).Body.String()
				assert.JSONEq(t, before, after, "a refused update changes nothing")
				return
			}
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			var got struct{ Webhook WebhookObject }
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			if tc.want != nil {
				assert.Equal(t, tc.want, nilIfEmpty(got.Webhook.Headers))
			}
			list := call(t, s, http.MethodPost, "/webhooks.list", bearer(), `{}`)
			var all struct{ Webhooks []WebhookObject }
			require.NoError(t, json.Unmarshal(list.Body.Bytes(), &all))
			require.Len(t, all.Webhooks, 1)
			assert.Equal(t, got.Webhook.Headers, all.Webhooks[0].Headers, "webhooks.list shows the headers")
		})
	}
}
