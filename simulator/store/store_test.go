package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revhook/revhook/simulator/store"
)

func TestOpenRefusesSecondOpenCorruptAndNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, 100)
	require.NoError(t, err)
	_, err = store.Open(path, 100)
	require.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "--state")
	require.NoError(t, st.Close())

	bad := filepath.Join(t.TempDir(), "bad.db")
	require.NoError(t, os.WriteFile(bad, []byte("not a database, just text"), 0o600))
	_, err = store.Open(bad, 100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad)

	st, err = store.Open(path, 100)
	require.NoError(t, err)
	st.Put(store.Meta, []byte("version"), store.U64(store.Version+1))
	require.NoError(t, st.Sync())
	require.NoError(t, st.Close())
	_, err = store.Open(path, 100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "newer")
}

// The log kept in the file is pruned to its capacity.
func TestLogIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, 5)
	require.NoError(t, err)
	for i := range 12 {
		st.AppendLog([]byte{byte(i)})
	}
	require.NoError(t, st.Sync())
	var kept []byte
	require.NoError(t, st.ForEach(store.Log, func(_, v []byte) error { kept = append(kept, v[0]); return nil }))
	assert.Equal(t, []byte{7, 8, 9, 10, 11}, kept)
	require.NoError(t, st.Close())
}

// Operations on one key queued before a commit coalesce: the file ends as
// if each had been applied in order, whatever the interleaving.
func TestQueuedOperationsCoalesceInOrder(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), 100)
	require.NoError(t, err)
	defer st.Close()
	cases := []struct {
		name string
		ops  []string // "put:V" or "del"
		want []byte   // nil: absent
	}{
		{"last put wins", []string{"put:a", "put:b", "put:c"}, []byte("c")},
		{"delete after put", []string{"put:a", "del"}, nil},
		{"put after delete", []string{"put:a", "del", "put:b"}, []byte("b")},
		{"delete only", []string{"del"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := []byte(tc.name)
			st.Put(store.Hooks, key, []byte("before"))
			require.NoError(t, st.Sync())
			for _, o := range tc.ops {
				if v, ok := strings.CutPrefix(o, "put:"); ok {
					st.Put(store.Hooks, key, []byte(v))
				} else {
					st.Delete(store.Hooks, key)
				}
			}
			require.NoError(t, st.Sync(), "Sync waits for coalesced operations too")
			got, err := st.Get(store.Hooks, key)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
