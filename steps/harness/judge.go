package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// The requirements that cover a control: an event control is SIG-01's
// (acknowledged at all) and ACK-01's (in time); a verify control is
// VER-01's (the right answer) and VER-02's (in time).
const (
	CoversStatus       = "SIG-01"
	CoversTime         = "ACK-01"
	CoversVerifyAnswer = "VER-01"
	CoversVerifyTime   = "VER-02"
	// CoversLoad is the requirement about taking DevRev's load: what a
	// receiver kept rate-limiting is blocked by it (Scenario.Throttled).
	CoversLoad = "ACK-02"
	// CoversTransport judges the endpoint's scheme and TLS, not answers.
	CoversTransport = "SEC-01"
)

// Control sends the scenario's base event of typ correctly signed, with
// its own id, and returns a *Blocked unless the receiver acknowledged it
// in time: what the scenario checks next cannot be observed otherwise.
func (h *Harness) Control(ctx context.Context, sc *Scenario, typ string) error {
	_, b, err := h.BuildBase(sc, typ, Correct())
	if err != nil {
		return err
	}
	x := h.Send(ctx, sc, Request{
		What: "the control: the same " + typ + " event correctly signed (its own event id)", Body: b.Body,
		Header: b.Header, Control: true, Recipe: b.Recipe,
	}, false)
	return sc.Blame(h.controlProblem(sc, x), x)
}

// controlProblem is the *Blocked of an event control that was not
// acknowledged in time (nil if it was).
func (h *Harness) controlProblem(sc *Scenario, x *Exchange) error {
	what := fmt.Sprintf("so what %s checks could not be observed", sc.ReqID)
	switch {
	case x.Err != nil:
		return &Blocked{By: []string{CoversTime}, Msg: fmt.Sprintf("not observed: the control event (the same event correctly signed) got no answer (%v), %s", x.Err, what)}
	case !x.OK():
		return &Blocked{By: []string{CoversStatus}, Msg: fmt.Sprintf("not observed: the receiver refused the control event (the same event correctly signed) with %s, %s", x.Outcome(), what)}
	case x.Late:
		return &Blocked{By: []string{CoversTime}, Msg: fmt.Sprintf("not observed: the receiver acknowledged the control event only after %s, past the %s deadline, %s", seconds(x.Latency), seconds(h.opt.Timeout), what)}
	}
	return nil
}

// ControlVerify sends a correctly signed verify event and returns a
// *Blocked unless it was answered with its challenge in time.
func (h *Harness) ControlVerify(ctx context.Context, sc *Scenario) error {
	ev, b, err := h.BuildBase(sc, "verify", Correct())
	if err != nil {
		return err
	}
	x := h.Send(ctx, sc, Request{What: "the control: a correctly signed verify event", Body: b.Body, Header: b.Header, Control: true, Recipe: b.Recipe}, false)
	x.Challenge, _ = ev.Payload["challenge"].(string)
	return sc.Blame(verifyControlProblem(sc, x), x)
}

func verifyControlProblem(sc *Scenario, x *Exchange) error {
	what := fmt.Sprintf("so what %s checks could not be observed", sc.ReqID)
	switch p := ChallengeProblem(x); {
	case sc.h.signatureFault(x) != "":
		return &Blocked{By: []string{sc.h.signatureFault(x)}, Msg: fmt.Sprintf("not observed: the receiver refused the control verify event (correctly signed): %s, %s", x.Outcome(), what)}
	case x.Err != nil:
		return &Blocked{By: []string{CoversVerifyTime}, Msg: fmt.Sprintf("not observed: the control verify event (correctly signed) got no answer (%v), %s", x.Err, what)}
	case p != "":
		return &Blocked{By: []string{CoversVerifyAnswer}, Msg: fmt.Sprintf("not observed: the receiver %s to the control verify event (correctly signed), %s", p, what)}
	case x.Late:
		return &Blocked{By: []string{CoversVerifyTime}, Msg: fmt.Sprintf("not observed: the receiver answered the control verify event only after %s, past the deadline, %s", seconds(x.Latency), what)}
	}
	return nil
}

// Acknowledged judges an exchange that had to be acknowledged with 2xx
// within the deadline. SIG-01 judges only that a 2xx came (its deadline is
// ACK-01's); ACK-01 judges only the time (a refusal is SIG-01's).
func (h *Harness) Acknowledged(sc *Scenario, x *Exchange) error {
	switch sc.ReqID {
	case CoversStatus:
		switch {
		case x.Err != nil:
			return &Blocked{By: []string{CoversTime}, Msg: fmt.Sprintf("not observed: %s got no answer (%v)", x.What, x.Err)}
		case !x.OK():
			if d := h.Detection.NoAcceptance; d != "" {
				return Failf("%s", d)
			}
			return Failf("receiver answered %s to %s%s", x.Outcome(), x.What, h.refusalHint(x))
		}
		return nil
	case CoversTime:
		if x.Err == nil && !x.OK() {
			return &Blocked{By: []string{CoversStatus}, Msg: fmt.Sprintf("not observed: the receiver refused %s (%s), so its time to acknowledge could not be observed", x.What, x.Outcome())}
		}
	}
	switch {
	case x.Err != nil:
		return Failf("no acknowledgement of %s: %v", x.What, x.Err)
	case !x.OK():
		return Failf("receiver answered %s to %s", x.Outcome(), x.What)
	case x.Late:
		return Failf("receiver acknowledged %s after %s, over the %s deadline", x.What, seconds(x.Latency), seconds(h.opt.Timeout))
	}
	return nil
}

// refusalHint explains a refused correctly signed event where it can.
func (h *Harness) refusalHint(x *Exchange) string {
	if x.Status == http.StatusUnauthorized || x.Status == http.StatusForbidden {
		return fmt.Sprintf(" (signed %s with the %s key; see --encoding and --key-encoding)", h.enc, h.keyEnc)
	}
	return ""
}

// Refused judges an exchange the receiver had to refuse (non-2xx).
func (h *Harness) Refused(x *Exchange) error {
	switch {
	case x.Err != nil:
		return Failf("no answer to %s (%v); a refusal is an answer, 401 or 403", x.What, x.Err)
	case x.OK():
		return Failf("receiver answered %s to %s; it must refuse it (401 or 403)", x.Outcome(), x.What)
	}
	return nil
}

// FourXX judges an exchange that had to get a 4xx.
func (h *Harness) FourXX(x *Exchange) error {
	switch {
	case x.Err != nil:
		return Failf("no 4xx answer to %s: %v", x.What, x.Err)
	case x.Status < 400 || x.Status > 499:
		return Failf("receiver answered %s to %s; a 4xx is expected", x.Outcome(), x.What)
	}
	return nil
}

// Status judges an exchange that had to get want. No answer at all is
// ACK-01's fault, and the answer the receiver gives every request when it
// accepts nothing is SIG-01's, not this requirement's.
func (h *Harness) Status(x *Exchange, want int) error {
	switch {
	case x.Err != nil:
		return &Blocked{By: []string{CoversTime}, Msg: fmt.Sprintf("not observed: %s got no answer (%v)", x.What, x.Err)}
	case x.Status != want && h.refusesEverything(x):
		return &Blocked{By: []string{CoversStatus}, Msg: fmt.Sprintf("not observed: the receiver answered %s to %s, as it answers every correctly signed event", x.Outcome(), x.What)}
	case x.Status != want:
		return Failf("receiver answered %s to %s; %d is expected", x.Outcome(), x.What, want)
	}
	return nil
}

// topLevelHint explains the commonest wrong verify answer.
const topLevelHint = " (it reads a top-level `challenge`; DevRev sends it at `verify.challenge`)"

// ChallengeProblem says why x is not a correct verify answer ("" if it
// is), with a hint for the mistakes seen in real receivers at its end.
func ChallengeProblem(x *Exchange) string {
	if x.Err != nil {
		return "gave no answer (" + x.Err.Error() + ")"
	}
	if x.Status != http.StatusOK {
		return "answered " + x.Outcome()
	}
	if x.Truncated {
		return fmt.Sprintf("answered 200, but the response body exceeded %d KiB: %s", MaxResponseBytes>>10, QuoteShort(string(x.RespBody)))
	}
	var got map[string]any
	if err := json.Unmarshal(x.RespBody, &got); err != nil {
		return fmt.Sprintf("answered 200 with a body that is not a JSON object: %s", QuoteShort(string(x.RespBody)))
	}
	c, ok := got["challenge"]
	if !ok {
		if len(got) == 0 {
			return fmt.Sprintf("answered 200 without a \"challenge\" field: %s%s", QuoteShort(string(x.RespBody)), topLevelHint)
		}
		return fmt.Sprintf("answered 200 without a \"challenge\" field: %s", QuoteShort(string(x.RespBody)))
	}
	s, ok := c.(string)
	switch {
	case ok && s == x.Challenge:
		return ""
	case c == nil || s == "":
		return fmt.Sprintf("answered 200 with an empty challenge: %s%s", QuoteShort(string(x.RespBody)), topLevelHint)
	}
	return fmt.Sprintf("answered 200 with the challenge %s instead of %s", QuoteShort(fmt.Sprint(c)), QuoteShort(x.Challenge))
}

// Challenge judges VER-01: the answer carries the challenge (its time is
// VER-02's). A verify refused as unauthorized is a signature fault, not a
// verify one: SIG-01's when the receiver accepts no correctly signed event
// at all, SIG-05's when it accepts plain ones but not this body (escaped
// or non-ASCII characters, which a signature check over anything but the
// raw bytes refuses).
func (h *Harness) Challenge(x *Exchange) error {
	if x.Err != nil {
		return &Blocked{By: []string{CoversVerifyTime}, Msg: fmt.Sprintf("not observed: %s got no answer (%v)", x.What, x.Err)}
	}
	if by := h.signatureFault(x); by != "" {
		return &Blocked{By: []string{by}, Msg: fmt.Sprintf("not observed: the receiver refused %s (%s), so whether it echoes the challenge could not be seen", x.What, x.Outcome())}
	}
	if p := ChallengeProblem(x); p != "" {
		if p, ok := strings.CutSuffix(p, topLevelHint); ok {
			return Failf("receiver %s to %s%s", p, x.What, topLevelHint)
		}
		return Failf("receiver %s to %s", p, x.What)
	}
	return nil
}

// signatureFault names the signature requirement that explains a refused,
// correctly signed request ("" when the refusal is not about signatures).
func (h *Harness) signatureFault(x *Exchange) string {
	switch {
	case x.Status != http.StatusUnauthorized && x.Status != http.StatusForbidden && !h.refusesEverything(x):
		return ""
	case h.Detection.NoAcceptance != "":
		return CoversStatus
	case !plainASCII(x.Body):
		return "SIG-05"
	}
	return ""
}

// refusesEverything reports that x got the answer every correctly signed
// probe got, when none was accepted: one fault (a wrong URL, a receiver
// that answers 500 to everything), SIG-01's.
func (h *Harness) refusesEverything(x *Exchange) bool {
	if h.Detection.NoAcceptance == "" {
		return false
	}
	for _, p := range h.Detection.Probes {
		if p.Err == nil && p.Status == x.Status && !p.OK() {
			return true
		}
	}
	return false
}

// plainASCII reports a body of printable ASCII with no JSON escapes.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

// VerifyInTime judges VER-02: a correct verify answer within the deadline.
func (h *Harness) VerifyInTime(x *Exchange) error {
	switch by := h.signatureFault(x); {
	case by != "":
		return &Blocked{By: []string{by}, Msg: fmt.Sprintf("not observed: the receiver refused %s: %s", x.What, x.Outcome())}
	case x.Err != nil:
		return Failf("no verify answer within the %s deadline: %v", seconds(h.opt.Timeout), x.Err)
	case ChallengeProblem(x) != "":
		return &Blocked{By: []string{CoversVerifyAnswer}, Msg: fmt.Sprintf("not observed: the receiver %s to %s, not a verify answer", ChallengeProblem(x), x.What)}
	case x.Late:
		return Failf("the verify answer took %s, over the %s deadline", seconds(x.Latency), seconds(h.opt.Timeout))
	}
	return nil
}

// JSONType judges VER-03 on a correct verify answer.
func (h *Harness) JSONType(x *Exchange) error {
	switch by := h.signatureFault(x); {
	case by != "":
		return &Blocked{By: []string{by}, Msg: fmt.Sprintf("not observed: the receiver refused %s: %s", x.What, x.Outcome())}
	case x.Err != nil:
		return &Blocked{By: []string{CoversVerifyTime}, Msg: fmt.Sprintf("not observed: %s got no answer (%v)", x.What, x.Err)}
	case ChallengeProblem(x) != "":
		return &Blocked{By: []string{CoversVerifyAnswer}, Msg: fmt.Sprintf("not observed: the receiver %s to %s, not a verify answer", ChallengeProblem(x), x.What)}
	}
	ct := x.RespHeader.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if ct == "" {
			ct = "no Content-Type"
		}
		return Failf("the verify answer's content type is %q, not application/json", ct)
	}
	return nil
}

// NoChallenge judges VER-04: a badly signed verify does not get the
// challenge (no answer at all does not hand it out either).
func (h *Harness) NoChallenge(x *Exchange) error {
	if x.OK() && strings.Contains(string(x.RespBody), x.Challenge) {
		return Failf("receiver answered %s to %s, handing out the challenge", x.Outcome(), x.What)
	}
	return nil
}

// HTTPS judges SEC-01.
func (h *Harness) HTTPS(x *Exchange) error {
	if u := h.opt.URL; u.Scheme != "https" {
		return Failf("the endpoint is plain HTTP (%s://%s): deliveries and their signatures travel unencrypted; expected on loopback in development, not in production", u.Scheme, u.Host)
	}
	if x.Err != nil {
		return &Blocked{By: []string{CoversTime}, Msg: fmt.Sprintf("not observed: no HTTPS exchange with the endpoint (%v)", x.Err)}
	}
	return nil
}
