package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/revhook/revhook/fixtures/faulty"
	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps"
)

func runReceiver(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("receiver", "receiver [--addr 127.0.0.1:8089] --secret SECRET", stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen address")
	secret := fs.String("secret", "", "webhook secret to verify signatures with (env REVHOOK_SECRET)")
	var keyEnc string
	choiceVar(fs, &keyEnc, "key-encoding", "raw", []string{"raw", "base64"}, "how the secret becomes the HMAC key: raw or base64")
	tolerance := fs.Duration("tolerance", receiver.DefaultTolerance, "accepted distance between an event's timestamp and now, either way")
	quiet := fs.Bool("quiet", false, "do not print a line per delivery")
	fault := fs.String("fault", "", "serve a deliberately broken receiver instead, to see what check catches "+
		"(its own key encoding and window: --key-encoding and --tolerance do not apply); one of: "+
		strings.Join(faulty.Names(), ", "))
	if code, done := parseFlags(fs, args); done {
		return code
	}
	*secret, _ = secretOrEnv(*secret)
	ke, err := signature.ParseKeyEncoding(keyEnc)
	if err != nil {
		return usageErr(stderr, "receiver", "--key-encoding: %v", err)
	}
	if err := steps.CheckSecret(*secret, ke); err != nil {
		return usageErr(stderr, "receiver", "%v", err)
	}
	if *tolerance <= 0 {
		return usageErr(stderr, "receiver", "--tolerance must be positive, got %s", *tolerance)
	}
	var fixture faulty.Fixture
	if *fault != "" {
		f, ok := faulty.Lookup(*fault)
		if !ok {
			return usageErr(stderr, "receiver", "--fault: unknown fixture %q (one of: %s)", *fault, strings.Join(faulty.Names(), ", "))
		}
		fixture = f
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
	var (
		handler http.Handler
		banner  = "reference receiver"
	)
	if fixture.Name == "" {
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
		handler = rcv
	} else {
		fh := fixture.New(*secret)
		if c, ok := fh.(io.Closer); ok {
			defer c.Close()
		}
		handler, banner = logStatus(fh, logf), "faulty receiver "+fixture.Name
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageErr(stderr, "receiver", "--addr: %v", err)
	}
	scheme := "http"
	if fixture.TLS {
		cert, err := selfSignedCert()
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "revhook receiver: %v\n", err)
			return exitInternal
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
	fmt.Fprintf(stdout, "%s listening on %s://%s/ (Ctrl-C to stop)\n", banner, scheme, ln.Addr())
	if fixture.Name != "" {
		fmt.Fprintf(stdout, "  fault: %s\n", fixture.Fault)
	}
	if fixture.TLS {
		fmt.Fprintln(stdout, "  self-signed certificate: run check with --insecure")
	}
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

// logStatus logs one line per request a faulty receiver answered.
func logStatus(h http.Handler, logf func(string, ...any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		logf("%d %s %s", sw.status, r.Method, time.Since(start).Round(time.Millisecond))
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (a fixture that
// closes it after an error hijacks it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// selfSignedCert makes a throwaway certificate for 127.0.0.1 and localhost.
func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generating a TLS key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "revhook receiver"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("creating a self-signed certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
