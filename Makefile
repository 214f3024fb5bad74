# revhook — build, test and demo targets. Only Go is needed.
SHELL     := bash
GO        ?= go
BIN       ?= bin/revhook
SECRET    ?= s3cr3t-value
DEMO_ADDR ?= 127.0.0.1:8089

.PHONY: all build install test lint vet bench demo clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/revhook

install:
	$(GO) install ./cmd/revhook

vet:
	$(GO) vet ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

test: lint vet
	$(GO) test -race -count=1 ./...

# bench: every performance figure beside its target (bench.json too). The
# send rows run whole processes: revhook built from this checkout, a bare
# net/http loop and vegeta (built from the module proxy into a temp dir).
# BENCHFLAGS, e.g. "-only send,send-memory -rounds 5" or "-send-million".
bench:
	$(GO) run ./bench $(BENCHFLAGS)

clean:
	rm -rf bin report.html report.xml report.json report.md

# demo: build, start the reference receiver, run the whole conformance
# catalogue against it and write the reports (report.html, report.xml, …).
demo: build
	@host=$(word 1,$(subst :, ,$(DEMO_ADDR))); port=$(word 2,$(subst :, ,$(DEMO_ADDR))); \
	if (exec 3<>/dev/tcp/$$host/$$port) 2>/dev/null; then \
	  echo "demo: $(DEMO_ADDR) is already in use by another process; try make demo DEMO_ADDR=127.0.0.1:18089"; exit 2; fi; \
	$(BIN) receiver --addr $(DEMO_ADDR) --secret $(SECRET) --quiet & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 100); do (exec 3<>/dev/tcp/$$host/$$port) 2>/dev/null && break; \
	  kill -0 $$pid 2>/dev/null || { echo "demo: the receiver did not start (is $(DEMO_ADDR) in use? try make demo DEMO_ADDR=127.0.0.1:18089)"; exit 2; }; sleep 0.05; done; \
	kill -0 $$pid 2>/dev/null || { echo "demo: the receiver exited; not checking whatever listens on $(DEMO_ADDR)"; exit 2; }; \
	$(BIN) check --url http://$(DEMO_ADDR)/ --secret $(SECRET) \
	  --report html=report.html --report junit=report.xml --report json=report.json --report markdown=report.md; \
	code=$$?; echo; echo "reports: report.html report.xml report.json report.md"; exit $$code

# html-check: render the HTML report in headless Chromium (Debian's chromium
# package; .ci/run installs it) and check the DOM and a screenshot.
.PHONY: html-check
html-check:
	REVHOOK_REQUIRE_CHROMIUM=1 $(GO) test -count=1 -run '^TestHTMLRendersInChromium$$' -v ./steps/report/

# fuzz: the mock DevRev API against arbitrary request bodies (no 5xx, seeds' error shape).
.PHONY: fuzz
fuzz:
	$(GO) test -run '^$$' -fuzz=FuzzAPI -fuzztime=$${FUZZTIME:-10s} ./simulator/mockapi

# stress: the suite several times with a busy loop per core beside it; stops
# at the first failure and names it. STRESS_RUNS (3), STRESS_PKGS (./...),
# STRESS_SKIP (a go test -skip regexp) tune it.
.PHONY: stress
stress:
	@tools/stress.sh

# hostile: the real `revhook check` against fifteen hostile receivers on
# loopback; each must cost at most 12 s wall and 150 MiB peak RSS, exit 1 and
# say what happened. Prints a table; exits non-zero when a bound is missed.
.PHONY: hostile
hostile: build
	$(GO) run ./tools/hostile -revhook $(BIN)

# fuzz-more: the fuzz tests beyond the mock API, each for FUZZTIME (5s):
# the reference receiver's envelope parser, the report writers against
# arbitrary receiver answers, --set (event.Set) and --only/--skip parsing.
.PHONY: fuzz-more
fuzz-more:
	$(GO) test -run '^$$' -fuzz='^FuzzEnvelope$$' -fuzztime=$${FUZZTIME:-5s} ./fixtures/receiver
	$(GO) test -run '^$$' -fuzz='^FuzzReportWriters$$' -fuzztime=$${FUZZTIME:-5s} ./steps/report
	$(GO) test -run '^$$' -fuzz='^FuzzSet$$' -fuzztime=$${FUZZTIME:-5s} ./simulator/event
	$(GO) test -run '^$$' -fuzz='^FuzzOnly$$' -fuzztime=$${FUZZTIME:-5s} ./steps
