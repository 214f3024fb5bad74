package mockapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
	"github.com/revhook/revhook/simulator/store"
)

// restart closes e's server and store and returns an env on a new server
// reading the same file, with the same clock and receiver.
func (e *env) restart(path string, st *store.Store, mods ...func(*mockapi.Config)) (*env, *store.Store) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(e.t, e.srv.Close(ctx))
	require.NoError(e.t, st.Close())
	st2, err := store.Open(path, 100)
	require.NoError(e.t, err)
	cfg := mockapi.Config{Token: token, Clock: e.fake, Seed: 2, Store: st2,
		Client: delivery.NewClient(delivery.ClientOptions{Timeout: 2 * time.Second})}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := mockapi.New(cfg)
	require.NoError(e.t, err)
	e.t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		assert.NoError(e.t, srv.Close(cctx))
		assert.NoError(e.t, st2.Close())
	})
	return &env{t: e.t, ctx: e.ctx, fake: e.fake, srv: srv, rcv: e.rcv, ownPayloads: e.ownPayloads}, st2
}

func openStore(t *testing.T) (string, *store.Store) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, 100)
	require.NoError(t, err)
	return path, st
}

// After a restart the webhook is there, with its secret, and each pending
// retry is made when it falls due, as the next attempt of the same event.
func TestRestartResumesPendingRetries(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	id, secret := e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Fail(500))
	tr := e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	require.Len(t, e.rcv.Of("work_created"), 2)
	e.advance(10 * time.Second) // 20 s left before the retries

	e2, _ := e.restart(path, st)
	code, out := e2.call("POST", "/webhooks.get", `{"id":"`+id+`"}`)
	require.Equal(t, http.StatusOK, code, out)
	wh := out["webhook"].(map[string]any)
	assert.Equal(t, secret, wh["secret"])
	assert.Equal(t, "active", wh["status"])
	assert.Equal(t, 2, e2.srv.Queued())

	e2.rcv.AnswerEvents(mocktest.OK)
	e2.advance(19 * time.Second)
	assert.Len(t, e2.rcv.Of("work_created"), 2, "not before the retry is due")
	e2.advance(time.Second)
	got := e2.rcv.Of("work_created")
	require.Len(t, got, 4)
	assert.ElementsMatch(t, []string{tr.Events[0].ID, tr.Events[1].ID}, []string{got[2].ID, got[3].ID})
	assert.True(t, got[2].SignedWith(secret))
	for _, ev := range tr.Events {
		entries := e2.srv.Log().List(deliverylog.Filter{EventID: ev.ID, Kind: deliverylog.KindAttempt})
		require.Len(t, entries, 2, "the log survives the restart")
		assert.Equal(t, 2, entries[1].Attempt)
		assert.True(t, entries[1].Delivered)
	}
	assert.Equal(t, 0, e2.srv.Queued())
}

// A delivery whose attempt was in flight at the shutdown is made again.
func TestRestartRedoesAttemptInFlight(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Hang)
	tr := e.trigger(`{"type":"work_created"}`)
	require.NoError(t, e.rcv.WaitFor(e.ctx, func(r []mocktest.Request) bool { return len(r) == 2 }))
	e2, _ := e.restart(path, st)
	notes := e2.srv.Log().List(deliverylog.Filter{EventID: tr.Events[0].ID, Kind: mockapi.KindNote})
	require.Len(t, notes, 1)
	assert.Contains(t, notes[0].Message, "serve resumes it", "not a 'not delivered' it is about to contradict")
	e2.rcv.AnswerEvents(mocktest.OK)
	e2.settle()
	got := e2.rcv.Of("work_created")
	require.Len(t, got, 2)
	assert.Equal(t, tr.Events[0].ID, got[1].ID)
}

// Memory mode (no Store) writes nothing and restores nothing.
func TestMemoryModeKeepsNothing(t *testing.T) {
	e := newEnv(t)
	e.activeHook("work_created")
	fresh := newEnv(t)
	code, out := fresh.call("POST", "/webhooks.list", `{}`)
	require.Equal(t, http.StatusOK, code)
	assert.Empty(t, out["webhooks"])
}

// A state file that can no longer be written makes a change answer 503 in
// DevRev's error shape, never a silent success.
func TestWriteFailureIs503(t *testing.T) {
	_, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	require.NoError(t, st.Close()) // every later write fails
	code, out := e.call("POST", "/simulator/faults", `{"webhook_id":"nope"}`)
	assert.Equal(t, http.StatusNotFound, code, "a refused request writes nothing: %v", out)
	b, _ := json.Marshal(map[string]any{"url": e.rcv.URL, "event_types": []string{"work_created"}})
	code, out = e.call("POST", "/webhooks.create", string(b))
	require.Equal(t, http.StatusServiceUnavailable, code, out)
	assert.Equal(t, mockapi.TypeServiceUnavailable, out["type"])
	assert.Contains(t, out["detail"], "state file")
	code, out = e.call("POST", "/webhooks.list", `{}`)
	require.Equal(t, http.StatusOK, code)
	assert.Empty(t, out["webhooks"], "the refused webhook is not kept")
}

// An event delivered before a restart can be replayed after it: same id,
// fresh timestamp and signature, logged as a replay.
func TestRestartKeepsReplayableEvents(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	id, secret := e.activeHook("work_created")
	tr := e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	before := e.rcv.Of("work_created")
	require.Len(t, before, 2)

	e2, _ := e.restart(path, st)
	e2.fake.Advance(time.Minute)
	evID := tr.Events[1].ID
	code, out := e2.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	require.Equal(t, http.StatusAccepted, code, out)
	assert.Equal(t, map[string]any{"event_id": evID, "webhook_id": id}, out)
	e2.settle()
	got := e2.rcv.Of("work_created")
	require.Len(t, got, 3)
	assert.Equal(t, evID, got[2].ID)
	orig := before[0]
	if orig.ID != evID {
		orig = before[1]
	}
	assert.Equal(t, field(t, orig.Body, "work_created"), field(t, got[2].Body, "work_created"), "the same event, rebuilt from the state file")
	assert.NotEqual(t, orig.Timestamp, got[2].Timestamp)
	assert.True(t, got[2].SignedWith(secret))
	entries := e2.srv.Log().List(deliverylog.Filter{EventID: evID, Kind: deliverylog.KindAttempt})
	require.Len(t, entries, 2)
	assert.True(t, entries[1].Replay)
}

// The state file keeps a trigger only while one of its events can be
// replayed or is pending: past the replay window its records go, before
// and after a restart.
func TestReplayWindowPrunesStateFile(t *testing.T) {
	keep := func(c *mockapi.Config) { c.ReplayKeep = 2 }
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st; keep(c) })
	e.activeHook("work_created")
	first := e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	require.Equal(t, 1, records(t, st, store.Batches))
	last := e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	assert.Equal(t, 1, records(t, st, store.Batches), "the first trigger left the window")
	assert.Equal(t, 1, records(t, st, store.Groups))

	e2, st2 := e.restart(path, st, keep)
	code, _ := e2.call("POST", "/simulator/replay", `{"event_id":"`+first.Events[0].ID+`"}`)
	assert.Equal(t, http.StatusNotFound, code)
	code, out := e2.call("POST", "/simulator/replay", `{"event_id":"`+last.Events[0].ID+`"}`)
	require.Equal(t, http.StatusAccepted, code, out)
	e2.settle()
	e2.trigger(`{"type":"work_created","count":2}`)
	e2.settle()
	assert.Equal(t, 1, records(t, st2, store.Batches))
	assert.Equal(t, 1, records(t, st2, store.Groups))
}

// Webhooks of the Revont-style API survive a restart, in their order.
func TestRestartKeepsRevontWebhooks(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	var ids []string
	for _, ev := range []string{"call.ended", "call.started", "sms.received"} {
		code, out := e.call("POST", "/v1/webhooks", `{"url":"https://x.test/hook","events":["`+ev+`"]}`)
		require.Equal(t, http.StatusCreated, code, out)
		ids = append(ids, out["id"].(string))
	}
	code, out := e.call("DELETE", "/v1/webhooks/"+ids[1], "")
	require.Equal(t, http.StatusNoContent, code, out)

	e2, _ := e.restart(path, st)
	code, out = e2.call("GET", "/v1/webhooks", "")
	require.Equal(t, http.StatusOK, code, out)
	var got []string
	for _, h := range out["data"].([]any) {
		got = append(got, h.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{ids[0], ids[2]}, got)
}

// A webhooks.fetch delivery waiting for its retry resumes after a restart.
func TestRestartResumesFetchedObjectRetry(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	id, _ := e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Fail(500))
	code, out := e.call("POST", "/webhooks.fetch", `{"id":"`+id+`","object":"ISS-12"}`)
	require.Equal(t, http.StatusOK, code, out)
	e.settle()
	require.Len(t, e.rcv.Of("work_fetched"), 1)

	e2, _ := e.restart(path, st)
	assert.Equal(t, 1, e2.srv.Queued())
	e2.rcv.AnswerEvents(mocktest.OK)
	e2.advance(30 * time.Second)
	got := e2.rcv.Of("work_fetched")
	require.Len(t, got, 2)
	assert.Equal(t, e.rcv.Of("work_fetched")[0].ID, got[1].ID)
	assert.Equal(t, 0, e2.srv.Queued())
}

// records counts the committed records of bucket.
func records(t *testing.T, st *store.Store, bucket string) int {
	t.Helper()
	require.NoError(t, st.Sync())
	n := 0
	require.NoError(t, st.ForEach(bucket, func(_, _ []byte) error { n++; return nil }))
	return n
}

// field is the raw value of an envelope's top-level field.
func field(t *testing.T, body []byte, name string) string {
	t.Helper()
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &env))
	require.Contains(t, env, name)
	return string(env[name])
}

// The state file holds a trigger as its payloads and one record per
// webhook; a delivery gets a record of its own only once an attempt failed,
// and after a restart only deliveries that had not ended are resumed.
func TestStateFileIsCompact(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	e.activeHook("work_created")
	e.activeHook("work_created")
	e.trigger(`{"type":"work_created","count":3}`)
	e.settle()
	require.Len(t, e.rcv.Of("work_created"), 6)
	assert.Equal(t, 1, records(t, st, store.Batches))
	assert.Equal(t, 2, records(t, st, store.Groups), "one per webhook")
	assert.Equal(t, 0, records(t, st, store.Deliveries), "nothing per delivery")

	e.rcv.AnswerEvents(mocktest.Fail(500))
	e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	assert.Equal(t, 4, records(t, st, store.Deliveries), "one per failed delivery")

	e2, st2 := e.restart(path, st)
	assert.Equal(t, 4, e2.srv.Queued(), "the delivered events are not sent again")
	e2.rcv.AnswerEvents(mocktest.OK)
	e2.advance(30 * time.Second)
	assert.Len(t, e2.rcv.Of("work_created"), 10+4)
	assert.Equal(t, 0, e2.srv.Queued())
	assert.Equal(t, 0, records(t, st2, store.Deliveries))
}

// Deliveries a deactivated webhook never got end in the state file too —
// those not yet handed to the engine, and those it held in a reorder
// window — so a webhook activated again does not receive them after a
// restart.
func TestDeactivationEndsQueuedDeliveriesInStateFile(t *testing.T) {
	for name, trigger := range map[string]string{
		"queued":                   `{"type":"work_created","count":40}`, // more than are sent at once
		"held in a reorder window": `{"type":"work_created","count":60,"reorder_window":30}`,
	} {
		t.Run(name, func(t *testing.T) {
			path, st := openStore(t)
			conc := func(c *mockapi.Config) { c.Concurrency = 2 }
			e := newEnv(t, func(c *mockapi.Config) { c.Store = st; conc(c) })
			id, _ := e.activeHook("work_created")
			e.rcv.AnswerEvents(mocktest.Hang)
			e.trigger(trigger)
			require.NoError(t, e.rcv.WaitFor(e.ctx, func(r []mocktest.Request) bool { return len(r) > 2 }))
			code, out := e.call("POST", "/webhooks.update", `{"id":"`+id+`","action":"deactivate"}`)
			require.Equal(t, http.StatusOK, code, out)
			e.settle()
			e.rcv.AnswerEvents(mocktest.OK)
			code, out = e.call("POST", "/webhooks.update", `{"id":"`+id+`","action":"activate"}`)
			require.Equal(t, http.StatusOK, code, out)
			e.settle()
			require.Equal(t, "active", e.status(id))

			e2, _ := e.restart(path, st, conc)
			assert.Equal(t, 0, e2.srv.Queued(), "nothing of the deactivated period is resumed")
		})
	}
}

// A replay waiting for its retry at a restart resumes after it, and stays
// the one replay of its event until it ends.
func TestRestartResumesReplayInProgress(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	e.activeHook("work_created")
	tr := e.trigger(`{"type":"work_created"}`)
	e.settle()
	evID := tr.Events[0].ID
	e.rcv.AnswerEvents(mocktest.Fail(500))
	code, out := e.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	require.Equal(t, http.StatusAccepted, code, out)
	e.settle() // its first attempt failed; the retry waits

	e2, _ := e.restart(path, st)
	code, out = e2.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	assert.Equal(t, http.StatusConflict, code, out)
	e2.rcv.AnswerEvents(mocktest.OK)
	e2.advance(30 * time.Second)
	entries := e2.srv.Log().List(deliverylog.Filter{EventID: evID, Kind: deliverylog.KindAttempt})
	require.Len(t, entries, 3)
	assert.True(t, entries[2].Replay)
	assert.True(t, entries[2].Delivered)
	code, out = e2.call("POST", "/simulator/replay", `{"event_id":"`+evID+`"}`)
	assert.Equal(t, http.StatusAccepted, code, out)
	e2.settle()
}
