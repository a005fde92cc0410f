# Match Point — developer and CI commands. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

GO ?= go

# Local services the adapter tests talk to.
PG_VERSION ?= 15
PG_CLUSTER ?= main
PG_HOST    ?= 127.0.0.1
PG_PORT    ?= 5432
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379

# Time per benchmark; keeps `make bench` within a few minutes on two cores.
BENCHTIME ?= 500ms
BENCHCOUNT ?= 1

# Packages holding a Wire injector (examples/NAME/wire.go); empty until one exists.
WIRE_PKGS = $(patsubst %/wire.go,./%,$(wildcard examples/*/wire.go))

.PHONY: help run build test bench generate check-generate lint services tidy-check

help:
	@echo "make run             start the example server on its embedded defaults"
	@echo "make build           compile every package"
	@echo "make test            run all tests with the race detector"
	@echo "make bench           run all benchmarks (BENCHTIME=$(BENCHTIME), BENCHCOUNT=$(BENCHCOUNT))"
	@echo "make generate        regenerate Wire injectors (examples/*/wire_gen.go)"
	@echo "make check-generate  regenerate and fail if a committed wire_gen.go was stale"
	@echo "make lint            gofmt, go vet and staticcheck"
	@echo "make services        start PostgreSQL and Redis unless they already answer"
	@echo "make tidy-check      fail if go.mod or go.sum is not tidy (changes nothing)"

run:
	$(GO) run ./examples/server

build:
	$(GO) build ./...

test:
	$(GO) tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg -- -race -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -timeout 30m ./...

generate:
ifeq ($(strip $(WIRE_PKGS)),)
	@echo "generate: no examples/*/wire.go yet; nothing to do"
else
	$(GO) tool wire gen $(WIRE_PKGS)
endif

check-generate: generate
	@git rev-parse --is-inside-work-tree >/dev/null
	stale=$$(git status --porcelain --untracked-files=all -- '*wire_gen.go')
	if [ -n "$$stale" ]; then
		echo "check-generate: wire_gen.go differs from what is committed; run 'make generate' and commit:"
		echo "$$stale"
		git --no-pager diff -- '*wire_gen.go'
		exit 1
	fi
	echo "check-generate: wire_gen.go files are up to date"

lint:
	@echo "gofmt -l ."
	unformatted=$$(gofmt -l .)
	if [ -n "$$unformatted" ]; then
		echo "lint: these files are not gofmt-formatted (run gofmt -w):"
		echo "$$unformatted"
		exit 1
	fi
	echo "$(GO) vet ./..."
	$(GO) vet ./...
	echo "$(GO) tool staticcheck ./..."
	$(GO) tool staticcheck ./...

services:
	@if pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then
		echo "services: PostgreSQL is up"
	else
		echo "services: starting PostgreSQL $(PG_VERSION)/$(PG_CLUSTER)"
		pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) $(PG_CLUSTER) status >/dev/null ||
			pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) $(PG_CLUSTER) start
		for _ in $$(seq 60); do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done
		pg_isready -h $(PG_HOST) -p $(PG_PORT)
	fi
	if [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" = PONG ]; then
		echo "services: Redis is up"
	else
		echo "services: starting Redis"
		redis-server --daemonize yes --bind $(REDIS_HOST) --port $(REDIS_PORT) --save "" --appendonly no
		for _ in $$(seq 60); do [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" = PONG ] && break; sleep 1; done
		[ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping)" = PONG ]
	fi

tidy-check:
	$(GO) mod tidy -diff
