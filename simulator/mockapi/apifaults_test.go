package mockapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIFaultsEveryErrorType(t *testing.T) {
	for _, typ := range ErrorTypes() {
		t.Run(typ, func(t *testing.T) {
			s, _ := newOffline(t)
			create(t, s, "http://127.0.0.1:1/x")
			rec := call(t, s, "POST", "/simulator/api-faults", bearer(), `{"type":"`+typ+`","count":2}`)
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			// An endpoint whose DevRev schema declares the error's status.
			method, path, body := "POST", "/webhooks.list", `{}`
			switch typ {
			case TypeNotFound:
				path, body = "/webhooks.get", `{"id":"webhook-1"}`
			case TypeConflict:
				method, path, body = "GET", "/v1/webhooks", ""
			}
			for i := 0; i < 2; i++ {
				rec = call(t, s, method, path, bearer(), body)
				body := requireError(t, rec, statusOf[typ], typ)
				switch typ {
				case TypeTooManyRequests:
					assert.EqualValues(t, 1, body["retry_after"])
					assert.Equal(t, "1", rec.Header().Get("Retry-After"))
				case TypeInternalError:
					assert.NotEmpty(t, body["reference_id"])
				default:
					assert.NotContains(t, body, "retry_after")
					assert.NotContains(t, body, "reference_id")
				}
			}
			rec = call(t, s, "POST", "/webhooks.list", bearer(), `{}`)
			require.Equal(t, 200, rec.Code, "the fault is used up after count calls")
			rec = call(t, s, method, path, bearer(), body)
			require.Less(t, rec.Code, 500, "the fault is used up after count calls: %s", rec.Body.String())
			require.NotEqual(t, statusOf[typ], rec.Code, "the fault is used up after count calls: %s", rec.Body.String())
		})
	}
}

func TestAPIFaultsPathAndValidation(t *testing.T) {
	s, _ := newOffline(t)
	rec := call(t, s, "POST", "/simulator/api-faults", bearer(), `{"type":"too_many_requests","path":"/webhooks.create","retry_after":30}`)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.Equal(t, 200, call(t, s, "POST", "/webhooks.list", bearer(), `{}`).Code, "other endpoints are not affected")
	body := requireError(t, call(t, s, "POST", "/webhooks.create", bearer(), seedCreateBody), 429, TypeTooManyRequests)
	assert.EqualValues(t, 30, body["retry_after"])
	require.Equal(t, 201, call(t, s, "POST", "/webhooks.create", bearer(), seedCreateBody).Code)

	require.Equal(t, 201, call(t, s, "POST", "/simulator/api-faults", bearer(), `{"type":"not_found","path":"/v1/webhooks"}`).Code)
	requireError(t, call(t, s, "DELETE", "/v1/webhooks/wh_x", bearer(), ""), 404, TypeNotFound)
	require.Equal(t, 201, call(t, s, "POST", "/simulator/api-faults", bearer(), `{"type":"forbidden","count":5}`).Code)
	require.Equal(t, 202, call(t, s, "POST", "/simulator/events", bearer(), `{"type":"work_created"}`).Code, "simulator endpoints never get injected faults")
	require.Equal(t, 200, call(t, s, "GET", "/simulator/deliveries", bearer(), "").Code)
	requireError(t, call(t, s, "POST", "/webhooks.list", bearer(), `{}`), 403, TypeForbidden)
	rec = call(t, s, "DELETE", "/simulator/api-faults", bearer(), "")
	require.Equal(t, 200, rec.Code)
	assert.JSONEq(t, `{"cleared":1}`, rec.Body.String())
	require.Equal(t, 200, call(t, s, "POST", "/webhooks.list", bearer(), `{}`).Code)

	for name, tc := range map[string]struct{ body, typ string }{
		"unknown type":                      {`{"type":"teapot"}`, TypeInvalidEnumValue},
		"no type":                           {`{}`, TypeMissingRequiredField},
		"zero count":                        {`{"type":"forbidden","count":0}`, TypeInvalidField},
		"simulator path":                    {`{"type":"forbidden","path":"/simulator/events"}`, TypeInvalidField},
		"unknown path":                      {`{"type":"forbidden","path":"/nope"}`, TypeInvalidField},
		"negative retry":                    {`{"type":"too_many_requests","retry_after":-1}`, TypeInvalidField},
		"unknown field":                     {`{"type":"forbidden","when":"now"}`, TypeInvalidField},
		"count of wrong type":               {`{"type":"forbidden","count":"2"}`, TypeUnexpectedJSONType},
		"status DevRev never answers there": {`{"type":"not_found","path":"/webhooks.list"}`, TypeValueNotPermitted},
		"conflict on a DevRev endpoint":     {`{"type":"conflict","path":"/webhooks.create"}`, TypeValueNotPermitted},
	} {
		t.Run(name, func(t *testing.T) {
			requireError(t, call(t, s, "POST", "/simulator/api-faults", bearer(), tc.body), 400, tc.typ)
		})
	}
}
