package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeConsoleURL: serve prints the console's URL; it carries the token
// only when serve generated it. A token from --token or REVHOOK_TOKEN is
// printed nowhere, in no form.
func TestServeConsoleURL(t *testing.T) {
	const supplied = "user-supplied-t0ken"
	tests := []struct {
		name      string
		args      []string
		env       string
		generated bool
		from      string
	}{
		{"generated", nil, "", true, ""},
		{"--token", []string{"--token", supplied}, "", false, "--token"},
		{"REVHOOK_TOKEN", nil, supplied, false, "REVHOOK_TOKEN"},
		{"--token wins over REVHOOK_TOKEN", []string{"--token", supplied}, "other-env-t0ken", false, "--token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("REVHOOK_TOKEN", tc.env)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			runCtx, stop := context.WithCancel(ctx)
			out, errOut := newServeOutput(), &bytes.Buffer{}
			done := make(chan int, 1)
			args := append([]string{"--addr", "127.0.0.1:0", "--quiet", "--state", "memory"}, tc.args...)
			go func() { done <- runServe(runCtx, args, out, errOut) }()
			base := out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
			consoleURL := out.waitFor(ctx, t, regexp.MustCompile(`(?m)^console: (\S+)`))
			out.waitFor(ctx, t, regexp.MustCompile(`(?m)^state: `))
			stop()
			require.Equal(t, exitOK, <-done, errOut.String())
			printed := out.String() + errOut.String()

			u, err := url.Parse(consoleURL)
			require.NoError(t, err)
			assert.Equal(t, base+"/console", u.Scheme+"://"+u.Host+u.Path)
			if tc.generated {
				tok := u.Query().Get("token")
				require.True(t, strings.HasPrefix(tok, "rvh_"), "the URL carries the generated token: %s", consoleURL)
				assert.Contains(t, printed, "token: "+tok+"\n")
				assert.Contains(t, printed, "Authorization: Bearer "+tok)
				return
			}
			assert.Empty(t, u.RawQuery, "no token in the console URL")
			assert.Contains(t, printed, "token: the one given by "+tc.from+" (not printed)")
			assert.Contains(t, printed, "Authorization: Bearer $REVHOOK_TOKEN")
			for _, secret := range []string{supplied, tc.env} {
				if secret == "" {
					continue
				}
				assert.NotContains(t, printed, secret)
				assert.NotContains(t, printed, url.QueryEscape(secret))
				assert.NotContains(t, printed, secret[:8], "not even a prefix")
			}
		})
	}
}

// TestServeShutdownEndsConsoleStreams: an open console stream ends when
// serve shuts down, and does not hold the shutdown for its whole grace.
func TestServeShutdownEndsConsoleStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	out, errOut := newServeOutput(), &bytes.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- runServe(runCtx, []string{"--addr", "127.0.0.1:0", "--token", "tok-c", "--quiet", "--state", "memory"}, out, errOut)
	}()
	base := out.waitFor(ctx, t, regexp.MustCompile(`listening on (http://\S+)`))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/simulator/stream?token=tok-c", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() && sc.Text() != "event: hello" {
	}

	start := time.Now()
	stop()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, errOut.String())
	case <-ctx.Done():
		t.Fatal("serve did not stop")
	}
	assert.Less(t, time.Since(start), serveShutdownGrace, "the open stream held the shutdown")
	for sc.Scan() {
	}
	assert.Empty(t, errOut.String())
}
