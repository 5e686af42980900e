# starter: the service scaffolder. `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
DEMO    ?= $(or $(TMPDIR),/tmp)/starter-demo

.PHONY: all build test test-short vet lint lint-golden fmt demo bench pin golden clean

# golangci-lint at the version generated projects pin, built by `go run` on first
# use (then cached), so that neither go.mod carries it.
GOLANGCI_LINT ?= $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

all: build

build: ## build bin/starter
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/starter ./cmd/starter

vet: ## go vet, also of the benchmarks built only with -tags bench; gofmt
	$(GO) vet ./...
	$(GO) vet -tags bench ./...
	$(GO) vet -tags pgbouncer ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: lint-golden ## golangci-lint (.golangci.yml) of this module, benchmarks included, and of every golden variant
	$(GOLANGCI_LINT) run --build-tags bench ./...

lint-golden: ## golangci-lint of each generated variant in testdata/golden (each a module), with its own .golangci.yml
	@set -e; for m in testdata/golden/*/go.mod; do v=$$(dirname $$m); echo "== lint $$v"; (cd $$v && $(GOLANGCI_LINT) run ./...); done

# The template tree is the code of every generated service, so its tests run
# under the race detector; the rest is starter's own.
test: vet ## every test: unit, golden, CLI scripts, runtime against PostgreSQL and PgBouncer, each generated variant end to end, the template tree under -race
	$(GO) test -count=1 -timeout 40m -tags pgbouncer $$($(GO) list ./... | grep -v /templates/project)
	$(GO) test -race -count=1 -timeout 15m -tags pgbouncer ./templates/project/...

test-short: ## the fast tests only (no end-to-end generation of every variant)
	$(GO) test -short ./...

demo: ## generate a service into $(DEMO) and run it on its own embedded PostgreSQL
	rm -rf $(DEMO)
	$(GO) run ./cmd/starter new demo -y --no-git --module example.com/demo --dir $(DEMO)
	cd $(DEMO) && $(GO) run ./cmd/demo serve

bench: ## the benchmark table of BENCHMARKS.md (BENCHFLAGS="-rows 1,2,6 -rounds 5" picks rows and rounds)
	cd bench && $(GO) run ./cmd/benchtable $(BENCHFLAGS)

pin: ## refresh the pinned go.mod/go.sum of every template variant
	$(GO) run ./generator/internal/pin

golden: ## rewrite the golden trees after a template change
	$(GO) test ./generator -run Golden -update

clean:
	rm -rf bin
