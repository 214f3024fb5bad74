package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/internal/chromiumtest"
	"github.com/revhook/revhook/simulator/mockapi"
)

// browserTimeout bounds the whole browser session; every wait inside it is
// a DOM condition, never a sleep.
const browserTimeout = 90 * time.Second

// browser starts headless Chromium and returns a chromedp context bounded
// by browserTimeout.
func browser(t *testing.T, bin string) context.Context {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes may still write to their
	// profile while it is removed, which t.TempDir reports as a failure.
	profile, err := os.MkdirTemp("", "revhook-console-chromium-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile), chromedp.WindowSize(1400, 1000),
	}
	for _, f := range chromiumtest.Flags() {
		opts = append(opts, chromedp.Flag(f, true))
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	return bctx
}

// testMock is the mock behind an httptest server, with the reference
// receiver as its webhook's endpoint.
type testMock struct {
	srv  *mockapi.Server
	http *httptest.Server
	rcv  *httptest.Server
}

const (
	testToken  = "console-test-token"
	testSecret = "console-test-secret-0123456789"
)

func newTestMock(t *testing.T) *testMock {
	t.Helper()
	rc, err := receiver.New(receiver.Config{Secret: testSecret})
	require.NoError(t, err)
	t.Cleanup(rc.Close)
	m := &testMock{rcv: httptest.NewServer(rc)}
	t.Cleanup(m.rcv.Close)
	m.srv, err = mockapi.New(mockapi.Config{Token: testToken, Seed: 7})
	require.NoError(t, err)
	m.http = httptest.NewServer(m.srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.srv.Close(ctx)
		m.http.Close()
	})
	return m
}

// post calls the mock's API and decodes the answer.
func (m *testMock) post(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, m.http.URL+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Less(t, resp.StatusCode, 300, "%s: %v", path, out)
	return out
}

// TestConsoleInChromium opens the console in headless Chromium, creates a
// webhook through the API, triggers an event with the page's button and
// replays its delivery with the page's button, and checks that each shows
// up in the DOM.
func TestConsoleInChromium(t *testing.T) {
	bin := chromiumtest.Find(t)
	m := newTestMock(t)
	ctx := browser(t, bin)

	// Open the console as serve prints it for a generated token.
	var href string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(m.http.URL+"/console?token="+testToken),
		chromedp.WaitVisible(`#conn[data-state="live"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#no-webhooks`, chromedp.ByQuery),
		chromedp.Evaluate(`window.location.href`, &href),
	), "the console did not connect")
	assert.NotContains(t, href, testToken, "the page drops the token from the address bar")

	// A webhook created through the API appears, first unverified and
	// then active once the receiver answered the verify request.
	created := m.post(t, "/webhooks.create", map[string]any{
		"url": m.rcv.URL, "event_types": []string{"work_created"}, "secret": testSecret})
	hook := created["webhook"].(map[string]any)
	id := hook["id"].(string)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(`#webhooks tr[data-webhook-id="`+id+`"][data-state="active"]`, chromedp.ByQuery),
	), "the webhook never showed as active")

	// Trigger with the page's form: the delivery appears, delivered.
	delivered := `#log tr[data-kind="attempt"][data-delivered="true"][data-replay="false"][data-event-type="work_created"]`
	var eventID string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SetValue(`#trigger-type`, "work_created", chromedp.ByQuery),
		chromedp.SetValue(`#trigger-count`, "1", chromedp.ByQuery),
		click(`#trigger-button`),
		chromedp.WaitVisible(`#action-status[data-action="trigger"][data-state="ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(delivered+` button.replay`, chromedp.ByQuery),
		chromedp.AttributeValue(delivered, "data-event-id", &eventID, nil, chromedp.ByQuery),
	), "the triggered delivery never appeared")
	require.NotEmpty(t, eventID)

	// Its details show the request and the receiver's response.
	var detail string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Click(delivered+` td`, chromedp.ByQuery),
		chromedp.WaitVisible(`#detail-body pre.preview`, chromedp.ByQuery),
		chromedp.Text(`#detail-body`, &detail, chromedp.ByQuery),
	))
	assert.Contains(t, detail, "POST "+m.rcv.URL)
	assert.Contains(t, detail, eventID)
	assert.Contains(t, detail, "delivered")

	// Replay with the row's button: either the replay's attempt appears
	// (marked replay), or, where POST /simulator/replay is not served, the
	// page shows the server's error.
	row := `#log tr[data-event-id="` + eventID + `"]`
	var replayState, status string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.WaitVisible(row+`[data-replay="false"] button.replay`, chromedp.ByQuery),
		click(row+`[data-replay="false"] button.replay`),
		chromedp.WaitVisible(`#action-status[data-action="replay"]:not([data-state="idle"])`, chromedp.ByQuery),
		chromedp.AttributeValue(`#action-status`, "data-state", &replayState, nil, chromedp.ByQuery),
		chromedp.Text(`#action-status`, &status, chromedp.ByQuery),
	))
	if replayState == "ok" {
		require.NoError(t, chromedp.Run(ctx,
			chromedp.WaitVisible(row+`[data-kind="attempt"][data-replay="true"][data-delivered="true"]`, chromedp.ByQuery),
		), "the replay was accepted but its delivery never appeared")
	} else {
		assert.Contains(t, status, "HTTP 404", "the page shows the server's error: %s", status)
		t.Logf("POST /simulator/replay is not served here; the page showed: %s", status)
	}

	// No secret anywhere in the page.
	var html string
	require.NoError(t, chromedp.Run(ctx, chromedp.OuterHTML(`html`, &html, chromedp.ByQuery)))
	assert.NotContains(t, html, testSecret)
	assert.NotContains(t, html, testToken)

	screenshot(t, ctx)
}

// click clicks the element sel selects from the page's own script: new log
// rows keep moving the page, and a click at an element's coordinates could
// land on its neighbour.
func click(sel string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).click()`, sel), nil)
}

// screenshot keeps a full-page screenshot in REVHOOK_RENDER_DIR, when set,
// for a person to look at.
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	dir := os.Getenv(chromiumtest.EnvKeepRender)
	if dir == "" {
		return
	}
	var png []byte
	require.NoError(t, chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, "console.png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// TestConsoleAsksForASuppliedToken opens the console without a token (as
// serve prints it for a token the user supplied): it asks for one, refuses
// a wrong one with the server's message, and connects with the right one.
func TestConsoleAsksForASuppliedToken(t *testing.T) {
	bin := chromiumtest.Find(t)
	m := newTestMock(t)
	ctx := browser(t, bin)
	var msg string
	require.NoError(t, chromedp.Run(ctx,
		chromedp.Navigate(m.http.URL+"/console"),
		chromedp.WaitVisible(`#token-input`, chromedp.ByQuery),
		chromedp.SendKeys(`#token-input`, "wrong-token", chromedp.ByQuery),
		click(`#login-form button`),
		chromedp.WaitVisible(`#conn[data-state="denied"]`, chromedp.ByQuery),
		chromedp.Text(`#login-error`, &msg, chromedp.ByQuery),
	))
	assert.True(t, strings.Contains(msg, "not valid"), "login error: %q", msg)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys(`#token-input`, testToken, chromedp.ByQuery),
		click(`#login-form button`),
		chromedp.WaitVisible(`#conn[data-state="live"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#no-webhooks`, chromedp.ByQuery),
	))
}
