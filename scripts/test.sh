#!/usr/bin/env bash
# The one test command: bash scripts/test.sh [extra deno test args, e.g. --filter NAME]
#
# Works on a fresh machine: installs Deno (npm, into the git-ignored .tools/) and the MariaDB and
# PostgreSQL server packages (apt) when missing, then runs fmt, lint, type check and all tests.
# The integration tests start their own throwaway servers (testing/); the system services are not
# used.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# shellcheck source=scripts/setup-env.sh
source "$repo/scripts/setup-env.sh"

# Seconds in a `timeout` duration: a number with an optional s, m, h or d suffix.
duration_seconds() {
  local value="${1%[smhd]}" unit="${1##*[0-9.]}"
  case "$unit" in
    m) awk -v v="$value" 'BEGIN { print int(v * 60) }' ;;
    h) awk -v v="$value" 'BEGIN { print int(v * 3600) }' ;;
    d) awk -v v="$value" 'BEGIN { print int(v * 86400) }' ;;
    *) awk -v v="$value" 'BEGIN { print int(v) }' ;;
  esac
}

# --- Checks and tests ---------------------------------------------------------------------------
log "deno fmt --check"
"$DENO" fmt --check

log "deno lint"
"$DENO" lint

if [[ -f main.ts ]]; then
  log "deno check main.ts"
  "$DENO" check main.ts
fi

# Unit tests first: they need no servers, so a broken build fails in seconds, before any server
# starts. A hung test must end the run well inside CI's limit instead of using it up (a clean run:
# ~2 min), so both runs share one MGS_TEST_TIMEOUT (0: none, as for `timeout`).
limit="$(duration_seconds "${MGS_TEST_TIMEOUT:-25m}")"
deadline=$((SECONDS + limit))
output="$(mktemp)"
trap 'rm -f "$output"' EXIT
status=0
passed=0
failed=0
summarized=true
for suite in tests/unit/ tests/integration/; do
  if ((status != 0)); then
    log "skipping $suite: the run before failed"
    break
  fi
  remaining=0
  if ((limit > 0)); then
    remaining=$((deadline - SECONDS))
    if ((remaining <= 0)); then
      log "skipping $suite: MGS_TEST_TIMEOUT used up"
      status=124
      break
    fi
  fi
  log "deno test -A${*:+ $*} $suite"
  timeout --kill-after=30s "${remaining}s" "$DENO" test -A --v8-flags=--expose-gc "$@" "$suite" 2>&1 |
    tee "$output" || status=$?
  # Deno's summary of this run: "ok | 69 passed (3 steps) | 0 failed".
  summary="$(sed 's/\x1b\[[0-9;]*m//g' "$output" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -n1 || true)"
  if [[ $summary =~ ([0-9]+)\ passed.*\|\ ([0-9]+)\ failed ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  else
    summarized=false
  fi
done
# The runs' summaries added up, in the plain form CI reads.
if $summarized; then
  echo "tests: $passed passed, $failed failed"
fi
exit "$status"
