package event

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// kind describes one DevRev object kind: how its DON id, display id and
// id_v1 are spelled.
type kind struct {
	typ     string // value of the object's "type" field and id_v1's kind segment
	seg     string // DON type segment, e.g. "devu" for dev_user
	prefix  string // display id prefix, e.g. "DEVU"; "" when the kind has none
	service string // DON service: core, identity or integration
}

// The object kinds the catalogue produces. They are lookup tables, never
// written after initialisation.
var (
	kIssue          = kind{"issue", "issue", "ISS", "core"}
	kTicket         = kind{"ticket", "ticket", "TKT", "core"}
	kTask           = kind{"task", "task", "TASK", "core"}
	kOpportunity    = kind{"opportunity", "opportunity", "OPP", "core"}
	kProduct        = kind{"product", "product", "PROD", "core"}
	kCapability     = kind{"capability", "capability", "CAPL", "core"}
	kFeature        = kind{"feature", "feature", "FEAT", "core"}
	kEnhancement    = kind{"enhancement", "enhancement", "ENH", "core"}
	kDevUser        = kind{"dev_user", "devu", "DEVU", "identity"}
	kRevUser        = kind{"rev_user", "revu", "REVU", "identity"}
	kRevOrg         = kind{"rev_org", "revo", "REV", "identity"}
	kAccount        = kind{"account", "account", "ACC", "identity"}
	kGroup          = kind{"group", "group", "GRP", "identity"}
	kArticle        = kind{"article", "article", "ART", "core"}
	kConversation   = kind{"conversation", "conversation", "CONV", "core"}
	kTag            = kind{"tag", "tag", "TAG", "core"}
	kIncident       = kind{"incident", "incident", "INC", "core"}
	kDashboard      = kind{"dashboard", "dashboard", "DASH", "core"}
	kWidget         = kind{"widget", "widget", "WDGT", "core"}
	kJob            = kind{"job", "job", "JOB", "core"}
	kLink           = kind{"link", "link", "LINK", "core"}
	kQuestionAnswer = kind{"question_answer", "question_answer", "QA", "core"}
	kSLATracker     = kind{"sla_tracker", "sla_tracker", "SLAT", "core"}
	kSLA            = kind{"sla", "sla", "SLA", "core"}
	kSurvey         = kind{"survey", "survey", "SURV", "core"}
	kSurveyResponse = kind{"survey_response", "survey_response", "SRESP", "core"}
	kSyncUnit       = kind{"sync_unit", "sync_unit", "SYNC", "integration"}
	kSyncHistory    = kind{"sync_history", "sync_history", "", "integration"}
	kWebhook        = kind{"webhook", "webhook", "WH", "integration"}
	kAIAgent        = kind{"ai_agent", "ai_agent", "AGENT", "core"}
	kComment        = kind{"timeline_comment", "comment", "", "core"}
)

// person is a dev or rev user of the fake org.
type person struct {
	n           int
	k           kind
	first, last string
	domain      string
	enc         json.RawMessage // encoded summary, for roster members
}

// part is a product or capability of the fake org.
type part struct {
	k     kind
	n     int
	name  string
	owner int             // index into world.devs
	enc   json.RawMessage // encoded summary
}

// customer is an account with the rev org that represents it.
type customer struct {
	account, revOrg int
	name, domain    string
	tier            string
}

// world is the fake dev org the catalogue draws on: its people, parts and
// customers. It is built lazily on first use under Generator.mu, so it only
// consumes random numbers when events are generated.
type world struct {
	domain    string
	devs      []person
	products  []part
	caps      []part
	customers []customer
	groups    []int
	tenantSF  int
	stockSF   int
	stages    map[string]json.RawMessage // encoded stage objects by custom stage id
}

// worldOf returns the generator's fake org, building it on first use;
// g.mu must be held.
func (g *Generator) worldOf() *world {
	if g.w != nil {
		return g.w
	}
	w := &world{domain: g.domainFor(g.fake.Company())}
	g.w = w
	for range 8 {
		p := person{n: g.next(kDevUser), k: kDevUser, first: g.fake.FirstName(), last: g.fake.LastName(), domain: w.domain}
		p.enc = freeze(g.userSummary(p))
		w.devs = append(w.devs, p)
	}
	for range 3 {
		p := part{k: kProduct, n: g.next(kProduct), name: g.productName(), owner: g.fake.IntN(len(w.devs))}
		p.enc = freeze(g.buildPartSummary(p))
		w.products = append(w.products, p)
	}
	for range 4 {
		p := part{k: kCapability, n: g.next(kCapability), name: g.capabilityName(), owner: g.fake.IntN(len(w.devs))}
		p.enc = freeze(g.buildPartSummary(p))
		w.caps = append(w.caps, p)
	}
	w.stages = make(map[string]json.RawMessage)
	for range 4 {
		name := g.fake.Company()
		w.customers = append(w.customers, customer{
			account: g.next(kAccount), revOrg: g.next(kRevOrg),
			name: name, domain: g.domainFor(name), tier: pick(g, tiers),
		})
	}
	for range 3 {
		w.groups = append(w.groups, g.next(kGroup))
	}
	w.tenantSF = 100 + g.fake.IntN(900)
	w.stockSF = 1000000 + g.fake.IntN(9000000)
	return w
}

var tiers = []string{"tier_1", "tier_2", "tier_3"}

// next returns the next display number of kind k; the first number of a kind
// starts at a random offset so ids look like a lived-in org. g.mu must be held.
func (g *Generator) next(k kind) int {
	n, ok := g.seq[k.seg]
	if !ok {
		n = g.base + g.fake.IntN(100)
	}
	n++
	g.seq[k.seg] = n
	return n
}

// earlier returns the number of an existing object of kind k (at most the
// last one handed out); g.mu must be held.
func (g *Generator) earlier(k kind) int {
	n := g.seq[k.seg]
	if n <= g.base {
		return g.next(k)
	}
	return g.base + 1 + g.fake.IntN(n-g.base)
}

// don returns don:<service>:dvrv-us-1:devo/<org>:<seg>/<id>.
func (g *Generator) don(k kind, id string) string {
	return "don:" + k.service + ":dvrv-us-1:devo/" + g.org + ":" + k.seg + "/" + id
}

// donN is don with a numeric id.
func (g *Generator) donN(k kind, n int) string { return g.don(k, strconv.Itoa(n)) }

// displayID returns e.g. ISS-98, or "" for kinds without display ids.
func displayID(k kind, n int) string {
	if k.prefix == "" {
		return ""
	}
	return k.prefix + "-" + strconv.Itoa(n)
}

// idV1 returns the legacy id: don:DEV-<org>:issue:98; identity objects use
// their display id (don:DEV-<org>:dev_user:DEVU-1), as the sample shows.
func (g *Generator) idV1(k kind, n int) string {
	tail := strconv.Itoa(n)
	if k.service == "identity" {
		tail = displayID(k, n)
	}
	return "don:DEV-" + g.org + ":" + k.typ + ":" + tail
}

// ids returns the identifying fields every atom carries: id, id_v1 (which
// real deliveries carry although DevRev's schema lacks it) and display_id.
// There is no "type": DevRev's schema has one only where an object sits in a
// union (work, part, user and org summaries, link endpoints…); see typedIDs.
func (g *Generator) ids(k kind, n int) Object {
	o := make(Object, 24) // room for a full object without map growth
	o["id"], o["id_v1"] = g.donN(k, n), g.idV1(k, n)
	if d := displayID(k, n); d != "" {
		o["display_id"] = d
	}
	return o
}

// typedIDs is ids plus the "type" DevRev's unions discriminate on.
func (g *Generator) typedIDs(k kind, n int) Object {
	o := g.ids(k, n)
	o["type"] = k.typ
	return o
}

// atom returns the fields of DevRev's atom base (ids, created_by/date,
// modified_by/date) for a new object of kind k created at at.
func (g *Generator) atom(k kind, n int, at time.Time) Object {
	o := g.ids(k, n)
	author := g.randomDev()
	o["created_by"] = g.userRef(author)
	o["created_date"] = formatDate(at)
	o["modified_by"] = g.userRef(author)
	o["modified_date"] = formatDate(at)
	return o
}

// formatDate writes an object date as DevRev does: UTC, millisecond
// precision with trailing zeros dropped (2025-07-02T13:04:12.1Z).
func formatDate(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.999Z07:00")
}

// ago returns a time between min and max before now, at millisecond
// precision; g.mu must be held.
func (g *Generator) ago(now time.Time, min, max time.Duration) time.Time {
	span := int64((max - min) / time.Millisecond)
	d := min
	if span > 0 {
		d += time.Duration(g.fake.IntN(int(span))) * time.Millisecond
	}
	return now.Add(-d).Truncate(time.Millisecond)
}

// between returns a millisecond-precision time in [a, b); g.mu must be held.
func (g *Generator) between(a, b time.Time) time.Time {
	return g.ago(b, 0, b.Sub(a))
}

// pick returns a random element of xs; g.mu must be held.
func pick[T any](g *Generator, xs []T) T { return xs[g.fake.IntN(len(xs))] }

// randomDev returns a dev user of the org; g.mu must be held.
func (g *Generator) randomDev() person {
	w := g.worldOf()
	return w.devs[g.fake.IntN(len(w.devs))]
}

// newPerson makes a fresh user of kind k with an email at domain.
func (g *Generator) newPerson(k kind, domain string) person {
	return person{n: g.next(k), k: k, first: g.fake.FirstName(), last: g.fake.LastName(), domain: domain}
}

func (p person) fullName() string { return p.first + " " + p.last }

func (p person) handle() string {
	return strings.ToLower(strings.ReplaceAll(p.first+"-"+p.last, " ", "-"))
}

// userSummary is a user as DevRev embeds it (created_by, owned_by, …),
// shaped exactly like the sample's.
func (g *Generator) userSummary(p person) Object {
	h := p.handle()
	return Object{
		"type":           p.k.typ,
		"display_handle": h,
		"display_id":     displayID(p.k, p.n),
		"display_name":   h,
		"email":          strings.ReplaceAll(h, "-", ".") + "@" + p.domain,
		"full_name":      p.fullName(),
		"id":             g.donN(p.k, p.n),
		"id_v1":          g.idV1(p.k, p.n),
		"state":          "active",
		"thumbnail":      "https://api.devrev.ai/internal/display-picture/" + url.PathEscape(p.fullName()) + ".png",
	}
}

// owners returns one or two distinct dev user summaries; g.mu must be held.
func (g *Generator) owners() []any {
	w := g.worldOf()
	i := g.fake.IntN(len(w.devs))
	out := []any{g.userRef(w.devs[i])}
	if g.fake.IntN(4) == 0 {
		out = append(out, g.userRef(w.devs[(i+1+g.fake.IntN(len(w.devs)-1))%len(w.devs)]))
	}
	return out
}

// partSummary is a part as DevRev embeds it (applies_to_part), like the
// sample's, pre-encoded (see freeze).
func (g *Generator) partSummary(p part) any { return thaw(p.enc) }

func (g *Generator) buildPartSummary(p part) Object {
	o := g.typedIDs(p.k, p.n)
	o["name"] = p.name
	o["owned_by"] = []any{g.userRef(g.worldOf().devs[p.owner])}
	o["stage"] = Object{"name": ""}
	return o
}

// userRef is userSummary for a member of the roster, pre-encoded.
func (g *Generator) userRef(p person) any {
	if p.enc != nil {
		return thaw(p.enc)
	}
	return g.userSummary(p)
}

// freeze encodes an immutable sub-object once, exactly as Encode would write
// it. The catalogue embeds such bytes (as json.RawMessage, which Encode
// copies verbatim) for the summaries repeated in every payload, because
// encoding them field by field dominates the cost of an event.
func freeze(o Object) json.RawMessage {
	b, err := Marshal(o)
	if err != nil { // unreachable: o holds only strings, numbers, bools and objects
		panic(fmt.Sprintf("event: encode summary: %v", err))
	}
	return b
}

// thaw returns a private copy of frozen bytes, so that no two events share
// a buffer.
func thaw(b json.RawMessage) json.RawMessage { return append(json.RawMessage(nil), b...) }

// randomPart returns a product or capability of the org; g.mu must be held.
func (g *Generator) randomPart() part {
	w := g.worldOf()
	if g.fake.IntN(3) == 0 {
		return pick(g, w.caps)
	}
	return pick(g, w.products)
}

// accountSummary embeds a customer's account (DevRev's account-summary, no
// type); revOrgSummary its rev org as an org-summary (typed).
func (g *Generator) accountSummary(c customer) Object {
	o := g.ids(kAccount, c.account)
	o["display_name"] = c.name
	return o
}

func (g *Generator) revOrgSummary(c customer) Object {
	o := g.typedIDs(kRevOrg, c.revOrg)
	o["display_name"] = c.name
	return o
}

// groupSummary embeds a group of the org.
func (g *Generator) groupSummary(n int) Object {
	o := g.ids(kGroup, n)
	o["name"] = groupNames[n%len(groupNames)]
	return o
}

var groupNames = []string{"Support", "Platform Engineering", "Customer Success", "Billing", "Security", "Mobile"}

// domainFor turns a company name into a plausible email domain.
func (g *Generator) domainFor(company string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(company) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		b.WriteString("example")
	}
	return b.String() + "." + pick(g, domainSuffixes)
}

var domainSuffixes = []string{"com", "io", "ai", "dev", "co"}

func (g *Generator) productName() string {
	return pick(g, productPrefixes) + " " + pick(g, productNouns)
}

func (g *Generator) capabilityName() string {
	return pick(g, capabilityNames)
}

var (
	productPrefixes = []string{"Nimbus", "Atlas", "Orbit", "Pulse", "Beacon", "Vertex", "Lumen", "Harbor"}
	productNouns    = []string{"Cloud", "Analytics", "Gateway", "Mobile", "Payments", "Studio", "Console", "Sync"}
	capabilityNames = []string{"Authentication", "Billing", "Search", "Notifications", "Reporting", "Data export",
		"Single sign-on", "Audit log", "Webhooks", "Onboarding", "Rate limiting", "File uploads"}
)

// stageDef is one stage of a work or object stage diagram.
type stageDef struct {
	name, display string
	state         string // open, in_progress or closed
	id            int    // custom_stage number
	ordinal       int
}

var (
	issueStages = []stageDef{
		{"triage", "Triage", "open", 21, 1200}, {"backlog", "Backlog", "open", 24, 2400},
		{"prioritized", "Prioritized", "open", 27, 3600}, {"in_development", "In development", "in_progress", 30, 4800},
		{"in_review", "In review", "in_progress", 33, 6000}, {"completed", "Completed", "closed", 36, 7200},
	}
	ticketStages = []stageDef{
		{"queued", "Queued", "open", 1, 1000}, {"work_in_progress", "Work in progress", "in_progress", 4, 2000},
		{"awaiting_customer_response", "Awaiting customer response", "in_progress", 7, 3000},
		{"resolved", "Resolved", "closed", 10, 4000},
	}
	taskStages = []stageDef{
		{"open", "Open", "open", 40, 1000}, {"in_progress", "In progress", "in_progress", 43, 2000},
		{"completed", "Completed", "closed", 46, 3000},
	}
	opportunityStages = []stageDef{
		{"qualification", "Qualification", "open", 50, 1000}, {"validation", "Validation", "open", 53, 2000},
		{"negotiation", "Negotiation", "in_progress", 56, 3000}, {"contract", "Contract", "in_progress", 59, 4000},
		{"closed_won", "Closed won", "closed", 62, 5000},
	}
	conversationStages = []stageDef{
		{"new", "New", "open", 70, 1000}, {"waiting_on_user", "Waiting on user", "in_progress", 73, 2000},
		{"resolved", "Resolved", "closed", 76, 3000},
	}
	incidentStages = []stageDef{
		{"acknowledged", "Acknowledged", "open", 80, 1000}, {"identified", "Identified", "in_progress", 83, 2000},
		{"mitigated", "Mitigated", "in_progress", 86, 3000}, {"resolved", "Resolved", "closed", 89, 4000},
	}
)

var stateDefs = map[string]struct {
	display string
	id      int
	final   bool
}{
	"open":        {"Open", 1, false},
	"in_progress": {"In progress", 2, false},
	"closed":      {"Closed", 3, true},
}

// stageObject is a stage as the sample nests it: the stage, its custom
// stage and its state; pre-encoded (see freeze).
func (g *Generator) stageObject(s stageDef) json.RawMessage {
	w := g.worldOf()
	b, ok := w.stages[s.name+"/"+strconv.Itoa(s.id)]
	if !ok {
		b = freeze(g.buildStageObject(s))
		w.stages[s.name+"/"+strconv.Itoa(s.id)] = b
	}
	return thaw(b)
}

func (g *Generator) buildStageObject(s stageDef) Object {
	st := stateDefs[s.state]
	return Object{
		"display_name": s.display,
		"name":         s.name,
		"notes":        "",
		"ordinal":      s.ordinal,
		"stage":        g.stageRef(s),
		"state": Object{
			"display_name": st.display,
			"id":           g.don(kind{service: "core", seg: "custom_state"}, strconv.Itoa(st.id)),
			"is_final":     st.final,
			"name":         s.state,
		},
	}
}

func (g *Generator) stageRef(s stageDef) Object {
	return Object{
		"display_name": s.display,
		"id":           g.don(kind{service: "core", seg: "custom_stage"}, strconv.Itoa(s.id)),
		"name":         s.name,
	}
}

// setStage writes stage and state of a work item o to s (state is a field
// real deliveries carry on work items although DevRev's schema lacks it).
func (g *Generator) setStage(o Object, s stageDef) {
	o["stage"] = g.stageObject(s)
	if _, ok := o["type"]; ok {
		o["state"] = s.state
	}
}

// stageV2 is a stage in DevRev's newer "stage" shape (incidents,
// enhancements): the custom stage and its state, no legacy name.
func (g *Generator) stageV2(s stageDef) Object {
	st := stateDefs[s.state]
	return Object{
		"stage": g.stageRef(s),
		"state": Object{
			"display_name": st.display,
			"id":           g.don(kind{service: "core", seg: "custom_state"}, strconv.Itoa(st.id)),
			"is_final":     st.final,
			"name":         s.state,
		},
	}
}

// stageIndex finds the stage o is in within stages (0 when unknown).
func stageIndex(o Object, stages []stageDef) int {
	var name string
	st := o["stage"]
	if v2, ok := o["stage_v2"].(map[string]any); ok {
		st = v2["stage"]
	}
	switch st := st.(type) {
	case map[string]any:
		name, _ = st["name"].(string)
	case json.RawMessage:
		var v struct{ Name string }
		if json.Unmarshal(st, &v) == nil {
			name = v.Name
		}
	}
	for i, s := range stages {
		if s.name == name {
			return i
		}
	}
	return 0
}

// advanceStage moves o one stage forward (or back one from the last).
func (g *Generator) advanceStage(o Object, stages []stageDef) {
	g.setStage(o, stages[nextStage(o, stages)])
}

// nextStage is the index of the stage after o's (or the one before the last).
func nextStage(o Object, stages []stageDef) int {
	i := stageIndex(o, stages)
	if i+1 < len(stages) {
		return i + 1
	}
	return i - 1
}

// priorityFields sets priority ("p0"…"p3") and priority_v2 for level.
func priorityFields(o Object, level int) {
	o["priority"] = "p" + strconv.Itoa(level)
	o["priority_v2"] = enumValue(level, "P"+strconv.Itoa(level))
}

// enumValue is DevRev's enum-value: {id, label, ordinal}, id and ordinal
// counting from 1.
func enumValue(i int, label string) Object {
	return Object{"id": i + 1, "label": label, "ordinal": i + 1}
}

// cloneObject deep-copies o so that versions of an object share no maps or
// slices (Set on one event never changes another).
func cloneObject(o Object) Object {
	if o == nil {
		return nil
	}
	c := make(Object, len(o))
	for k, v := range o {
		c[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneObject(x)
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e)
		}
		return c
	case []string:
		return append([]string(nil), x...)
	case json.RawMessage:
		return append(json.RawMessage(nil), x...)
	}
	return v
}
