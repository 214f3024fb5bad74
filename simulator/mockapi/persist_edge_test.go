package mockapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
	"github.com/revhook/revhook/simulator/store"
)

// Edge cases of the state file found in review: each failed before its fix.

// A resumed delivery cancelled while it waits for its retry (its webhook
// deactivated) ends in the state file.
func TestResumedDeliveryCancelledEnds(t *testing.T) {
	path, st := openStore(t)
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	id, _ := e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Fail(500))
	e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	e2, st2 := e.restart(path, st)
	require.Equal(t, 2, e2.srv.Queued())
	code, out := e2.call("POST", "/webhooks.update", `{"id":"`+id+`","action":"deactivate"}`)
	require.Equal(t, http.StatusOK, code, out)
	e2.settle()
	assert.Equal(t, 0, records(t, st2, store.Deliveries), "their records end with them")
	e2.rcv.AnswerEvents(mocktest.OK)
	code, out = e2.call("POST", "/webhooks.update", `{"id":"`+id+`","action":"activate"}`)
	require.Equal(t, http.StatusOK, code, out)
	e2.settle()
	e3, _ := e2.restart(path, st2)
	assert.Equal(t, 0, e3.srv.Queued(), "nothing of the deactivated period is resumed")
}

// An Ended record left behind without its group (a crash between the two
// deletes of dropIfDone) is not inherited by a new group.
func TestOrphanEndedBitsAreNotInherited(t *testing.T) {
	path, st := openStore(t)
	st.Put(store.Ended, store.U64(1), []byte{0xff}) // as a crash between Delete(Groups) and Delete(Ended) leaves it
	require.NoError(t, st.Sync())
	e := newEnv(t, func(c *mockapi.Config) { c.Store = st })
	e.activeHook("work_created")
	e.rcv.AnswerEvents(mocktest.Fail(500))
	e.trigger(`{"type":"work_created","count":2}`)
	e.settle()
	require.Equal(t, 2, records(t, st, store.Deliveries))
	e2, _ := e.restart(path, st)
	assert.Equal(t, 2, e2.srv.Queued(), "both failed deliveries resume")
}

// Restoring a file of many groups does not deadlock: restore must not read
// a batch (a read transaction) inside ForEach(Groups) (another one, open),
// or a commit of what restore queued that grows the file past its mapping
// waits for the outer one while the inner one waits for the commit.
func TestRestoreOfAManyGroupFileDoesNotDeadlock(t *testing.T) {
	_, st := openStore(t)
	payload := `{"work":{"id":"x"}}`
	for i := 1; i <= 20000; i++ {
		b, _ := json.Marshal(map[string]any{"type": "work_created", "precision": 9, "payloads": []json.RawMessage{json.RawMessage(payload)}})
		st.Put(store.Batches, store.U64(uint64(i)), b)
		g, _ := json.Marshal(map[string]any{"webhook": "gone", "batch": i, "ids": []string{fmt.Sprintf("gone:webhook_event/%011d", i)}})
		st.Put(store.Groups, store.U64(uint64(i)), g)
	}
	require.NoError(t, st.Sync())
	done := make(chan error, 1)
	go func() {
		srv, err := mockapi.New(mockapi.Config{Token: token, Clock: clock.NewFake(t0), Seed: 2, Store: st})
		if err == nil {
			t.Cleanup(func() { _ = srv.Close(context.Background()) })
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(60 * time.Second):
		t.Fatal("restore hung")
	}
}
