# Shared by start.sh, stop.sh and monitor_process.sh (sourced, not run): finds the config, its
# data_dir, the pid file and the command that runs the sync. It sets variables; it does not act.
#
# The config is the first argument, else $MYSQL_GP_SYNC_CONFIG, else mysql-gp-sync.toml beside
# these scripts (the deployed layout) or one level up (the repository layout). Paths are resolved
# from the scripts' own directory, so cron can run them from anywhere.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

config="${1:-${MYSQL_GP_SYNC_CONFIG:-}}"
if [[ -z $config ]]; then
  for candidate in "$here/mysql-gp-sync.toml" "$here/../mysql-gp-sync.toml"; do
    if [[ -f $candidate ]]; then
      config=$candidate
      break
    fi
  done
fi
[[ -n $config && -f $config ]] ||
  die "config file not found (pass it as the first argument or set MYSQL_GP_SYNC_CONFIG)"
config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"

# data_dir as the sync reads it: a top-level key (before the first [section]), relative to the
# config file's directory, "./var" when absent.
data_dir="$(sed -n -E \
  -e '/^[[:space:]]*\[/q' \
  -e "s/^[[:space:]]*data_dir[[:space:]]*=[[:space:]]*[\"']([^\"']*)[\"'].*$/\\1/p" \
  "$config" | tail -n 1)"
data_dir="${data_dir:-./var}"
while [[ $data_dir == ./* ]]; do data_dir="${data_dir#./}"; done
[[ $data_dir == /* ]] || data_dir="$(dirname "$config")/$data_dir"
pid_file="$data_dir/mysql-gp-sync.pid"
log_file="$data_dir/sync.log"

# The compiled binary beside the scripts or in dist/, else the sources with Deno.
sync_cmd=()
for bin in "$here/mysql-gp-sync" "$here/dist/mysql-gp-sync" "$here/../dist/mysql-gp-sync"; do
  if [[ -f $bin && -x $bin ]]; then
    sync_cmd=("$bin")
    break
  fi
done
if [[ ${#sync_cmd[@]} -eq 0 ]]; then
  V8_FLAGS="--max-old-space-size=192,--max-semi-space-size=16"
  main_ts=""
  for candidate in "$here/main.ts" "$here/../main.ts"; do
    if [[ -f $candidate ]]; then
      main_ts="$(cd "$(dirname "$candidate")" && pwd)/main.ts"
      break
    fi
  done
  deno="${DENO:-$(command -v deno || true)}"
  for candidate in "$here/../.tools/npm/node_modules/.bin/deno" "$HOME/.deno/bin/deno"; do
    if [[ -z $deno && -x $candidate ]]; then deno=$candidate; fi
  done
  [[ -n $main_ts && -n $deno ]] ||
    die "neither a mysql-gp-sync binary (beside this script or in dist/) nor deno and main.ts found"
  # The same heap limits `deno task compile` builds into the binary (see README, memory).
  sync_cmd=("$deno" run -A "--v8-flags=$V8_FLAGS" "$main_ts")
fi

# Prints the pid of this config's running sync; fails when the pid file is missing or stale. The
# command line must name the config, so a recycled pid of another process is not mistaken for it.
running_pid() {
  local pid args
  [[ -f $pid_file ]] || return 1
  pid="$(<"$pid_file")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    args="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  else
    args="$(ps -o args= -p "$pid" 2>/dev/null || true)"
  fi
  [[ $args == *" run "*"$config"* ]] || return 1
  echo "$pid"
}

# A log line in the sync's own format, for what the scripts do to it.
log_line() {
  mkdir -p "$data_dir"
  echo "$(date -u '+%Y-%m-%d %H:%M:%S') [$1] $(basename "$0"): $2" >>"$log_file"
}
