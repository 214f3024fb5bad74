package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
)

// maxSignBytes bounds the body `revhook sign` reads (stdin or --file).
const maxSignBytes = 16 << 20

const signSynopsis = `sign --secret SECRET [--encoding hex|base64] [--key-encoding raw|base64] [--file FILE]
       revhook sign --secret SECRET --type TYPE [--seed N]

Prints the X-DevRev-Signature value of a body (stdin, or --file) as DevRev
computes it: HMAC-SHA256 of the raw bytes, keyed with the secret.
With --type, prints a complete signed example delivery instead: its headers, a
blank line and its body on one line (timestamped now), for your own tests.`

// signFlags are the flag values of `revhook sign`.
type signFlags struct {
	secret, encoding, keyEncoding, file, typ string
	seed                                     uint64
}

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return sign(ctx, args, os.Stdin, stdout, stderr)
}

// sign is runSign with the body's default source, stdin, injected.
func sign(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("sign", signSynopsis, stderr)
	f := &signFlags{}
	fs.StringVar(&f.secret, "secret", "", "webhook secret, 8-32 bytes (env REVHOOK_SECRET)")
	choiceVar(fs, &f.encoding, "encoding", "hex", []string{"hex", "base64"}, "signature encoding: hex or base64")
	choiceVar(fs, &f.keyEncoding, "key-encoding", "raw", []string{"raw", "base64"}, "how the secret becomes the HMAC key: raw (its bytes) or base64 (its decoding)")
	fs.StringVar(&f.file, "file", "", "sign this file's bytes instead of stdin (- for stdin)")
	fs.StringVar(&f.typ, "type", "", "print a signed example delivery of this event type ('revhook catalog' lists them)")
	fs.Uint64Var(&f.seed, "seed", 0, "with --type: seed for the example's ids and payload (0: random)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	signer, err := newSendSigner(&sendFlags{secret: f.secret, encoding: f.encoding, keyEncoding: f.keyEncoding})
	if err != nil {
		return usageErr(stderr, "sign", "%v", err)
	}
	given := givenFlags(fs)
	if f.typ == "" {
		if given["seed"] {
			return usageErr(stderr, "sign", "--seed applies only with --type")
		}
		body, err := readSignBody(ctx, f.file, stdin)
		if err != nil {
			return usageErr(stderr, "sign", "%v", err)
		}
		fmt.Fprintln(stdout, signer.Sign(body))
		return exitOK
	}
	if given["file"] {
		return usageErr(stderr, "sign", "--file and --type exclude each other: sign your body, or print an example")
	}
	return signExample(f, signer, stdout, stderr)
}

// signExample prints a complete signed delivery of type f.typ.
func signExample(f *signFlags, signer *signature.Signer, stdout, stderr io.Writer) int {
	if err := validateType(f.typ); err != nil {
		return usageErr(stderr, "sign", "%v", err)
	}
	g := event.NewGenerator(event.Options{Seed: f.seed})
	ev, err := g.New(f.typ, g.WebhookID())
	if err != nil {
		return usageErr(stderr, "sign", "--type: %v", err)
	}
	body, err := ev.Encode()
	if err != nil {
		fmt.Fprintf(stderr, "revhook sign: encoding the example: %v\n", err)
		return exitInternal
	}
	fmt.Fprintf(stdout, "Content-Type: application/json\n%s: %s\n\n%s\n", signature.Header, signer.Sign(body), body)
	return exitOK
}

// readSignBody reads the body to sign from file ("" or "-": stdin), at most
// maxSignBytes. A terminal on stdin is an error rather than a wait for input.
func readSignBody(ctx context.Context, file string, stdin io.Reader) ([]byte, error) {
	src, name := stdin, "stdin"
	if file != "" && file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--file: %w", err)
		}
		defer fh.Close()
		src, name = fh, file
	} else if isInteractive(stdin) {
		return nil, errors.New("no body to sign: pipe it in (revhook sign --secret S < body.json) or use --file")
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(src, maxSignBytes+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("reading %s: %w", name, ctx.Err())
	case r := <-done:
		switch {
		case r.err != nil:
			return nil, fmt.Errorf("reading %s: %w", name, r.err)
		case len(r.b) > maxSignBytes:
			return nil, fmt.Errorf("%s is larger than %d MiB, the most sign reads", name, maxSignBytes>>20)
		}
		return r.b, nil
	}
}

// isInteractive reports whether r is a terminal (a character device other
// than /dev/null), where reading would wait for someone to type a body.
func isInteractive(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
