package steps

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/internal/suggest"
	"github.com/revhook/revhook/simulator/clock"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/simulator/webhook"
	"github.com/revhook/revhook/steps/harness"
)

// DefaultTimeout is the receiver's response deadline when Config.Timeout is
// zero: DevRev's 3 seconds (docs/protocol.md §1.2).
const DefaultTimeout = 3 * time.Second

// KeyEncodingAuto detects how the secret becomes the HMAC key: its bytes,
// or its base64 decoding when it is valid base64.
const KeyEncodingAuto signature.KeyEncoding = "auto"

// Encoding names accepted in Config.Encoding.
const (
	EncodingAuto   = "auto"
	EncodingHex    = string(signature.Hex)
	EncodingBase64 = string(signature.Base64)
)

// Config is one `revhook check` run.
type Config struct {
	// URL is the receiver endpoint (http or https).
	URL string
	// Secret is the webhook secret the receiver verifies with. It is used to
	// sign and never appears in the report.
	Secret string
	// Encoding of the signature header: "auto" (default when empty), "hex"
	// or "base64". Auto sends one correctly signed event each way and uses
	// the one the receiver accepts, hex when both are.
	Encoding string
	// KeyEncoding says how Secret becomes the HMAC key: raw, base64, or
	// auto (when empty: detection also tries the base64 decoding).
	KeyEncoding signature.KeyEncoding
	// Only selects requirement IDs ("SIG-02" or "@SIG-02"); empty means all.
	Only []string
	// Skip excludes requirement IDs; they appear in the report as skipped.
	Skip []string
	// Tags is a godog tag expression selecting scenarios, e.g.
	// "@must && ~@slow" (AND of comma-separated OR groups, ~ negates). It
	// combines with Only and Skip.
	Tags string
	// Timeout is the receiver's response deadline; DefaultTimeout when zero.
	Timeout time.Duration
	// Insecure accepts any TLS certificate on https receivers.
	Insecure bool
	// Version is the tool version written in the report.
	Version string
	// Cucumber, if set, receives godog's cucumber JSON of the run (with the
	// secret redacted).
	Cucumber io.Writer
	// Seed makes every payload and event id of the run repeatable (its
	// timestamps and signatures follow the clock); 0 picks one, which the
	// report records.
	Seed int64
	// Header holds extra headers sent with every request, e.g. the key a
	// gateway in front of the receiver wants (--header). Their values are
	// redacted from every output.
	Header http.Header
	// Clock tells the time of the events' timestamps; the real clock when nil.
	Clock clock.Clock
	// Deadlines is the clock the receiver's deadlines are measured on (see
	// harness.Options.Deadlines); the real clock when nil.
	Deadlines clock.Clock
}

// ConfigError is a configuration problem found before anything was sent
// (`revhook check` exits 2 on it). Field names the setting by its CLI flag
// name: url, secret, encoding, key-encoding, only, skip, timeout.
type ConfigError struct {
	Field string
	Err   error
}

// Error implements error.
func (e *ConfigError) Error() string { return "--" + e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(field, format string, a ...any) *ConfigError {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, a...)}
}

// settings is a validated Config.
type settings struct {
	Config
	target   *url.URL
	encoding string // auto, hex or base64
	keyEnc   signature.KeyEncoding
	only     []string // normalised IDs
	skip     []string // normalised IDs
	seed     int64
	runID    string
}

// harnessOptions are the harness's options for these settings.
func (s *settings) harnessOptions() harness.Options {
	o := harness.Options{
		URL: s.target, Secret: s.Secret, Timeout: s.Timeout, Insecure: s.Insecure,
		Seed: s.seed, Header: s.Header, Clock: s.Clock, Deadlines: s.Deadlines, Concurrency: Concurrency,
	}
	if s.encoding != EncodingAuto {
		o.Encoding = signature.Encoding(s.encoding)
	}
	if s.keyEnc != KeyEncodingAuto {
		o.KeyEncoding = s.keyEnc
	}
	return o
}

// headerValues are the values of the extra headers, redacted from output.
func (s *settings) headerValues() []string {
	var out []string
	for _, vs := range s.Header {
		out = append(out, vs...)
	}
	return out
}

// validate checks everything needed to send; it never touches the network.
func validate(cfg Config) (*settings, error) {
	s := &settings{Config: cfg}
	u, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, &ConfigError{Field: "url", Err: err}
	}
	s.target = u
	s.encoding = cfg.Encoding
	if s.encoding == "" {
		s.encoding = EncodingAuto
	}
	if s.encoding != EncodingAuto {
		if _, err := signature.ParseEncoding(s.encoding); err != nil {
			return nil, configErr("encoding", "unknown signature encoding %q (want auto, hex or base64)", s.encoding)
		}
	}
	s.keyEnc = cfg.KeyEncoding
	if s.keyEnc == "" {
		s.keyEnc = KeyEncodingAuto
	}
	if s.keyEnc != KeyEncodingAuto {
		if _, err := signature.ParseKeyEncoding(string(s.keyEnc)); err != nil {
			return nil, configErr("key-encoding", "%v (or auto)", err)
		}
	}
	secretRule := s.keyEnc
	if secretRule == KeyEncodingAuto {
		secretRule = signature.KeyRaw
	}
	if err := CheckSecret(cfg.Secret, secretRule); err != nil {
		return nil, err
	}
	if err := checkHeader(cfg.Header); err != nil {
		return nil, err
	}
	s.seed = cfg.Seed
	if s.seed == 0 {
		s.seed = newSeed()
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("making the run id: %w", err)
	}
	s.runID = id.String()
	if cfg.Timeout < 0 {
		return nil, configErr("timeout", "must be positive, got %s", cfg.Timeout)
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if err := s.checkSelection(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseURL checks a receiver URL: http or https, a host, a valid port, no
// fragment.
func ParseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("the receiver URL is required")
	}
	if !strings.Contains(raw, "://") {
		return nil, fmt.Errorf("%q has no scheme: write http://%s or https://%s", raw, raw, raw)
	}
	u, err := url.Parse(raw)
	shown := redact.URL(raw) // the messages below never quote a password
	switch {
	case err != nil && shown != raw:
		return nil, fmt.Errorf("%q is not a URL", shown) // its detail may quote the password
	case err != nil:
		return nil, fmt.Errorf("%q is not a URL: %v", raw, errors.Unwrap(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q must start with http:// or https://", shown)
	case u.Hostname() == "" || u.Host == "":
		return nil, fmt.Errorf("%q has no host", shown)
	case u.Fragment != "":
		return nil, fmt.Errorf("%q has a #fragment, which is never sent", shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%q has port %s, outside 1..65535", shown, p)
		}
	}
	return u, nil
}

// CheckSecret is the one secret rule of every command (check, send,
// receiver, replay): required; 8 to 32 bytes (DevRev's webhooks.update
// rule), or, for a secret whose base64 decoding is the key, valid base64
// of at least 8 characters. The error is a *ConfigError for --secret.
func CheckSecret(secret string, k signature.KeyEncoding) error {
	if secret == "" {
		return configErr("secret", "the webhook secret is required (or set REVHOOK_SECRET)")
	}
	if k == signature.KeyBase64 {
		key, err := signature.Key(secret, k)
		if err != nil {
			return &ConfigError{Field: "secret", Err: err}
		}
		if len(key) == 0 || len(secret) < signature.MinSecretLen {
			return configErr("secret", "the secret is %d bytes; it must be at least %d", len(secret), signature.MinSecretLen)
		}
		return nil
	}
	if err := signature.ValidateSecret(secret); err != nil {
		return &ConfigError{Field: "secret", Err: err}
	}
	return nil
}

// checkSelection validates Only, Skip and Tags (no URL or secret needed).
func (s *settings) checkSelection() error {
	var err error
	if s.only, err = normaliseIDs("only", s.Only); err != nil {
		return err
	}
	if s.skip, err = normaliseIDs("skip", s.Skip); err != nil {
		return err
	}
	if err := checkTagExpr(s.Tags); err != nil {
		return &ConfigError{Field: "only", Err: err}
	}
	return nil
}

var (
	idPattern  = regexp.MustCompile(`^[A-Z]{3}-[0-9]{2}$`)
	tagPattern = regexp.MustCompile(`^~?@?[A-Za-z0-9_.:-]+$`)
)

// LooksLikeIDs reports whether every comma-separated item of s is a
// requirement ID, with or without '@' ("SIG-02,@VER-01"); anything else is
// a tag expression.
func LooksLikeIDs(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(item), "@"))
		if item != "" && !idPattern.MatchString(item) {
			return false
		}
	}
	return true
}

// SplitIDs splits a comma-separated list of requirement IDs; empty items
// are dropped. The IDs are checked by Run and List.
func SplitIDs(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func normaliseIDs(field string, ids []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, raw := range ids {
		id := strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(raw), "@"))
		if id == "" {
			continue
		}
		if _, ok := features.Lookup(id); !ok {
			return nil, configErr(field, "unknown requirement ID %q%s (run 'revhook catalog' for the list)", raw, suggest.HintBy(id, features.Requirements(), func(r features.Requirement) string { return r.ID }))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// checkTagExpr validates a godog tag expression: groups joined by "&&",
// each a comma-separated list of tags, each optionally negated with "~".
// Requirement IDs named in it must exist.
func checkTagExpr(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	for _, group := range strings.Split(expr, "&&") {
		for _, term := range strings.Split(group, ",") {
			term = strings.TrimSpace(term)
			if term == "" {
				return fmt.Errorf("tag expression %q has an empty term (write e.g. \"@must && ~@slow\" or \"@SIG-02,@VER-01\")", expr)
			}
			if !tagPattern.MatchString(term) {
				return fmt.Errorf("tag expression %q: %q is not a tag (tags look like @must, ~@slow, @SIG-02; groups are joined with && and alternatives with ,)", expr, term)
			}
			name := strings.TrimPrefix(strings.TrimPrefix(term, "~"), "@")
			if up := strings.ToUpper(name); idPattern.MatchString(up) {
				if _, ok := features.Lookup(up); !ok {
					return fmt.Errorf("tag expression %q names unknown requirement ID %q", expr, name)
				}
				if up != name {
					return fmt.Errorf("tag expression %q: requirement tags are upper case (@%s)", expr, up)
				}
			}
		}
	}
	return nil
}

// tagFilter builds the godog tag filter for the selection. skip lists the
// IDs to exclude (nil to compute the selection before --skip).
func tagFilter(only []string, tags string, skip []string) string {
	var parts []string
	if len(only) > 0 {
		alts := make([]string, len(only))
		for i, id := range only {
			alts[i] = "@" + id
		}
		parts = append(parts, strings.Join(alts, ","))
	}
	if t := strings.TrimSpace(tags); t != "" {
		parts = append(parts, t)
	}
	for _, id := range skip {
		parts = append(parts, "~@"+id)
	}
	return strings.Join(parts, " && ")
}

// checkHeader validates extra headers the way DevRev validates a
// webhook's custom headers (webhook.CheckHeaderName and CheckHeaderValue):
// at most webhook.MaxHeaders, no reserved name. Errors never quote values.
func checkHeader(h http.Header) error {
	if len(h) > webhook.MaxHeaders {
		return configErr("header", "%d headers; at most %d", len(h), webhook.MaxHeaders)
	}
	for k, vs := range h {
		if err := webhook.CheckHeaderName(k); err != nil {
			return &ConfigError{Field: "header", Err: err}
		}
		for _, v := range vs {
			if err := webhook.CheckHeaderValue(v); err != nil {
				return configErr("header", "%s: %v", k, err)
			}
		}
	}
	return nil
}
