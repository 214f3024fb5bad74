// Package steps runs the receiver conformance catalogue of package features
// against a receiver URL: godog step definitions that build, sign and send
// events with simulator/, and the runner that turns the scenarios' outcomes
// into a report.Report with one verdict per requirement and the evidence
// behind every failure.
//
// Run is what `revhook check` calls; List is `revhook check --list`.
package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cucumber/godog"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/steps/harness"
	"github.com/revhook/revhook/steps/report"
)

// Concurrency is how many scenarios run at once. Each has at most one
// request in flight (the load-generating steps run alone). A failure seen
// while others ran is confirmed alone before it is reported; once a
// request gets no answer at all, every waiting scenario starts at once, so
// a receiver that stopped answering costs one deadline, not one per wave.
const Concurrency = 8

// ListedScenario is one selected scenario, as `revhook check --list` prints it.
type ListedScenario struct {
	// ID is the requirement the scenario checks; Level its level.
	ID    string `json:"id"`
	Level string `json:"level"`
	// Name is the scenario's name (outline values filled in).
	Name string `json:"name"`
	// Feature is the feature file the scenario is in.
	Feature string `json:"feature"`
	// Tags are the scenario's tags, without '@'.
	Tags []string `json:"tags"`
}

// selection is the outcome of Only/Skip/Tags against the catalogue.
type selection struct {
	filter    string
	scenarios []ListedScenario
	ids       []string // selected requirement IDs, catalogue order
	skipped   []string // IDs excluded by Skip that would otherwise run
}

// List returns the scenarios cfg selects, in catalogue order, without
// sending anything. Only Only, Skip and Tags are looked at.
func List(cfg Config) ([]ListedScenario, error) {
	s := &settings{Config: cfg}
	if err := s.checkSelection(); err != nil {
		return nil, err
	}
	sel, err := selectScenarios(s)
	if err != nil {
		return nil, err
	}
	return sel.scenarios, nil
}

func selectScenarios(s *settings) (*selection, error) {
	filter := tagFilter(s.only, s.Tags, s.skip)
	listed, err := parse(filter)
	if err != nil {
		return nil, err
	}
	sel := &selection{filter: filter, scenarios: listed}
	if len(listed) == 0 {
		what := "the selection"
		switch {
		case len(s.only) > 0 || s.Tags != "":
			what = "--only"
		case len(s.skip) > 0:
			what = "--skip"
		}
		field := strings.TrimPrefix(what, "--")
		if field == "the selection" {
			field = "only"
		}
		return nil, configErr(field, "%s selects no scenario (run 'revhook check --list' or 'revhook catalog')", what)
	}
	sel.ids = idsOf(listed)
	if len(s.skip) > 0 {
		before, err := parse(tagFilter(s.only, s.Tags, nil))
		if err != nil {
			return nil, err
		}
		skip := map[string]bool{}
		for _, id := range s.skip {
			skip[id] = true
		}
		for _, id := range idsOf(before) {
			if skip[id] {
				sel.skipped = append(sel.skipped, id)
			}
		}
	}
	return sel, nil
}

// parse reads the embedded features with a tag filter and checks that every
// scenario names exactly one known requirement and its level.
func parse(filter string) ([]ListedScenario, error) {
	suite := godog.TestSuite{Options: &godog.Options{FS: features.FS(), Paths: features.Files(), Tags: filter}}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("reading the embedded features: %w", err)
	}
	var out []ListedScenario
	for _, f := range feats {
		for _, p := range f.Pickles {
			ls := ListedScenario{Name: p.Name, Feature: f.Uri}
			var levels []string
			for _, t := range p.Tags {
				name := strings.TrimPrefix(t.Name, "@")
				ls.Tags = append(ls.Tags, name)
				if r, ok := features.Lookup(name); ok {
					if ls.ID != "" {
						return nil, fmt.Errorf("scenario %q in %s names two requirements (%s, %s)", p.Name, f.Uri, ls.ID, r.ID)
					}
					ls.ID, ls.Level = r.ID, r.Level
				}
				switch name {
				case "must", "should", "info":
					levels = append(levels, strings.ToUpper(name))
				}
			}
			if ls.ID == "" {
				return nil, fmt.Errorf("scenario %q in %s has no requirement tag", p.Name, f.Uri)
			}
			if len(levels) != 1 || levels[0] != ls.Level {
				return nil, fmt.Errorf("scenario %q in %s: level tags %v do not match %s's level %s", p.Name, f.Uri, levels, ls.ID, ls.Level)
			}
			out = append(out, ls)
		}
	}
	order := map[string]int{}
	for i, r := range features.Requirements() {
		order[r.ID] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].ID] < order[out[j].ID] })
	return out, nil
}

func idsOf(ls []ListedScenario) []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range features.Requirements() {
		for _, l := range ls {
			if l.ID == r.ID && !seen[r.ID] {
				seen[r.ID] = true
				ids = append(ids, r.ID)
			}
		}
	}
	return ids
}

// Run checks the receiver at cfg.URL against the selected requirements and
// returns the report. A *ConfigError means nothing was sent (exit 2); any
// other error means the harness itself failed and the results are void
// (exit 3). When ctx ends first, the report holds what was observed so far
// and is marked Interrupted. A receiver that cannot be reached is not an error: ACK-01
// fails with the reason and what could not be observed is blocked.
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	started := time.Now()
	s, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	sel, err := selectScenarios(s)
	if err != nil {
		return nil, err
	}
	h, err := harness.New(s.harnessOptions())
	if err != nil {
		return nil, &ConfigError{Field: "secret", Err: err}
	}
	r := &runner{h: h, s: s, defs: (&bindings{h: h}).all()}
	h.Detect(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check interrupted before any scenario ran: %w", err)
	}
	scs, cucumber, err := r.phases(ctx, sel.filter)
	if err != nil {
		return nil, err
	}
	consistentBlocks(scs) // an interrupted run's partial report too
	rep := r.build(sel, scs, started)
	rep.Interrupted = ctx.Err() != nil
	red := redact.New(s.Secret, append(s.headerValues(), redact.URLPassword(s.URL)...)...)
	red.Value(rep)
	rep.Finish()
	if cfg.Cucumber != nil {
		if _, err := cfg.Cucumber.Write(red.Bytes(cucumber)); err != nil {
			return rep, fmt.Errorf("writing the cucumber report: %w", err)
		}
	}
	return rep, nil
}

// loadTag marks the scenarios that load the receiver on purpose (ACK-02):
// they run last, alone, so the backlog a burst leaves at a receiver that
// handles one event at a time cannot make other scenarios time out.
const loadTag = "@ACK-02"

// phases runs the scenarios: all but the load ones concurrently, then the
// failures confirmed alone, then the load scenarios. It returns the
// states in feature order and the cucumber JSON of the first phase; once
// ctx ends, what ran so far.
func (r *runner) phases(ctx context.Context, filter string) ([]*harness.Scenario, []byte, error) {
	scs, cucumber, err := r.suite(ctx, andTags(filter, "~"+loadTag), nil)
	if err != nil || ctx.Err() != nil {
		return scs, cucumber, err
	}
	if err := r.confirmAlone(ctx, filter, scs); err != nil || ctx.Err() != nil {
		return scs, cucumber, err
	}
	if r.h.Silent() {
		// The last requests went unanswered (say, retries a receiver
		// holds on to): one probe tells whether it still answers at all
		// before the load scenarios are blocked for it.
		r.stillAnswers(ctx)
	}
	load, _, err := r.suite(ctx, andTags(filter, loadTag), nil)
	return append(scs, load...), cucumber, err
}

// consistentBlocks keeps blocked_by from naming a requirement that passed:
// a scenario blocked by X saw X's subject fail in its own control (a
// correctly signed event refused, not answered in time, rate-limited), so
// when X's own scenarios all passed — they ran before the receiver stopped
// answering, or at a quiet moment — X fails, with what the blocked scenario
// saw.
func consistentBlocks(scs []*harness.Scenario) {
	byReq := map[string][]*harness.Scenario{}
	for _, sc := range scs {
		byReq[sc.ReqID] = append(byReq[sc.ReqID], sc)
	}
	for _, sc := range scs {
		for _, x := range sc.BlockedBy() {
			own := byReq[x]
			if len(own) == 0 || !allPassed(own) {
				continue
			}
			own[0].Finish(harness.Failf("not met while checking %s: %s", sc.ReqID, strings.TrimPrefix(sc.Reason(), "not observed: ")))
		}
	}
}

func allPassed(scs []*harness.Scenario) bool {
	for _, sc := range scs {
		if !sc.Passed() {
			return false
		}
	}
	return true
}

// andTags joins two godog tag expressions.
func andTags(a, b string) string {
	if strings.TrimSpace(a) == "" {
		return b
	}
	return a + " && " + b
}

// runner runs the selected scenarios of one check.
type runner struct {
	h    *harness.Harness
	s    *settings
	defs []stepDef
	gone atomic.Bool // a probe found the receiver no longer answering
}

// aloneSuffix marks the seed key of a scenario re-run alone.
const aloneSuffix = " (re-run alone)"

// scenarioKey identifies a scenario across runs: its feature and name.
func scenarioKeyOf(p *godog.Scenario) string { return p.Uri + ": " + p.Name }

// suite runs the scenarios the filter selects with godog — those only
// (nil: all) — and returns their states in feature order, and the
// cucumber JSON. only runs them one at a time.
func (r *runner) suite(ctx context.Context, filter string, only map[string]bool) ([]*harness.Scenario, []byte, error) {
	var (
		mu    sync.Mutex
		scs   []*harness.Scenario
		order = map[*harness.Scenario]string{} // godog's pickle id
	)
	var cucumber bytes.Buffer
	format, output := "progress", io.Writer(io.Discard)
	if r.s.Cucumber != nil && only == nil {
		format, output = "cucumber", &cucumber
	}
	concurrency := 256 // the harness's slots bound the scenarios in flight
	if only != nil {
		concurrency = 1
	}
	suite := godog.TestSuite{
		Name: "revhook",
		ScenarioInitializer: func(gsc *godog.ScenarioContext) {
			gsc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
				key := scenarioKeyOf(p)
				if only != nil && (!only[key] || !r.answersAgain(ctx)) {
					// Not selected, or the receiver stopped answering: a
					// re-run would only wait out the deadline.
					return ctx, godog.ErrSkip
				}
				reqID, level := requirementOf(p)
				seedKey := key
				if only != nil {
					// Fresh ids and objects: a receiver that remembers the
					// first run's events must not answer for them again.
					seedKey += aloneSuffix
				}
				sc := r.h.NewScenario(seedKey, p.Name, reqID, level)
				mu.Lock()
				scs = append(scs, sc)
				order[sc] = p.Id
				mu.Unlock()
				if err := r.h.Begin(ctx); err != nil {
					return ctx, err
				}
				ctx = withScenario(ctx, sc)
				return ctx, r.precondition(sc)
			})
			gsc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
				if sc, serr := scenarioOf(ctx); serr == nil {
					sc.Finish(sc.Throttled(err))
					r.h.End()
				}
				return ctx, nil
			})
			register(gsc, r.defs)
		},
		Options: &godog.Options{
			FS: features.FS(), Paths: features.Files(), Tags: filter, Format: format, Output: output,
			Concurrency: concurrency, Strict: true, NoColors: true, DefaultContext: ctx,
		},
	}
	if code := suite.Run(); code > 1 {
		return nil, nil, fmt.Errorf("godog could not run the catalogue (exit %d)", code)
	}
	sort.SliceStable(scs, func(i, j int) bool { return pickleOrder(order[scs[i]], order[scs[j]]) })
	var broken []string
	for _, sc := range scs {
		if !sc.Finished() || harness.IsHarnessFailure(sc.Err()) {
			broken = append(broken, fmt.Sprintf("%s %q: %s", sc.ReqID, sc.Name, sc.Reason()))
		}
	}
	if len(broken) > 0 && ctx.Err() == nil {
		return nil, nil, fmt.Errorf("the harness failed in %d scenario(s): %s", len(broken), strings.Join(broken, "; "))
	}
	return scs, cucumber.Bytes(), nil
}

// precondition fails or blocks a scenario before it sends anything when
// the receiver could not be reached at all, or stopped answering.
func (r *runner) precondition(sc *harness.Scenario) error {
	why := r.h.Detection.Unreachable
	if why == "" && r.h.Silent() {
		// Nothing was answered since a request first went unanswered:
		// another deadline per scenario would observe nothing more. The
		// deadlines' own requirements still wait theirs out.
		by := timeCover(sc.ReqID)
		if sc.ReqID != by && sc.ReqID != harness.CoversTransport {
			return &harness.Blocked{By: []string{by}, Msg: "not observed: " + stopped(r.h.Answers())}
		}
	}
	if why == "" {
		return nil
	}
	sc.Attach(r.h.Detection.Probes...)
	switch sc.ReqID {
	case harness.CoversTime:
		return harness.Failf("%s", why)
	case harness.CoversTransport:
		return nil
	}
	return &harness.Blocked{By: []string{harness.CoversTime}, Msg: "not observed: " + why}
}

// requirementOf returns the requirement ID and level a scenario's tags name.
func requirementOf(p *godog.Scenario) (id, level string) {
	for _, t := range p.Tags {
		if r, ok := features.Lookup(strings.TrimPrefix(t.Name, "@")); ok {
			return r.ID, r.Level
		}
	}
	return "", ""
}

// confirmAlone re-runs, one at a time, the scenarios that failed while
// others ran, and keeps what they show alone: a scenario that passes alone
// passes with a note (ACK-02, about concurrency itself, is not re-run).
// Root failures go first; a blocked scenario is re-run only if what
// blocked it no longer fails. One probe first checks that the receiver
// still answers: if it does not, nothing is re-run and the failures say so.
func (r *runner) confirmAlone(ctx context.Context, filter string, scs []*harness.Scenario) error {
	if len(scs) < 2 || r.h.Detection.Unreachable != "" {
		return nil
	}
	var root, blocked []*harness.Scenario
	for _, sc := range scs {
		switch {
		case sc.Passed() || sc.ReqID == harness.CoversLoad || sc.ReqID == harness.CoversTransport: // SEC-01 reads the URL, not the receiver
		case len(sc.BlockedBy()) > 0:
			blocked = append(blocked, sc)
		default:
			root = append(root, sc)
		}
	}
	if len(root)+len(blocked) == 0 {
		return nil
	}
	if n, ok := r.stillAnswers(ctx); !ok {
		cut := inFlight(root)
		for _, sc := range append(root, blocked...) {
			notConfirmed(sc, n, cut)
		}
		return nil
	}
	if err := r.rerun(ctx, filter, root); err != nil {
		return err
	}
	failing := map[string]bool{}
	for _, sc := range scs {
		if !sc.Passed() && len(sc.BlockedBy()) == 0 {
			failing[sc.ReqID] = true
		}
	}
	var again []*harness.Scenario
	for _, sc := range blocked {
		free := true
		for _, id := range sc.BlockedBy() {
			free = free && !failing[id]
		}
		if free {
			again = append(again, sc)
		}
	}
	return r.rerun(ctx, filter, again)
}

// stillAnswers sends one correctly signed event: whether the receiver
// answers at all, and how many answers the run had had before. A probe
// refused at once (connection refused or reset: a process that crashed) is
// sent again for up to one deadline, so that a receiver its supervisor
// restarts (pm2, systemd, a container) is found answering again.
func (r *runner) stillAnswers(ctx context.Context) (int64, bool) {
	n := r.h.Answers()
	if r.h.Stalled() {
		return n, false // a probe would wait out one more deadline (make hostile)
	}
	until := time.Now().Add(r.s.Timeout)
	for {
		sc := r.h.NewScenario("probe after the concurrent phase", "probe", "", "")
		_ = r.h.Control(ctx, sc, harness.BaseType)
		x := sc.ControlExchange()
		if x != nil && x.Answered() {
			return n, true
		}
		if x == nil || x.Latency >= r.s.Timeout || time.Now().After(until) {
			return n, false
		}
		select { // wall time: a restart takes real time, whatever the check's clocks
		case <-ctx.Done():
			return n, false
		case <-time.After(restartPoll):
		}
	}
}

// answersAgain reports, before a scenario is re-run alone, whether the
// receiver answers: at once when its last request was answered; else after
// a probe, which waits for a receiver being restarted (the previous re-run
// may have crashed it). Once a probe found it gone, no more are sent.
func (r *runner) answersAgain(ctx context.Context) bool {
	if !r.h.Silent() {
		return true
	}
	if r.gone.Load() {
		return false
	}
	if _, ok := r.stillAnswers(ctx); !ok {
		r.gone.Store(true)
		return false
	}
	return true
}

// restartPoll is the pause between probes of a receiver that refused one.
const restartPoll = 250 * time.Millisecond

// rerun runs scs again one at a time and takes over what each shows alone.
func (r *runner) rerun(ctx context.Context, filter string, scs []*harness.Scenario) error {
	if len(scs) == 0 {
		return nil
	}
	only := map[string]bool{}
	for _, sc := range scs {
		only[sc.Key] = true
	}
	again, _, err := r.suite(ctx, filter, only)
	if err != nil {
		return err
	}
	// A scenario whose requests went unanswered alone, the receiver silent
	// after them: one probe tells a receiver that stopped answering (what
	// it showed alone proves nothing) from one that dropped just those
	// requests, or crashed on them and was restarted (it showed its fault
	// again, alone).
	alive, probed := false, false
	answersStill := func() bool {
		if !probed {
			alive, probed = r.answersAgain(ctx), true
		}
		return alive
	}
	alone := map[string]*harness.Scenario{}
	for _, sc := range again {
		alone[strings.TrimSuffix(sc.Key, aloneSuffix)] = sc
	}
	for _, sc := range scs {
		a := alone[sc.Key]
		switch {
		case a != nil && a.Passed():
			why := sc.Reason()
			sc.Finish(nil)
			sc.SetNote("failed while other scenarios ran (" + why + "); passed when re-run alone")
		case a == nil || (r.h.Silent() && unanswered(a) && !answersStill()):
			// Not re-run, or re-run into a receiver that no longer
			// answers: what it showed alone proves nothing.
			notConfirmed(sc, r.h.Answers(), nil)
		default:
			sc.Replace(a)
		}
	}
	return nil
}

// unanswered reports whether a request of sc got no answer.
func unanswered(sc *harness.Scenario) bool {
	xs := sc.Sent()
	if c := sc.ControlExchange(); c != nil {
		xs = append(xs, c)
	}
	for _, x := range xs {
		if !x.Answered() {
			return true
		}
	}
	return false
}

// stopped says that the receiver stopped answering after n answers.
func stopped(n int64) string {
	switch n {
	case 0:
		return "the receiver answered nothing at all"
	case 1:
		return "the receiver stopped answering after 1 answer"
	}
	return fmt.Sprintf("the receiver stopped answering after %d answers", n)
}

// inFlight lists the requirements of the failed scenarios whose requests
// went unanswered: those in flight when the receiver stopped answering.
func inFlight(scs []*harness.Scenario) []string {
	var ids []string
	for _, sc := range scs {
		if unanswered(sc) && !slices.Contains(ids, sc.ReqID) {
			ids = append(ids, sc.ReqID)
		}
	}
	return ids
}

// notConfirmed marks a failure that could not be confirmed alone because
// the receiver stopped answering after n answers: its reason and its note
// say so. When the receiver stopped answering everything (cut lists the
// requirements whose requests were in flight then), a failure seen as a
// request left unanswered is not blamed: the receiver may have stopped for
// another of them — a crash, a hang — so it is blocked by the deadline
// requirement, which then fails (consistentBlocks), unless it is that
// requirement's own. When only one requirement's requests were in flight,
// it is the culprit and keeps its failure; so does a scenario that hung
// again alone (cut nil): it showed its fault twice.
func notConfirmed(sc *harness.Scenario, n int64, cut []string) {
	why := stopped(n) + ", so this was not confirmed alone"
	by := sc.BlockedBy()
	if len(by) == 0 && len(cut) > 1 && unanswered(sc) { // one in flight: the culprit
		if t := timeCover(sc.ReqID); sc.ReqID != t {
			by = []string{t}
			why = fmt.Sprintf("%s while requests of %s were in flight (a crash or a hang; once it answers again, `revhook check --only ID` tries each alone)",
				stopped(n), strings.Join(cut, ", "))
		}
	}
	if len(by) > 0 {
		sc.Finish(&harness.Blocked{By: by, Msg: why + ": " + sc.Reason()})
	} else {
		sc.Finish(harness.Failf("%s: %s", why, sc.Reason()))
	}
	sc.SetNote(why)
}

// timeCover is the requirement that covers the time of reqID's answers.
func timeCover(reqID string) string {
	if strings.HasPrefix(reqID, "VER") {
		return harness.CoversVerifyTime
	}
	return harness.CoversTime
}

// newSeed returns a random non-zero seed.
func newSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	if s := int64(binary.LittleEndian.Uint64(b[:]) >> 1); s != 0 {
		return s
	}
	return 1
}

// build aggregates scenario states into one verdict per requirement.
func (r *runner) build(sel *selection, scs []*harness.Scenario, started time.Time) *report.Report {
	version := r.s.Version
	if version == "" {
		version = "dev"
	}
	h := r.h
	rep := &report.Report{
		Schema: report.Schema, RunID: r.s.runID, Seed: r.s.seed,
		Tool: report.Tool{Name: "revhook", Version: version},
		Target: report.Target{
			URL: h.URL(), Encoding: string(h.Encoding()), EncodingDetected: h.Detection.Detected,
			KeyEncoding: string(h.KeyEncoding()), Detection: h.Detection.Summary(h.Encoding(), h.KeyEncoding()),
		},
		StartedAt: started.UTC(),
	}
	byID := map[string][]*harness.Scenario{}
	for _, sc := range scs {
		byID[sc.ReqID] = append(byID[sc.ReqID], sc)
	}
	skipped := map[string]bool{}
	for _, id := range sel.skipped {
		skipped[id] = true
	}
	for _, q := range features.Requirements() {
		switch {
		case skipped[q.ID]:
			rep.Requirements = append(rep.Requirements, report.Requirement{
				ID: q.ID, Level: q.Level, Title: q.Title, Group: features.Group(q.ID),
				Status: report.StatusSkip, Reason: "skipped with --skip",
			})
		case contains(sel.ids, q.ID):
			rep.Requirements = append(rep.Requirements, h.Verdict(q, byID[q.ID]))
		}
	}
	rep.DurationMS = time.Since(started).Milliseconds()
	rep.Finish()
	return rep
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// pickleOrder orders godog's numeric pickle ids numerically.
func pickleOrder(a, b string) bool {
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}
