#!/usr/bin/env bash
# Say whether the local Kubernetes control plane is running; exit 0 only when healthy.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=./common.sh
source "$HERE/common.sh"
for n in "${COMPONENTS[@]}"; do
  if pid_alive "$n"; then echo "$n: running (pid $(cat "$PIDS/$n.pid"))"; else echo "$n: stopped"; fi
done
if cluster_healthy; then
  echo "cluster: healthy, $API, KUBECONFIG=$KUBECONFIG_PATH"
  kc get nodes
else
  echo "cluster: not healthy (start it with: npm run k8s:up)"
  exit 1
fi
