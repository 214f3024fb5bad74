package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/mockapi/mocktest"
)

// TestServeReadyHealthzAndReplay: --ready-file holds the base URL once the
// listener is up and is removed on exit; /healthz needs no token; `revhook
// replay --server` re-delivers an event.
func TestServeReadyHealthzAndReplay(t *testing.T) {
	rcv := mocktest.NewReceiver(clock.Real())
	defer rcv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	ready := filepath.Join(t.TempDir(), "ready")
	out := newServeOutput()
	done := make(chan int, 1)
	go func() {
		done <- runServe(runCtx, []string{"--addr", "127.0.0.1:0", "--token", "tok-r", "--time-scale", "0.001",
			"--timeout", "2s", "--ready-file", ready, "--state", "memory"}, out, &bytes.Buffer{})
	}()
	base := out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
	out.waitFor(ctx, t, regexp.MustCompile(`(?m)^state: .*/simulator/webhooks`))
	b, err := os.ReadFile(ready)
	require.NoError(t, err)
	assert.Equal(t, base+"\n", string(b))

	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	var health map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	resp.Body.Close()
	assert.Equal(t, map[string]string{"status": "ok"}, health)

	post := func(path, body string) (int, map[string]any) {
		return postAPI(ctx, t, base, "tok-r", path, body)
	}
	code, m := post("/webhooks.create", `{"event_types":["work_created"],"url":"`+rcv.URL+`"}`)
	require.Equal(t, 201, code, m)
	out.waitFor(ctx, t, regexp.MustCompile(`unverified -> active`))
	code, m = post("/simulator/events", `{"type":"work_created"}`)
	require.Equal(t, 202, code, m)
	evID := m["events"].([]any)[0].(map[string]any)["id"].(string)
	require.NoError(t, rcv.WaitFor(ctx, func(r []mocktest.Request) bool { return len(r) == 2 }))

	var rout, rerr bytes.Buffer
	assert.Equal(t, exitOK, runReplay(ctx, []string{"--server", base, "--token", "tok-r", evID}, &rout, &rerr), rerr.String())
	assert.Contains(t, rout.String(), "replay of "+evID)
	require.NoError(t, rcv.WaitFor(ctx, func(r []mocktest.Request) bool { return len(r) == 3 }))
	assert.Equal(t, evID, rcv.Requests()[2].ID)

	rout.Reset()
	rerr.Reset()
	assert.Equal(t, exitFail, runReplay(ctx, []string{"--server", base, "--token", "tok-r", "don:unknown"}, &rout, &rerr))
	assert.Contains(t, rerr.String(), "404 not_found")
	assert.NotContains(t, rerr.String(), "tok-r")

	stop()
	assert.Equal(t, exitOK, <-done)
	_, err = os.Stat(ready)
	assert.True(t, os.IsNotExist(err), "the ready file is removed on exit")
}

func TestReplayServerUsage(t *testing.T) {
	t.Setenv("REVHOOK_TOKEN", "")
	for name, args := range map[string][]string{
		"no event id":   {"--server", "http://127.0.0.1:1", "--token", "t"},
		"two event ids": {"--server", "http://127.0.0.1:1", "--token", "t", "a", "b"},
		"bad server":    {"--server", "ftp://x", "--token", "t", "ev"},
		"no token":      {"--server", "http://127.0.0.1:1", "ev"},
		"both forms":    {"--server", "http://127.0.0.1:1", "--report", "r.json", "--token", "t", "ev"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			assert.Equal(t, exitUsage, runReplay(t.Context(), args, &out, &errOut))
			assert.NotEmpty(t, errOut.String())
		})
	}
	var out, errOut bytes.Buffer
	assert.Equal(t, exitFail, runReplay(t.Context(), []string{"--server", "http://127.0.0.1:1", "--token", "t", "ev"}, &out, &errOut), "an unreachable server")
}
