#!/usr/bin/env bash
# `make test`: typecheck, lint, then every test (unit and integration) against the local stack.
# Starts only the components that do not answer yet and stops exactly those afterwards, also
# when the tests fail or are interrupted; the exit code is vitest's.
set -euo pipefail
cd "$(dirname "$0")/.."

cli=(node bin/alpha-panda.mjs)

npx tsc --noEmit
# The dashboard runs in the browser: its own project, with the DOM types.
npx tsc --noEmit -p dashboard
npx eslint .

not_answering=$("${cli[@]}" infra status --list-down)
read -r -a started <<<"$not_answering"

stop_started() {
  if ((${#started[@]} > 0)); then
    "${cli[@]}" infra down "${started[@]}" || echo "test.sh: infra down failed; stop the rest with: make down" >&2
  fi
}
trap stop_started EXIT
trap 'exit 130' INT TERM

if ((${#started[@]} > 0)); then
  echo "test.sh: starting ${started[*]} for the tests (stopped again afterwards)"
  "${cli[@]}" infra up "${started[@]}"
else
  echo "test.sh: the stack is already running; it is left running"
fi

status=0
npx vitest run || status=$?
# The fault-injection suite runs on a stack of its own (other ports, .chaos-stack), started and
# stopped by itself; it fails when a case loses or duplicates events.
npm run chaos || status=$?
exit "$status"
