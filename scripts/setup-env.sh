#!/usr/bin/env bash
# Sourced by scripts/test.sh and scripts/demo.sh: makes sure Deno 2 (from npm, into the
# git-ignored .tools/) and the MariaDB and PostgreSQL server binaries (from Debian's packages) are
# there, and sets DENO to the deno binary. Expects $repo to be the repository root.

log() { printf '==> %s\n' "$*" >&2; }

# --- Deno ---------------------------------------------------------------------------------------
deno_ok() { # deno 2.x?
  local v
  v="$("$1" --version 2>/dev/null | head -n1)" || return 1
  [[ "$v" =~ ^deno\ ([0-9]+)\. ]] && ((BASH_REMATCH[1] >= 2))
}

local_deno="$repo/.tools/npm/node_modules/.bin/deno"
if command -v deno >/dev/null 2>&1 && deno_ok deno; then
  DENO="$(command -v deno)"
elif [[ -x "$local_deno" ]] && deno_ok "$local_deno"; then
  DENO="$local_deno"
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: Deno 2 is not installed and npm is missing to install it; install Node.js/npm or Deno" >&2
    exit 1
  fi
  log "installing Deno into .tools/npm (npm install deno)"
  # Outside the repo root on purpose: a package.json there would switch Deno to manual node_modules.
  mkdir -p "$repo/.tools/npm"
  npm install --prefix "$repo/.tools/npm" --no-audit --no-fund --loglevel=error deno >&2
  DENO="$local_deno"
  deno_ok "$DENO" || {
    echo "error: npm install deno did not give a working Deno 2 at $DENO" >&2
    exit 1
  }
fi
export PATH="$(dirname "$DENO"):$PATH"
log "$("$DENO" --version | head -n1)"

# --- Database servers ---------------------------------------------------------------------------
# Server binaries often live in sbin or in versioned dirs that are not on PATH.
have_bin() {
  local name=$1 dir
  command -v "$name" >/dev/null 2>&1 && return 0
  for dir in /usr/sbin /usr/local/sbin /usr/bin /usr/local/bin /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/$name" ]] && return 0
  done
  return 1
}

have_mariadb() { (have_bin mariadbd || have_bin mysqld) && (have_bin mariadb-install-db || have_bin mysql_install_db); }
have_postgres() { have_bin initdb && have_bin postgres; }

if ! have_mariadb || ! have_postgres; then
  log "installing mariadb-server and postgresql (apt-get)"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: MariaDB/PostgreSQL servers are missing and we are not root (no sudo) to install them" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    mariadb-server postgresql >&2
  have_mariadb || { echo "error: mariadbd / mariadb-install-db still not found" >&2; exit 1; }
  have_postgres || { echo "error: PostgreSQL initdb / postgres still not found" >&2; exit 1; }
fi

# --- promtool -----------------------------------------------------------------------------------
# tests/unit/alert_rules_test.ts checks deploy/prometheus/ with promtool. Debian ships promtool only
# inside the prometheus server package, whose installation would also set up and start a Prometheus
# service; so the package is only downloaded, and promtool alone is taken out of it into the
# git-ignored .tools/ (a static binary: nothing else is needed).
PROMTOOL="${PROMTOOL:-$(command -v promtool || true)}"
if [[ -z $PROMTOOL ]]; then
  PROMTOOL="$repo/.tools/promtool/promtool"
  if [[ ! -x $PROMTOOL ]]; then
    log "extracting promtool from Debian's prometheus package into .tools/promtool"
    promtool_tmp="$(mktemp -d)"
    # As root, apt would hand the download to its own unprivileged user, who cannot write here.
    download_prometheus() {
      (cd "$promtool_tmp" && apt-get download -q -o APT::Sandbox::User=root prometheus >&2)
    }
    if ! download_prometheus; then
      # An old or empty package list (a fresh machine): refresh it once and try again.
      apt_sudo=()
      [[ "$(id -u)" == 0 ]] || apt_sudo=(sudo)
      "${apt_sudo[@]}" apt-get update >&2 && download_prometheus || {
        echo "error: cannot download Debian's prometheus package (for promtool)" >&2
        exit 1
      }
    fi
    dpkg-deb --fsys-tarfile "$promtool_tmp"/prometheus_*.deb |
      tar -x -C "$promtool_tmp" ./usr/bin/promtool
    mkdir -p "$(dirname "$PROMTOOL")"
    mv "$promtool_tmp/usr/bin/promtool" "$PROMTOOL"
    rm -rf "$promtool_tmp"
  fi
fi
export PROMTOOL
log "$("$PROMTOOL" --version 2>&1 | head -n1)"
