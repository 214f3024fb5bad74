package store_test

import (
	"os"
	"path/filepath"
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
