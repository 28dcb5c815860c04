# Shared by up.sh, down.sh and status.sh (sourced, not run).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/.tools/k8s/bin"
DATA="${K8S_DATA_DIR:-$ROOT/.data/k8s}"
mkdir -p "$DATA"
DATA="$(cd "$DATA" && pwd)"
LOGS="$DATA/logs"
PIDS="$DATA/pids"
KUBECONFIG_PATH="$DATA/kubeconfig"

APISERVER_PORT="${K8S_APISERVER_PORT:-16443}"
ETCD_PORT="${K8S_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${K8S_ETCD_PEER_PORT:-12380}"
CM_PORT="${K8S_CONTROLLER_MANAGER_PORT:-17257}"
SCHED_PORT="${K8S_SCHEDULER_PORT:-17259}"
KWOK_PORT="${K8S_KWOK_PORT:-17247}"
NODES="${K8S_NODES:-3}"
API="https://127.0.0.1:$APISERVER_PORT"

# Started in this order, stopped in the reverse one.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[k8s] %s\n' "$*" >&2; }
die() { printf '[k8s] ERROR: %s\n' "$*" >&2; exit 1; }

kc() { "$BIN/kubectl" --kubeconfig="$KUBECONFIG_PATH" --request-timeout=5s "$@"; }

# The pid in $PIDS/NAME.pid is alive and is still our binary (not a recycled pid).
pid_alive() {
  local f="$PIDS/$1.pid" pid exe
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
  # A checkout whose .tools is a symlink (a git worktree sharing another's tools) started the
  # binaries under the physical path: either spelling is ours.
  [[ "$exe" == "$BIN/"* || "$exe" == "$(cd "$BIN" 2>/dev/null && pwd -P)/"* ]]
}

started_components() {
  local n
  for n in "${COMPONENTS[@]}"; do [[ -f "$PIDS/$n.pid" ]] && echo "$n"; done
  return 0
}

any_running() {
  local n
  for n in "${COMPONENTS[@]}"; do pid_alive "$n" && return 0; done
  return 1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

nodes_ready() {
  local ready
  ready="$(kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c '^True$' || true)"
  (( ready >= NODES ))
}

cluster_healthy() {
  local n
  for n in "${COMPONENTS[@]}"; do pid_alive "$n" || return 1; done
  [[ -f "$KUBECONFIG_PATH" ]] || return 1
  kc get --raw /readyz >/dev/null 2>&1 || return 1
  nodes_ready
}

# Stop what we started: SIGTERM to the API server's clients and the API server together,
# then etcd; SIGKILL whatever is still there after 10 s; then make sure nothing run from this
# checkout's .tools/k8s/bin is left.
stop_wave() { # names...
  local n pid pids=() t0=$SECONDS
  for n in "$@"; do
    if pid_alive "$n"; then
      pid="$(cat "$PIDS/$n.pid")"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && (( SECONDS - t0 < 10 )); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop on SIGTERM within 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for n in "$@"; do rm -f "$PIDS/$n.pid"; done
}

stop_all() {
  stop_wave kwok kube-scheduler kube-controller-manager kube-apiserver
  stop_wave etcd
  # Leftovers (for instance from a pid file that was removed by hand): only processes whose
  # command line starts with this checkout's binary directory.
  local left
  left="$(pgrep -f "^$BIN/" || true)"
  if [[ -n "$left" ]]; then
    log "stopping leftover processes from $BIN: $(echo "$left" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    sleep 0.5
  fi
  if pgrep -f "^$BIN/" >/dev/null; then
    die "processes from $BIN are still running: $(pgrep -af "^$BIN/")"
  fi
}
