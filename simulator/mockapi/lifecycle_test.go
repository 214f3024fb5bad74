package mockapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/devrevschema"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
)

const token = "lifecycle-token"

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

type env struct {
	t    *testing.T
	ctx  context.Context
	fake *clock.Fake
	srv  *mockapi.Server
	rcv  *mocktest.Receiver
	// ownPayloads are the events triggered with a payload of the test's
	// own, which need not match DevRev's schema.
	ownPayloads map[string]bool
}

func newEnv(t *testing.T, mods ...func(*mockapi.Config)) *env {
	t.Helper()
	fake := clock.NewFake(t0)
	cfg := mockapi.Config{
		Token: token, Clock: fake, Seed: 1,
		Client: delivery.NewClient(delivery.ClientOptions{Timeout: 2 * time.Second}),
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := mockapi.New(cfg)
	require.NoError(t, err)
	rcv := mocktest.NewReceiver(fake)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	var e *env
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		assert.NoError(t, srv.Close(cctx))
		rcv.Close()
		cancel()
		// Every request the mock sent matches DevRev's webhooks.event schema.
		sch, err := devrevschema.Load()
		require.NoError(t, err)
		for _, r := range rcv.Requests() {
			if !e.ownPayloads[r.ID] {
				assert.NoError(t, sch.ValidateEvent(r.Body), "%s %s", r.Type, r.ID)
			}
		}
	})
	e = &env{t: t, ctx: ctx, fake: fake, srv: srv, rcv: rcv, ownPayloads: map[string]bool{}}
	return e
}

func (e *env) call(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if err := mockapi.CheckDevRevSchema(method, req.URL.Path, rec.Code, rec.Body.Bytes()); err != nil {
		e.t.Errorf("%s %s answered %d, which DevRev's schema does not allow: %v\n%s", method, path, rec.Code, err, rec.Body.String())
	}
	var out map[string]any
	if rec.Body.Len() > 0 {
		require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	}
	return rec.Code, out
}

func (e *env) create(types ...string) (id, secret string) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"url": e.rcv.URL, "event_types": types})
	code, out := e.call("POST", "/webhooks.create", string(b))
	require.Equal(e.t, http.StatusCreated, code, out)
	wh := out["webhook"].(map[string]any)
	return wh["id"].(string), wh["secret"].(string)
}

func (e *env) status(id string) string {
	e.t.Helper()
	code, out := e.call("GET", "/webhooks.get?id="+id, "")
	require.Equal(e.t, 200, code, out)
	return out["webhook"].(map[string]any)["status"].(string)
}

// sim reads the simulator's view of webhook id.
func (e *env) sim(id string) mockapi.SimWebhook {
	e.t.Helper()
	req := httptest.NewRequest("GET", "/simulator/webhooks/"+url.PathEscape(id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	require.Equal(e.t, http.StatusOK, rec.Code, rec.Body.String())
	var out struct{ Webhook mockapi.SimWebhook }
	require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &out))
	return out.Webhook
}

func (e *env) settle() { e.t.Helper(); require.NoError(e.t, mocktest.Settle(e.ctx, e.fake, e.srv)) }

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	require.NoError(e.t, mocktest.Advance(e.ctx, e.fake, e.srv, d))
}

func (e *env) trigger(body string) mockapi.TriggerResponse {
	e.t.Helper()
	req := httptest.NewRequest("POST", "/simulator/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	require.Equal(e.t, http.StatusAccepted, rec.Code, rec.Body.String())
	var tr mockapi.TriggerResponse
	require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &tr))
	return tr
}

func offsets(reqs []mocktest.Request) []time.Duration {
	out := make([]time.Duration, len(reqs))
	for i, r := range reqs {
		out[i] = r.At.Sub(t0)
	}
	return out
}

func TestVerifyThenDeliver(t *testing.T) {
	e := newEnv(t)
	id, secret := e.create("work_created")
	e.settle()
	verifies := e.rcv.Of("verify")
	require.Equal(t, 1, len(verifies))
	assert.True(t, verifies[0].SignedWith(secret))
	assert.Equal(t, id, verifies[0].WebhookID)
	assert.Equal(t, "active", e.status(id))
	tr := e.srv.Log().List(deliverylog.Filter{WebhookID: id, Kind: "transition"})
	require.Len(t, tr, 2)
	assert.Equal(t, "unverified", tr[1].From)
	assert.Equal(t, "active", tr[1].To)
	assert.Zero(t, e.fake.Waiters(), "no timer left once verified")

	resp := e.trigger(`{"type":"work_created","count":3,"payload":{"work":{"title":"Disk full"}}}`)
	for _, ev := range resp.Events {
		e.ownPayloads[ev.ID] = true
	}
	require.Len(t, resp.Events, 3)
	e.settle()
	got := e.rcv.Of("work_created")
	require.Equal(t, 3, len(got))
	for _, r := range got {
		assert.True(t, r.SignedWith(secret))
		assert.Contains(t, string(r.Body), `"work_created":{"work":{"title":"Disk full"}}`)
	}
	delivered := true
	assert.Len(t, e.srv.Log().List(deliverylog.Filter{WebhookID: id, Kind: "attempt", Delivered: &delivered}), 4)

	// Other types are not delivered to it.
	resp = e.trigger(`{"type":"work_deleted"}`)
	assert.Empty(t, resp.Events)
	e.settle()
	assert.Empty(t, e.rcv.Of("work_deleted"))
}

func TestVerifyWindowEnds(t *testing.T) {
	e := newEnv(t)
	e.rcv.AnswerVerify(mocktest.Answer{WrongChallenge: true})
	id, _ := e.create("work_created")
	e.advance(10 * time.Minute)
	assert.Equal(t, []time.Duration{0, 30 * time.Second, time.Minute, 90 * time.Second, 2 * time.Minute, 150 * time.Second},
		offsets(e.rcv.Of("verify")))
	assert.Equal(t, "unverified", e.status(id))
	assert.Zero(t, e.fake.Waiters())
	notes := e.srv.Log().List(deliverylog.Filter{WebhookID: id, Kind: "note"})
	require.NotEmpty(t, notes)
	assert.Contains(t, notes[len(notes)-1].Message, "stays unverified")
	assert.Empty(t, e.trigger(`{"type":"work_created"}`).Events)
}

func TestRetriesDegradedRecovery(t *testing.T) {
	e := newEnv(t, func(c *mockapi.Config) { c.DegradedAfter = 2 })
	id, _ := e.create("work_created")
	e.settle()
	require.Equal(t, "active", e.status(id))
	e.rcv.AnswerEvents(mocktest.Fail(500))
	e.rcv.AnswerVerify(mocktest.Fail(503))

	start := e.fake.Now()
	e.trigger(`{"type":"work_created"}`)
	e.advance(30 * time.Second)
	e.advance(3 * time.Minute)
	got := e.rcv.Of("work_created")
	require.Equal(t, 3, len(got))
	assert.Equal(t, []time.Duration{0, 30 * time.Second, 210 * time.Second},
		[]time.Duration{got[0].At.Sub(start), got[1].At.Sub(start), got[2].At.Sub(start)})
	assert.Equal(t, "active", e.status(id), "one exhausted event of two")

	assert.Equal(t, 1, e.sim(id).ConsecutiveFailures)

	e.trigger(`{"type":"work_created"}`)
	e.advance(3*time.Minute + 30*time.Second)
	assert.Equal(t, "active", e.status(id), "degraded is internal: DevRev's API shows active")
	v := e.sim(id)
	assert.Equal(t, "degraded", v.State)
	assert.Equal(t, "active", v.Status)
	assert.Equal(t, 2, v.ConsecutiveFailures)
	require.NotNil(t, v.Verify)
	assert.Equal(t, mockapi.VerifyReverify, v.Verify.Kind)
	require.NotNil(t, v.Verify.NextAt)
	assert.Equal(t, e.fake.Now().Add(time.Minute), *v.Verify.NextAt, "the first re-verify is due 60 s after degrading")
	require.NotNil(t, v.LastVerify)
	assert.True(t, v.LastVerify.OK, "the last verify was the one that activated it")
	assert.Equal(t, 6, len(e.rcv.Of("work_created")))
	tr := e.srv.Log().List(deliverylog.Filter{WebhookID: id, Kind: "transition"})
	last := tr[len(tr)-1]
	assert.Equal(t, "degraded", last.To)
	assert.Equal(t, "active", last.APIStatus)
	assert.Equal(t, 2, last.ConsecutiveFailures)
	assert.Equal(t, e.fake.Now().Add(time.Minute), last.NextVerify)

	// Degraded: new events fail without invocation.
	resp := e.trigger(`{"type":"work_created"}`)
	assert.Empty(t, resp.Events)
	require.Len(t, resp.Skipped, 1)
	e.advance(59 * time.Second)
	assert.Equal(t, 6, len(e.rcv.Of("work_created")))
	assert.Equal(t, 1, len(e.rcv.Of("verify")))
	e.advance(time.Second)
	assert.Equal(t, 2, len(e.rcv.Of("verify")), "re-verify after 60 s")
	assert.Equal(t, "active", e.status(id))
	v = e.sim(id)
	assert.Equal(t, "degraded", v.State)
	require.NotNil(t, v.LastVerify)
	assert.False(t, v.LastVerify.OK)
	assert.Equal(t, 503, v.LastVerify.Status)
	assert.Equal(t, 1, v.Verify.Attempts)
	assert.Equal(t, e.fake.Now().Add(time.Minute), *v.Verify.NextAt)

	e.rcv.AnswerVerify(mocktest.Echo)
	e.rcv.AnswerEvents(mocktest.OK)
	e.advance(60 * time.Second)
	assert.Equal(t, 3, len(e.rcv.Of("verify")))
	assert.Equal(t, "active", e.status(id))
	v = e.sim(id)
	assert.Equal(t, "active", v.State)
	assert.Nil(t, v.Verify, "no verify loop runs once active")
	require.Len(t, e.trigger(`{"type":"work_created"}`).Events, 1)
	e.settle()
	assert.Equal(t, 7, len(e.rcv.Of("work_created")))

	var path []string
	for _, en := range e.srv.Log().List(deliverylog.Filter{WebhookID: id, Kind: "transition"}) {
		path = append(path, en.To)
	}
	assert.Equal(t, []string{"unverified", "active", "degraded", "active"}, path)
}

// TestCancelledWorkIsNotIdle: work cancelled while waiting on the clock
// (a verify loop stopped, events waiting for a retry failed) still holds
// its timers until its goroutine wakes and stops them; the mock must not
// look idle (Pending equal to the timers) in that window, or Settle returns
// before the cancelled work is recorded.
func TestCancelledWorkIsNotIdle(t *testing.T) {
	tests := []struct {
		name string
		// setup leaves id's work waiting on the clock.
		setup func(e *env) (id string)
		note  string
	}{
		{"retries failed by delete", func(e *env) string {
			id, _ := e.create("work_created")
			e.settle()
			e.rcv.AnswerEvents(mocktest.Fail(500))
			e.trigger(`{"type":"work_created","count":5}`)
			return id
		}, "not delivered: the webhook was deleted"},
		{"verify loop stopped by delete", func(e *env) string {
			e.rcv.AnswerVerify(mocktest.Fail(500))
			id, _ := e.create("work_created")
			return id
		}, "deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := tt.setup(e)
			e.settle()
			require.NotZero(t, e.fake.Waiters(), "the work waits on the clock")

			code, out := e.call("POST", "/webhooks.delete", `{"id":"`+id+`"}`)
			require.Equal(t, http.StatusOK, code, out)
			// Read the count around the timers so both are of one moment.
			want, changed := e.srv.Pending()
			have := e.fake.Waiters()
			select {
			case <-changed:
			default:
				if have > 0 {
					assert.NotEqual(t, want, have, "cancelled work still holding timers looks idle")
				}
			}
			e.settle()
			assert.Zero(t, e.fake.Waiters(), "settled: every cancelled timer stopped")
			want, _ = e.srv.Pending()
			assert.Zero(t, want)
			var notes []string
			for _, en := range e.srv.Log().List(deliverylog.Filter{WebhookID: id, Kind: "note"}) {
				notes = append(notes, en.Message)
			}
			assert.Contains(t, strings.Join(notes, "\n"), tt.note)
		})
	}
}

func TestShutdownAbortsInFlight(t *testing.T) {
	e := newEnv(t, func(c *mockapi.Config) {
		c.Client = delivery.NewClient(delivery.ClientOptions{Timeout: time.Minute})
	})
	id, _ := e.create("work_created")
	e.settle()
	e.rcv.AnswerEvents(mocktest.Hang)
	e.trigger(`{"type":"work_created"}`)
	// Wait until the receiver holds the request.
	require.NoError(t, e.rcv.WaitFor(e.ctx, func(r []mocktest.Request) bool { return len(r) == 2 }))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, e.srv.Close(ctx))
	assert.Less(t, time.Since(start), 5*time.Second)
	att := e.srv.Log().List(deliverylog.Filter{WebhookID: id, EventID: e.rcv.Of("work_created")[0].ID, Kind: "attempt"})
	require.Len(t, att, 1)
	assert.False(t, att[0].Delivered)
	assert.NotEmpty(t, att[0].Error)
}

func TestPerWebhookFaults(t *testing.T) {
	e := newEnv(t)
	id, _ := e.create("work_created")
	e.settle()
	code, out := e.call("POST", "/simulator/faults", `{"webhook_id":"`+id+`","drop_first":1,"duplicate_rate":1}`)
	require.Equal(t, 200, code, out)
	assert.Equal(t, map[string]any{"drop_first": 1.0, "duplicate_rate": 1.0, "reorder_window": 0.0}, out["faults"])

	start := e.fake.Now()
	e.trigger(`{"type":"work_created"}`)
	e.settle()
	assert.Equal(t, 0, len(e.rcv.Of("work_created")), "the first attempt is dropped")
	e.advance(30 * time.Second)
	got := e.rcv.Of("work_created")
	require.Equal(t, 2, len(got), "second attempt delivered, then its duplicate")
	assert.Equal(t, 30*time.Second, got[0].At.Sub(start))
	assert.Equal(t, got[0].ID, got[1].ID)

	// A trigger's own settings override the webhook's.
	e.trigger(`{"type":"work_created","drop_first":0,"duplicate_rate":0}`)
	e.settle()
	assert.Equal(t, 3, len(e.rcv.Of("work_created")))
}
