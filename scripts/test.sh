#!/usr/bin/env bash
# The one test command: bash scripts/test.sh [extra deno test args, e.g. --filter NAME]
#
# Works on a fresh machine: installs Deno (npm, into the git-ignored .tools/) and the MariaDB and
# PostgreSQL server packages (apt) when missing, then runs fmt, lint, type check and all tests.
# The tests start their own throwaway servers (scripts/servers.ts); the system services are not
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
"$DENO" test -A "$@" tests/
