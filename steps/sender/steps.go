// Package sender holds the godog step definitions of features/sender: the
// Gherkin proof of the mock DevRev's own behaviour (verify window, retry
// schedule, deadline, degraded state, updates, subscriptions).
//
// Every scenario gets a fresh mock (simulator/mockapi) on a clock.Fake and
// scripted receivers (mockapi/mocktest); time moves only when a step says so,
// through mocktest.Advance, so minutes of protocol time take milliseconds and
// every spacing is exact.
package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/delivery"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/devrevschema"
	"github.com/revhook/revhook/simulator/mockapi"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
	"github.com/revhook/revhook/simulator/webhook"
)

// scenarioTimeout bounds the real time one scenario may take.
const scenarioTimeout = 30 * time.Second

const token = "sender-features-token"

// epoch is the fake clock's start.
var epoch = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// world is one scenario's state.
type world struct {
	ctx    context.Context
	cancel context.CancelFunc
	fake   *clock.Fake
	cfg    mockapi.Config
	srv    *mockapi.Server

	rcv, rcv2 *mocktest.Receiver

	hookID, secret, oldSecret string
	createdAt                 time.Time
	createCode                int
	createBody                map[string]any
	lastWebhook               map[string]any
	rotationMark              int // receiver request count at the last secret change

	trigger   mockapi.TriggerResponse
	triggerAt time.Time
}

func newWorld() *world {
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	fake := clock.NewFake(epoch)
	return &world{ctx: ctx, cancel: cancel, fake: fake, cfg: mockapi.Config{Token: token, Clock: fake, Seed: 1}}
}

func (w *world) close() {
	if w.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = w.srv.Close(ctx)
		cancel()
	}
	for _, r := range []*mocktest.Receiver{w.rcv, w.rcv2} {
		if r != nil {
			r.Close()
		}
	}
	w.cancel()
}

// mock returns the running mock, starting it on first use.
func (w *world) mock() (*mockapi.Server, error) {
	if w.srv != nil {
		return w.srv, nil
	}
	srv, err := mockapi.New(w.cfg)
	if err != nil {
		return nil, fmt.Errorf("start the mock: %w", err)
	}
	w.srv = srv
	return srv, nil
}

func (w *world) configure(f func(*mockapi.Config)) error {
	if w.srv != nil {
		return errors.New("configure the mock before the first webhook is created")
	}
	f(&w.cfg)
	return nil
}

// call sends one API request to the mock.
func (w *world) call(method, path string, body any) (int, map[string]any, error) {
	srv, err := w.mock()
	if err != nil {
		return 0, nil, err
	}
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if err := devrevAnswer(method, req.URL.Path, rec.Code, rec.Body.Bytes()); err != nil {
		return rec.Code, nil, err
	}
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			return rec.Code, nil, fmt.Errorf("%s %s: answer is not JSON: %s", method, path, rec.Body.String())
		}
	}
	return rec.Code, out, nil
}

// devrevAnswer checks an answer of DevRev's webhooks API (/webhooks.*)
// against DevRev's schema, so every scenario also checks the mock's API.
func devrevAnswer(method, path string, status int, body []byte) error {
	if !strings.HasPrefix(path, "/webhooks.") {
		return nil
	}
	sch, err := devrevschema.Load()
	if err != nil {
		return err
	}
	if err := sch.ValidateResponse(method, path, status, body); err != nil {
		return fmt.Errorf("%s %s answered %d, which DevRev's schema does not allow: %w", method, path, status, err)
	}
	return nil
}

func (w *world) settle() error {
	if w.srv == nil {
		return nil
	}
	return mocktest.Settle(w.ctx, w.fake, w.srv)
}

func (w *world) receiver(which string) (*mocktest.Receiver, error) {
	switch which {
	case "receiver", "the receiver":
		if w.rcv == nil {
			return nil, errors.New("no receiver yet")
		}
		return w.rcv, nil
	case "second receiver", "the second receiver":
		if w.rcv2 == nil {
			return nil, errors.New("no second receiver yet")
		}
		return w.rcv2, nil
	}
	return nil, fmt.Errorf("unknown receiver %q", which)
}

// withReceiver applies f to the receiver named which.
func (w *world) withReceiver(which string, f func(*mocktest.Receiver)) error {
	r, err := w.receiver(which)
	if err != nil {
		return err
	}
	f(r)
	return nil
}

// --- Given ---------------------------------------------------------------

func (w *world) aReceiver() error {
	w.rcv = mocktest.NewReceiver(w.fake)
	return nil
}

func (w *world) aSecondReceiverAnsweringVerify(status int) error {
	w.rcv2 = mocktest.NewReceiver(w.fake)
	w.rcv2.AnswerVerify(mocktest.Fail(status))
	return nil
}

func (w *world) degradesAfter(n, seconds int) error {
	return w.configure(func(c *mockapi.Config) {
		c.DegradedAfter = n
		c.ReverifyEvery = time.Duration(seconds) * time.Second
	})
}

func (w *world) deadline(ms int) error {
	return w.configure(func(c *mockapi.Config) {
		c.Client = delivery.NewClient(delivery.ClientOptions{Timeout: time.Duration(ms) * time.Millisecond})
	})
}

func (w *world) answerVerify(which string, status int) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerVerify(mocktest.Fail(status)) })
}

func (w *world) answerVerifyWrong(which string) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerVerify(mocktest.Answer{WrongChallenge: true}) })
}

func (w *world) neverAnswerVerify(which string) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerVerify(mocktest.Hang) })
}

func (w *world) echoAgain(which string) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerVerify(mocktest.Echo) })
}

func (w *world) answerEvents(which string, status int) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerEvents(mocktest.Fail(status)) })
}

func (w *world) neverAnswerEvents(which string) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerEvents(mocktest.Hang) })
}

func (w *world) acknowledgeEvents(which string) error {
	return w.withReceiver(which, func(r *mocktest.Receiver) { r.AnswerEvents(mocktest.OK) })
}

func splitList(s string) []string {
	s = strings.ReplaceAll(s, " and ", ",")
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) createFor(types string) error {
	if w.rcv == nil {
		return errors.New("no receiver to register")
	}
	w.createdAt = w.fake.Now()
	code, body, err := w.call(http.MethodPost, "/webhooks.create", map[string]any{"url": w.rcv.URL, "event_types": splitList(types)})
	if err != nil {
		return err
	}
	w.createCode, w.createBody = code, body
	if code != http.StatusCreated {
		return fmt.Errorf("webhooks.create answered %d: %v", code, body)
	}
	wh, _ := body["webhook"].(map[string]any)
	w.hookID, _ = wh["id"].(string)
	w.secret, _ = wh["secret"].(string)
	return w.settle()
}

func (w *world) anActiveWebhook(types string) error {
	if err := w.createFor(types); err != nil {
		return err
	}
	return w.webhookIs("active")
}

// --- When ----------------------------------------------------------------

func (w *world) pass(n int, unit string) error {
	d := time.Duration(n) * time.Second
	if strings.HasPrefix(unit, "minute") {
		d = time.Duration(n) * time.Minute
	}
	if _, err := w.mock(); err != nil {
		return err
	}
	return mocktest.Advance(w.ctx, w.fake, w.srv, d)
}

func (w *world) triggerEvents(n int, typ string, extra map[string]any) error {
	body := map[string]any{"type": typ, "count": n}
	for k, v := range extra {
		body[k] = v
	}
	w.triggerAt = w.fake.Now()
	code, out, err := w.call(http.MethodPost, "/simulator/events", body)
	if err != nil {
		return err
	}
	if code != http.StatusAccepted {
		return fmt.Errorf("POST /simulator/events answered %d: %v", code, out)
	}
	b, _ := json.Marshal(out)
	w.trigger = mockapi.TriggerResponse{}
	if err := json.Unmarshal(b, &w.trigger); err != nil {
		return err
	}
	return w.settle()
}

func (w *world) triggerOne(typ string) error { return w.triggerEvents(1, typ, nil) }

func (w *world) triggerWith(typ, field, value string) error {
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return w.triggerEvents(1, typ, map[string]any{field: v})
}

func (w *world) exhaust(n int, typ string) error {
	var total time.Duration
	for _, d := range w.srv.Config().Schedule {
		total += d
	}
	for i := 0; i < n; i++ {
		if err := w.triggerOne(typ); err != nil {
			return err
		}
		if len(w.trigger.Events) != 1 {
			return fmt.Errorf("event %d of %d reached %d webhooks, want 1", i+1, n, len(w.trigger.Events))
		}
		if err := mocktest.Advance(w.ctx, w.fake, w.srv, total); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) update(fields map[string]any) error {
	fields["id"] = w.hookID
	code, out, err := w.call(http.MethodPost, "/webhooks.update", fields)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("webhooks.update answered %d: %v", code, out)
	}
	w.lastWebhook, _ = out["webhook"].(map[string]any)
	return w.settle()
}

func (w *world) changeURL() error {
	if w.rcv2 == nil {
		return errors.New("no second receiver")
	}
	return w.update(map[string]any{"url": w.rcv2.URL})
}

func (w *world) changeSecret(secret string) error {
	w.oldSecret = w.secret
	w.rotationMark = len(w.rcv.Requests())
	if err := w.update(map[string]any{"secret": secret}); err != nil {
		return err
	}
	w.secret, _ = w.lastWebhook["secret"].(string)
	return nil
}

func (w *world) action(verb string) error {
	a := map[string]string{"deactivated": "deactivate", "activated": "activate"}[verb]
	return w.update(map[string]any{"action": a})
}

// --- Then ----------------------------------------------------------------

func (w *world) createAnswer(code int, status string) error {
	if w.createCode != code {
		return fmt.Errorf("webhooks.create answered %d, want %d", w.createCode, code)
	}
	wh, _ := w.createBody["webhook"].(map[string]any)
	if wh["status"] != status {
		return fmt.Errorf("created webhook has status %v, want %q", wh["status"], status)
	}
	if s, _ := wh["secret"].(string); len(s) < 8 || len(s) > 32 {
		return fmt.Errorf("created webhook has secret %q, want 8 to 32 bytes", s)
	}
	return nil
}

// webhookIs checks the webhook's state in the simulator's view
// (GET /simulator/webhooks/{id}) and that webhooks.get shows the status
// DevRev's enum gives that state (degraded shows as active).
func (w *world) webhookIs(state string) error {
	code, out, err := w.call(http.MethodGet, "/simulator/webhooks/"+url.PathEscape(w.hookID), nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET /simulator/webhooks answered %d: %v", code, out)
	}
	sim, _ := out["webhook"].(map[string]any)
	if sim["state"] != state {
		return fmt.Errorf("webhook is %v, want %q\n%s", sim["state"], state, w.logDump())
	}
	want := mockapi.APIStatus(webhook.State(state))
	code, out, err = w.call(http.MethodGet, "/webhooks.get?id="+url.QueryEscape(w.hookID), nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("webhooks.get answered %d: %v", code, out)
	}
	if wh, _ := out["webhook"].(map[string]any); wh["status"] != want {
		return fmt.Errorf("webhooks.get shows status %v for a webhook %s, want %q (DevRev's enum)", wh["status"], state, want)
	}
	return nil
}

// webhookIsShown checks the webhook's internal state and the status
// webhooks.get shows, as the feature spells both.
func (w *world) webhookIsShown(state, status string) error {
	if got := mockapi.APIStatus(webhook.State(state)); got != status {
		return fmt.Errorf("the feature expects webhooks.get to show %q for %s; the mock shows %q", status, state, got)
	}
	return w.webhookIs(state)
}

// logDump renders the delivery log for failure messages.
func (w *world) logDump() string {
	if w.srv == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("delivery log:\n")
	for _, e := range w.srv.Log().List(deliverylog.Filter{}) {
		fmt.Fprintf(&b, "  +%-8s %-10s %s #%d status=%d delivered=%v from=%q to=%q error=%q %s\n", e.Time.Sub(epoch), e.Kind,
			e.EventType, e.Attempt, e.Status, e.Delivered, e.From, e.To, e.Error, e.Message)
	}
	return b.String()
}

func parseOffsets(list string) ([]time.Duration, error) {
	var out []time.Duration
	for _, p := range splitList(list) {
		d, err := time.ParseDuration(p)
		if err != nil {
			return nil, fmt.Errorf("offset %q: %w", p, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func sameOffsets(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func offsetsFrom(reqs []mocktest.Request, from time.Time) []time.Duration {
	out := make([]time.Duration, len(reqs))
	for i, r := range reqs {
		out[i] = r.At.Sub(from)
	}
	return out
}

func (w *world) verifyAt(list string) error {
	want, err := parseOffsets(list)
	if err != nil {
		return err
	}
	got := offsetsFrom(w.rcv.Of("verify"), w.createdAt)
	if !sameOffsets(got, want) {
		return fmt.Errorf("verify requests arrived at %v after the create request, want %v", got, want)
	}
	return nil
}

func (w *world) allSignedWithSecret() error {
	for i, r := range w.rcv.Requests() {
		if !r.SignedWith(w.secret) {
			return fmt.Errorf("request %d (%s) is not signed with the webhook's secret", i+1, r.Type)
		}
	}
	return nil
}

func (w *world) transitions(path string) error {
	var want []string
	for _, s := range strings.Split(path, "->") {
		want = append(want, strings.TrimSpace(s))
	}
	var got []string
	for _, e := range w.srv.Log().List(deliverylog.Filter{WebhookID: w.hookID, Kind: deliverylog.KindTransition}) {
		got = append(got, e.To)
	}
	if strings.Join(got, " -> ") != strings.Join(want, " -> ") {
		return fmt.Errorf("transitions %s, want %s", strings.Join(got, " -> "), strings.Join(want, " -> "))
	}
	return nil
}

func (w *world) logNotes(text string) error {
	for _, e := range w.srv.Log().List(deliverylog.Filter{Kind: deliverylog.KindNote}) {
		if strings.Contains(e.Message, text) {
			return nil
		}
	}
	return fmt.Errorf("no note in the delivery log says %q\n%s", text, w.logDump())
}

func (w *world) failedVerifySaying(text string) error {
	failed := false
	verify := "verify"
	for _, e := range w.srv.Log().List(deliverylog.Filter{WebhookID: w.hookID, Kind: deliverylog.KindAttempt, Delivered: new(bool)}) {
		if e.EventType == verify && strings.Contains(e.Error, text) {
			failed = true
		}
	}
	if !failed {
		return fmt.Errorf("no failed verify attempt says %q\n%s", text, w.logDump())
	}
	return nil
}

func (w *world) triggerReachedNone() error {
	if len(w.trigger.Events) != 0 {
		return fmt.Errorf("the trigger reached %d deliveries: %+v", len(w.trigger.Events), w.trigger.Events)
	}
	return nil
}

func (w *world) gotN(which string, n int, typ string) error {
	r, err := w.receiver(which)
	if err != nil {
		return err
	}
	if got := len(r.Of(typ)); got != n {
		return fmt.Errorf("%s got %d %q requests, want %d", which, got, typ, n)
	}
	return nil
}

func (w *world) gotNone(which, typ string) error { return w.gotN(which, 0, typ) }

func (w *world) gotOne(which, typ string) error { return w.gotN(which, 1, typ) }

func (w *world) secretIs(s string) error {
	if got, _ := w.lastWebhook["secret"].(string); got != s {
		return fmt.Errorf("webhook secret is %q, want %q", got, s)
	}
	return nil
}

func (w *world) newSecret(n int) error {
	if len(w.secret) != n || w.secret == w.oldSecret {
		return fmt.Errorf("secret %q (was %q), want a new one of %d characters", w.secret, w.oldSecret, n)
	}
	return nil
}

func (w *world) lastVerifySignedWith(secret string) error {
	v := w.rcv.Of("verify")
	if len(v) == 0 {
		return errors.New("no verify request")
	}
	if !v[len(v)-1].SignedWith(secret) {
		return fmt.Errorf("the last verify request is not signed with %q", secret)
	}
	return nil
}

func (w *world) lastVerifySignedWithWebhookSecret() error { return w.lastVerifySignedWith(w.secret) }

func (w *world) sinceRotationSignedWith(secret string) error {
	reqs := w.rcv.Requests()[w.rotationMark:]
	if len(reqs) == 0 {
		return errors.New("no request since the rotation")
	}
	for _, r := range reqs {
		if !r.SignedWith(secret) {
			return fmt.Errorf("a %s request after the rotation is not signed with %q", r.Type, secret)
		}
	}
	return nil
}

// theEvent returns the id of the single event of the last trigger.
func (w *world) theEvent() (string, error) {
	if len(w.trigger.Events) != 1 {
		return "", fmt.Errorf("the last trigger emitted %d events, want 1", len(w.trigger.Events))
	}
	return w.trigger.Events[0].ID, nil
}

func (w *world) requestsOfEvent(id string) []mocktest.Request {
	var out []mocktest.Request
	for _, r := range w.rcv.Requests() {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out
}

func (w *world) attemptsAt(list string) error {
	want, err := parseOffsets(list)
	if err != nil {
		return err
	}
	id, err := w.theEvent()
	if err != nil {
		return err
	}
	got := offsetsFrom(w.requestsOfEvent(id), w.triggerAt)
	if !sameOffsets(got, want) {
		return fmt.Errorf("attempts arrived at %v after the trigger, want %v\n%s", got, want, w.logDump())
	}
	return nil
}

func (w *world) attemptedTimes(n int) error {
	id, err := w.theEvent()
	if err != nil {
		return err
	}
	if got := len(w.requestsOfEvent(id)); got != n {
		return fmt.Errorf("the event reached the receiver %d times, want %d\n%s", got, n, w.logDump())
	}
	return nil
}

func (w *world) eventAttempts() ([]deliverylog.Entry, error) {
	id, err := w.theEvent()
	if err != nil {
		return nil, err
	}
	return w.srv.Log().List(deliverylog.Filter{EventID: id, Kind: deliverylog.KindAttempt}), nil
}

func (w *world) attemptsAllFailed(list string) error {
	att, err := w.eventAttempts()
	if err != nil {
		return err
	}
	var nums []string
	for _, a := range att {
		if a.Delivered {
			return fmt.Errorf("attempt %d was delivered", a.Attempt)
		}
		nums = append(nums, strconv.Itoa(a.Attempt))
	}
	if want := splitList(list); strings.Join(nums, ",") != strings.Join(want, ",") {
		return fmt.Errorf("log has attempts %v, want %v", nums, want)
	}
	return nil
}

func (w *world) deliveredAt(n int) error {
	att, err := w.eventAttempts()
	if err != nil {
		return err
	}
	if len(att) != n {
		return fmt.Errorf("log has %d attempts of the event, want %d\n%s", len(att), n, w.logDump())
	}
	for i, a := range att {
		if a.Attempt != i+1 || a.Delivered != (i == n-1) {
			return fmt.Errorf("attempt %d: number %d delivered=%v, want the last one (%d) delivered only", i+1, a.Attempt, a.Delivered, n)
		}
	}
	return nil
}

func (w *world) attemptFailedNoStatus(n int) error {
	att, err := w.eventAttempts()
	if err != nil {
		return err
	}
	for _, a := range att {
		if a.Attempt == n {
			if a.Delivered || a.Status != 0 || a.Error == "" {
				return fmt.Errorf("attempt %d: delivered=%v status=%d error=%q, want a failure without status", n, a.Delivered, a.Status, a.Error)
			}
			return nil
		}
	}
	return fmt.Errorf("no attempt %d in the log", n)
}

func (w *world) abandoned(which, typ string) error {
	r, err := w.receiver(which)
	if err != nil {
		return err
	}
	// The receiver notices the abandoned connection on its own schedule.
	return r.WaitFor(w.ctx, func(reqs []mocktest.Request) bool {
		for _, q := range reqs {
			if q.Type == typ {
				return q.Aborted
			}
		}
		return false
	})
}

func (w *world) defaultDeadline(seconds int) error {
	srv, err := mockapi.New(mockapi.Config{Token: "t"})
	if err != nil {
		return err
	}
	defer srv.Close(w.ctx)
	if got := srv.Config().Client.Options().Timeout; got != time.Duration(seconds)*time.Second {
		return fmt.Errorf("default response deadline %s, want %ds", got, seconds)
	}
	return nil
}

func (w *world) sameIDAndBody(which string, n int, typ string) error {
	r, err := w.receiver(which)
	if err != nil {
		return err
	}
	reqs := r.Of(typ)
	if len(reqs) != n {
		return fmt.Errorf("%s got %d %q requests, want %d", which, len(reqs), typ, n)
	}
	for _, q := range reqs[1:] {
		if q.ID != reqs[0].ID || !bytes.Equal(q.Body, reqs[0].Body) || q.Signature != reqs[0].Signature {
			return errors.New("the requests differ: want the same id, bytes and signature")
		}
	}
	return nil
}

// parseHeader reads "name: value".
func parseHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return "", "", fmt.Errorf("header %q: want \"name: value\"", h)
	}
	return strings.TrimSpace(name), strings.TrimSpace(value), nil
}

// createWithHeader sends webhooks.create for the receiver with one custom
// header and keeps the answer, whatever it is.
func (w *world) createWithHeader(types, header string) error {
	if w.rcv == nil {
		return errors.New("no receiver to register")
	}
	name, value, err := parseHeader(header)
	if err != nil {
		return err
	}
	w.createdAt = w.fake.Now()
	code, body, err := w.call(http.MethodPost, "/webhooks.create", map[string]any{
		"url": w.rcv.URL, "event_types": splitList(types),
		"headers": []map[string]string{{"name": name, "value": value}},
	})
	if err != nil {
		return err
	}
	w.createCode, w.createBody = code, body
	if code == http.StatusCreated {
		wh, _ := body["webhook"].(map[string]any)
		w.hookID, _ = wh["id"].(string)
		w.secret, _ = wh["secret"].(string)
	}
	return w.settle()
}

// createRefused checks a webhooks.create answer of 400 with DevRev's
// sub-type typ naming field.
func (w *world) createRefused(typ, field string) error {
	if w.createCode != http.StatusBadRequest || w.createBody["type"] != typ || w.createBody["field_name"] != field {
		return fmt.Errorf("webhooks.create answered %d %v, want 400 %s for field %s", w.createCode, w.createBody, typ, field)
	}
	return nil
}

// setHeaders replaces the webhook's custom headers with one header.
func (w *world) setHeaders(header string) error {
	name, value, err := parseHeader(header)
	if err != nil {
		return err
	}
	return w.update(map[string]any{"headers": map[string]any{"set": []map[string]string{{"name": name, "value": value}}}})
}

// carries checks that a request carries header "name: value".
func carries(q mocktest.Request, header string) error {
	name, value, err := parseHeader(header)
	if err != nil {
		return err
	}
	if got := q.Header.Values(name); len(got) != 1 || got[0] != value {
		return fmt.Errorf("%s request %s carries %s: %q, want %q", q.Type, q.ID, name, got, value)
	}
	return nil
}

func (w *world) allCarry(header string) error {
	reqs := w.rcv.Requests()
	if len(reqs) == 0 {
		return errors.New("the receiver got no request")
	}
	for _, q := range reqs {
		if err := carries(q, header); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) lastCarries(typ, header string) error {
	reqs := w.rcv.Of(typ)
	if len(reqs) == 0 {
		return fmt.Errorf("the receiver got no %q request", typ)
	}
	return carries(reqs[len(reqs)-1], header)
}

// restampedVerify checks n verify requests of one verify event (same id
// and challenge), each with its own timestamp and a signature over its own
// bytes with the webhook's secret.
func (w *world) restampedVerify(n int) error {
	reqs := w.rcv.Of("verify")
	if len(reqs) != n {
		return fmt.Errorf("the receiver got %d verify requests, want %d", len(reqs), n)
	}
	stamps := map[string]bool{}
	for i, q := range reqs {
		if q.ID != reqs[0].ID || q.Challenge != reqs[0].Challenge {
			return fmt.Errorf("verify request %d is another event (id %s, challenge %s)", i+1, q.ID, q.Challenge)
		}
		if !q.SignedWith(w.secret) {
			return fmt.Errorf("verify request %d is not signed over its bytes with the webhook's secret", i+1)
		}
		if stamps[q.Timestamp] {
			return fmt.Errorf("verify request %d repeats timestamp %s", i+1, q.Timestamp)
		}
		stamps[q.Timestamp] = true
	}
	return nil
}

// InitializeScenario registers the sender steps on a godog scenario.
func InitializeScenario(sc *godog.ScenarioContext) {
	// godog calls InitializeScenario once per scenario: one world each.
	w := newWorld()
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		w.close()
		return ctx, err
	})
	step := func(expr string, f func(w *world, args []string) error) {
		re := regexp.MustCompile(expr)
		n := re.NumSubexp()
		sc.Step(expr, stepFunc(n, func(args []string) error { return f(w, args) }))
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }

	// Given
	step(`^a receiver that echoes verify challenges and acknowledges events$`, func(w *world, _ []string) error { return w.aReceiver() })
	step(`^a second receiver that answers verify requests with (\d+)$`, func(w *world, a []string) error { return w.aSecondReceiverAnsweringVerify(atoi(a[0])) })
	step(`^the mock degrades a webhook after (\d+) exhausted events? and re-verifies every (\d+) seconds$`, func(w *world, a []string) error { return w.degradesAfter(atoi(a[0]), atoi(a[1])) })
	step(`^the response deadline is (\d+) ms$`, func(w *world, a []string) error { return w.deadline(atoi(a[0])) })
	step(`^(the receiver|the second receiver) answers verify requests with (\d+)$`, func(w *world, a []string) error { return w.answerVerify(a[0], atoi(a[1])) })
	step(`^(the receiver|the second receiver) answers verify requests with the wrong challenge$`, func(w *world, a []string) error { return w.answerVerifyWrong(a[0]) })
	step(`^(the receiver|the second receiver) never answers verify requests$`, func(w *world, a []string) error { return w.neverAnswerVerify(a[0]) })
	step(`^(the receiver|the second receiver) echoes verify challenges again$`, func(w *world, a []string) error { return w.echoAgain(a[0]) })
	step(`^(the receiver|the second receiver) answers events with (\d+)$`, func(w *world, a []string) error { return w.answerEvents(a[0], atoi(a[1])) })
	step(`^(the receiver|the second receiver) never answers events$`, func(w *world, a []string) error { return w.neverAnswerEvents(a[0]) })
	step(`^(the receiver|the second receiver) acknowledges events again$`, func(w *world, a []string) error { return w.acknowledgeEvents(a[0]) })
	step(`^an active webhook subscribed to "([^"]*)"$`, func(w *world, a []string) error { return w.anActiveWebhook(a[0]) })
	step(`^the mock re-sends the same bytes on retries$`, func(w *world, _ []string) error {
		return w.configure(func(c *mockapi.Config) { c.SameBytesOnRetry = true })
	})

	// When
	step(`^a webhook subscribed to "([^"]*)" is created for the receiver$`, func(w *world, a []string) error { return w.createFor(a[0]) })
	step(`^(\d+) (seconds?|minutes?) pass(?:es)?$`, func(w *world, a []string) error { return w.pass(atoi(a[0]), a[1]) })
	step(`^(?:a|another) "([^"]*)" event is triggered$`, func(w *world, a []string) error { return w.triggerOne(a[0]) })
	step(`^(\d+) "([^"]*)" events are triggered$`, func(w *world, a []string) error { return w.triggerEvents(atoi(a[0]), a[1], nil) })
	step(`^a "([^"]*)" event is triggered with (duplicate_rate|drop_first|reorder_window) ([0-9.]+)$`, func(w *world, a []string) error { return w.triggerWith(a[0], a[1], a[2]) })
	step(`^(\d+) "([^"]*)" events? exhausts? (?:its|their) attempts(?: one after another)?$`, func(w *world, a []string) error { return w.exhaust(atoi(a[0]), a[1]) })
	step(`^the webhook's url is changed to the second receiver$`, func(w *world, _ []string) error { return w.changeURL() })
	step(`^the webhook's secret is changed to "([^"]*)"$`, func(w *world, a []string) error { return w.changeSecret(a[0]) })
	step(`^the webhook is (deactivated|activated)$`, func(w *world, a []string) error { return w.action(a[0]) })
	step(`^a webhook subscribed to "([^"]*)" with header "([^"]*)" is created for the receiver$`, func(w *world, a []string) error { return w.createWithHeader(a[0], a[1]) })
	step(`^the webhook's headers are set to "([^"]*)"$`, func(w *world, a []string) error { return w.setHeaders(a[0]) })

	// Then
	step(`^the webhooks\.create answer is (\d+) with status "([^"]*)" and a secret$`, func(w *world, a []string) error { return w.createAnswer(atoi(a[0]), a[1]) })
	step(`^the receiver got verify requests at (.+) after the create request$`, func(w *world, a []string) error { return w.verifyAt(a[0]) })
	step(`^every request the receiver got is signed with the webhook's secret$`, func(w *world, _ []string) error { return w.allSignedWithSecret() })
	step(`^the webhook is "([^"]*)"$`, func(w *world, a []string) error { return w.webhookIs(a[0]) })
	step(`^the webhook is "([^"]*)" while webhooks\.get shows "([^"]*)"$`, func(w *world, a []string) error { return w.webhookIsShown(a[0], a[1]) })
	step(`^the delivery log shows the webhook going (.+)$`, func(w *world, a []string) error { return w.transitions(a[0]) })
	step(`^the delivery log notes "([^"]*)"$`, func(w *world, a []string) error { return w.logNotes(a[0]) })
	step(`^the delivery log shows failed verify attempts saying "([^"]*)"$`, func(w *world, a []string) error { return w.failedVerifySaying(a[0]) })
	step(`^the trigger reached no webhook$`, func(w *world, _ []string) error { return w.triggerReachedNone() })
	step(`^(the receiver|the second receiver) got no "([^"]*)" events?$`, func(w *world, a []string) error { return w.gotNone(a[0], a[1]) })
	step(`^(the receiver|the second receiver) got (\d+) "([^"]*)" events?$`, func(w *world, a []string) error { return w.gotN(a[0], atoi(a[1]), a[2]) })
	step(`^(the receiver|the second receiver) got (\d+) verify requests?$`, func(w *world, a []string) error { return w.gotN(a[0], atoi(a[1]), "verify") })
	step(`^(the receiver|the second receiver) got (\d+) "([^"]*)" events with the same id and body$`, func(w *world, a []string) error { return w.sameIDAndBody(a[0], atoi(a[1]), a[2]) })
	step(`^the webhook's secret is "([^"]*)"$`, func(w *world, a []string) error { return w.secretIs(a[0]) })
	step(`^the webhooks\.create answer is 400 "([^"]*)" for field "([^"]*)"$`, func(w *world, a []string) error { return w.createRefused(a[0], a[1]) })
	step(`^every request the receiver got carries header "([^"]*)"$`, func(w *world, a []string) error { return w.allCarry(a[0]) })
	step(`^the receiver's last "([^"]*)" event carries header "([^"]*)"$`, func(w *world, a []string) error { return w.lastCarries(a[0], a[1]) })
	step(`^the receiver got (\d+) verify requests of one verify event, each with its own timestamp and a valid signature$`, func(w *world, a []string) error { return w.restampedVerify(atoi(a[0])) })
	step(`^the webhook has a new secret of (\d+) characters$`, func(w *world, a []string) error { return w.newSecret(atoi(a[0])) })
	step(`^the receiver's last verify request is signed with "([^"]*)"$`, func(w *world, a []string) error { return w.lastVerifySignedWith(a[0]) })
	step(`^the receiver's last verify request is signed with the webhook's secret$`, func(w *world, _ []string) error { return w.lastVerifySignedWithWebhookSecret() })
	step(`^every request since the rotation is signed with "([^"]*)"$`, func(w *world, a []string) error { return w.sinceRotationSignedWith(a[0]) })
	step(`^the attempts of the event arrived at (.+) after it was triggered$`, func(w *world, a []string) error { return w.attemptsAt(a[0]) })
	step(`^the (?:other )?event was attempted (\d+) times$`, func(w *world, a []string) error { return w.attemptedTimes(atoi(a[0])) })
	step(`^the delivery log shows attempts (.+) of the event, all failed$`, func(w *world, a []string) error { return w.attemptsAllFailed(a[0]) })
	step(`^the delivery log shows the event delivered at attempt (\d+)$`, func(w *world, a []string) error { return w.deliveredAt(atoi(a[0])) })
	step(`^the delivery log shows attempt (\d+) of the event failed with no status$`, func(w *world, a []string) error { return w.attemptFailedNoStatus(atoi(a[0])) })
	step(`^(the receiver|the second receiver)'s first verify request was abandoned by the mock$`, func(w *world, a []string) error { return w.abandoned(a[0], "verify") })
	step(`^(the receiver|the second receiver)'s first "([^"]*)" request was abandoned by the mock$`, func(w *world, a []string) error { return w.abandoned(a[0], a[1]) })
	step(`^the mock's default response deadline is (\d+) seconds$`, func(w *world, a []string) error { return w.defaultDeadline(atoi(a[0])) })
}

// stepFunc adapts f to a godog step function taking n string arguments
// (godog matches handler arity to the expression's groups).
func stepFunc(n int, f func(args []string) error) any {
	switch n {
	case 0:
		return func() error { return f(nil) }
	case 1:
		return func(a string) error { return f([]string{a}) }
	case 2:
		return func(a, b string) error { return f([]string{a, b}) }
	case 3:
		return func(a, b, c string) error { return f([]string{a, b, c}) }
	}
	return func() error { return fmt.Errorf("sender steps: a step with %d arguments is not supported", n) }
}
