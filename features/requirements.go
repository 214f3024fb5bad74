package features

// Requirement is one entry of the conformance catalogue (PROTOCOL.md §2).
// IDs are stable: they never change and are never reused.
type Requirement struct {
	// ID is the stable identifier, e.g. "SIG-02"; its prefix is the group.
	ID string `json:"id"`
	// Level is MUST, SHOULD or INFO.
	Level string `json:"level"`
	// Title is a one-line name for reports, e.g. "An event with a wrong signature is refused".
	Title string `json:"title"`
	// Text is the requirement as PROTOCOL.md §2 states it.
	Text string `json:"text"`
}

// Requirement levels, as in PROTOCOL.md §2.
const (
	Must   = "MUST"
	Should = "SHOULD"
	Info   = "INFO"
)

// catalogue returns the table in PROTOCOL.md §2 order. It is a function, not
// a package variable, so that callers can never modify a shared copy.
func catalogue() []Requirement {
	return []Requirement{
		{"VER-01", Must, "A verify event is answered with its challenge",
			"A signed `verify` event gets `200` and a JSON body `{\"challenge\": X}` with X exactly the challenge sent (varied lengths and characters)."},
		{"VER-02", Must, "The verify answer arrives within 3 s",
			"The verify answer arrives within 3 s."},
		{"VER-03", Should, "The verify answer is JSON",
			"The verify answer has `Content-Type: application/json`."},
		{"VER-04", Should, "A badly signed verify event does not get the challenge",
			"A `verify` event with a bad signature is not answered with the challenge."},
		{"SIG-01", Must, "A correctly signed event is acknowledged",
			"A correctly signed event is acknowledged with 2xx."},
		{"SIG-02", Must, "An event with a wrong signature is refused",
			"An event with a wrong signature is refused (non-2xx; 401/403 expected)."},
		{"SIG-03", Must, "An event without a signature is refused",
			"An event without `X-DevRev-Signature` is refused."},
		{"SIG-04", Must, "An event whose body changed after signing is refused",
			"An event whose body changed after signing (one byte) is refused."},
		{"SIG-05", Must, "The signature is checked over the raw body bytes",
			"The signature is checked over the raw bytes: correctly signed bodies with unusual whitespace, key order, escaped unicode or large numbers are accepted."},
		{"SIG-06", Must, "An event signed with another secret is refused",
			"An event signed with another secret (e.g. the one before a rotation) is refused."},
		{"SIG-07", Must, "A truncated, prefix-only or suffixed signature is refused",
			"A truncated, prefix-only or suffixed (correct signature + extra characters) signature is refused."},
		{"RPL-01", Should, "A stale event is refused",
			"A correctly signed event with a stale `timestamp` (10 min old) is refused."},
		{"RPL-02", Must, "Precise timestamps and small clock skew are accepted",
			"Nanosecond timestamps and a few seconds of clock skew are accepted."},
		{"RPL-03", Should, "An event from the future is refused",
			"A `timestamp` far in the future (10 min) is refused."},
		{"ACK-01", Must, "A valid event is acknowledged within 3 s",
			"A valid event is acknowledged with 2xx within 3 s."},
		{"ACK-02", Must, "A burst of concurrent deliveries is acknowledged within 3 s",
			"Under a burst of concurrent deliveries every one is acknowledged within 3 s."},
		{"ACK-03", Must, "Every catalogue event type is acknowledged",
			"Every subscribed event type in the catalogue is acknowledged."},
		{"DUP-01", Must, "A duplicate delivery is acknowledged",
			"A duplicate delivery (same id, same body) is acknowledged with 2xx."},
		{"DUP-02", Must, "The retry of a failed attempt is acknowledged",
			"The retry of an attempt the receiver failed or let time out is acknowledged (with the original timestamp and signature, and re-stamped and re-signed as DevRev retries)."},
		{"ORD-01", Must, "Out-of-order events of one object are acknowledged",
			"Events of one object delivered out of order (update before create, delete before update) are acknowledged."},
		{"FWD-01", Must, "Unhandled and new event types are acknowledged",
			"An event type the receiver does not handle, or one new to the catalogue, is acknowledged, not failed with 5xx."},
		{"FWD-02", Must, "Unknown fields are tolerated",
			"Unknown fields in the envelope or the object are tolerated."},
		{"ROB-01", Must, "Malformed JSON gets a 4xx and the receiver keeps serving",
			"Malformed JSON with a valid signature gets a 4xx, not a 5xx or a dropped connection, and the receiver keeps serving."},
		{"ROB-02", Must, "A large event is acknowledged within 3 s",
			"A large (512 KiB) valid event is acknowledged within 3 s."},
		{"ROB-03", Should, "A method other than POST gets 405",
			"A method other than POST gets 405."},
		{"SEC-01", Info, "The endpoint is served over HTTPS",
			"The endpoint is served over HTTPS (reported; plain HTTP on loopback is expected in development)."},
	}
}

// Requirements returns the whole catalogue in PROTOCOL.md §2 order. The
// slice is a fresh copy on every call.
func Requirements() []Requirement { return catalogue() }

// Lookup returns the requirement with the given ID (exact, upper case).
func Lookup(id string) (Requirement, bool) {
	for _, r := range catalogue() {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// Group returns the group prefix of a requirement ID ("SIG" for "SIG-02").
func Group(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == '-' {
			return id[:i]
		}
	}
	return id
}
