package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTimeoutSaysHowFarTheAnswerGot: a timeout names what the receiver did
// before the time ran out (make hostile checks the same against real
// receivers that trickle, flood 1xx or stall a body).
func TestTimeoutSaysHowFarTheAnswerGot(t *testing.T) {
	const within = "4.5 s"
	var nothing, trickle, informational, body phases
	trickle.firstByte.Store(true)
	informational.firstByte.Store(true)
	informational.informational.Store(7)
	body.firstByte.Store(true)
	body.status, body.bodyBytes = 200, 20
	for _, tc := range []struct {
		p    *phases
		want string
	}{
		{nil, "timeout: no answer within 4.5 s"},
		{&nothing, "timeout: no answer within 4.5 s"},
		{&trickle, "timeout: the answer began but its status line and headers were not complete within 4.5 s (a trickle)"},
		{&informational, "timeout: only 1xx informational answers (7) and no final answer within 4.5 s"},
		{&body, "timeout: the 200 answer's body stopped after 20 bytes and did not end within 4.5 s"},
	} {
		assert.EqualError(t, tc.p.timeout(within), tc.want)
	}
}

func TestReadBoundedMarksATruncatedBody(t *testing.T) {
	b, truncated, err := readBounded(strings.NewReader(strings.Repeat("x", MaxResponseBytes)))
	assert.NoError(t, err)
	assert.False(t, truncated, "exactly the bound")
	assert.Len(t, b, MaxResponseBytes)
	b, truncated, err = readBounded(strings.NewReader(strings.Repeat("x", MaxResponseBytes+1)))
	assert.NoError(t, err)
	assert.True(t, truncated)
	assert.Len(t, b, MaxResponseBytes)
	x := &Exchange{Status: 200, RespBody: b, Truncated: true}
	assert.Contains(t, x.Outcome(), "the response body exceeded 64 KiB")
	assert.Contains(t, ChallengeProblem(x), "the response body exceeded 64 KiB")
}
