# revhook — build, test and demo targets. Only Go is needed.
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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin report.html report.xml report.json report.md
