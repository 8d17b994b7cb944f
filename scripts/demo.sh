#!/usr/bin/env bash
# Shows the sync working on throwaway MariaDB + PostgreSQL servers with sample data (scripts/demo.ts).
# Installs Deno and the database server packages first when they are missing.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# shellcheck source=scripts/setup-env.sh
source "$repo/scripts/setup-env.sh"
exec "$DENO" run -A scripts/demo.ts
