package mockapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
)

// activeHook creates a webhook and lets its verify succeed.
func (e *env) activeHook(types ...string) (id, secret string) {
	e.t.Helper()
	id, secret = e.create(types...)
	e.settle()
	require.Equal(e.t, "active", e.status(id))
	return id, secret
}

func TestTriggerAnswersQueuedCount(t *testing.T) {
	e := newEnv(t)
	e.activeHook("work_created")
	e.activeHook("work_created")
	tr := e.trigger(`{"type":"work_created","count":3}`)
	assert.Equal(t, 6, tr.Queued)
	assert.Len(t, tr.Events, 6)
	e.settle()
	assert.Len(t, e.rcv.Of("work_created"), 6)
	assert.Equal(t, 0, e.srv.Queued(), "every delivered event leaves the queue")
}

// A full queue refuses a trigger with 429 in DevRev's error shape and
// retry_after; once the events are delivered it takes triggers again.
func TestTriggerBeyondQueueLimitIs429(t *testing.T) {
	e := newEnv(t, func(c *mockapi.Config) { c.QueueLimit = 4 })
	e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Fail(500)) // events wait for their retries
	e.trigger(`{"type":"work_created","count":3}`)
	e.settle()
	assert.Equal(t, 3, e.srv.Queued())
	code, out := e.call("POST", "/simulator/events", `{"type":"work_created","count":2}`)
	require.Equal(t, http.StatusTooManyRequests, code, out)
	assert.Equal(t, mockapi.TypeTooManyRequests, out["type"])
	assert.Equal(t, 5.0, out["retry_after"])
	assert.NotEmpty(t, out["detail"])
	// One more fits.
	e.trigger(`{"type":"work_created","count":1}`)
	e.rcv.AnswerEvents(mocktest.OK)
	e.advance(30 * time.Second)
	assert.Equal(t, 0, e.srv.Queued())
	e.trigger(`{"type":"work_created","count":4}`)
}

// The API answers while a trigger's deliveries are in flight: a hanging
// receiver holds attempts, never the server's lock.
func TestAPIRespondsWhileDelivering(t *testing.T) {
	e := newEnv(t)
	id, _ := e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Hang)
	// Every event is in flight at once (count < Concurrency), so none is
	// being sent when the test ends.
	e.trigger(`{"type":"work_created","count":3}`)
	require.NoError(t, e.rcv.WaitFor(e.ctx, func(r []mocktest.Request) bool { return len(r) == 4 }))
	code, out := e.call("POST", "/webhooks.list", `{}`)
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, "active", e.status(id))
	assert.Equal(t, 3, e.srv.Queued())
}

func TestReplay(t *testing.T) {
	e := newEnv(t)
	id, secret := e.activeHook("work_created")
	tr := e.trigger(`{"type":"work_created"}`)
	e.settle()
	first := e.rcv.Of("work_created")
	require.Len(t, first, 1)
	evID := tr.Events[0].ID

	e.fake.Advance(time.Minute) // the replay is a new invocation: a new timestamp
	code, out := e.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	require.Equal(t, http.StatusAccepted, code, out)
	assert.Equal(t, map[string]any{"event_id": evID, "webhook_id": id}, out)
	e.settle()
	got := e.rcv.Of("work_created")
	require.Len(t, got, 2)
	assert.Equal(t, evID, got[1].ID)
	assert.NotEqual(t, first[0].Timestamp, got[1].Timestamp)
	assert.NotEqual(t, first[0].Signature, got[1].Signature)
	assert.True(t, got[1].SignedWith(secret))
	entries := e.srv.Log().List(deliverylog.Filter{EventID: evID, Kind: deliverylog.KindAttempt})
	require.Len(t, entries, 2)
	assert.False(t, entries[0].Replay)
	assert.True(t, entries[1].Replay)
	assert.True(t, entries[1].Delivered)

	// One replay of an event at a time.
	e.rcv.AnswerEvents(mocktest.Fail(500))
	code, _ = e.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	require.Equal(t, http.StatusAccepted, code)
	e.settle() // its first attempt failed; the retry waits
	code, out = e.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	assert.Equal(t, http.StatusConflict, code, out)
	e.rcv.AnswerEvents(mocktest.OK)
	e.advance(30 * time.Second)
	code, _ = e.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	assert.Equal(t, http.StatusAccepted, code, "once the replay ended")
	e.settle()

	code, out = e.call("POST", "/simulator/replay", `{"event_id":"don:nope"}`)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, mockapi.TypeNotFound, out["type"])
	code, out = e.call("POST", "/simulator/replay", `{}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, mockapi.TypeMissingRequiredField, out["type"])
}
