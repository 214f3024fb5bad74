package harness

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// recorder is a receiver that keeps every request body and answers 200.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, b)
	rc.sigs = append(rc.sigs, r.Header.Get(signature.Header))
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func parsed(t *testing.T, b []byte) event.Event {
	t.Helper()
	ev, err := ParseEvent(b)
	require.NoError(t, err, "%s", b)
	return ev
}

// TestSweepsStopWaitingForAStalledReceiver: the one-at-a-time catalogue
// sweep and the series of sends cost about one deadline against a
// receiver that stopped answering, not one per request.
func TestSweepsStopWaitingForAStalledReceiver(t *testing.T) {
	const timeout = 100 * time.Millisecond
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	h := newHarness(t, srv.URL, func(o *Options) { o.Timeout = timeout })
	ctx := context.Background()

	sc := h.NewScenario("sweep", "sweep", "ACK-03", "MUST")
	start := time.Now()
	require.NoError(t, h.SendCatalogue(ctx, sc))
	took := time.Since(start)
	sent := sc.Sent()
	require.Greater(t, len(sent), 20)
	for _, x := range sent {
		assert.Error(t, x.Err)
	}
	assert.Less(t, took, time.Duration(len(sent)/4)*(timeout+timeout/2), "not one deadline per type (%s for %d)", took, len(sent))

	sc = h.NewScenario("series", "series", "ROB-01", "MUST")
	require.NoError(t, h.SendMalformedSeries(ctx, sc))
	assert.Len(t, sc.Sent(), 1, "the series stops at the first unanswered body")

	sc = h.NewScenario("order", "order", "ORD-01", "MUST")
	require.NoError(t, h.SendOutOfOrder(ctx, sc, "work_deleted, work_updated, work_created"))
	assert.Len(t, sc.Sent(), 1, "the deliveries stop at the first unanswered one")
}

func TestSendOutOfOrderTellsTheTrueOrder(t *testing.T) {
	rc := &recorder{}
	srv := serve(t, rc.ServeHTTP)
	h := newHarness(t, srv.URL, nil)
	sc := h.NewScenario("order", "order", "ORD-01", "MUST")
	require.NoError(t, h.SendOutOfOrder(context.Background(), sc, "work_deleted, work_updated, work_created"))
	require.Len(t, rc.bodies, 3)
	var evs []event.Event
	for _, b := range rc.bodies {
		evs = append(evs, parsed(t, b))
	}
	assert.Equal(t, []string{"work_deleted", "work_updated", "work_created"}, []string{evs[0].Type, evs[1].Type, evs[2].Type})
	assert.True(t, evs[2].Timestamp.Before(evs[1].Timestamp) && evs[1].Timestamp.Before(evs[0].Timestamp), "timestamps tell created < updated < deleted")
	ids := map[string]bool{}
	for _, ev := range evs {
		ids[ev.ID] = true
	}
	assert.Len(t, ids, 3, "each delivery has its own event id")
	work := func(ev event.Event) string {
		for _, k := range []string{"work", "old_work"} {
			if m, ok := ev.Payload[k].(map[string]any); ok {
				return m["id"].(string)
			}
		}
		s, _ := ev.Payload["id"].(string)
		return s
	}
	assert.Equal(t, work(evs[2]), work(evs[1]), "one work item")
	assert.Equal(t, work(evs[2]), work(evs[0]), "one work item")
	err := h.SendOutOfOrder(context.Background(), sc, "work_created, tag_created")
	assert.True(t, IsHarnessFailure(err))
}

func TestBurstsAndCopies(t *testing.T) {
	rc := &recorder{}
	srv := serve(t, rc.ServeHTTP)
	h := newHarness(t, srv.URL, nil)
	ctx := context.Background()

	sc := h.NewScenario("burst", "burst", "ACK-02", "MUST")
	require.NoError(t, h.SendBurst(ctx, sc, 12, BaseType))
	require.Len(t, sc.Sent(), 12)
	ids := map[string]bool{}
	var shape string
	for i, x := range sc.Sent() {
		require.NoError(t, x.Err)
		ids[parsed(t, x.Body).ID] = true
		if i == 0 {
			shape = string(withoutID(x.Body))
		}
		assert.Equal(t, shape, string(withoutID(x.Body)), "the same event but for its id")
		assert.Equal(t, h.Sign(x.Body), sigOf(x.Header))
	}
	assert.Len(t, ids, 12, "every delivery of a burst has its own id")

	sc = h.NewScenario("copies", "copies", "DUP-01", "MUST")
	require.NoError(t, h.SendSameConcurrently(ctx, sc, BaseType, 3))
	require.Len(t, sc.Sent(), 3)
	for _, x := range sc.Sent() {
		assert.Equal(t, sc.Sent()[0].Body, x.Body, "the same bytes")
		assert.Equal(t, sigOf(sc.Sent()[0].Header), sigOf(x.Header))
	}
	for _, n := range []int{0, MaxBurst + 1} {
		assert.True(t, IsHarnessFailure(h.SendBurst(ctx, sc, n, BaseType)), n)
	}
	assert.True(t, IsHarnessFailure(h.SendSameConcurrently(ctx, sc, BaseType, 1)))
}

// TestRestampedRetry: DevRev's retry keeps the id and payload and carries
// a new timestamp, later than the first attempt's even when the clock has
// not moved, and a new signature.
func TestRestampedRetry(t *testing.T) {
	rc := &recorder{}
	srv := serve(t, rc.ServeHTTP)
	h := newHarness(t, srv.URL, nil) // a fake clock that never moves
	sc := h.NewScenario("retry", "retry", "DUP-02", "MUST")
	ctx := context.Background()
	_, err := h.SendVaried(ctx, sc, BaseType, Correct(), "first")
	require.NoError(t, err)
	require.NoError(t, h.SendRestamped(ctx, sc, "retry"))
	require.Len(t, rc.bodies, 2)
	first, retry := parsed(t, rc.bodies[0]), parsed(t, rc.bodies[1])
	assert.Equal(t, first.ID, retry.ID)
	assert.Equal(t, first.Payload, retry.Payload)
	assert.True(t, retry.Timestamp.After(first.Timestamp), "%s after %s", retry.Timestamp, first.Timestamp)
	assert.Equal(t, string(withoutTimestamp(rc.bodies[0])), string(withoutTimestamp(rc.bodies[1])))
	assert.NotEqual(t, rc.sigs[0], rc.sigs[1])
	assert.Equal(t, h.Sign(rc.bodies[1]), rc.sigs[1])

	require.NoError(t, h.SendSame(ctx, sc, "again"))
	require.Len(t, rc.bodies, 3)
	assert.Equal(t, rc.bodies[1], rc.bodies[2])
	assert.Equal(t, rc.sigs[1], rc.sigs[2])
}

// TestSendCutWritesWhatItSays: a cut attempt carries the full
// Content-Length and exactly n body bytes, then the connection closes.
func TestSendCutWritesWhatItSays(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(conn) // until the harness closes
		got <- b
	}()
	h := newHarness(t, "http://"+ln.Addr().String()+"/hook?x=1", func(o *Options) { o.Header = http.Header{"X-Api-Key": {"k"}} })
	body := []byte(`{"id":"0123456789"}`)
	require.NoError(t, h.SendCut(context.Background(), body, SignedHeader("sig", false), 7))
	raw := <-got
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(raw))))
	require.NoError(t, err, "%q", raw)
	assert.Equal(t, "/hook?x=1", req.RequestURI)
	assert.Equal(t, strconv.Itoa(len(body)), req.Header.Get("Content-Length"))
	assert.Equal(t, "k", req.Header.Get("X-Api-Key"))
	assert.Equal(t, "sig", req.Header.Get(signature.Header))
	assert.True(t, strings.HasSuffix(string(raw), "\r\n\r\n"+string(body[:7])), "%q", raw)
}
