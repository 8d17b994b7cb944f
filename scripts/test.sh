#!/usr/bin/env bash
# The one test command: bash scripts/test.sh [extra deno test args, e.g. --filter NAME]
#
# Works on a fresh machine: installs Deno (npm, into the git-ignored .tools/) and the MariaDB and
# PostgreSQL server packages (apt) when missing, then runs fmt, lint, type check and all tests.
# The tests start their own throwaway servers (testing/servers.ts); the system services are not
# used.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# shellcheck source=scripts/setup-env.sh
source "$repo/scripts/setup-env.sh"

# --- Checks and tests ---------------------------------------------------------------------------
log "deno fmt --check"
"$DENO" fmt --check

log "deno lint"
"$DENO" lint

if [[ -f main.ts ]]; then
  log "deno check main.ts"
  "$DENO" check main.ts
fi

log "deno test -A${*:+ $*} tests/"
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
status=0
# A hung test must end the run well inside CI's limit instead of using it up (a clean run: ~2 min).
timeout --kill-after=30s "${MGS_TEST_TIMEOUT:-25m}" "$DENO" test -A --v8-flags=--expose-gc "$@" tests/ 2>&1 | tee "$output" ||
  status=$?
# Deno's summary ("ok | 69 passed (3 steps) | 0 failed") restated in the plain form CI reads.
summary="$(sed 's/\x1b\[[0-9;]*m//g' "$output" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n1 || true)"
if [[ $summary =~ ([0-9]+)\ passed.*\|\ ([0-9]+)\ failed ]]; then
  echo "tests: ${BASH_REMATCH[1]} passed, ${BASH_REMATCH[2]} failed"
fi
exit "$status"
