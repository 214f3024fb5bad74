package event

import (
	"sort"
	"time"
)

// builder makes the payload of one event type; g.mu is held while it runs.
type builder func(g *Generator) Object

// family is a kind of DevRev object whose lifecycle produces
// <name>_created / _updated / _deleted events.
type family struct {
	name string // event type prefix, e.g. "work"
	key  string // payload key of the object: "work"; "entry" for timeline entries
	// create returns a fresh object created (and last modified) at at.
	create func(g *Generator, at time.Time) Object
	// change edits a copy of an object into its next version; the caller
	// then sets modified_by and modified_date.
	change func(g *Generator, o Object)
}

// families lists every object family with created, updated and deleted
// events in seed 000. It is a lookup table, never written after init.
var families = []family{
	{"account", "account", (*Generator).newAccount, (*Generator).changeAccount},
	{"article", "article", (*Generator).newArticle, (*Generator).changeArticle},
	{"conversation", "conversation", (*Generator).newConversation, (*Generator).changeConversation},
	{"dashboard", "dashboard", (*Generator).newDashboard, (*Generator).changeDashboard},
	{"dev_user", "dev_user", (*Generator).newDevUser, (*Generator).changeUser},
	{"group", "group", (*Generator).newGroup, (*Generator).changeGroup},
	{"incident", "incident", (*Generator).newIncident, (*Generator).changeIncident},
	{"job", "job", (*Generator).newJob, (*Generator).changeJob},
	{"link", "link", (*Generator).newLink, (*Generator).changeLink},
	{"part", "part", (*Generator).newPart, (*Generator).changePart},
	{"question_answer", "question_answer", (*Generator).newQuestionAnswer, (*Generator).changeQuestionAnswer},
	{"rev_org", "rev_org", (*Generator).newRevOrg, (*Generator).changeRevOrg},
	{"rev_user", "rev_user", (*Generator).newRevUser, (*Generator).changeUser},
	{"sla_tracker", "sla_tracker", (*Generator).newSLATracker, (*Generator).changeSLATracker},
	{"survey", "survey", (*Generator).newSurvey, (*Generator).changeSurvey},
	{"survey_response", "survey_response", (*Generator).newSurveyResponse, (*Generator).changeSurveyResponse},
	{"sync_history", "sync_history", (*Generator).newSyncHistory, (*Generator).changeSyncHistory},
	{"tag", "tag", (*Generator).newTag, (*Generator).changeTag},
	{"timeline_entry", "entry", (*Generator).newTimelineEntry, (*Generator).changeTimelineEntry},
	{"webhook", "webhook", (*Generator).newWebhook, (*Generator).changeWebhook},
	{"widget", "widget", (*Generator).newWidget, (*Generator).changeWidget},
	{"work", "work", (*Generator).newWork, (*Generator).changeWork},
}

// syncUnit only has an updated event.
var syncUnit = family{"sync_unit", "sync_unit", (*Generator).newSyncUnit, (*Generator).changeSyncUnit}

// catalogue maps every event type of seed 000 to its payload builder.
var catalogue = buildCatalogue()

func buildCatalogue() map[string]builder {
	c := map[string]builder{
		"verify":               func(g *Generator) Object { return Object{"challenge": g.token(37)} },
		"ai_agent_response":    (*Generator).aiAgentResponse,
		"group_member_added":   groupMember,
		"group_member_removed": groupMember,
		"sync_unit_updated":    updatedOf(syncUnit),
	}
	for _, f := range families {
		c[f.name+"_created"] = createdOf(f)
		c[f.name+"_updated"] = updatedOf(f)
		c[f.name+"_deleted"] = deletedOf(f)
	}
	for _, f := range families {
		if f.name == "work" || f.name == "sla_tracker" {
			c[f.name+"_fetched"] = fetchedOf(f)
		}
	}
	return c
}

// Object ages used by the standalone builders: objects were created between
// an hour and 60 days ago; an update lands shortly before the event.
const (
	minAge     = time.Hour
	maxAge     = 60 * 24 * time.Hour
	minLatency = 50 * time.Millisecond
	maxLatency = 900 * time.Millisecond
)

// createdOf: {<key>: object created just now}.
func createdOf(f family) builder {
	return func(g *Generator) Object {
		return Object{f.key: f.create(g, g.ago(g.now(), minLatency, maxLatency))}
	}
}

// aged returns an object of f created in the past and possibly edited since.
func (g *Generator) aged(f family, now time.Time) Object {
	created := g.ago(now, minAge, maxAge)
	o := f.create(g, created)
	if g.fake.Bool() {
		o["modified_date"] = formatDate(g.between(created, now.Add(-minAge/2)))
	}
	return o
}

// nextVersion returns a changed copy of o modified at at by a random dev user.
func (g *Generator) nextVersion(f family, o Object, at time.Time) Object {
	n := cloneObject(o)
	f.change(g, n)
	n["modified_by"] = g.userRef(g.randomDev())
	n["modified_date"] = formatDate(at)
	return n
}

// updatedOf: {<key>: new version, old_<key>: previous version}; a
// timeline entry's update sometimes carries the reactions that changed.
func updatedOf(f family) builder {
	return func(g *Generator) Object {
		now := g.now()
		old := g.aged(f, now)
		p := updatedPayload(f, g.nextVersion(f, old, g.ago(now, minLatency, maxLatency)), old)
		if f.name == "timeline_entry" && g.fake.IntN(3) == 0 {
			g.react(p)
		}
		return p
	}
}

// updatedPayload is {<key>: cur, old_<key>: old}, or just {webhook: cur}:
// DevRev's event-webhook-updated has no old object.
func updatedPayload(f family, cur, old Object) Object {
	if f.name == "webhook" {
		return Object{f.key: cur}
	}
	return Object{f.key: cur, "old_" + f.key: old}
}

// deletedOf: {id, old_<key>: the object as it was}, or just {id} for the
// families whose deleted event has no old object in DevRev's schema.
func deletedOf(f family) builder {
	return func(g *Generator) Object { return deletedPayload(f, g.aged(f, g.now())) }
}

func deletedPayload(f family, old Object) Object {
	switch f.name {
	case "link", "sync_history", "webhook": // event-<x>-deleted is {id} only
		return Object{"id": old["id"]}
	}
	return Object{"id": old["id"], "old_" + f.key: old}
}

// Fetch results, as DevRev's event-fetched-result names them.
const (
	FetchedOK        = "ok"
	FetchedNotFound  = "not_found"
	FetchedForbidden = "forbidden"
)

// fetchedOf: {id, result, <key>: the object when result is ok}; mostly ok.
func fetchedOf(f family) builder {
	return func(g *Generator) Object {
		o := g.aged(f, g.now())
		result := pick(g, []string{FetchedOK, FetchedOK, FetchedOK, FetchedOK, FetchedNotFound, FetchedForbidden})
		return fetchedPayload(f, o["id"], result, o)
	}
}

func fetchedPayload(f family, id any, result string, o Object) Object {
	p := Object{"id": id, "result": result}
	if result == FetchedOK {
		p[f.key] = o
	}
	return p
}

// react adds to a timeline_entry_updated payload the reactions that changed
// (event-level, as DevRev's schema has them) and the entry's reaction tally.
func (g *Generator) react(p Object) {
	emoji := pick(g, reactionEmoji)
	action := pick(g, []string{"added", "added", "removed"})
	p["reactions"] = []any{Object{"action": action, "emoji": emoji, "reactor": g.userRef(g.randomDev())}}
	total := g.fake.IntN(4)
	if action == "added" {
		total++
	}
	if entry, ok := p["entry"].(map[string]any); ok {
		entry["reactions"] = []any{Object{"emoji": emoji, "reacted": false, "total_users": total}}
	}
}

// reactionEmoji are the emoji reactions use (Plain events spell them as
// names, see plainRune). A lookup table, never written.
var reactionEmoji = []string{"\U0001F44D", "\U0001F389", "\u2764\uFE0F", "\U0001F440", "\U0001F680"}

// groupMember: {group, member} for group_member_added/removed.
func groupMember(g *Generator) Object {
	w := g.worldOf()
	return Object{"group": g.groupSummary(pick(g, w.groups)), "member": g.userRef(g.randomDev())}
}

// Types returns every event type in the catalogue, sorted.
func Types() []string {
	out := make([]string, 0, len(catalogue))
	for t := range catalogue {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Known reports whether typ is in the catalogue.
func Known(typ string) bool {
	_, ok := catalogue[typ]
	return ok
}

// Families returns, sorted, the object families that have created, updated
// and deleted events (account, work, part, …): the values Lifecycle accepts.
func Families() []string {
	out := make([]string, 0, len(families))
	for _, f := range families {
		out = append(out, f.name)
	}
	sort.Strings(out)
	return out
}

// familyNamed looks a family up by name.
func familyNamed(name string) (family, bool) {
	for _, f := range families {
		if f.name == name {
			return f, true
		}
	}
	return family{}, false
}
