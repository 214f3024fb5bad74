package main

import (
	"context"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneSecretRuleInEveryCommand: check, send, receiver, replay and sign refuse
// the same secrets with the same words, exit 2, before doing anything.
func TestOneSecretRuleInEveryCommand(t *testing.T) {
	commands := map[string][]string{
		"check":    {"check", "--url", "http://127.0.0.1:9/"},
		"send":     {"send", "--url", "http://127.0.0.1:9/", "--schedule", ""},
		"receiver": {"receiver", "--addr", "127.0.0.1:0"},
		"replay":   {"replay", "--report", "no-such-report.json", "SIG-01"},
		"sign":     {"sign", "--file", "no-such-body.json"},
	}
	for _, tc := range []struct{ secret, want string }{
		{"abc", "secret is 3 bytes; it must be 8 to 32 bytes"},
		{strings.Repeat("s", 33), "secret is 33 bytes; it must be 8 to 32 bytes"},
	} {
		for name, args := range commands {
			t.Run(name+"/"+tc.secret[:3], func(t *testing.T) {
				code, _, stderr := revhook(context.Background(), append(args, "--secret", tc.secret)...)
				assert.Equal(t, exitUsage, code, stderr)
				assert.Contains(t, stderr, tc.want)
				assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			})
		}
	}
}

// TestUsageErrorsExitTwo: the bad values REPORT.md names are usage errors,
// refused with one line before anything is sent.
func TestUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"port out of range", []string{"check", "--url", "http://127.0.0.1:99999/", "--secret", cliSecret}, "port 99999, outside 1..65535"},
		{"schedule overflows once scaled", []string{"serve", "--schedule", "2562047h", "--time-scale", "1000"}, "--schedule: 2562047h0m0s at --time-scale 1000 is over the longest duration"},
		{"send's schedule overflows once scaled", []string{"send", "--url", "http://127.0.0.1:9/", "--secret", cliSecret, "--schedule", "30s,2562047h", "--time-scale", "1000"}, "--schedule: 2562047h0m0s at --time-scale 1000 is over the longest duration"},
		{"verify window overflows once scaled", []string{"serve", "--verify-window", "2000000h", "--time-scale", "1000"}, "--verify-window"},
		{"re-verify period overflows once scaled", []string{"serve", "--reverify-every", "2000000h", "--time-scale", "1000"}, "--reverify-every"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := revhook(context.Background(), tc.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tc.want)
			assert.Empty(t, stdout)
		})
	}
}

// TestSignalsExitTheShellsCodes: a command stopped by SIGINT or SIGTERM
// exits 130 or 143, whatever its cut-short work concluded.
func TestSignalsExitTheShellsCodes(t *testing.T) {
	// A receiver that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	url := "http://" + ln.Addr().String() + "/"
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for name, args := range map[string][]string{
			"send":  {"send", "--url", url, "--secret", cliSecret, "--count", "3", "--timeout", "1m"},
			"serve": {"serve", "--addr", "127.0.0.1:0", "--state", "memory", "--quiet"},
			"check": {"check", "--url", url, "--secret", cliSecret, "--timeout", "1m", "--quiet"},
		} {
			t.Run(name+"/"+sig.String(), func(t *testing.T) {
				ctx, cancel := context.WithCancelCause(context.Background())
				done := make(chan int, 1)
				go func() {
					code, _, _ := revhook(ctx, args...)
					done <- code
				}()
				cancel(interruption{sig}) // as interruptible does on the signal
				select {
				case code := <-done:
					assert.Equal(t, 128+int(sig), code)
				case <-time.After(30 * time.Second): // a hang guard, not a timing
					t.Fatal(name + " did not stop")
				}
			})
		}
	}
}
