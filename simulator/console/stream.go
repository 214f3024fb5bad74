package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/revhook/revhook/simulator/deliverylog"
)

// Stream events (the "event:" field of each server-sent event):
//
//	hello      {"event_types": [...], "last_seq": N}   first, once
//	reset      {}                the log restarted below the client's Last-Event-ID: clear the view
//	entry      a delivery log entry (id: its seq)
//	gap        {"missed": N}     entries the client did not get (it was too far behind)
//	webhooks   [...]             the simulator's view of every webhook, when it changed
//	heartbeat  {"time": "..."}   after Heartbeat of silence
//	bye        {"reason": "..."} the mock is shutting down; the stream ends
const (
	EventHello     = "hello"
	EventReset     = "reset"
	EventEntry     = "entry"
	EventGap       = "gap"
	EventWebhooks  = "webhooks"
	EventHeartbeat = "heartbeat"
	EventBye       = "bye"
)

// reconnectMS is the reconnection delay the stream asks EventSource for.
const reconnectMS = 2000

// stream is one client's server-sent event stream. It reads the delivery
// log at its own pace, at most Batch entries at a time: the mock never
// waits for a client, and a slow client costs only its own goroutine, until
// its write deadline cuts it off.
type stream struct {
	h     *Handler
	w     http.ResponseWriter
	rc    *http.ResponseController
	after uint64 // Seq of the last entry sent
	hooks []byte // last webhooks snapshot sent
	buf   bytes.Buffer
}

func (h *Handler) serveStream(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	s := &stream{h: h, w: w, rc: http.NewResponseController(w)}
	if err := s.start(lastEventID(r)); err != nil {
		return
	}
	_ = s.run(r.Context().Done())
}

// lastEventID is the Seq a reconnecting EventSource last got (0 for none).
func lastEventID(r *http.Request) uint64 {
	n, err := strconv.ParseUint(strings.TrimSpace(r.Header.Get("Last-Event-ID")), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// start sends the hello, the backlog (or what a reconnecting client
// missed) and the webhooks.
func (s *stream) start(after uint64) error {
	src := s.h.opts.Source
	last := src.LastSeq()
	fmt.Fprintf(&s.buf, "retry: %d\n\n", reconnectMS)
	s.event(EventHello, "", map[string]any{"event_types": src.EventTypes(), "last_seq": last})
	if after > last {
		s.event(EventReset, "", struct{}{})
		after = 0
	}
	if after == 0 {
		s.sendEntries(src.Entries(0, s.h.opts.Backlog), false)
	} else {
		s.after = after
		s.sendEntries(src.Entries(after, s.h.opts.Batch), true)
	}
	s.sendWebhooks()
	return s.flush()
}

// run polls the source until the client goes away, the mock shuts down or
// a write fails.
func (s *stream) run(gone <-chan struct{}) error {
	o := s.h.opts
	lastWrite, lastHooks := o.Clock.Now(), o.Clock.Now()
	for {
		t := o.Clock.NewTimer(o.Poll)
		select {
		case <-gone:
			t.Stop()
			return nil
		case <-o.Done:
			t.Stop()
			s.event(EventBye, "", map[string]string{"reason": "the mock is shutting down"})
			return s.flush()
		case <-t.C():
		}
		now := o.Clock.Now()
		moved := false
		if o.Source.LastSeq() != s.after {
			moved = s.sendEntries(o.Source.Entries(s.after, o.Batch), true)
		}
		if moved || now.Sub(lastHooks) >= o.WebhooksEvery {
			s.sendWebhooks()
			lastHooks = now
		}
		if s.buf.Len() == 0 && now.Sub(lastWrite) >= o.Heartbeat {
			s.event(EventHeartbeat, "", map[string]time.Time{"time": now})
		}
		if s.buf.Len() == 0 {
			continue
		}
		if err := s.flush(); err != nil {
			return err
		}
		lastWrite = now
	}
}

// sendEntries queues entries, first a gap event when entries were skipped
// (withGap), and reports whether there were any.
func (s *stream) sendEntries(entries []deliverylog.Entry, withGap bool) bool {
	if len(entries) == 0 {
		return false
	}
	if first := entries[0].Seq; withGap && first > s.after+1 {
		s.event(EventGap, "", map[string]uint64{"missed": first - s.after - 1})
	}
	for _, e := range entries {
		s.event(EventEntry, strconv.FormatUint(e.Seq, 10), e)
	}
	s.after = entries[len(entries)-1].Seq
	return true
}

// sendWebhooks queues the webhooks when they changed since the last send.
func (s *stream) sendWebhooks() {
	b, err := json.Marshal(s.h.opts.Source.Webhooks())
	if err != nil || bytes.Equal(b, s.hooks) {
		return
	}
	s.hooks = b
	s.raw(EventWebhooks, "", b)
}

// event queues one server-sent event with v as its JSON data.
func (s *stream) event(name, id string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "not encodable: " + err.Error()})
	}
	s.raw(name, id, b)
}

// raw queues one event; data is one line of JSON (json.Marshal escapes
// every newline).
func (s *stream) raw(name, id string, data []byte) {
	if id != "" {
		s.buf.WriteString("id: " + id + "\n")
	}
	s.buf.WriteString("event: " + name + "\ndata: ")
	s.buf.Write(data)
	s.buf.WriteString("\n\n")
}

// flush writes what is queued within the write timeout and flushes it to
// the client.
func (s *stream) flush() error {
	// Not every ResponseWriter supports deadlines (tests' do not); the
	// server's own timeouts then apply.
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.h.opts.WriteTimeout))
	_, err := s.w.Write(s.buf.Bytes())
	s.buf.Reset()
	if err != nil {
		return fmt.Errorf("console stream: %w", err)
	}
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("console stream: %w", err)
	}
	return nil
}
