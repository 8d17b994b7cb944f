#!/usr/bin/env bash
# Starts mysql-gp-sync in the background, as the original tool's ./start.sh did.
#
#   start.sh [CONFIG]
#
# The pid goes to <data_dir>/mysql-gp-sync.pid and all output to <data_dir>/sync.log. A pid file
# means "keep it running": monitor_process.sh restarts the sync while it exists, and only stop.sh
# removes it. Exit 0 when started, 1 when already running or when it died at once (the reason is
# in the log lines printed), 2 when the config or the program cannot be found.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service_lib.sh"

mkdir -p "$data_dir"
if command -v flock >/dev/null 2>&1; then
  # Two starts at the same moment (cron and a person) would otherwise both start one.
  exec 9>"$data_dir/.start.lock"
  flock -n 9 || { echo "mysql-gp-sync is being started by another start.sh" >&2; exit 1; }
fi
if pid="$(running_pid)"; then
  echo "mysql-gp-sync is already running (pid $pid, config $config)" >&2
  exit 1
fi

# --quiet: the sync writes sync.log itself; its stderr, appended to the same file, then only adds
# what bypasses the logger (a crash), instead of a second copy of every line.
nohup "${sync_cmd[@]}" run --quiet --config "$config" >>"$log_file" 2>&1 </dev/null 9>&- &
pid=$!
echo "$pid" >"$pid_file"

# A config or connection mistake ends it within moments: report it here, not only in the log.
wait_s="${START_CHECK_SECONDS:-3}"
for ((i = 0; i < wait_s * 10; i++)); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "mysql-gp-sync (pid $pid) stopped right after starting; the end of $log_file:" >&2
    tail -n 5 "$log_file" >&2
    exit 1
  fi
  sleep 0.1
done
echo "mysql-gp-sync started (pid $pid); log: $log_file"
