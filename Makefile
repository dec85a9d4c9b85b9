# trailwarden — the two commands a new user needs:
#   make demo    generate a small synthetic trail, scan it, show the findings
#   make test    vet, lint, race-enabled tests, the built-in rules' own tests
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/trailwarden/trailwarden/internal/cli.Version=$(VERSION)
BIN := bin/trailwarden
STATICCHECK_VERSION := v0.8.2
GOBIN := $(shell $(GO) env GOPATH)/bin

.PHONY: all build demo test lint fuzz bench deps clean

all: build

deps: ## download Go modules (the only dependencies: no server, no cgo)
	@command -v $(GO) >/dev/null || { echo "Go 1.26+ is required: https://go.dev/dl/"; exit 1; }
	$(GO) mod download

build: deps ## static binary in bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/trailwarden

demo: build ## the main job: generate a small trail in a temp dir, scan it, show findings and a summary
	$(BIN) demo

test: build lint ## everything CI runs; PostgreSQL too (scripts/ensure-postgres.sh starts or installs it unless TRAILWARDEN_TEST_POSTGRES is set)
	@dsn="$$TRAILWARDEN_TEST_POSTGRES"; if [ -z "$$dsn" ]; then dsn=$$(scripts/ensure-postgres.sh) || exit 1; fi; \
	  echo "CI=$${CI:-1} TRAILWARDEN_TEST_POSTGRES=... $(GO) test -race -count=1 ./..."; \
	  CI="$${CI:-1}" TRAILWARDEN_TEST_POSTGRES="$$dsn" $(GO) test -race -count=1 ./...
	$(BIN) rules test

lint: deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

fuzz: ## a short run of every fuzz target (FUZZTIME=30s each by default)
	@for t in internal/ctjson:FuzzSkip internal/event:FuzzParse internal/decode:FuzzDecode internal/rule:FuzzLoad \
	          internal/rule:FuzzNeedle internal/rule/expr:FuzzGlob internal/integrity:FuzzParseDigest \
	          internal/state/reduce:FuzzReduce internal/state/snapshot:FuzzRead internal/finding:FuzzAppendString; do \
	  d=$${t%%:*}; fn=$${t##*:}; echo "== $$fn"; \
	  $(GO) test -run XXX -fuzz "^$$fn\$$" -fuzztime $${FUZZTIME:-30s} ./$$d || exit 1; done

bench: build ## end-to-end events/s over a 1M-event generated trail, then the hot-path Go benchmarks
	scripts/bench.sh

clean:
	rm -rf bin .bench
