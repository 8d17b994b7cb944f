#!/usr/bin/env bash
# Stops mysql-gp-sync, as the original tool's ./stop.sh did, and removes its pid file (so
# monitor_process.sh leaves it stopped).
#
#   stop.sh [CONFIG]
#
# SIGTERM lets the sync finish the batch in hand and save its position; should PostgreSQL not
# answer, the sync gives that batch up after 20 s and exits 1 by itself. After STOP_TIMEOUT
# seconds (default 60) it is killed, which is safe too: the position commits with the data, so
# the next start resumes exactly there. Exit 0 when it is stopped (or was not running).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service_lib.sh"

if ! pid="$(running_pid)"; then
  rm -f "$pid_file"
  echo "mysql-gp-sync is not running"
  exit 0
fi
kill -TERM "$pid"
timeout_s="${STOP_TIMEOUT:-60}"
for ((i = 0; i < timeout_s * 10; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  log_line WARN "pid $pid still running ${timeout_s}s after SIGTERM; killing it"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file"
echo "mysql-gp-sync stopped (pid $pid)"
