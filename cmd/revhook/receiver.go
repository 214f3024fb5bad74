package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/simulator/signature"
)

func runReceiver(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("receiver", "receiver [--addr 127.0.0.1:8089] --secret SECRET", stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen address")
	secret := fs.String("secret", "", "webhook secret to verify signatures with (env REVHOOK_SECRET)")
	keyEnc := fs.String("key-encoding", "raw", "how the secret becomes the HMAC key: raw or base64")
	tolerance := fs.Duration("tolerance", receiver.DefaultTolerance, "accepted distance between an event's timestamp and now, either way")
	quiet := fs.Bool("quiet", false, "do not print a line per delivery")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *secret == "" {
		*secret = envSecret()
	}
	if *secret == "" {
		return usageErr(stderr, "receiver", "--secret is required (or set REVHOOK_SECRET)")
	}
	ke, err := signature.ParseKeyEncoding(*keyEnc)
	if err != nil {
		return usageErr(stderr, "receiver", "--key-encoding: %v", err)
	}
	if *tolerance <= 0 {
		return usageErr(stderr, "receiver", "--tolerance must be positive, got %s", *tolerance)
	}
	var mu sync.Mutex
	logf := func(format string, a ...any) {
		if *quiet {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, a...))
	}
	rcv, err := receiver.New(receiver.Config{
		Secret: *secret, KeyEncoding: ke, Tolerance: *tolerance,
		OnEvent: func(d receiver.Delivery) {
			dup := ""
			if d.Duplicate {
				dup = " (duplicate)"
			}
			logf("200 %-24s %s%s", d.Type, d.ID, dup)
		},
		OnReject: func(status int, reason string) { logf("%d %s", status, reason) },
	})
	if err != nil {
		return usageErr(stderr, "receiver", "%v", err)
	}
	defer rcv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageErr(stderr, "receiver", "--addr: %v", err)
	}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
	fmt.Fprintf(stdout, "reference receiver listening on http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "revhook receiver: %v\n", err)
		return exitInternal
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "revhook receiver: shutdown: %v\n", err)
	}
	return exitOK
}
