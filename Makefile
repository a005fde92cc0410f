# Match Point — developer and CI commands. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

GO ?= go

# Local services the adapter tests talk to. PG_VERSION defaults to the newest
# PostgreSQL installed under /usr/lib/postgresql (15 on Debian 12), looked up when a
# recipe runs, so after `make deps` has installed it.
PG_VERSION ?= $(or $(lastword $(sort $(notdir $(wildcard /usr/lib/postgresql/*)))),15)
PG_CLUSTER ?= main
PG_CONF_DIR ?= /etc/postgresql
PG_HOST    ?= 127.0.0.1
PG_PORT    ?= 5432
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379

# Time per benchmark; keeps `make bench` within a few minutes on two cores.
BENCHTIME ?= 500ms
BENCHCOUNT ?= 1

# The flags of `make load` (go run ./examples/loadtest -h lists them all).
LOAD_ARGS ?= -rate 200 -duration 30s

# mailpit, the SMTP server with an HTTP API that the tests of adapters/notify/smtp send
# to; `make tools` installs this version into bin/tools (git-ignored), where
# adapters/notify/smtp/mailpittest looks first.
MAILPIT_VERSION := v1.33.1

# Packages holding a Wire injector (examples/NAME/wire.go); empty until one exists.
WIRE_PKGS = $(patsubst %/wire.go,./%,$(wildcard examples/*/wire.go))

# The architecture `make lambda` builds the function for: arm64 (Graviton) or amd64.
LAMBDA_ARCH ?= arm64

.PHONY: help run build lambda image test bench load generate check-generate lint deps services tools tidy-check

help:
	@echo "make run             build bin/server and start the example server on its embedded defaults"
	@echo "make build           compile every package"
	@echo "make lambda          build the AWS Lambda function into bin/lambda/bootstrap.zip (LAMBDA_ARCH=$(LAMBDA_ARCH))"
	@echo "make image           build the server's and worker's container images (examples/deploy/Dockerfile; needs a Docker daemon)"
	@echo "make test            make services, then run all tests with the race detector"
	@echo "make bench           run all benchmarks (BENCHTIME=$(BENCHTIME), BENCHCOUNT=$(BENCHCOUNT))"
	@echo "make load            build and start the server, load it and check its bookings (LOAD_ARGS=$(LOAD_ARGS))"
	@echo "make generate        regenerate Wire injectors (examples/*/wire_gen.go)"
	@echo "make check-generate  regenerate and fail if a committed wire_gen.go was stale"
	@echo "make lint            gofmt, go vet and staticcheck"
	@echo "make deps            install the missing Debian packages the tests need (as root; else prints the command)"
	@echo "make services        make deps, then start PostgreSQL and Redis unless they already answer"
	@echo "make tools           install the test programs that go.mod cannot run as tools (mailpit) into bin/tools"
	@echo "make tidy-check      fail if go.mod or go.sum is not tidy (changes nothing)"

run:
	@echo "run: building examples/server (the first build downloads and compiles dependencies: a few minutes)..."
	$(GO) build -o bin/server ./examples/server
	echo "run: starting bin/server on its embedded defaults (Ctrl-C stops it, at once: no load balancer to wait for)"
	MATCHPOINT_LOG_FORMAT=$${MATCHPOINT_LOG_FORMAT:-text} MATCHPOINT_SHUTDOWN_DELAY=$${MATCHPOINT_SHUTDOWN_DELAY:-0} exec bin/server

build:
	$(GO) build ./...

# lambda cross-compiles examples/lambda for the provided.al2023 runtime (a static
# binary named bootstrap, without the RPC mode that runtime does not use) and packs it
# with Go's archive/zip (examples/lambda/bundle): no zip program needed.
lambda:
	@mkdir -p bin/lambda
	echo "lambda: building bin/lambda/bootstrap for linux/$(LAMBDA_ARCH)"
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -o bin/lambda/bootstrap ./examples/lambda
	$(GO) run ./examples/lambda/bundle -o bin/lambda/bootstrap.zip bin/lambda/bootstrap
	echo "lambda: wrote bin/lambda/bootstrap.zip; deploy it with the provided.al2023 runtime and architecture $(LAMBDA_ARCH) (README.md, \"Running jobs on AWS Lambda\")"

# image builds both targets of examples/deploy/Dockerfile; .ci/run calls it where a
# Docker daemon answers. IMAGE_TAG names the tag of both images.
IMAGE_TAG ?= dev
image:
	docker build -f examples/deploy/Dockerfile --target server -t matchpoint-server:$(IMAGE_TAG) .
	docker build -f examples/deploy/Dockerfile --target worker -t matchpoint-worker:$(IMAGE_TAG) .
	docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' 'matchpoint-*'

test: deps services tools
	@echo "test: building the test tools gotestsum and stripe-mock (go.mod pins both; the first build downloads and compiles them: a few minutes)..."
	$(GO) tool -n gotestsum >/dev/null
	$(GO) tool -n stripe-mock >/dev/null
	echo "test: go test -race -count=1 -timeout 20m ./... (the first run compiles every package with the race detector: a few more minutes)"
	$(GO) tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg -- -race -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -timeout 30m ./...

# load runs the load tool, which builds examples/server into a temporary directory,
# starts it on a free loopback port and stops it afterwards (README.md, "Load testing").
load:
	$(GO) run ./examples/loadtest $(LOAD_ARGS)

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

# deps installs the Debian packages that the race detector (gcc), `make services` and
# the tests need, those missing only; each is known by a file it installs. As root it
# runs apt-get; otherwise it prints the command to run and fails.
deps:
	@missing=()
	command -v gcc >/dev/null || missing+=(gcc)
	{ command -v pg_ctlcluster && compgen -G '/usr/lib/postgresql/*/bin/initdb'; } >/dev/null || missing+=(postgresql)
	{ command -v pg_isready && command -v psql; } >/dev/null || missing+=(postgresql-client)
	command -v redis-server >/dev/null || missing+=(redis-server)
	command -v redis-cli >/dev/null || missing+=(redis-tools)
	[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer) # /usr/sbin: not always on PATH
	if [ $${#missing[@]} -eq 0 ]; then
		echo "deps: gcc, postgresql, postgresql-client, redis-server, redis-tools and pgbouncer are installed"
		exit 0
	fi
	install="apt-get install -y --no-install-recommends $${missing[*]}"
	if [ "$$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		echo "deps: missing Debian packages: $${missing[*]}; install them with:"
		echo "  sudo apt-get update && sudo $$install"
		exit 1
	fi
	echo "deps: installing $${missing[*]} (apt-get update && $$install)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update </dev/null
	$$install </dev/null
	if [[ " $${missing[*]} " == *" postgresql "* ]]; then
		# The cluster the package just created asks for a password on 127.0.0.1; the
		# tests connect as postgres without one. Trust that user from loopback only.
		for hba in $(PG_CONF_DIR)/*/$(PG_CLUSTER)/pg_hba.conf; do
			[ -f "$$hba" ] || continue
			grep -Eq '^host[[:space:]]+all[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$$hba" && continue
			echo "deps: $$hba: trust the postgres user on 127.0.0.1 and ::1, as the tests connect"
			sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$$hba"
			version=$$(basename "$$(dirname "$$(dirname "$$hba")")")
			if pg_ctlcluster --skip-systemctl-redirect "$$version" $(PG_CLUSTER) status >/dev/null 2>&1; then
				pg_ctlcluster --skip-systemctl-redirect "$$version" $(PG_CLUSTER) reload
			fi
		done
	fi

services: deps
	@if pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then
		echo "services: PostgreSQL is up"
	else
		echo "services: starting PostgreSQL $(PG_VERSION)/$(PG_CLUSTER)"
		pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) $(PG_CLUSTER) status >/dev/null ||
			pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) $(PG_CLUSTER) start
		for _ in $$(seq 60); do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done
		pg_isready -h $(PG_HOST) -p $(PG_PORT)
	fi
	# The tests connect as postgres without a password, or to MATCHPOINT_TEST_POSTGRES_URL.
	url=$${MATCHPOINT_TEST_POSTGRES_URL:-postgres://postgres@$(PG_HOST):$(PG_PORT)/postgres?sslmode=disable}
	where=$${MATCHPOINT_TEST_POSTGRES_URL:+MATCHPOINT_TEST_POSTGRES_URL}
	if ! err=$$(psql -w -X -Atq -d "$$url" -c 'SELECT 1' 2>&1 >/dev/null); then
		echo "services: the tests cannot connect to $${where:-$$url}: $$(head -n1 <<<"$$err"); PostgreSQL must let user postgres in from $(PG_HOST) without a password (pg_hba.conf: host all postgres $(PG_HOST)/32 trust), or MATCHPOINT_TEST_POSTGRES_URL name a server that lets the tests in"
		exit 1
	fi
	if [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" = PONG ]; then
		echo "services: Redis is up"
	else
		echo "services: starting Redis"
		redis-server --daemonize yes --bind $(REDIS_HOST) --port $(REDIS_PORT) --save "" --appendonly no
		for _ in $$(seq 60); do [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" = PONG ] && break; sleep 1; done
		[ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping)" = PONG ]
	fi

# tools installs into bin/tools the test programs that cannot be Go tools of go.mod
# (mailpit's dependencies would pin the module's own): each with go install at its
# pinned version, when it is missing or another version (`go version -m` reads the
# version a binary was built from, without running it).
tools:
	@mailpit=$(CURDIR)/bin/tools/mailpit
	have=$$($(GO) version -m "$$mailpit" 2>/dev/null | awk '$$1 == "mod" { print $$3 }' || true)
	if [ "$$have" = "$(MAILPIT_VERSION)" ]; then
		echo "tools: mailpit $(MAILPIT_VERSION) is installed in bin/tools"
		exit 0
	fi
	echo "tools: installing mailpit $(MAILPIT_VERSION) into bin/tools (go install; the first build takes a minute or two)"
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

tidy-check:
	$(GO) mod tidy -diff
