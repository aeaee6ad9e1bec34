# Developer entry points. Everything goes through the project's CLI, which reads the
# configuration from the environment and .env (see .env.example).
#   make setup    npm dependencies (when missing or stale) and the Debian packages of the stack
#   make up       start Temporal + Web UI, Kafka, Postgres and Redis (alpha-panda infra up)
#   make status   show what answers where (exits non-zero when something does not)
#   make down     stop what `make up` started
#   make run      setup, then the stack, a worker, the API and the paper namespace, shown live
#   make test     typecheck, lint, unit and integration tests against the local stack
#   make bench    benchmarks against the local stack

SHELL := /bin/bash
CLI := node bin/alpha-panda.mjs

.PHONY: setup up down status bootstrap seed migrate run test bench

setup: node_modules/.package-lock.json
	@$(CLI) infra install postgres redis

# npm rewrites node_modules/.package-lock.json on every install, so it is older than the
# manifest or the lock file exactly when node_modules is missing or stale.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci
	@touch $@

up: setup
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
run: setup
	$(CLI) run

test: setup
	scripts/test.sh

bench: setup
	$(CLI) infra up
	$(CLI) bench
