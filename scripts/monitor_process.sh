#!/usr/bin/env bash
# Restarts mysql-gp-sync when it died, for crontab (the original tool's monitor_process.sh):
#
#   */1 * * * * /opt/mysql-gp-sync/monitor_process.sh [CONFIG]
#
# It acts only while the pid file exists, i.e. after start.sh and until stop.sh: a sync stopped
# on purpose stays stopped. Quiet when all is well; restarts are logged to sync.log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/service_lib.sh"

[[ -f $pid_file ]] || exit 0
running_pid >/dev/null && exit 0
log_line WARN "mysql-gp-sync (pid $(<"$pid_file")) is not running; starting it again"
"$here/start.sh" "$config" >>"$log_file" 2>&1
