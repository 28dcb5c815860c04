#!/usr/bin/env bash
# Stop the local Kubernetes control plane started by up.sh, leaving no process behind.
#   --purge   also delete the cluster's data (etcd, certificates, kubeconfig, logs)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=./common.sh
source "$HERE/common.sh"

purge=0
for a in "$@"; do
  case "$a" in
    --purge) purge=1 ;;
    *) die "unknown argument: $a (usage: down.sh [--purge])" ;;
  esac
done

mkdir -p "$PIDS"
exec 8>"$DATA/.lock"
flock -w 30 8 || log "the up/down lock is still held after 30 s; stopping anyway"
if any_running; then
  stop_all
  log "stopped"
else
  stop_all   # still sweeps leftovers, if any
  log "not running"
fi
rm -f "$DATA/started-by"
if ((purge)); then
  rm -rf "$DATA"
  log "deleted $DATA"
fi
