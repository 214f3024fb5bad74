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
func (e *env) restart(path string, st *store.Store) (*env, *store.Store) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(e.t, e.srv.Close(ctx))
	require.NoError(e.t, st.Close())
	st2, err := store.Open(path, 100)
	require.NoError(e.t, err)
	srv, err := mockapi.New(mockapi.Config{Token: token, Clock: e.fake, Seed: 2, Store: st2,
		Client: delivery.NewClient(delivery.ClientOptions{Timeout: 2 * time.Second})})
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
