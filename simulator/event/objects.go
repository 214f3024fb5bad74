package event

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// This file builds the objects of every family in DevRev's REST shapes. Each
// family has a create function (a fresh object created at a given time) and a
// change function (edits a copy into its next version: the caller then sets
// modified_by and modified_date). All of them run with Generator.mu held.

// mention is DevRev's rich-text reference to an object: <don:…>.
func (g *Generator) mention(k kind, n int) string { return "<" + g.donN(k, n) + ">" }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	failures = []string{"returns 500", "times out", "fails after upgrade", "shows stale data",
		"crashes on start", "drops events", "is missing translations", "double-charges", "leaks memory"}
	platforms     = []string{"iOS", "Android", "Safari", "Windows", "staging", "the EU region", "Firefox"}
	audiences     = []string{"large workspaces", "new users", "admins", "SSO users", "free-tier orgs"}
	issueSubtypes = []string{"bug", "defect", "test", "tech_debt", "regression"}
	colors        = []string{"Blue", "Green", "Red", "Yellow", "Purple"}
	severities    = []string{"low", "medium", "high", "blocker"}
	channels      = []string{"email", "slack", "plug", "twilio", "twilio_sms"} // DevRev's ticket-channels
	regions       = []string{"us-east", "eu-west", "ap-south", "us-west"}
	forecasts     = []string{"Pipeline", "Upside", "Commit", "Strategic"}
	linkTypes     = []string{"is_dependent_on", "is_related_to", "is_parent_of", "is_duplicate_of", "developed_with"}
	qaStatus      = []string{"draft", "published", "review_needed"}
	visibilities  = []string{"internal", "external", "private"}
	datasets      = []string{"tickets", "issues", "conversations", "accounts", "sla_trackers"}
	jobNames      = []string{"Export tickets to CSV", "Import accounts", "Bulk update issues", "Recompute SLA metrics",
		"Reindex articles", "Merge duplicate rev users"}
	jobKinds        = []string{"export", "import", "bulk_update", "backfill", "reindex"}
	systems         = []string{"jira", "zendesk", "github", "salesforce", "linear", "hubspot"}
	tagWords        = []string{"escalation", "billing", "vip", "regression", "security", "ux", "performance", "churn-risk", "onboarding"}
	slaNames        = []string{"Premium support", "Standard support", "Enterprise 24x7"}
	metricNames     = []string{"First response time", "Next response time", "Resolution time"}
	incidentSources = []string{"PagerDuty", "Datadog", "Opsgenie", "Manual"}
	syncModes       = []string{"initial", "sync_from_devrev", "sync_to_devrev"}
	surveyChannels  = []string{"Email", "Slack", "Plug", "Portal"}
	agentErrors     = []string{"skill execution timed out", "the agent could not reach the knowledge base", "rate limited by the model provider"}
	skillNames      = []string{"search_articles", "create_ticket", "lookup_account", "summarize_conversation", "update_issue"}
	webhookTypes    = []string{"work_created", "work_updated", "work_deleted", "conversation_created", "conversation_updated",
		"account_created", "rev_user_created", "tag_created", "timeline_entry_created", "sla_tracker_updated"}
	incidentSev = []string{"Sev0", "Sev1", "Sev2", "Sev3"}
	enhStages   = []stageDef{
		{"ideation", "Ideation", "open", 90, 1000}, {"prioritized", "Prioritized", "open", 93, 2000},
		{"in_development", "In development", "in_progress", 96, 3000}, {"released", "Released", "closed", 99, 4000},
	}
)

// ---- work: issue, ticket, task, opportunity ----

var workKinds = []kind{kIssue, kIssue, kIssue, kIssue, kTicket, kTicket, kTicket, kTask, kTask, kOpportunity}

func stagesOf(typ any) []stageDef {
	switch typ {
	case "ticket":
		return ticketStages
	case "task":
		return taskStages
	case "opportunity":
		return opportunityStages
	case "conversation":
		return conversationStages
	case "incident":
		return incidentStages
	case "enhancement":
		return enhStages
	}
	return issueStages
}

func (g *Generator) issueTitle() string {
	switch g.fake.IntN(5) {
	case 0:
		return pick(g, capabilityNames) + " " + pick(g, failures)
	case 1:
		return "Cannot " + g.fake.HackerVerb() + " the " + g.fake.HackerAdjective() + " " + g.fake.HackerNoun()
	case 2:
		return upperFirst(g.fake.HackerNoun()) + " " + pick(g, failures) + " on " + pick(g, platforms)
	case 3:
		return "Slow " + strings.ToLower(pick(g, capabilityNames)) + " for " + pick(g, audiences)
	}
	return upperFirst(g.fake.HackerAdjective()) + " " + g.fake.HackerNoun() + " " + pick(g, failures)
}

func (g *Generator) workTitle(k kind) string {
	switch k {
	case kTicket:
		switch g.fake.IntN(4) {
		case 0:
			return "Customer cannot " + g.fake.HackerVerb() + " the " + g.fake.HackerNoun()
		case 1:
			return pick(g, capabilityNames) + " not working for " + g.fake.Company()
		case 2:
			return "Question about " + strings.ToLower(pick(g, capabilityNames))
		}
		return "Refund request for invoice #" + strconv.Itoa(10000+g.fake.IntN(90000))
	case kTask:
		switch g.fake.IntN(3) {
		case 0:
			return "Update docs for " + strings.ToLower(pick(g, capabilityNames))
		case 1:
			return "Write tests for the " + g.fake.HackerAdjective() + " " + g.fake.HackerNoun()
		}
		return "Follow up with " + g.fake.Company()
	case kOpportunity:
		if g.fake.Bool() {
			return g.fake.Company() + " – " + strconv.Itoa(10*(1+g.fake.IntN(50))) + " seats"
		}
		return g.fake.Company() + " renewal FY" + strconv.Itoa(25+g.fake.IntN(3))
	}
	return g.issueTitle()
}

// workRef is a work item as embedded in references and links, like the sample's.
func (g *Generator) workRef(k kind) Object {
	n := g.earlier(k)
	o := g.typedIDs(k, n)
	o["owned_by"] = g.owners()
	stages := stagesOf(k.typ)
	s := stages[g.fake.IntN(len(stages))]
	o["stage"] = Object{"name": s.name, "stage": g.stageRef(s)}
	o["title"] = g.workTitle(k)
	if k == kTicket {
		o["severity"] = pick(g, severities)
	} else {
		priorityFields(o, g.fake.IntN(4))
	}
	return o
}

// workKindOf maps a work "type" value back to its kind (issue when unknown).
func workKindOf(typ any) kind {
	for _, k := range []kind{kTicket, kTask, kOpportunity} {
		if typ == k.typ {
			return k
		}
	}
	return kIssue
}

func (g *Generator) newWork(at time.Time) Object { return g.newWorkOf(pick(g, workKinds), at) }

func (g *Generator) newWorkOf(k kind, at time.Time) Object {
	w := g.worldOf()
	n := g.next(k)
	o := g.atom(k, n, at)
	o["type"] = k.typ
	o["applies_to_part"] = g.partSummary(g.randomPart())
	o["owned_by"] = g.owners()
	o["title"] = g.workTitle(k)
	o["stock_schema_fragment"] = "don:core:dvrv-us-1:stock_sf/" + strconv.Itoa(w.stockSF+len(k.typ))
	frags := []any{g.don(kind{service: "core", seg: "tenant_fragment"}, strconv.Itoa(w.tenantSF))}
	stages := stagesOf(k.typ)
	g.setStage(o, stages[g.fake.IntN(len(stages)-1)])
	switch k {
	case kIssue:
		o["body"] = g.fake.Sentence() + " Seen while working on " + g.mention(kIssue, g.earlier(kIssue)) + "."
		priorityFields(o, g.fake.IntN(4))
		sub := g.fake.IntN(len(issueSubtypes))
		o["subtype"] = issueSubtypes[sub]
		frags = append(frags, g.don(kind{service: "core", seg: "custom_type_fragment"}, strconv.Itoa(w.tenantSF-20+sub)))
		text := ""
		if g.fake.Bool() {
			text = g.fake.HackerNoun()
		}
		o["custom_fields"] = Object{
			"ctype__color":           pick(g, colors),
			"tnt__a_rich_text_field": "Related to " + g.mention(kIssue, g.earlier(kIssue)),
			"tnt__a_text_field":      text,
		}
		refs := []any{g.workRef(kIssue)}
		if g.fake.IntN(3) == 0 {
			refs = append(refs, g.workRef(kTicket))
		}
		o["references"] = refs
	case kTicket:
		c := pick(g, w.customers)
		o["body"] = g.fake.Sentence() + " Reported by " + c.name + "."
		o["severity"] = pick(g, severities)
		o["rev_org"] = g.revOrgSummary(c)
		reporter := person{n: g.earlier(kRevUser), k: kRevUser, first: g.fake.FirstName(), last: g.fake.LastName(), domain: c.domain}
		o["reported_by"] = []any{g.userSummary(reporter)}
		o["channels"] = []any{pick(g, channels)}
		o["group"] = g.groupSummary(pick(g, w.groups))
		o["needs_response"] = g.fake.Bool()
		o["custom_fields"] = Object{"tnt__a_text_field": "", "tnt__region": pick(g, regions)}
		o["references"] = []any{}
	case kTask:
		o["body"] = g.fake.Sentence()
		o["target_close_date"] = formatDate(at.Add(time.Duration(3+g.fake.IntN(30)) * 24 * time.Hour))
		o["custom_fields"] = Object{}
		o["references"] = []any{g.workRef(kIssue)}
	case kOpportunity:
		c := pick(g, w.customers)
		o["body"] = g.fake.Sentence()
		o["account"] = g.accountSummary(c)
		acv := 1000 * (5 + g.fake.IntN(200))
		o["annual_contract_value"] = money(acv)
		o["value"] = money(acv * (1 + g.fake.IntN(3)))
		f := g.fake.IntN(len(forecasts))
		o["forecast_category_v2"] = enumValue(f, forecasts[f])
		o["custom_fields"] = Object{}
		o["references"] = []any{}
	}
	o["custom_schema_fragments"] = frags
	return o
}

// money is DevRev's money: the amount as a decimal string, in USD.
func money(amount int) Object {
	return Object{"amount": strconv.Itoa(amount) + ".00", "currency": "USD"}
}

func (g *Generator) changeWork(o Object) {
	switch g.fake.IntN(4) {
	case 0:
		g.advanceStage(o, stagesOf(o["type"]))
	case 1:
		switch o["type"] {
		case "ticket":
			o["severity"] = pick(g, severities)
		case "issue":
			priorityFields(o, g.fake.IntN(4))
		default:
			o["target_close_date"] = o["modified_date"]
		}
	case 2:
		o["title"] = g.workTitle(workKindOf(o["type"]))
	default:
		o["owned_by"] = g.owners()
	}
}

// ---- parts: product, capability, feature, enhancement ----

func (g *Generator) newPart(at time.Time) Object {
	w := g.worldOf()
	k := pick(g, []kind{kProduct, kCapability, kFeature, kEnhancement})
	n := g.next(k)
	o := g.atom(k, n, at)
	o["type"] = k.typ
	o["owned_by"] = g.owners()
	o["artifacts"] = []any{}
	o["tags"] = []any{}
	switch k {
	case kProduct:
		o["name"] = g.productName()
		o["description"] = g.fake.ProductDescription()
	case kCapability:
		o["name"] = g.capabilityName()
		o["description"] = "Everything about " + strings.ToLower(o["name"].(string)) + " in " + pick(g, w.products).name + "."
	case kFeature:
		o["name"] = g.capabilityName() + ": " + g.fake.HackerAdjective() + " " + g.fake.HackerNoun()
		o["description"] = g.fake.Sentence()
	default:
		o["name"] = "Improve " + strings.ToLower(g.capabilityName()) + " for " + pick(g, audiences)
		o["description"] = g.fake.Sentence()
		o["target_close_date"] = formatDate(at.Add(time.Duration(14+g.fake.IntN(90)) * 24 * time.Hour))
		g.setStageV2(o, enhStages[g.fake.IntN(len(enhStages)-1)])
	}
	return o
}

// setStageV2 writes stage_v2 and state_v2 (enhancements).
func (g *Generator) setStageV2(o Object, s stageDef) {
	o["stage_v2"] = g.stageV2(s)
	o["state_v2"] = s.state
}

func (g *Generator) changePart(o Object) {
	switch g.fake.IntN(3) {
	case 0:
		o["description"] = g.fake.Sentence()
	case 1:
		o["owned_by"] = g.owners()
	default:
		if o["type"] == "enhancement" {
			g.setStageV2(o, enhStages[nextStage(o, enhStages)])
		} else {
			o["tags"] = []any{g.tagRef()}
		}
	}
}

// tagRef is a tag as attached to objects: {tag: summary}.
func (g *Generator) tagRef() Object {
	n := g.earlier(kTag)
	t := g.ids(kTag, n)
	t["name"] = tagWords[n%len(tagWords)]
	return Object{"tag": t}
}

// ---- accounts, rev orgs, rev users, dev users ----

func (g *Generator) newCustomer() customer {
	name := g.fake.Company()
	return customer{name: name, domain: g.domainFor(name), tier: pick(g, tiers)}
}

func (g *Generator) newAccount(at time.Time) Object {
	c := g.newCustomer()
	o := g.atom(kAccount, g.next(kAccount), at)
	o["display_name"] = c.name
	o["description"] = upperFirst(g.fake.BS()) + " " + g.fake.BuzzWord() + " platform."
	o["domains"] = []any{c.domain}
	o["websites"] = []any{"https://www." + c.domain}
	o["tier"] = c.tier
	o["owned_by"] = g.owners()
	o["external_refs"] = []any{c.domain}
	o["tags"] = []any{}
	o["stock_schema_fragment"] = "don:core:dvrv-us-1:stock_sf/" + strconv.Itoa(g.worldOf().stockSF+100)
	o["custom_fields"] = Object{"tnt__region": pick(g, regions)}
	return o
}

func (g *Generator) changeAccount(o Object) {
	switch g.fake.IntN(3) {
	case 0:
		o["tier"] = pick(g, tiers)
	case 1:
		o["owned_by"] = g.owners()
	default:
		o["description"] = upperFirst(g.fake.BS()) + " " + g.fake.BuzzWord() + " platform."
	}
}

func (g *Generator) newRevOrg(at time.Time) Object {
	c := g.newCustomer()
	c.account = g.next(kAccount)
	o := g.atom(kRevOrg, g.next(kRevOrg), at)
	o["display_name"] = c.name
	o["description"] = upperFirst(g.fake.BS()) + " " + g.fake.BuzzWord() + "."
	o["domain"] = c.domain
	o["account"] = g.accountSummary(c)
	o["external_ref"] = c.domain
	o["custom_fields"] = Object{"tnt__tier": c.tier}
	return o
}

func (g *Generator) changeRevOrg(o Object) {
	if g.fake.Bool() {
		o["custom_fields"] = Object{"tnt__tier": pick(g, tiers)}
	} else {
		o["description"] = upperFirst(g.fake.BS()) + " " + g.fake.BuzzWord() + "."
	}
}

// mergeUser adds a user's summary fields to a full user object, except
// those DevRev's full user objects do not have (type, and display_handle and
// thumbnail, which real deliveries carry in summaries only).
func (g *Generator) mergeUser(o Object, p person) {
	for k, v := range g.userSummary(p) {
		switch k {
		case "type", "display_handle", "thumbnail":
		default:
			o[k] = v
		}
	}
}

func (g *Generator) phone() string { return "+1" + g.fake.DigitN(10) }

func (g *Generator) newRevUser(at time.Time) Object {
	c := pick(g, g.worldOf().customers)
	p := g.newPerson(kRevUser, c.domain)
	o := g.atom(kRevUser, p.n, at)
	g.mergeUser(o, p)
	o["rev_org"] = g.revOrgSummary(c)
	o["external_ref"] = o["email"]
	o["phone_numbers"] = []any{g.phone()}
	o["custom_fields"] = Object{}
	return o
}

func (g *Generator) changeUser(o Object) {
	switch g.fake.IntN(3) {
	case 0:
		o["phone_numbers"] = []any{g.phone()}
	case 1:
		o["state"] = pick(g, []string{"deactivated", "locked"})
	default:
		h, _ := o["display_name"].(string)
		o["display_name"] = h + "-" + strconv.Itoa(g.fake.IntN(100))
	}
}

func (g *Generator) newDevUser(at time.Time) Object {
	p := g.newPerson(kDevUser, g.worldOf().domain)
	o := g.atom(kDevUser, p.n, at)
	g.mergeUser(o, p)
	o["phone_numbers"] = []any{g.phone()}
	o["experience_start_date"] = formatDate(at.AddDate(-1-g.fake.IntN(15), 0, 0))
	o["custom_fields"] = Object{"tnt__job_title": g.fake.JobDescriptor() + " " + g.fake.JobTitle()}
	return o
}

// ---- knowledge: articles, question answers, tags ----

func (g *Generator) newArticle(at time.Time) Object {
	n := g.next(kArticle)
	o := g.atom(kArticle, n, at)
	o["title"] = "How to " + g.fake.HackerVerb() + " " + strings.ToLower(pick(g, capabilityNames))
	o["description"] = g.fake.Sentence()
	o["applies_to_parts"] = []any{g.partSummary(g.randomPart())}
	o["authored_by"] = []any{g.userRef(g.randomDev())}
	o["owned_by"] = g.owners()
	o["article_type"] = "article"
	o["resource"] = Object{"url": "https://support." + g.worldOf().domain + "/articles/" + displayID(kArticle, n)}
	o["num_upvotes"] = g.fake.IntN(40)
	o["num_downvotes"] = g.fake.IntN(5)
	return o
}

func (g *Generator) changeArticle(o Object) {
	switch g.fake.IntN(3) {
	case 0:
		o["description"] = g.fake.Sentence()
	case 1:
		o["title"] = "How to " + g.fake.HackerVerb() + " " + strings.ToLower(pick(g, capabilityNames))
	default:
		if v, ok := o["num_upvotes"].(int); ok {
			o["num_upvotes"] = v + 1
		}
	}
}

func (g *Generator) newQuestionAnswer(at time.Time) Object {
	o := g.atom(kQuestionAnswer, g.next(kQuestionAnswer), at)
	o["question"] = g.fake.Question()
	o["answer"] = g.fake.Sentence()
	o["status"] = pick(g, qaStatus)
	o["topic"] = pick(g, capabilityNames)
	o["applies_to_parts"] = []any{g.partSummary(g.randomPart())}
	o["sources"] = []any{g.articleSummary(g.earlier(kArticle))}
	o["verified"] = g.fake.Bool()
	return o
}

// articleSummary is an article as an atom-summary (typed), e.g. a QA's source.
func (g *Generator) articleSummary(n int) Object {
	o := g.typedIDs(kArticle, n)
	o["title"] = "How to " + g.fake.HackerVerb() + " " + strings.ToLower(pick(g, capabilityNames))
	o["article_type"] = "article"
	return o
}

func (g *Generator) changeQuestionAnswer(o Object) {
	if g.fake.Bool() {
		o["answer"] = g.fake.Sentence()
	} else {
		o["status"] = pick(g, qaStatus)
	}
}

func (g *Generator) newTag(at time.Time) Object {
	n := g.next(kTag)
	o := g.atom(kTag, n, at)
	o["name"] = tagWords[n%len(tagWords)] + "-" + strconv.Itoa(n)
	o["description"] = "Items about " + g.fake.HackerNoun() + "."
	o["allowed_values"] = []any{}
	o["style_new"] = Object{"color": g.fake.HexColor()}
	return o
}

func (g *Generator) changeTag(o Object) {
	if g.fake.Bool() {
		o["description"] = "Items about " + g.fake.HackerNoun() + "."
	} else {
		o["allowed_values"] = []any{"low", "medium", "high"}
	}
}

// ---- conversations and timeline entries ----

func (g *Generator) newConversation(at time.Time) Object {
	w := g.worldOf()
	o := g.atom(kConversation, g.next(kConversation), at)
	c := pick(g, w.customers)
	member := person{n: g.earlier(kRevUser), k: kRevUser, first: g.fake.FirstName(), last: g.fake.LastName(), domain: c.domain}
	o["title"] = g.fake.Question()
	o["description"] = g.fake.Sentence()
	o["source_channel"] = pick(g, channels)
	o["members"] = []any{g.userSummary(member), g.userRef(g.randomDev())}
	o["owned_by"] = g.owners()
	o["group"] = g.groupSummary(pick(g, w.groups))
	o["tags"] = []any{}
	g.setStage(o, conversationStages[g.fake.IntN(len(conversationStages)-1)])
	return o
}

func (g *Generator) changeConversation(o Object) {
	switch g.fake.IntN(3) {
	case 0:
		g.advanceStage(o, conversationStages)
	case 1:
		o["owned_by"] = g.owners()
	default:
		o["tags"] = []any{g.tagRef()}
	}
}

func (g *Generator) newTimelineEntry(at time.Time) Object {
	k := pick(g, []kind{kIssue, kTicket, kConversation})
	pn := g.earlier(k)
	author := g.randomDev()
	o := Object{
		"type":              kComment.typ,
		"id":                g.donN(k, pn) + ":comment/" + g.token(10),
		"created_by":        g.userRef(author),
		"created_date":      formatDate(at),
		"modified_by":       g.userRef(author),
		"modified_date":     formatDate(at),
		"body":              g.fake.Sentence() + " cc " + g.mention(kDevUser, g.randomDev().n),
		"body_type":         "text",
		"object":            g.donN(k, pn),
		"object_display_id": displayID(k, pn),
		"object_type":       k.typ,
		"visibility":        pick(g, visibilities),
		"labels":            []any{},
	}
	return o
}

func (g *Generator) changeTimelineEntry(o Object) {
	o["body"] = g.fake.Sentence() + " (edited)"
}

// ---- dashboards, widgets, groups ----

// newDashboard: DevRev's schema gives a dashboard only the atom fields.
func (g *Generator) newDashboard(at time.Time) Object {
	return g.atom(kDashboard, g.next(kDashboard), at)
}

// changeDashboard changes nothing the schema shows: the update is in
// modified_by and modified_date, set by the caller.
func (g *Generator) changeDashboard(Object) {}

func (g *Generator) newWidget(at time.Time) Object {
	o := g.atom(kWidget, g.next(kWidget), at)
	ds := pick(g, datasets)
	o["title"] = upperFirst(ds) + " by " + pick(g, []string{"stage", "owner", "severity", "week", "part"})
	o["name"] = ds + "_" + strconv.Itoa(g.fake.IntN(1000))
	o["description"] = g.fake.Sentence()
	o["is_draft"] = false
	o["is_system"] = false
	o["layout"] = []any{Object{
		"reference_id": "main",
		"position":     Object{"x": 0, "y": 0, "width": 4 * (1 + g.fake.IntN(3)), "height": 2 + g.fake.IntN(4)},
	}}
	o["sub_widgets"] = []any{g.subWidget()}
	return o
}

// subWidget is one chart of a widget: a metric counting its dataset.
func (g *Generator) subWidget() Object {
	return Object{
		"reference_id": "main",
		"visualization": Object{
			"type":   "metric",
			"metric": Object{"y": []any{Object{"reference_name": "count", "label": pick(g, []string{"Count", "Total", "Open"})}}},
		},
	}
}

func (g *Generator) changeWidget(o Object) {
	if g.fake.Bool() {
		o["sub_widgets"] = []any{g.subWidget()}
	} else {
		o["description"] = g.fake.Sentence()
	}
}

func (g *Generator) newGroup(at time.Time) Object {
	n := g.next(kGroup)
	o := g.atom(kGroup, n, at)
	o["name"] = groupNames[n%len(groupNames)] + " " + strconv.Itoa(n)
	o["description"] = "Team for " + strings.ToLower(pick(g, capabilityNames)) + "."
	o["member_type"] = pick(g, []string{"dev_user", "dev_user", "rev_user"})
	o["owner"] = g.userRef(g.randomDev())
	o["is_default"] = false
	return o
}

func (g *Generator) changeGroup(o Object) {
	if g.fake.Bool() {
		o["description"] = "Team for " + strings.ToLower(pick(g, capabilityNames)) + "."
	} else {
		o["owner"] = g.userRef(g.randomDev())
	}
}

// ---- incidents, jobs, links ----

func (g *Generator) severityObject(i int) Object { return enumValue(i, incidentSev[i]) }

func (g *Generator) newIncident(at time.Time) Object {
	o := g.atom(kIncident, g.next(kIncident), at)
	p := g.randomPart()
	o["title"] = "Elevated " + pick(g, []string{"error rates", "latency", "timeouts", "queue depth"}) + " on " + p.name
	o["body"] = g.fake.Sentence()
	o["severity"] = g.severityObject(g.fake.IntN(len(incidentSev)))
	o["applies_to_parts"] = []any{g.partSummary(p)}
	o["owned_by"] = g.owners()
	src := g.fake.IntN(len(incidentSources))
	o["source"] = enumValue(src, incidentSources[src])
	o["identified_date"] = formatDate(at)
	o["stage"] = g.stageV2(incidentStages[0])
	return o
}

func (g *Generator) changeIncident(o Object) {
	if g.fake.IntN(3) == 0 {
		o["severity"] = g.severityObject(g.fake.IntN(len(incidentSev)))
		return
	}
	o["stage"] = g.stageV2(incidentStages[nextStage(incidentStageOf(o), incidentStages)])
}

// incidentStageOf returns an object whose stage is o's incident stage, as
// stageIndex reads it.
func incidentStageOf(o Object) Object {
	st, _ := o["stage"].(map[string]any)
	return Object{"stage": st["stage"]}
}

// Jobs are modelled as DevRev's asynchronous operations (exports, imports,
// bulk updates); the seed names the events but gives no schema.
func (g *Generator) newJob(at time.Time) Object {
	o := g.atom(kJob, g.next(kJob), at)
	total := 100 * (1 + g.fake.IntN(50))
	o["name"] = pick(g, jobNames)
	o["kind"] = pick(g, jobKinds)
	o["status"] = "queued"
	o["progress"] = Object{"completed": 0, "total": total}
	o["requested_by"] = g.userRef(g.randomDev())
	return o
}

func (g *Generator) changeJob(o Object) {
	p, _ := o["progress"].(Object)
	total, _ := p["total"].(int)
	switch o["status"] {
	case "queued":
		o["status"] = "running"
		o["progress"] = Object{"completed": total / 2, "total": total}
		o["started_date"] = o["modified_date"]
	case "running":
		o["status"] = "succeeded"
		o["progress"] = Object{"completed": total, "total": total}
	default:
		o["status"] = "failed"
		o["error"] = Object{"message": "worker lost its lease"}
	}
}

func (g *Generator) newLink(at time.Time) Object {
	o := g.atom(kLink, g.next(kLink), at)
	o["link_type"] = pick(g, linkTypes)
	o["source"] = g.workRef(kIssue)
	o["target"] = g.workRef(pick(g, []kind{kIssue, kTicket}))
	return o
}

func (g *Generator) changeLink(o Object) { o["link_type"] = pick(g, linkTypes) }

// ---- SLA trackers, surveys, survey responses ----

func (g *Generator) newSLATracker(at time.Time) Object {
	o := g.atom(kSLATracker, g.next(kSLATracker), at)
	ticket := g.earlier(kTicket)
	sla := g.ids(kSLA, 1+g.fake.IntN(3))
	sla["name"] = pick(g, slaNames)
	sla["sla_type"] = "external"
	sla["status"] = "published"
	o["applies_to_id"] = g.donN(kTicket, ticket)
	o["applies_to_type"] = "ticket"
	o["sla"] = sla
	o["stage"] = "active"
	o["status"] = "in_progress"
	var metrics []any
	for i, name := range metricNames[:2] {
		metrics = append(metrics, Object{
			"metric_definition": Object{
				"id":   g.don(kind{service: "core", seg: "metric_definition"}, strconv.Itoa(i+1)),
				"name": name,
			},
			"target_time":        formatDate(at.Add(time.Duration(1+i*7) * time.Hour)),
			"stage":              "ongoing",
			"status":             "in_progress",
			"is_out_of_schedule": false,
		})
	}
	o["metric_target_summaries"] = metrics
	return o
}

func (g *Generator) changeSLATracker(o Object) {
	ms, _ := o["metric_target_summaries"].([]any)
	if len(ms) > 0 && g.fake.IntN(3) > 0 {
		if m, ok := ms[0].(Object); ok {
			if m["status"] == "in_progress" {
				m["stage"], m["status"] = "completed", "completed"
				m["completed_in"] = 5 + g.fake.IntN(50)
			} else {
				m["stage"], m["status"] = "breached", "breached"
			}
			return
		}
	}
	o["stage"] = pick(g, []string{"paused", "active", "breached"})
}

func (g *Generator) newSurvey(at time.Time) Object {
	o := g.atom(kSurvey, g.next(kSurvey), at)
	o["name"] = pick(g, []string{"CSAT after resolution", "NPS quarterly", "Onboarding feedback"})
	o["description"] = g.fake.Sentence()
	o["introductory_text"] = "We'd love your feedback."
	o["response_text"] = "Thank you for your response!"
	o["schema"] = []any{
		Object{"name": "rating", "field_type": "int", "is_required": true, "gte": 1, "lte": 5,
			"ui": Object{"display_name": "How satisfied are you?"}},
		Object{"name": "feedback", "field_type": "text", "is_required": false,
			"ui": Object{"display_name": "Anything else?"}},
	}
	return o
}

func (g *Generator) changeSurvey(o Object) {
	if g.fake.Bool() {
		o["description"] = g.fake.Sentence()
	} else {
		o["introductory_text"] = "Tell us how we did."
	}
}

func (g *Generator) newSurveyResponse(at time.Time) Object {
	w := g.worldOf()
	o := g.atom(kSurveyResponse, g.next(kSurveyResponse), at)
	c := pick(g, w.customers)
	recipient := person{n: g.earlier(kRevUser), k: kRevUser, first: g.fake.FirstName(), last: g.fake.LastName(), domain: c.domain}
	o["survey"] = g.donN(kSurvey, g.earlier(kSurvey))
	o["object"] = g.donN(kTicket, g.earlier(kTicket))
	o["recipient"] = g.userSummary(recipient)
	ch := g.fake.IntN(len(surveyChannels))
	o["dispatched_channels"] = []any{enumValue(ch, surveyChannels[ch])}
	o["response_channel"] = enumValue(ch, surveyChannels[ch])
	o["response"] = Object{"rating": 1 + g.fake.IntN(5), "feedback": g.fake.Sentence()}
	o["stage"] = enumValue(2, "Responded")
	return o
}

func (g *Generator) changeSurveyResponse(o Object) {
	o["response"] = Object{"rating": 1 + g.fake.IntN(5), "feedback": g.fake.Sentence()}
}

// ---- sync units and sync histories (AirSync) ----

func (g *Generator) newSyncUnit(at time.Time) Object {
	n := g.next(kSyncUnit)
	o := g.atom(kSyncUnit, n, at)
	sys := pick(g, systems)
	o["name"] = upperFirst(sys) + " – " + strings.ToUpper(g.fake.LetterN(4))
	o["external_system_type"] = sys
	o["sync_status"] = "idle"
	o["last_sync_date"] = formatDate(at)
	return o
}

func (g *Generator) changeSyncUnit(o Object) {
	if o["sync_status"] == "idle" {
		o["sync_status"] = "syncing"
	} else {
		o["sync_status"] = "idle"
	}
	o["last_sync_date"] = o["modified_date"]
}

// newSyncHistory is one AirSync run of a sync unit, in DevRev's shape: the
// unit's id and a sync_run (mode, progress state, start and end).
func (g *Generator) newSyncHistory(at time.Time) Object {
	unit := g.earlier(kSyncUnit)
	n := g.next(kSyncHistory)
	author := g.randomDev()
	return Object{
		"id":            g.donN(kSyncUnit, unit) + ":sync_history/" + strconv.Itoa(n),
		"created_by":    g.userRef(author),
		"created_date":  formatDate(at),
		"modified_by":   g.userRef(author),
		"modified_date": formatDate(at),
		"sync_unit":     g.donN(kSyncUnit, unit),
		"sync_run": Object{
			"mode":       pick(g, syncModes),
			"progress":   Object{"state": "extraction"},
			"started_at": formatDate(at),
		},
	}
}

func (g *Generator) changeSyncHistory(o Object) {
	run, _ := o["sync_run"].(map[string]any)
	if run == nil {
		run = Object{}
		o["sync_run"] = run
	}
	run["progress"] = Object{"state": pick(g, []string{"completed", "completed", "loading_error"})}
	run["ended_at"] = o["modified_date"]
}

// ---- webhooks (shaped like seed 001's webhook object) ----

// newWebhook has no secret: DevRev's guide says a secret is never provided
// when invoking a webhook, although its schema marks webhook.secret required
// (Options.WebhookObjectSecret adds a made-up one; docs/protocol.md §1.1).
func (g *Generator) newWebhook(at time.Time) Object {
	n := g.next(kWebhook)
	author := g.randomDev()
	types := []any{}
	start := g.fake.IntN(len(webhookTypes))
	for i := range 1 + g.fake.IntN(4) {
		types = append(types, webhookTypes[(start+i)%len(webhookTypes)])
	}
	o := Object{
		"id":            g.don(kWebhook, g.token(8)),
		"display_id":    displayID(kWebhook, n),
		"created_by":    g.userRef(author),
		"created_date":  formatDate(at),
		"modified_by":   g.userRef(author),
		"modified_date": formatDate(at),
		"event_types":   types,
		"status":        "unverified",
		"url":           "https://hooks." + g.worldOf().domain + "/devrev/" + strings.ToLower(g.fake.LetterN(6)),
	}
	if g.webhookSecret {
		// 24 random bytes in base64, as DevRev's format "byte" says; it is
		// no real webhook's secret.
		o["secret"] = base64.StdEncoding.EncodeToString([]byte(g.token(24)))
	}
	return o
}

func (g *Generator) changeWebhook(o Object) {
	switch o["status"] {
	case "unverified", "inactive":
		o["status"] = "active"
	default:
		o["status"] = pick(g, []string{"inactive", "unverified"})
	}
}

// ---- AI agents ----

// aiAgentResponse is a notification of DevRev's asynchronous agent API:
// a message, a progress report (skill triggered/executed) or an error.
func (g *Generator) aiAgentResponse() Object {
	conv := g.donN(kConversation, g.earlier(kConversation))
	o := Object{
		"agent":   g.donN(kAIAgent, 1+g.fake.IntN(5)),
		"session": g.don(kind{service: "core", seg: "ai_agent_session"}, g.token(12)),
		// The client's own identifier of the session: here the conversation
		// it serves.
		"session_object":  conv,
		"client_metadata": Object{"conversation_id": conv, "request_id": g.fake.UUID()},
	}
	switch r := g.fake.IntN(10); {
	case r < 6:
		o["agent_response"] = "message"
		o["message"] = g.fake.Sentence() + " " + g.fake.Sentence()
	case r < 9:
		o["agent_response"] = "progress"
		skill := pick(g, skillNames)
		if g.fake.Bool() {
			o["progress"] = Object{"progress_state": "skill_triggered",
				"skill_triggered": Object{"skill_name": skill, "args": Object{"query": g.fake.HackerNoun()}}}
		} else {
			o["progress"] = Object{"progress_state": "skill_executed",
				"skill_executed": Object{"skill_name": skill, "output": Object{"status": "ok"}}}
		}
	default:
		o["agent_response"] = "error"
		o["error"] = Object{"error": pick(g, agentErrors)}
	}
	return o
}
