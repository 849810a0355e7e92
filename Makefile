# Shopflow: `make dev` runs the whole system, `make test` runs every check. `make help` lists all.

# Go lives in /usr/local/go/bin on our machines; a Go already on PATH comes first.
export PATH := $(PATH):/usr/local/go/bin

GO              ?= go
STATICCHECK     ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
TEST_TIMEOUT    ?= 20m
MIGRATE         ?= up

# The steps of `make test` share 2 cores with the database; running them at once only slows all.
.NOTPARALLEL:
.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: TEST_TIMEOUT=$(TEST_TIMEOUT) MIGRATE=$(MIGRATE) (up|down|status); scripts take --help."

.PHONY: dev
dev: ## run Temporal + API + worker locally (see scripts/dev.sh --help)
	@scripts/dev.sh

.PHONY: build
build: ## build bin/shopflow
	$(GO) build -o bin/shopflow ./cmd/shopflow

bin/temporal:
	@scripts/install-temporal.sh

bin/stripe-mock:
	@scripts/install-stripe-mock.sh

bin/minio:
	@scripts/install-minio.sh

.PHONY: temporal
temporal: bin/temporal

.PHONY: tools
tools: bin/temporal bin/stripe-mock bin/minio ## build bin/temporal (Temporal CLI + dev server), bin/stripe-mock and bin/minio if missing

.PHONY: test
test: vet fmt-check config-docs lint unit smoke ## vet, gofmt check, config docs check, staticcheck, go test -race, newcomer smoke test

.PHONY: vet
vet: ## go vet ./...
	$(GO) vet ./...

.PHONY: fmt-check
fmt-check: ## fail when gofmt would change a file
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path './.dev/*')); \
	if [ -n "$$files" ]; then echo "gofmt would change:"; echo "$$files"; echo "run: gofmt -w ."; exit 1; fi; \
	echo "gofmt: clean"

.PHONY: config-docs
config-docs: ## fail when README.md's configuration table and config/config.go disagree
	@scripts/check-config-docs.sh

.PHONY: unit
unit: bin/temporal bin/stripe-mock bin/minio ## go test -race -count=1 ./... (real Postgres, Redis, Temporal dev server, stripe-mock, MinIO)
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

.PHONY: smoke
smoke: bin/temporal ## newcomer smoke test: make dev on spare ports, then register, log in, list products
	@scripts/newcomer-smoke.sh

.PHONY: lint
lint: ## staticcheck (built from the Go module proxy on first use)
	$(GO) run $(STATICCHECK) ./...

.PHONY: migrate
migrate: build ## apply migrations to SHOPFLOW_DATABASE_URL (MIGRATE=down|status for the others)
	bin/shopflow migrate $(MIGRATE)

.PHONY: clean
clean: ## remove bin/shopflow and .dev/ (the dev Temporal history); keeps the built tools
	rm -rf bin/shopflow .dev coverage*

.PHONY: distclean
distclean: clean ## clean, and remove bin/ (bin/temporal and bin/stripe-mock take minutes to rebuild)
	rm -rf bin

.PHONY: bench-checkout
bench-checkout: bin/temporal ## checkout benchmark (~2 min, waits for a quiet machine); figures into docs/BENCHMARKS.md
	@scripts/bench-checkout.sh $(ARGS)

.PHONY: bench-topsellers
bench-topsellers: ## top-sellers read benchmark with wrk (~2 min); figures into docs/BENCHMARKS.md
	$(GO) run ./bench/topsellers $(ARGS)

.PHONY: bench-ingest
bench-ingest: bin/temporal ## batch ingest benchmark (~2 min); figures into docs/BENCHMARKS.md
	$(GO) run ./bench/ingest $(ARGS)

.PHONY: bench-queues
bench-queues: bin/temporal ## checkout p95 during a 1M-line ingest, shared vs separate task queues (~5 min); figures into docs/BENCHMARKS.md
	$(GO) run ./bench/queues $(ARGS)
