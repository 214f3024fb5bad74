package mockapi

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/revhook/revhook/simulator/store"
	"github.com/revhook/revhook/simulator/webhook"
)

// group is the events one trigger sends to one webhook: event i of its ids
// is payload first+i of b. With a state file a group is one record (its
// ids, never bodies) plus a bitset of its deliveries that ended, so a
// trigger of 100 events to 1000 webhooks writes its payloads once and 1000
// small records — not a record per delivery. A delivery gets a record of
// its own only once an attempt failed (deliveryRecord: the next attempt and
// when it is due).
//
// A group is kept while one of its deliveries is pending or one of its
// events is in the replay window; it holds its trigger's record as long.
type group struct {
	key       uint64
	b         *batch
	webhookID string
	first     int

	mu       sync.Mutex
	inWindow int    // its events the replay window holds
	pending  int    // its deliveries not ended (with a state file)
	ended    bitset // its ended deliveries, by position
	dropped  bool
}

// groupRecord is a group as the state file keeps it. The ids share a
// prefix (the webhook's event id stem), kept once.
type groupRecord struct {
	WebhookID string   `json:"webhook"`
	Batch     uint64   `json:"batch"`
	First     int      `json:"first,omitempty"`
	Prefix    string   `json:"prefix,omitempty"`
	IDs       []string `json:"ids"` // each after Prefix
}

// newGroup makes ids (events first+i of b to webhookID) a group: written
// to the state file, its deliveries pending, its events replayable.
func (s *Server) newGroup(b *batch, webhookID string, ids []string, first int) *group {
	g := &group{key: s.groupSeq.Add(1), b: b, webhookID: webhookID, first: first}
	if s.store != nil {
		s.store.Put(store.Meta, []byte("group"), store.U64(g.key)) // keys are never reused
		g.pending = len(ids)
		g.ended = newBitset(len(ids))
		s.holdBatch(b, 1)
		prefix := commonPrefix(ids)
		rec := groupRecord{WebhookID: webhookID, Batch: b.p.key, First: first, Prefix: prefix, IDs: make([]string, len(ids))}
		for i, id := range ids {
			rec.IDs[i] = id[len(prefix):]
		}
		v, _ := json.Marshal(rec) // strings and numbers: always encodes
		s.store.Put(store.Groups, store.U64(g.key), v)
	}
	s.window(g, ids)
	return g
}

// window puts g's ids in the replay window, dropping the groups it forgets.
func (s *Server) window(g *group, ids []string) {
	for _, old := range s.replays.add(g, ids) {
		s.dropIfDone(old)
	}
}

// commonPrefix returns the longest prefix every id shares.
func commonPrefix(ids []string) string {
	if len(ids) < 2 {
		return ""
	}
	p := ids[0]
	for _, id := range ids[1:] {
		n := 0
		for n < len(p) && n < len(id) && p[n] == id[n] {
			n++
		}
		p = p[:n]
	}
	return p
}

// ended records that delivery i of g ended: its bit is set, and the group
// goes once nothing keeps it.
func (s *Server) ended(g *group, i int) {
	g.mu.Lock()
	if i < 0 || i/8 >= len(g.ended) || g.ended.has(i) {
		g.mu.Unlock()
		return
	}
	g.ended.set(i)
	g.pending--
	g.mu.Unlock()
	// The bitset is read when the store commits: one copy and one write
	// per group per commit, however many deliveries ended meanwhile.
	s.store.PutLatest(store.Ended, store.U64(g.key), g.bits)
	s.dropIfDone(g)
}

// bitset is a set of positions, a bit each.
type bitset []byte

func newBitset(n int) bitset    { return make(bitset, (n+7)/8) }
func (b bitset) has(i int) bool { return b[i/8]&(1<<(i%8)) != 0 }
func (b bitset) set(i int)      { b[i/8] |= 1 << (i % 8) }

// bits returns a copy of g's ended bitset.
func (g *group) bits() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]byte{}, g.ended...)
}

// dropIfDone removes g from the state file once none of its deliveries is
// pending and none of its events can be replayed.
func (s *Server) dropIfDone(g *group) {
	g.mu.Lock()
	done := g.inWindow == 0 && g.pending == 0 && !g.dropped
	if done {
		g.dropped = true
	}
	g.mu.Unlock()
	if !done || s.store == nil {
		return
	}
	s.store.Delete(store.Groups, store.U64(g.key))
	s.store.Delete(store.Ended, store.U64(g.key))
	s.releaseBatch(g.b)
}

// restoreGroups reads the groups of the state file in the order they were
// made: their events go back into the replay window, and their deliveries
// that had not ended — with their own record when an attempt had failed —
// are returned by webhook, to be resumed. Deliveries to a webhook that is
// gone or no longer active end here. Replays in progress are returned too.
// Records are read first and used after: a read transaction must not be
// opened inside another (a commit growing the file would wait for the
// outer one while the inner one waits for it).
func (s *Server) restoreGroups(batches map[uint64]*batch) (map[string][]*deliveryRecord, error) {
	recs, err := s.readDeliveries()
	if err != nil {
		return nil, err
	}
	endedBits := map[uint64][]byte{}
	if err := s.store.ForEach(store.Ended, func(k, v []byte) error {
		if len(k) == 8 {
			endedBits[binary.BigEndian.Uint64(k)] = append([]byte{}, v...)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	type keyed struct {
		key uint64
		r   groupRecord
	}
	var groups []keyed
	if err := s.store.ForEach(store.Groups, func(k, v []byte) error {
		var r groupRecord
		if err := json.Unmarshal(v, &r); err != nil || len(k) != 8 {
			return fmt.Errorf("a group record is not valid: %v", err)
		}
		groups = append(groups, keyed{binary.BigEndian.Uint64(k), r})
		return nil
	}); err != nil {
		return nil, err
	}
	byHook := map[string][]*deliveryRecord{}
	// Replays first: they hold their trigger before a group may release it.
	for key, r := range recs {
		if !r.Replay {
			continue
		}
		delete(recs, key)
		b, err := s.loadBatch(batches, r.Batch)
		if err != nil {
			return nil, err
		}
		if h, ok := s.hooks[r.WebhookID]; b == nil || r.Index >= len(b.payloads) || !ok || h.m.State != webhook.Active {
			s.store.Delete(store.Deliveries, []byte(key)) // its webhook is gone, or inactive
			continue
		}
		b.p.adopt()
		r.b = b
		s.replaying[r.EventID] = true // until resumeOne ends it
		byHook[r.WebhookID] = append(byHook[r.WebhookID], r)
	}
	for _, g := range groups {
		s.groupSeq.Store(max(s.groupSeq.Load(), g.key))
		bits := endedBits[g.key]
		delete(endedBits, g.key) // what is left has no group
		b, err := s.loadBatch(batches, g.r.Batch)
		if err != nil {
			return nil, err
		}
		if b == nil || g.r.First+len(g.r.IDs) > len(b.payloads) {
			s.store.Delete(store.Groups, store.U64(g.key))
			s.store.Delete(store.Ended, store.U64(g.key))
			continue
		}
		s.restoreGroup(g.key, b, g.r, bits, recs, byHook)
	}
	for key := range endedBits { // a group dropped between its two deletes
		s.store.Delete(store.Ended, store.U64(key))
	}
	for key := range recs { // a delivery of no group left: stale
		s.store.Delete(store.Deliveries, []byte(key))
	}
	return byHook, nil
}

// restoreGroup rebuilds one group of the state file, taking the records of
// its pending deliveries out of recs into byHook.
func (s *Server) restoreGroup(key uint64, b *batch, r groupRecord, bits []byte, recs map[string]*deliveryRecord, byHook map[string][]*deliveryRecord) {
	g := &group{key: key, b: b, webhookID: r.WebhookID, first: r.First, ended: newBitset(len(r.IDs))}
	copy(g.ended, bits)
	b.p.adopt() // the group holds its trigger
	h, ok := s.hooks[r.WebhookID]
	live := ok && h.m.State == webhook.Active
	ids := make([]string, len(r.IDs))
	changed := false
	now := s.clk.Now()
	for i, sfx := range r.IDs {
		ids[i] = r.Prefix + sfx
		rec, had := recs[ids[i]]
		delete(recs, ids[i])
		if had && (g.ended.has(i) || !live) {
			s.store.Delete(store.Deliveries, []byte(ids[i]))
		}
		if g.ended.has(i) {
			continue
		}
		if !live {
			g.ended.set(i)
			changed = true
			continue
		}
		if !had { // never attempted, or in flight at the stop: due now
			rec = &deliveryRecord{EventID: ids[i], WebhookID: r.WebhookID, Batch: r.Batch, Index: r.First + i, Due: now}
		}
		rec.g, rec.b = g, b
		g.pending++
		byHook[r.WebhookID] = append(byHook[r.WebhookID], rec)
	}
	if changed {
		s.store.Put(store.Ended, store.U64(key), append([]byte{}, g.ended...))
	}
	if ok { // a deleted webhook's events cannot be replayed
		s.window(g, ids)
	}
	s.dropIfDone(g)
}

// readDeliveries reads the records of deliveries whose attempt failed and
// of replays in progress, by key.
func (s *Server) readDeliveries() (map[string]*deliveryRecord, error) {
	recs := map[string]*deliveryRecord{}
	err := s.store.ForEach(store.Deliveries, func(k, v []byte) error {
		r := &deliveryRecord{}
		if err := json.Unmarshal(v, r); err != nil {
			return fmt.Errorf("a delivery record is not valid: %w", err)
		}
		recs[string(k)] = r // a group's by event id, a replay's as "replay:" + id
		return nil
	})
	return recs, err
}
