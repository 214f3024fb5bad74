// Package store is the durable state of `revhook serve` (issue 13): one
// bbolt file holding the webhooks, the queued and pending deliveries with
// their schedule, the triggers' shared payloads, the events that can be
// replayed and the delivery log.
//
// bbolt was chosen over SQLite (modernc.org/sqlite): it is small and pure
// Go, builds in seconds, takes an exclusive file lock (a second serve on
// the same file is refused at once) and every write is a transaction. The
// mock needs only keyed records, no queries.
//
// Writes are asynchronous and batched: Put, Delete and AppendLog queue an
// operation, a writer commits what is queued in one transaction every few
// milliseconds (operations on one key queued in the meantime coalesce: the
// last wins, as it would in the transaction), and Sync waits for everything queued so far to be committed
// and reports the first write error (sticky: once a write failed, every
// Sync fails, so no later success hides a lost write).
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Version is the format of the files this build writes; a file of a newer
// version is refused.
const Version = 1

// Buckets.
const (
	// Meta holds the format version and the server's own counters.
	Meta = "meta"
	// Hooks holds one record per webhook, by id.
	Hooks = "hooks"
	// Batches holds one record per trigger (its shared payloads).
	Batches = "batches"
	// Deliveries holds one record per queued or pending delivery.
	Deliveries = "deliveries"
	// Log holds the delivery log, by sequence number.
	Log = "log"
	// Groups holds one record per trigger and webhook (its event ids), by
	// sequence number.
	Groups = "groups"
	// Ended holds, per group, a bitset of its deliveries that ended.
	Ended = "ended"
	// Revont holds the webhooks of the Revont-style API, by id.
	Revont = "revont"
)

var buckets = []string{Meta, Hooks, Batches, Deliveries, Log, Groups, Ended, Revont}

// lockTimeout bounds the wait for another process's lock on the file.
const lockTimeout = 500 * time.Millisecond

// flushEvery is the writer's batching period.
const flushEvery = 10 * time.Millisecond

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("the state file is in use by another revhook serve")

type op struct {
	bucket string
	key    []byte
	value  []byte        // nil: delete (unless latest is set)
	latest func() []byte // PutLatest: the value, read at commit
}

// Store is an open state file. It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	path   string
	logCap int

	mu        sync.Mutex
	cond      *sync.Cond
	ops       []op
	slot      map[string]int // bucket+"\x00"+key → its op in ops
	opsCount  uint64         // operations ops stands for (before coalescing)
	queued    uint64         // operations queued so far
	committed uint64         // operations committed so far
	err       error
	closed    bool
	logSeq    uint64 // last log key
	logLen    int    // log records in the file (after pruning)
	kick      chan struct{}
	done      chan struct{}
}

// Open opens (creating if needed) the state file at path, keeping at most
// logCap delivery log records; its directory must exist. It fails, naming
// the file, when another process holds it, when it is not a state file or
// is damaged, or when it is of a newer version. A file created here, or
// found empty, is made readable by its owner only: it holds secrets.
func Open(path string, logCap int) (*Store, error) {
	fresh := false
	if fi, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode().IsRegular() && fi.Size() == 0) {
		fresh = true
	}
	var db *bolt.DB
	err := safely(func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
		return err
	})
	if err != nil {
		switch {
		case errors.Is(err, bolt.ErrTimeout):
			return nil, fmt.Errorf("state file %s: %w (stop it, or give this one another --state)", path, ErrLocked)
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EISDIR), errors.Is(err, ErrDamaged):
			return nil, fmt.Errorf("state file %s: %w", path, err)
		}
		return nil, fmt.Errorf("state file %s: %w", path, damaged(err))
	}
	if fresh {
		_ = os.Chmod(path, 0o600)
	}
	s := &Store{db: db, path: path, logCap: max(logCap, 1), kick: make(chan struct{}, 1), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	if err := safely(s.init); err != nil {
		db.Close()
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	go s.writer()
	return s, nil
}

// ErrDamaged marks a file that is not a state file, or a state file whose
// pages do not read back as written.
var ErrDamaged = errors.New("not a revhook state file, or a damaged one")

func damaged(err error) error {
	return fmt.Errorf("%w (%v): move it aside, or give another --state", ErrDamaged, err)
}

// safely runs f, turning a panic of the database (bbolt panics on pages it
// cannot decode) into an ErrDamaged error. A panic of the caller's own
// code (a ForEach callback, a PutLatest value) is not the file's: it goes on.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if c, ok := p.(callerPanic); ok {
				panic(c.v)
			}
			err = damaged(fmt.Errorf("%v", p))
		}
	}()
	return f()
}

// callerPanic carries a panic of the caller's code through safely.
type callerPanic struct{ v any }

// guard runs f, marking its panic as the caller's.
func guard[T any](f func() T) T {
	defer func() {
		if p := recover(); p != nil {
			panic(callerPanic{p})
		}
	}()
	return f()
}

// init creates the buckets, checks the version and reads the log's extent.
func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte(Meta))
		if v := meta.Get([]byte("version")); v != nil {
			if len(v) != 8 {
				return errors.New("not a revhook state file (bad version record)")
			}
			if n := binary.BigEndian.Uint64(v); n > Version {
				return fmt.Errorf("written by a newer revhook (format %d; this one reads up to %d)", n, Version)
			}
		} else if err := meta.Put([]byte("version"), U64(Version)); err != nil {
			return err
		}
		c := tx.Bucket([]byte(Log)).Cursor()
		if k, _ := c.Last(); k != nil {
			s.logSeq = binary.BigEndian.Uint64(k)
		}
		s.logLen = tx.Bucket([]byte(Log)).Stats().KeyN
		return nil
	})
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// U64 is a big-endian key (keys sort numerically).
func U64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// Put queues value under key in bucket.
func (s *Store) Put(bucket string, key, value []byte) {
	if value == nil {
		value = []byte{}
	}
	s.queue(op{bucket: bucket, key: key, value: value})
}

// PutLatest queues a write of key in bucket whose value latest returns
// when the write is committed: a value that changes often (a bitset) is
// copied and written once per commit, however often it changed.
func (s *Store) PutLatest(bucket string, key []byte, latest func() []byte) {
	s.queue(op{bucket: bucket, key: key, latest: latest})
}

// Delete queues the removal of key from bucket.
func (s *Store) Delete(bucket string, key []byte) { s.queue(op{bucket: bucket, key: key}) }

// AppendLog queues a delivery log record; the oldest are pruned past the
// capacity.
func (s *Store) AppendLog(value []byte) {
	s.mu.Lock()
	s.logSeq++
	key := U64(s.logSeq)
	s.mu.Unlock()
	s.queue(op{bucket: Log, key: key, value: value})
}

func (s *Store) queue(o op) {
	s.mu.Lock()
	if s.closed {
		if s.err == nil {
			s.err = errors.New("the state file is closed")
		}
		s.mu.Unlock()
		return
	}
	s.queued++
	s.opsCount++
	if o.bucket == Log { // appended: never the same key twice
		s.ops = append(s.ops, o)
	} else if k := o.bucket + "\x00" + string(o.key); s.slot[k] > 0 {
		s.ops[s.slot[k]-1] = o
	} else {
		if s.slot == nil {
			s.slot = make(map[string]int)
		}
		s.ops = append(s.ops, o)
		s.slot[k] = len(s.ops) // 1-based: 0 is "none"
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Sync waits until every operation queued so far is committed and returns
// the first write error, naming the file.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.queued
	for s.committed < want && s.err == nil && !s.closed {
		s.cond.Wait()
	}
	return s.err
}

// Err returns the first write error, if any.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// writer commits queued operations in batches until Close.
func (s *Store) writer() {
	defer close(s.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.kick:
		case <-tick.C:
		}
		s.mu.Lock()
		ops, n, closed := s.ops, s.opsCount, s.closed
		s.ops, s.opsCount, s.slot = nil, 0, nil
		s.mu.Unlock()
		if len(ops) > 0 {
			s.commit(ops, n)
		}
		if closed {
			return
		}
		if len(ops) > 0 {
			<-tick.C // batch: at most one commit per period
		}
	}
}

// commit writes ops, standing for n queued operations, in one
// transaction, pruning the log past its cap.
func (s *Store) commit(ops []op, n uint64) {
	added := 0
	err := safely(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			for _, o := range ops {
				b := tx.Bucket([]byte(o.bucket))
				var err error
				if o.latest != nil {
					if o.value = guard(o.latest); o.value == nil {
						o.value = []byte{}
					}
				}
				if o.value == nil {
					err = b.Delete(o.key)
				} else {
					err = b.Put(o.key, o.value)
					if o.bucket == Log {
						added++
					}
				}
				if err != nil {
					return fmt.Errorf("%s: %w", o.bucket, err)
				}
			}
			return s.pruneLog(tx, added)
		})
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("state file %s: write failed: %w", s.path, err)
	}
	if err == nil {
		s.logLen += added
		if s.logLen > s.logCap {
			s.logLen = s.logCap
		}
	}
	s.committed += n
	s.cond.Broadcast()
}

// pruneLog deletes the oldest log records beyond the cap.
func (s *Store) pruneLog(tx *bolt.Tx, added int) error {
	s.mu.Lock()
	over := s.logLen + added - s.logCap
	s.mu.Unlock()
	if over <= 0 {
		return nil
	}
	// (A cursor's Next after Delete skips a record: start over each time.)
	c := tx.Bucket([]byte(Log)).Cursor()
	for ; over > 0; over-- {
		if k, _ := c.First(); k == nil {
			return nil
		}
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// ForEach calls f with every record of bucket, in key order, in one read
// transaction. The slices are valid only during the call, and f must not
// call Get or ForEach: a read transaction inside another can deadlock with
// a commit that grows the file.
func (s *Store) ForEach(bucket string, f func(key, value []byte) error) error {
	err := safely(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
				return guard(func() error { return f(k, v) })
			})
		})
	})
	if err != nil {
		return fmt.Errorf("state file %s: read %s: %w", s.path, bucket, err)
	}
	return nil
}

// Get returns a copy of key's value in bucket (nil when absent).
func (s *Store) Get(bucket string, key []byte) ([]byte, error) {
	var out []byte
	err := safely(func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			if v := tx.Bucket([]byte(bucket)).Get(key); v != nil {
				out = append([]byte{}, v...)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", s.path, err)
	}
	return out, nil
}

// Close commits what is queued and closes the file; it returns the first
// write error.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.err
	}
	s.closed = true
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	<-s.done
	s.mu.Lock()
	s.cond.Broadcast()
	err := s.err
	s.mu.Unlock()
	if cerr := safely(s.db.Close); cerr != nil && err == nil {
		err = fmt.Errorf("state file %s: %w", s.path, cerr)
	}
	return err
}
