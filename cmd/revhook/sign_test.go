package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/fixtures/receiver"
	"github.com/revhook/revhook/simulator/signature"
)

// runSignWith runs `revhook sign args` with stdin and returns the exit code
// and both outputs.
func runSignWith(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := sign(context.Background(), args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestSignVectors checks sign against the published test vectors, from stdin
// and from --file, in both encodings.
func TestSignVectors(t *testing.T) {
	raw, err := os.ReadFile("../../fixtures/vectors/signatures.json")
	require.NoError(t, err)
	var vectors []struct {
		Name, Secret, Body, Hex, Base64 string
		KeyEncoding                     string `json:"key_encoding"`
	}
	require.NoError(t, json.Unmarshal(raw, &vectors))
	require.NotEmpty(t, vectors)
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "body")
			require.NoError(t, os.WriteFile(file, []byte(v.Body), 0o600))
			for enc, want := range map[string]string{"hex": v.Hex, "base64": v.Base64} {
				args := []string{"--secret", v.Secret, "--key-encoding", v.KeyEncoding, "--encoding", enc}
				code, out, errOut := runSignWith(t, strings.NewReader(v.Body), args...)
				assert.Equal(t, exitOK, code, errOut)
				assert.Equal(t, want+"\n", out, "stdin, %s", enc)
				code, out, _ = runSignWith(t, strings.NewReader("not this"), append(args, "--file", file)...)
				assert.Equal(t, exitOK, code)
				assert.Equal(t, want+"\n", out, "--file, %s", enc)
				code, out, _ = runSignWith(t, strings.NewReader(v.Body), append(args, "--file", "-")...)
				assert.Equal(t, exitOK, code)
				assert.Equal(t, want+"\n", out, "--file -, %s", enc)
			}
		})
	}
}

// TestSignMatchesOpenSSL cross-checks random bodies with openssl's HMAC.
func TestSignMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed; the vectors test covers the same ground")
	}
	const secret = "openssl-cross-1"
	for _, n := range []int{0, 1, 4096} {
		body := make([]byte, n)
		_, _ = rand.Read(body)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, openssl, "dgst", "-sha256", "-hmac", secret)
		cmd.Stdin = bytes.NewReader(body)
		got, err := cmd.Output()
		cancel()
		require.NoError(t, err)
		fields := strings.Fields(string(got))
		require.NotEmpty(t, fields)
		code, out, _ := runSignWith(t, bytes.NewReader(body), "--secret", secret)
		assert.Equal(t, exitOK, code)
		assert.Equal(t, fields[len(fields)-1]+"\n", out, "%d random bytes", n)
	}
}

func TestSignSecretFromEnvironment(t *testing.T) {
	t.Setenv("REVHOOK_SECRET", "12345678")
	code, out, _ := runSignWith(t, strings.NewReader(`{ "type" : "work_created",`+"\n"+`  "title": "caf\u00e9 ☃" }`+"\n"))
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "37db8484040cd4c44bc86014eed250ceba8f95a96238ab80cd554d4ce8ab8144\n", out)

	t.Setenv("REVHOOK_SECRET", "short")
	code, _, errOut := runSignWith(t, strings.NewReader("{}"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "REVHOOK_SECRET")
}

// TestSignBadInputExitsTwo: every bad input gets one line on stderr, exit 2,
// nothing on stdout, and never the secret.
func TestSignBadInputExitsTwo(t *testing.T) {
	t.Setenv("REVHOOK_SECRET", "")
	const secret = "never-print-me-1"
	big := io.LimitReader(zeros{}, maxSignBytes+1)
	tests := []struct {
		name  string
		stdin io.Reader
		args  []string
		want  string
	}{
		{"no secret", nil, nil, "--secret: is required"},
		{"short secret", nil, []string{"--secret", "short"}, "--secret: secret is 5 bytes"},
		{"long secret", nil, []string{"--secret", strings.Repeat("x", 33)}, "--secret: secret is 33 bytes"},
		{"bad encoding", nil, []string{"--secret", secret, "--encoding", "hex2"}, `--encoding: invalid value "hex2": want hex, base64 (did you mean hex?)`},
		{"bad key encoding", nil, []string{"--secret", secret, "--key-encoding", "utf8"}, `--key-encoding: invalid value "utf8": want raw, base64`},
		{"secret not base64", nil, []string{"--secret", secret, "--key-encoding", "base64"}, "--secret: secret is not valid base64"},
		{"missing file", nil, []string{"--secret", secret, "--file", "/nonexistent/body.json"}, "--file: open /nonexistent/body.json"},
		{"directory", nil, []string{"--secret", secret, "--file", "."}, "reading ."},
		{"over the limit", big, []string{"--secret", secret}, "stdin is larger than 16 MiB"},
		{"seed without type", nil, []string{"--secret", secret, "--seed", "3"}, "--seed applies only with --type"},
		{"file and type", nil, []string{"--secret", secret, "--type", "work_created", "--file", "x"}, "--file and --type exclude each other"},
		{"unknown type", nil, []string{"--secret", secret, "--type", "work_exploded"}, `--type: unknown event type "work_exploded"`},
		{"stray argument", nil, []string{"--secret", secret, "body.json"}, `unexpected argument "body.json"`},
		{"unknown flag", nil, []string{"--secret", secret, "--hex"}, "unknown flag --hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin := tt.stdin
			if stdin == nil {
				stdin = strings.NewReader("{}")
			}
			code, out, errOut := runSignWith(t, stdin, tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tt.want)
			assert.NotContains(t, out+errOut, secret)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			assert.Contains(t, errOut, "see 'revhook sign --help'")
		})
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestSignStopsWaitingOnCancel: a stdin that never ends does not hang sign
// once its context is cancelled.
func TestSignStopsWaitingOnCancel(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errOut bytes.Buffer
	code := sign(ctx, []string{"--secret", "12345678"}, pr, io.Discard, &errOut)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), "reading stdin: context canceled")
}

// TestSignExampleIsAValidDelivery: the --type output is headers, a blank line
// and a body the reference receiver accepts as it stands; --seed fixes the ids.
func TestSignExampleIsAValidDelivery(t *testing.T) {
	const secret = "example-secret-1"
	for _, tc := range []struct{ typ, enc string }{{"work_created", "hex"}, {"verify", "base64"}, {"tag_deleted", "hex"}} {
		t.Run(tc.typ, func(t *testing.T) {
			code, out, errOut := runSignWith(t, nil, "--secret", secret, "--type", tc.typ, "--seed", "7", "--encoding", tc.enc)
			require.Equal(t, exitOK, code, errOut)
			assert.NotContains(t, out, secret)
			head, body, ok := strings.Cut(out, "\n\n")
			require.True(t, ok, "a blank line separates headers and body:\n%s", out)
			body = strings.TrimSuffix(body, "\n")
			assert.NotContains(t, body, "\n", "the body is one line")
			header := http.Header{}
			for _, line := range strings.Split(head, "\n") {
				name, value, ok := strings.Cut(line, ": ")
				require.True(t, ok, "header line %q", line)
				header.Set(name, value)
			}
			assert.Equal(t, "application/json", header.Get("Content-Type"))
			v, err := signature.NewVerifier(secret, signature.KeyRaw)
			require.NoError(t, err)
			assert.True(t, v.Verify([]byte(body), header.Get(signature.Header)), "the signature matches the body")

			var ev struct{ ID, Type string }
			require.NoError(t, json.Unmarshal([]byte(body), &ev))
			assert.Equal(t, tc.typ, ev.Type)
			_, again, _ := runSignWith(t, nil, "--secret", secret, "--type", tc.typ, "--seed", "7", "--encoding", tc.enc)
			assert.Contains(t, again, `"id":"`+ev.ID+`"`, "the same seed gives the same ids")

			rcv, err := receiver.New(receiver.Config{Secret: secret})
			require.NoError(t, err)
			defer rcv.Close()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header = header
			rec := httptest.NewRecorder()
			rcv.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusOK, rec.Code, "the reference receiver accepts the example: %s", rec.Body)
		})
	}
}

func TestSignHelp(t *testing.T) {
	for _, args := range [][]string{{"sign", "--help"}, {"help", "sign"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		assert.Equal(t, exitOK, code, args)
		assert.Contains(t, out.String(), "--key-encoding", args)
		assert.Empty(t, errOut.String(), args)
	}
}
