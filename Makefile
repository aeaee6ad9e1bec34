# Developer entry points. Everything goes through the project's CLI, which reads the
# configuration from the environment and .env (see .env.example).
#   make dev      .env from .env.example (when absent) and the npm dependencies
#   make setup    dev, the Debian packages of the stack, then up, bootstrap and seed
#   make up       start Temporal + Web UI, Kafka, Postgres and Redis (alpha-panda infra up)
#   make status   show what answers where (exits non-zero when something does not)
#   make down     stop what `make up` started
#   make run      deps and build, then the stack, two worker processes, the API and the paper namespace, shown live
#   make test     typecheck, lint, unit and integration tests against the local stack, then the
#                 fault-injection suite (npm run chaos) on a stack of its own
#   make test-setup        what the tests need: dependencies, Debian packages, the stack
#   make test-unit         unit tests only (no stack needed)
#   make test-integration  integration tests only, against the running stack
#   make build    compile the CLI into build/ when a source changed (run and test do it)
#   make bench    benchmarks against the local stack

SHELL := /bin/bash
CLI := node bin/alpha-panda.mjs

.PHONY: dev setup deps build up down status bootstrap seed migrate run test test-setup test-unit test-integration bench

dev: .env node_modules/.package-lock.json

# Order-only: an existing .env is the user's and is never overwritten.
.env: | .env.example
	cp .env.example .env
	@echo "created .env from .env.example: edit it to change the configuration"

setup: dev deps build
	$(CLI) infra up
	$(CLI) bootstrap
	$(CLI) seed

# npm dependencies and the Debian packages of the stack, each only when missing.
deps: node_modules/.package-lock.json
	@$(CLI) infra install postgres redis

# bin/alpha-panda.mjs runs build/ when it matches the sources and the sources otherwise; the
# script compares the sources' modification times with the last build's and rebuilds if needed.
build: node_modules/.package-lock.json
	@node scripts/build-cli.mjs --if-stale

# npm rewrites node_modules/.package-lock.json on every install, so it is older than the
# manifest or the lock file exactly when node_modules is missing or stale.
# A node_modules that is a link belongs to another checkout: `npm ci` would empty it there.
node_modules/.package-lock.json: package.json package-lock.json
	@if [ -L node_modules ]; then echo "node_modules is a link to another checkout's install: not reinstalled here"; else npm ci; fi
	@touch $@

up: deps
	$(CLI) infra up

down:
	$(CLI) infra down

status:
	$(CLI) infra status

migrate:
	$(CLI) migrate

bootstrap:
	$(CLI) bootstrap

seed:
	$(CLI) seed

# `run` itself starts the stack, migrates, seeds a namespace that has no strategies yet, and the
# startup workflow creates the topics.
run: deps build
	$(CLI) run

test: deps build
	scripts/test.sh

test-setup: deps build
	$(CLI) infra up

test-unit: node_modules/.package-lock.json
	npx vitest run --project unit

test-integration: node_modules/.package-lock.json build
	@$(CLI) infra status >/dev/null || { echo "the stack is not answering: start it with make test-setup (or make up)" >&2; exit 1; }
	npx vitest run --project integration

bench: deps build
	$(CLI) infra up
	$(CLI) bench
