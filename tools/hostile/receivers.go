package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is one hostile receiver: what it does to every connection, and
// the words the reason `check` gives must contain.
type receiver struct {
	// name is the row's name; does says what the receiver does.
	name, does string
	// serve handles one accepted connection (a raw socket; it owns it).
	serve func(c net.Conn, n int64, done <-chan struct{})
	// tls, when set, replaces serve: an https receiver.
	tls func() (url string, stop func())
	// reason is a regexp (case-insensitive) the reason must match.
	reason string
}

// receivers lists the fifteen hostile receivers, in table order.
func receivers() []receiver {
	return []receiver{
		{name: "never-answers", does: "reads the request, never answers", serve: neverAnswers, reason: `no answer within`},
		{name: "trickle", does: "answers one byte a second", serve: trickle, reason: `headers were not complete`},
		{name: "endless-body", does: "200, then a body that never ends", serve: endlessBody, reason: `body exceeded 64 KiB`},
		{name: "huge-headers", does: "one 100 MB response header", serve: hugeHeaders, reason: `headers exceeded 64 KiB`},
		{name: "1xx-flood", does: "endless 102 Processing answers", serve: informationalFlood, reason: `1xx informational`},
		{name: "reset", does: "resets every connection (RST)", serve: reset, reason: `connection reset by the receiver`},
		{name: "redirect-loop", does: "307 to itself, forever", serve: redirectLoop, reason: `307 \(a redirect to /webhook`},
		{name: "tls-self-signed", does: "https with a self-signed certificate, no --insecure", tls: selfSigned, reason: `certificate is not trusted.*--insecure`},
		{name: "tls-handshake-stall", does: "reads the ClientHello, never answers it", serve: silentHandshake, reason: `TLS handshake not complete`},
		{name: "http10-no-length", does: "HTTP/1.0 200 without a length, never closes", serve: http10NoLength, reason: `body stopped after \d+ bytes`},
		{name: "half-read", does: "reads half the body, then stalls", serve: halfRead, reason: `no answer within`},
		{name: "silent-tcp", does: "accepts, never reads", serve: silentTCP, reason: `no answer within`},
		{name: "answers-twice-then-hangs", does: "answers 2 requests 200, then hangs", serve: twiceThenHang, reason: `stopped answering after (1 answer|2 answers)`},
		{name: "5xx-flood", does: "503 to everything", serve: serverErrors, reason: `answered 503`},
		{name: "close-after-headers", does: "headers with Content-Length 100, then closes", serve: closeAfterHeaders, reason: `closed the connection without a complete answer`},
	}
}

// listen serves r on a loopback port until stop; every connection is
// closed by stop, so no receiver outlives its row.
func listen(r receiver) (url string, stop func(), err error) {
	if r.tls != nil {
		url, stop = r.tls()
		return url, stop, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
		count atomic.Int64
		done  = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				// No receiver keeps a connection longer than a row may last.
				_ = c.SetDeadline(time.Now().Add(time.Minute))
				r.serve(c, count.Add(1), done)
			}()
		}
	}()
	stop = func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
	scheme := "http"
	if r.name == "tls-handshake-stall" {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String() + "/webhook", stop, nil
}

// readRequest reads one request's head (and leaves the body unread).
func readRequest(c net.Conn) (*http.Request, *bufio.Reader, error) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	return req, br, err
}

// readAll reads one request, body included.
func readAll(c net.Conn) error {
	req, _, err := readRequest(c)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err
}

// hold keeps the connection open, reading nothing, until the row ends.
func hold(done <-chan struct{}) { <-done }

func neverAnswers(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) == nil {
		drain(c)
	}
}

// drain reads and discards until the client closes.
func drain(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func trickle(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") {
		if _, err := c.Write([]byte{b}); err != nil {
			return
		}
		time.Sleep(time.Second)
	}
}

func endlessBody(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("endless ", 4096))
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

func hugeHeaders(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Huge: "); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("h", 64<<10))
	for sent := 0; sent < 100<<20; sent += len(chunk) {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
	_, _ = io.WriteString(c, "\r\nContent-Length: 0\r\n\r\n")
}

func informationalFlood(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	for {
		if _, err := io.WriteString(c, "HTTP/1.1 102 Processing\r\n\r\n"); err != nil {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func reset(c net.Conn, _ int64, _ <-chan struct{}) {
	_, _, _ = readRequest(c)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close sends RST
	}
}

func redirectLoop(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	_, _ = io.WriteString(c, "HTTP/1.1 307 Temporary Redirect\r\nLocation: /webhook\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

// selfSigned is an https receiver whose certificate no root signed.
func selfSigned() (string, func()) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	s.Config.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	s.Config.ErrorLog = quietLog()
	s.StartTLS()
	return s.URL + "/webhook", s.Close
}

func silentHandshake(c net.Conn, _ int64, _ <-chan struct{}) { drain(c) }

func http10NoLength(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok, and more to come"); err != nil {
		return
	}
	drain(c)
}

func halfRead(c net.Conn, _ int64, done <-chan struct{}) {
	req, br, err := readRequest(c)
	if err != nil {
		return
	}
	if req.ContentLength > 0 {
		_, _ = io.CopyN(io.Discard, br, req.ContentLength/2)
	}
	hold(done)
}

func silentTCP(_ net.Conn, _ int64, done <-chan struct{}) { hold(done) }

func twiceThenHang(c net.Conn, n int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	if n > 2 {
		drain(c)
		return
	}
	_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

func serverErrors(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	_, _ = io.WriteString(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy")
}

func closeAfterHeaders(c net.Conn, _ int64, _ <-chan struct{}) {
	if readAll(c) != nil {
		return
	}
	_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
}
