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

// A state file with a damaged page is an error naming the file — from
// Open, from reading it back or from the next write — never a panic,
// whichever page it is.
func TestDamagedFileIsAnErrorNotAPanic(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.db")
	st, err := store.Open(good, 100)
	require.NoError(t, err)
	for i := range 600 {
		st.Put(store.Hooks, store.U64(uint64(i)), []byte(strings.Repeat("x", 100)))
		st.AppendLog([]byte(strings.Repeat("y", 200)))
	}
	require.NoError(t, st.Sync())
	require.NoError(t, st.Close())
	orig, err := os.ReadFile(good)
	require.NoError(t, err)

	detected := 0
	for off := 8192; off+4096 <= len(orig); off += 4096 { // every page but the two meta pages
		b := append([]byte{}, orig...)
		copy(b[off:], strings.Repeat("A", 4096))
		path := filepath.Join(t.TempDir(), "damaged.db")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		err := useDamaged(path)
		if err != nil {
			detected++
			assert.ErrorIs(t, err, store.ErrDamaged, "page at %d", off)
			assert.Contains(t, err.Error(), path)
		}
	}
	assert.Positive(t, detected, "no damaged page was noticed")
}

// useDamaged opens path, reads every bucket and writes, returning the first
// error.
func useDamaged(path string) error {
	st, err := store.Open(path, 100)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, bucket := range []string{store.Meta, store.Hooks, store.Log, store.Groups} {
		if err := st.ForEach(bucket, func(_, _ []byte) error { return nil }); err != nil {
			return err
		}
	}
	for i := range 500 {
		st.Put(store.Hooks, store.U64(uint64(10_000+i)), []byte(strings.Repeat("z", 300)))
	}
	return st.Sync()
}

// A path whose directory does not exist is refused, not created.
func TestOpenDoesNotCreateDirectories(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo", "state.db")
	_, err := store.Open(path, 100)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	_, statErr := os.Stat(filepath.Dir(path))
	assert.True(t, os.IsNotExist(statErr))
}
