package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
)

// runningServe is a `revhook serve` in a goroutine.
type runningServe struct {
	base string
	out  *serveOutput
	stop context.CancelFunc
	done chan int
}

func startServe(ctx context.Context, t *testing.T, args ...string) *runningServe {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	r := &runningServe{out: newServeOutput(), stop: stop, done: make(chan int, 1)}
	go func() {
		r.done <- runServe(runCtx, append([]string{"--addr", "127.0.0.1:0", "--token", "tok-s", "--time-scale", "0.001", "--timeout", "2s"}, args...), r.out, &bytes.Buffer{})
	}()
	r.base = r.out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
	r.out.waitFor(ctx, t, regexp.MustCompile(`(?m)^state: .*/simulator/webhooks`))
	return r
}

func (r *runningServe) call(ctx context.Context, t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, r.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok-s")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// The walkthrough with a restart in the middle: the webhook and its
// pending retry survive, the event can be replayed after it; a second
// serve on the same file is refused.
func TestServeStateSurvivesRestart(t *testing.T) {
	rcv := mocktest.NewReceiver(clock.Real())
	defer rcv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "serve.db")

	// Retries after 1000 s (1 s scaled): long enough to stop serve first.
	s1 := startServe(ctx, t, "--state", path, "--schedule", "1000s")
	assert.Contains(t, s1.out.String(), "state file: "+path)
	code, m := s1.call(ctx, t, "POST", "/webhooks.create", `{"event_types":["work_created"],"url":"`+rcv.URL+`"}`)
	require.Equal(t, 201, code, m)
	id := m["webhook"].(map[string]any)["id"].(string)
	s1.out.waitFor(ctx, t, regexp.MustCompile(`unverified -> active`))
	code, m = s1.call(ctx, t, "POST", "/simulator/events", `{"type":"work_created"}`)
	require.Equal(t, 202, code, m)
	sentID := m["events"].([]any)[0].(map[string]any)["id"].(string)
	s1.out.waitFor(ctx, t, regexp.MustCompile(`work_created #1 ok 200`))
	rcv.AnswerEvents(mocktest.Fail(503))
	code, m = s1.call(ctx, t, "POST", "/simulator/events", `{"type":"work_created"}`)
	require.Equal(t, 202, code, m)
	evID := m["events"].([]any)[0].(map[string]any)["id"].(string)
	s1.out.waitFor(ctx, t, regexp.MustCompile(`work_created #1 FAIL 503`))

	var errOut bytes.Buffer
	assert.Equal(t, exitUsage, runServe(ctx, []string{"--addr", "127.0.0.1:0", "--state", path}, &bytes.Buffer{}, &errOut))
	assert.Contains(t, errOut.String(), path)
	assert.Contains(t, errOut.String(), "--state")

	s1.stop()
	require.Equal(t, exitOK, <-s1.done)

	rcv.AnswerEvents(mocktest.OK)
	s2 := startServe(ctx, t, "--state", path, "--schedule", "1000s")
	defer func() { s2.stop(); <-s2.done }()
	assert.Contains(t, s2.out.String(), "restored: 1 webhooks (0 /v1/webhooks), 1 pending deliveries (each retried when due), 2 replayable events")
	code, m = s2.call(ctx, t, "GET", "/webhooks.get?id="+id, "")
	require.Equal(t, 200, code, m)
	assert.Equal(t, "active", m["webhook"].(map[string]any)["status"])
	require.NoError(t, rcv.WaitFor(ctx, func(rs []mocktest.Request) bool {
		n := 0
		for _, r := range rs {
			if r.Type == "work_created" {
				n++
			}
		}
		return n == 3
	}))
	assert.Equal(t, evID, rcv.Of("work_created")[2].ID)
	s2.out.waitFor(ctx, t, regexp.MustCompile(`work_created #2 ok 200`))

	// The event delivered before the restart can be replayed after it.
	var rout, rerr bytes.Buffer
	require.Equal(t, exitOK, runReplay(ctx, []string{"--server", s2.base, "--token", "tok-s", sentID}, &rout, &rerr), rerr.String())
	require.NoError(t, rcv.WaitFor(ctx, func(rs []mocktest.Request) bool {
		n := 0
		for _, r := range rs {
			if r.ID == sentID {
				n++
			}
		}
		return n == 2 // its delivery, then the replay
	}))
}

func TestServeStateErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	require.NoError(t, os.WriteFile(corrupt, bytes.Repeat([]byte("garbage "), 1000), 0o600))
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	for name, tc := range map[string]struct{ path, want string }{
		"corrupt":     {corrupt, "damaged"},
		"unwritable":  {filepath.Join(blocker, "sub", "state.db"), "not a directory"}, // a file where a directory must be
		"no such dir": {filepath.Join(dir, "typo", "state.db"), "no such file or directory"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Equal(t, exitUsage, runServe(t.Context(), []string{"--addr", "127.0.0.1:0", "--state", tc.path}, &out, &errOut))
			assert.Contains(t, errOut.String(), tc.path)
			assert.Contains(t, errOut.String(), tc.want)
			assert.Equal(t, 1, strings.Count(errOut.String(), "\n"), "one line: %s", errOut.String())
			assert.NotContains(t, out.String(), "listening")
		})
	}
	_, err := os.Stat(filepath.Join(dir, "typo"))
	assert.True(t, os.IsNotExist(err), "a mistyped directory is not created")

	// A serve that cannot listen leaves no new state file behind.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	fresh := filepath.Join(dir, "fresh.db")
	var errOut bytes.Buffer
	assert.Equal(t, exitUsage, runServe(t.Context(), []string{"--addr", ln.Addr().String(), "--state", fresh}, &bytes.Buffer{}, &errOut))
	assert.Contains(t, errOut.String(), "--addr")
	_, err = os.Stat(fresh)
	assert.True(t, os.IsNotExist(err), "the state file it created is removed")
}
