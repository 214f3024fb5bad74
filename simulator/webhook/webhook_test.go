package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNext(t *testing.T) {
	tests := []struct {
		name      string
		from      State
		exhausted int
		threshold int
		in        Input
		to        State
		wantExh   int
		actions   []Action
	}{
		{"verify makes active", Unverified, 0, 3, Verified, Active, 0, []Action{StopVerify}},
		{"window ends: stays unverified", Unverified, 0, 3, VerifyExpired, Unverified, 0, []Action{StopVerify}},
		{"change while unverified restarts verify", Unverified, 0, 3, Changed, Unverified, 0, []Action{StartVerify}},
		{"deactivate unverified", Unverified, 0, 3, Deactivate, Inactive, 0, []Action{StopVerify}},
		{"activate unverified restarts verify", Unverified, 0, 3, Activate, Unverified, 0, []Action{StartVerify}},
		{"event result ignored while unverified", Unverified, 0, 3, EventExhausted, Unverified, 0, nil},

		{"change on active: unverified + re-verify", Active, 2, 3, Changed, Unverified, 0, []Action{FailQueued, StartVerify}},
		{"deactivate active", Active, 1, 3, Deactivate, Inactive, 0, []Action{StopVerify, FailQueued}},
		{"activate active is a no-op", Active, 1, 3, Activate, Active, 1, nil},
		{"delivered resets the streak", Active, 2, 3, EventDelivered, Active, 0, nil},
		{"exhausted counts", Active, 1, 3, EventExhausted, Active, 2, nil},
		{"exhausted reaches threshold: degraded", Active, 2, 3, EventExhausted, Degraded, 3, []Action{FailQueued, StartReverify}},
		{"threshold 1", Active, 0, 1, EventExhausted, Degraded, 1, []Action{FailQueued, StartReverify}},
		{"threshold 0 means default", Active, 2, 0, EventExhausted, Degraded, 3, []Action{FailQueued, StartReverify}},
		{"stale verify on active ignored", Active, 0, 3, Verified, Active, 0, nil},
		{"stale window end on active ignored", Active, 0, 3, VerifyExpired, Active, 0, nil},

		{"good verify promotes degraded", Degraded, 3, 3, Verified, Active, 0, []Action{StopVerify}},
		{"failed verify keeps degraded", Degraded, 3, 3, VerifyExpired, Degraded, 3, nil},
		{"change on degraded: unverified", Degraded, 3, 3, Changed, Unverified, 0, []Action{StopVerify, StartVerify}},
		{"deactivate degraded", Degraded, 3, 3, Deactivate, Inactive, 0, []Action{StopVerify}},
		{"activate degraded is a no-op", Degraded, 3, 3, Activate, Degraded, 3, nil},
		{"event results ignored while degraded", Degraded, 3, 3, EventExhausted, Degraded, 3, nil},

		{"activate inactive: verify again", Inactive, 0, 3, Activate, Unverified, 0, []Action{StartVerify}},
		{"deactivate inactive is a no-op", Inactive, 0, 3, Deactivate, Inactive, 0, nil},
		{"change while inactive: no verify", Inactive, 0, 3, Changed, Inactive, 0, nil},
		{"verify result ignored while inactive", Inactive, 0, 3, Verified, Inactive, 0, nil},
		{"delivered ignored while inactive", Inactive, 0, 3, EventDelivered, Inactive, 0, nil},
		{"unknown input", Active, 1, 3, Input(99), Active, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Machine{State: tc.from, Exhausted: tc.exhausted, DegradedAfter: tc.threshold}
			before := m
			n, st := m.Next(tc.in)
			assert.Equal(t, before, m, "Next must not mutate its receiver")
			assert.Equal(t, tc.to, n.State)
			assert.Equal(t, tc.wantExh, n.Exhausted)
			assert.Equal(t, tc.actions, st.Actions)
			assert.Equal(t, tc.from, st.From)
			assert.Equal(t, tc.to, st.To)
			assert.Equal(t, tc.from != tc.to, st.Changed())
			assert.NotEmpty(t, st.Reason)
		})
	}
}

func TestLifecycle(t *testing.T) {
	m := New(2)
	require.Equal(t, Unverified, m.State)
	steps := []struct {
		in Input
		to State
	}{
		{Verified, Active},
		{EventExhausted, Active},
		{EventDelivered, Active},
		{EventExhausted, Active},
		{EventExhausted, Degraded},
		{Verified, Active},
		{Changed, Unverified},
		{Verified, Active},
		{Deactivate, Inactive},
		{Activate, Unverified},
		{VerifyExpired, Unverified},
	}
	for i, s := range steps {
		m, _ = m.Next(s.in)
		require.Equal(t, s.to, m.State, "step %d (%s)", i, s.in)
	}
}

func TestParseStateAndNames(t *testing.T) {
	for _, s := range []State{Unverified, Active, Degraded, Inactive} {
		got, err := ParseState(string(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	_, err := ParseState("paused")
	require.Error(t, err)
	assert.True(t, Active.Delivers())
	assert.False(t, Degraded.Delivers())
	assert.Equal(t, "verified", Verified.String())
	assert.Equal(t, "input(42)", Input(42).String())
	assert.Equal(t, "fail-queued", FailQueued.String())
	assert.Equal(t, "action(42)", Action(42).String())
}
