package event

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FetchResult is what a *_fetched event reports (DevRev's
// event-fetched-result): ok (the object is in the payload), not_found or
// forbidden.
type FetchResult string

// The results of DevRev's event-fetched-result enum.
const (
	FetchOK        FetchResult = "ok"
	FetchNotFound  FetchResult = "not_found"
	FetchForbidden FetchResult = "forbidden"
)

// ErrNotFetchable is returned by Fetched for an id that names no object
// webhooks.fetch can fetch (a work item or an SLA tracker).
var ErrNotFetchable = errors.New("not the id of a work item or an SLA tracker")

// fetchable are the kinds webhooks.fetch answers, with their event family.
var fetchable = []struct {
	k      kind
	family string
}{
	{kIssue, "work"}, {kTicket, "work"}, {kTask, "work"}, {kOpportunity, "work"},
	{kSLATracker, "sla_tracker"},
}

// Fetched returns the event DevRev's beta webhooks.fetch sends to webhookID
// for object: work_fetched for a work item (a display id such as ISS-12,
// TKT-3, TASK-7, OPP-2, or its DON id), sla_tracker_fetched for an SLA
// tracker (SLAT-4 or its DON id). The payload is {id, result} plus the
// object itself when result is ok (event-work-fetched,
// event-sla-tracker-fetched).
//
// The mock holds no objects, so the result follows from the id: a
// positive number is found (ok, the object generated with that id), any
// other number or name is not_found, and a DON id of another dev org is
// forbidden. Ids of other kinds give ErrNotFetchable.
func (g *Generator) Fetched(webhookID, object string) (Event, error) {
	k, family, n, org, err := parseFetchID(object)
	if err != nil {
		return Event{}, err
	}
	id := g.EventID(webhookID)
	result := FetchOK
	switch {
	case org != "" && org != g.org:
		result = FetchForbidden
	case n < 1:
		result = FetchNotFound
	}
	payload := Object{"id": object, "result": string(result)}
	if result == FetchOK {
		g.mu.Lock()
		payload[family] = g.fetchedObject(k, n)
		g.mu.Unlock()
	}
	return Event{ID: id, WebhookID: webhookID, Timestamp: g.now(), Type: family + "_fetched",
		Payload: payload, Precision: g.prec}, nil
}

// fetchedObject returns an object of kind k numbered n, created in the
// past; g.mu must be held.
func (g *Generator) fetchedObject(k kind, n int) Object {
	at := g.ago(g.now(), minAge, maxAge)
	var o Object
	if k == kSLATracker {
		o = g.newSLATracker(at)
	} else {
		o = g.newWorkOf(k, at)
	}
	for key, v := range g.ids(k, n) {
		o[key] = v
	}
	return o
}

// parseFetchID reads a display id (ISS-12) or a DON id
// (don:core:dvrv-us-1:devo/<org>:issue/12) of a fetchable kind; n is 0
// when its number is not a positive integer, org "" for a display id.
func parseFetchID(object string) (k kind, family string, n int, org string, err error) {
	num := ""
	found := false
	if rest, ok := strings.CutPrefix(object, "don:"); ok {
		parts := strings.Split(rest, ":")
		if len(parts) != 4 || !strings.HasPrefix(parts[2], "devo/") {
			return kind{}, "", 0, "", fmt.Errorf("%q: %w", object, ErrNotFetchable)
		}
		org = strings.TrimPrefix(parts[2], "devo/")
		seg, tail, _ := strings.Cut(parts[3], "/")
		for _, f := range fetchable {
			if f.k.seg == seg && f.k.service == parts[0] {
				k, family, num, found = f.k, f.family, tail, true
			}
		}
	} else if prefix, tail, ok := strings.Cut(object, "-"); ok {
		for _, f := range fetchable {
			if f.k.prefix == prefix {
				k, family, num, found = f.k, f.family, tail, true
			}
		}
	}
	if !found {
		return kind{}, "", 0, "", fmt.Errorf("%q: %w", object, ErrNotFetchable)
	}
	if v, err := strconv.Atoi(num); err == nil && v > 0 && strconv.Itoa(v) == num {
		n = v
	}
	return k, family, n, org, nil
}
