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
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/revhook/revhook/features"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/steps/report"
)

// Concurrency is how many scenarios run at once. Each has at most one
// request in flight (the load-generating steps run alone), so a receiver
// that answers one request at a time within deadline/Concurrency still
// passes everything but the burst.
const Concurrency = 8

// SlowConcurrency is how many scenarios run at once when the receiver let a
// correctly signed probe event time out: its scenarios mostly wait out the
// deadline, and running them together bounds the run to a few deadlines.
const SlowConcurrency = 128

// independentOfAcceptance lists the requirements that can be checked when
// the receiver accepts no correctly signed event at all.
var independentOfAcceptance = map[string]bool{"ROB-03": true, "SEC-01": true}

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
// (exit 3). A receiver that cannot be reached is not an error: every
// selected requirement fails with the reason.
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
	e, err := newEnv(s)
	if err != nil {
		return nil, err
	}
	defer e.close()

	e.detect(ctx)
	states, cucumber, err := e.runSuite(ctx, sel)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check interrupted: %w", err)
	}
	rep := e.build(sel, states, started)
	forms := secretForms(s.Secret)
	redactValue(reflect.ValueOf(rep), forms)
	rep.Finish()
	if cfg.Cucumber != nil {
		if _, err := cfg.Cucumber.Write(redactBytes(cucumber, forms)); err != nil {
			return rep, fmt.Errorf("writing the cucumber report: %w", err)
		}
	}
	return rep, nil
}

// detect checks that the receiver can be reached at all (a connection, and
// the TLS handshake for https), then finds the signature encoding it
// accepts (Encoding auto) with one correctly signed event each way.
func (e *env) detect(ctx context.Context) {
	dctx, cancel := context.WithTimeout(ctx, e.s.Timeout)
	conn, err := e.connect(dctx)
	cancel()
	if err != nil {
		e.unreachable = failf("receiver unreachable: %v", err)
		return
	}
	conn.Close()
	probe := &scenarioState{}
	send := func(enc signature.Encoding) *exchange {
		x := &exchange{what: fmt.Sprintf("encoding probe: a correctly signed work_created event with a %s signature", enc), control: true}
		ev, err := e.newEvent("work_created")
		if err != nil {
			x.err = err
			return x
		}
		body, err := encode(ev)
		if err != nil {
			x.err = err
			return x
		}
		signer, err := signature.NewSigner(e.s.Secret, enc, e.s.keyEnc)
		if err != nil {
			x.err = err
			return x
		}
		x = e.post(ctx, probe, x.what, body, signedHeader(signer.Sign(body), false), false)
		x.control = true
		return x
	}
	if e.s.encoding != EncodingAuto {
		x := send(e.enc)
		e.probes = []*exchange{x}
		e.slow = x.err != nil
		return
	}
	var hex, b64 *exchange
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); hex = send(signature.Hex) }()
	go func() { defer wg.Done(); b64 = send(signature.Base64) }()
	wg.Wait()
	e.probes = []*exchange{hex, b64}
	e.slow = hex.err != nil || b64.err != nil
	switch {
	case hex.ok():
		e.detected = true
	case b64.ok():
		e.detected = true
		_ = e.setEncoding(signature.Base64) // the secret was validated already
	case hex.err == nil && b64.err == nil:
		e.noAcceptance = failf("receiver accepted neither hex nor base64 signatures: it answered %s to a correctly signed work_created event with a hex signature and %s with a base64 one", hex.outcome(), b64.outcome())
	}
	// Otherwise a probe got no answer in time: the encoding stays hex,
	// undetected, and every scenario observes the receiver for itself.
}

// runSuite runs the selected scenarios with godog and returns their states
// in pickle order and the cucumber JSON.
func (e *env) runSuite(ctx context.Context, sel *selection) (map[string][]*scenarioState, []byte, error) {
	var (
		mu     sync.Mutex
		states []*scenarioState
	)
	var cucumber bytes.Buffer
	concurrency := Concurrency
	if e.slow {
		concurrency = SlowConcurrency
	}
	// godog always needs a formatter; progress into the void is the
	// cheapest when no cucumber JSON was asked for.
	format, output := "progress", io.Writer(io.Discard)
	if e.s.Cucumber != nil {
		format, output = "cucumber", &cucumber
	}
	suite := godog.TestSuite{
		Name: "revhook",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
				st := newScenarioState(p)
				mu.Lock()
				states = append(states, st)
				mu.Unlock()
				ctx = withState(ctx, st)
				switch {
				case e.unreachable != nil:
					st.attached = e.probes
					return ctx, e.unreachable
				case e.noAcceptance != nil && !independentOfAcceptance[st.reqID]:
					st.attached = e.probes
					return ctx, e.noAcceptance
				}
				return ctx, nil
			})
			sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
				if st, serr := stateOf(ctx); serr == nil {
					st.finish(err)
				}
				return ctx, nil
			})
			e.register(sc)
		},
		Options: &godog.Options{
			FS:             features.FS(),
			Paths:          features.Files(),
			Tags:           sel.filter,
			Format:         format,
			Output:         output,
			Concurrency:    concurrency,
			Strict:         true,
			NoColors:       true,
			DefaultContext: ctx,
		},
	}
	if code := suite.Run(); code > 1 {
		return nil, nil, fmt.Errorf("godog could not run the catalogue (exit %d)", code)
	}
	byID := map[string][]*scenarioState{}
	var harness []string
	for _, st := range states {
		if isHarnessFailure(st.err) || !st.finished {
			harness = append(harness, fmt.Sprintf("%s %q: %s", st.reqID, st.name, st.reason()))
		}
		byID[st.reqID] = append(byID[st.reqID], st)
	}
	if len(harness) > 0 && ctx.Err() == nil {
		return nil, nil, fmt.Errorf("the harness failed in %d scenario(s): %s", len(harness), strings.Join(harness, "; "))
	}
	// Scenarios in feature order: godog numbers pickles as it parses them.
	for id, sts := range byID {
		sort.SliceStable(sts, func(i, j int) bool { return pickleOrder(sts[i].pickleID, sts[j].pickleID) })
		byID[id] = sts
	}
	return byID, cucumber.Bytes(), nil
}

// build aggregates scenario states into one verdict per requirement.
func (e *env) build(sel *selection, states map[string][]*scenarioState, started time.Time) *report.Report {
	version := e.s.Version
	if version == "" {
		version = "dev"
	}
	encoding := string(e.enc)
	rep := &report.Report{
		Schema:    report.Schema,
		Tool:      report.Tool{Name: "revhook", Version: version},
		Target:    report.Target{URL: e.url, Encoding: encoding, EncodingDetected: e.detected, KeyEncoding: string(e.s.keyEnc)},
		StartedAt: started.UTC(),
	}
	skipped := map[string]bool{}
	for _, id := range sel.skipped {
		skipped[id] = true
	}
	for _, r := range features.Requirements() {
		switch {
		case skipped[r.ID]:
			rep.Requirements = append(rep.Requirements, report.Requirement{
				ID: r.ID, Level: r.Level, Title: r.Title, Group: features.Group(r.ID),
				Status: report.StatusSkip, Reason: "skipped with --skip",
			})
		case contains(sel.ids, r.ID):
			rep.Requirements = append(rep.Requirements, e.verdict(r, states[r.ID]))
		}
	}
	rep.DurationMS = time.Since(started).Milliseconds()
	rep.Finish()
	return rep
}

func (e *env) verdict(r features.Requirement, sts []*scenarioState) report.Requirement {
	q := report.Requirement{ID: r.ID, Level: r.Level, Title: r.Title, Group: features.Group(r.ID), Status: report.StatusPass}
	if len(sts) == 0 {
		q.Status, q.Reason = report.StatusFail, "no scenario ran"
		return q
	}
	var first, last time.Time
	for _, st := range sts {
		if first.IsZero() || st.start.Before(first) {
			first = st.start
		}
		if st.end.After(last) {
			last = st.end
		}
		sc := report.Scenario{Name: st.name, Status: report.StatusPass}
		if !st.passed() {
			sc.Status, sc.Reason = report.StatusFail, st.reason()
			if q.Status == report.StatusPass {
				q.Status = report.StatusFail
				q.Reason = st.name + " — " + st.reason()
			}
			for _, x := range st.evidenceExchanges(evidencePerScenario) {
				if len(q.Evidence) < evidencePerReq {
					q.Evidence = append(q.Evidence, e.evidence(x, st.name, r.ID))
				}
			}
		}
		q.Scenarios = append(q.Scenarios, sc)
	}
	if !last.IsZero() {
		q.DurationMS = last.Sub(first).Milliseconds()
	}
	return q
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
