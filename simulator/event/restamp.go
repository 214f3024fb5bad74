package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoTimestamp is returned by Restamp and EnvelopeTimestamp for a body
// whose top-level object has no "timestamp" string to rewrite.
var ErrNoTimestamp = errors.New(`no top-level "timestamp" string`)

// Restamp returns a copy of body, an encoded envelope, whose top-level
// "timestamp" value is t written with p fractional digits (FormatTimestamp).
// Every other byte is kept as it is: the payload is not re-encoded, so its
// own "timestamp" keys, key order, spacing and escaping are untouched.
//
// The key is found wherever it stands at the top level, values before it
// skipped whole. In DevRev's envelope (id, timestamp, webhook_id, <type
// field>, type, compact or indented) it is the second key, so finding it
// reads ~100 bytes however large the payload; the rest of the body is
// copied, not parsed. An envelope has one timestamp: in a body with
// several, the first is rewritten. Restamp fails on a body that does not
// start as a JSON object or has no top-level "timestamp" string
// (ErrNoTimestamp).
//
// A retry is a new invocation of the webhook: DevRev's schema describes
// timestamp as "the webhook's invocation" time, and receivers refuse one
// stale by several seconds, so each attempt carries its own (docs/protocol.md §1.1).
func Restamp(body []byte, t time.Time, p Precision) ([]byte, error) {
	start, end, err := findTimestamp(body)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)-(end-start)+len("2006-01-02T15:04:05.000000000Z"))
	out = AppendTimestamp(append(out, body[:start]...), t, p)
	return append(out, body[end:]...), nil
}

// AppendTimestamp appends FormatTimestamp(t, p) to dst, without
// allocating when dst has room.
func AppendTimestamp(dst []byte, t time.Time, p Precision) []byte {
	if p <= 0 || p > Nanoseconds {
		p = Nanoseconds
	}
	const layout = "2006-01-02T15:04:05.000000000"
	return append(t.UTC().AppendFormat(dst, layout[:len(layout)-int(Nanoseconds-p)]), 'Z')
}

// EnvelopeTimestamp returns the top-level "timestamp" value of body as
// written (between its quotes, escapes undecoded), or ErrNoTimestamp.
func EnvelopeTimestamp(body []byte) (string, error) {
	start, end, err := findTimestamp(body)
	if err != nil {
		return "", err
	}
	return string(body[start:end]), nil
}

// PrecisionOf returns how many fractional-second digits (1–9) an RFC 3339
// timestamp carries; ok is false when s is not an RFC 3339 timestamp with
// a fraction.
func PrecisionOf(s string) (p Precision, ok bool) {
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return 0, false
	}
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return 0, false
	}
	n := 0
	for _, c := range s[dot+1:] {
		if c < '0' || c > '9' {
			break
		}
		n++
	}
	if n < 1 || n > 9 {
		return 0, false
	}
	return Precision(n), true
}

// findTimestamp returns the bounds of the contents of the top-level
// "timestamp" string of body (between its quotes).
func findTimestamp(body []byte) (start, end int, err error) {
	s := scanner{b: body}
	s.space()
	if !s.consume('{') {
		return 0, 0, s.errorf("not a JSON object")
	}
	for first := true; ; first = false {
		s.space()
		if s.consume('}') {
			return 0, 0, ErrNoTimestamp
		}
		if !first && !s.consume(',') {
			return 0, 0, s.errorf("expected , or }")
		}
		s.space()
		k0, k1, err := s.str()
		if err != nil {
			return 0, 0, err
		}
		s.space()
		if !s.consume(':') {
			return 0, 0, s.errorf("expected :")
		}
		s.space()
		v0 := s.i
		if err := s.value(); err != nil {
			return 0, 0, err
		}
		if !isTimestampKey(body[k0:k1]) {
			continue
		}
		if body[v0] != '"' {
			return 0, 0, fmt.Errorf("%w: its value is not a string", ErrNoTimestamp)
		}
		return v0 + 1, s.i - 1, nil
	}
}

// isTimestampKey reports whether the raw contents of a key string spell
// "timestamp", escaped or not.
func isTimestampKey(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == "timestamp"
	}
	var k string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	return json.Unmarshal(quoted, &k) == nil && k == "timestamp"
}

// scanner walks JSON text just enough to find the top-level keys: it
// skips values without decoding them.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) errorf(format string, a ...any) error {
	return fmt.Errorf("envelope at byte %d: %s", s.i, fmt.Sprintf(format, a...))
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str skips a string and returns the bounds of its contents.
func (s *scanner) str() (start, end int, err error) {
	if !s.consume('"') {
		return 0, 0, s.errorf("expected a string")
	}
	start = s.i
	for s.i < len(s.b) {
		j := bytes.IndexAny(s.b[s.i:], `"\`)
		if j < 0 {
			break
		}
		s.i += j
		if s.b[s.i] == '"' {
			s.i++
			return start, s.i - 1, nil
		}
		s.i += 2 // an escape: skip the escaped byte
	}
	s.i = len(s.b)
	return 0, 0, s.errorf("unterminated string")
}

// value skips one value: a string, an object or array (by depth, strings
// skipped whole), or a literal or number (up to the next delimiter).
func (s *scanner) value() error {
	if s.i >= len(s.b) {
		return s.errorf("expected a value")
	}
	switch s.b[s.i] {
	case '"':
		_, _, err := s.str()
		return err
	case '{', '[':
		return s.nested()
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if s.i == start {
				return s.errorf("expected a value")
			}
			return nil
		case '"', '{', '[', ':':
			return s.errorf("unexpected %q", s.b[s.i])
		}
		s.i++
	}
	return nil
}

// nested skips an object or array, matching brackets.
func (s *scanner) nested() error {
	var buf [32]byte
	stack := buf[:0]
	for s.i < len(s.b) {
		j := bytes.IndexAny(s.b[s.i:], `"{}[]`)
		if j < 0 {
			break
		}
		s.i += j
		switch c := s.b[s.i]; c {
		case '"':
			if _, _, err := s.str(); err != nil {
				return err
			}
			continue
		case '{', '[':
			stack = append(stack, c+2) // '{'+2 == '}', '['+2 == ']'
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return s.errorf("unbalanced %q", c)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.i++
				return nil
			}
		}
		s.i++
	}
	s.i = len(s.b)
	return s.errorf("unterminated object or array")
}
