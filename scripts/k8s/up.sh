#!/usr/bin/env bash
# Start a local Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (TLS, RBAC),
# kube-controller-manager, kube-scheduler, and kwok's controller with a few fake nodes
# (kwok plays the kubelet: pods on those nodes become Running and Ready).
#
# Writes $K8S_DATA_DIR/kubeconfig (default .data/k8s/kubeconfig) for kubectl and
# @kubernetes/client-node, and waits until the cluster is usable. Returns at once when
# the cluster is already running and healthy. Binaries come from scripts/k8s/build.sh.
#
# Env (all optional):
#   K8S_DATA_DIR                  data, logs, pids, certs      (default .data/k8s)
#   K8S_APISERVER_PORT            kube-apiserver https port    (default 16443)
#   K8S_ETCD_PORT                 etcd client port             (default 12379)
#   K8S_ETCD_PEER_PORT            etcd peer port               (default 12380)
#   K8S_CONTROLLER_MANAGER_PORT   controller-manager https     (default 17257)
#   K8S_SCHEDULER_PORT            scheduler https              (default 17259)
#   K8S_KWOK_PORT                 kwok: healthz/metrics (http) and the kubelet API the
#                                 API server calls for `kubectl logs` (https)  (default 17247)
#   K8S_NODES                     number of fake nodes         (default 3)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=./common.sh
source "$HERE/common.sh"

T0=$(date +%s.%N)

missing=()
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
  [[ -x "$BIN/$b" ]] || missing+=("$b")
done
[[ -f "$BIN/kwok-stages.yaml" ]] || missing+=("kwok-stages.yaml")
if ((${#missing[@]})); then
  die "missing in $BIN: ${missing[*]}.
  Build them first:  npm run tools:k8s   (or: bash scripts/k8s/build.sh)
  The first build compiles Kubernetes from the Go module proxy (5-10 min on 2 cores); later runs and fresh clones reuse the machine cache."
fi
command -v openssl >/dev/null || die "openssl is needed to make the cluster's certificates"
command -v curl >/dev/null || die "curl is needed to probe the cluster's health"

mkdir -p "$DATA" "$LOGS" "$PIDS"

# One up/down at a time (jest workers may call up.sh concurrently).
exec 8>"$DATA/.lock"
flock -w 180 8 || die "another up.sh/down.sh has held $DATA/.lock for 3 minutes"

if cluster_healthy; then
  log "already running and healthy (kubeconfig: $KUBECONFIG_PATH)"
  exit 0
fi

if any_running; then
  log "some components are running but the cluster is not healthy: restarting them"
  stop_all
fi

for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$CM_PORT" "$SCHED_PORT" "$KWOK_PORT"; do
  if port_in_use "$port"; then
    die "port 127.0.0.1:$port is already in use by another process; stop it or choose other ports (K8S_*_PORT, see scripts/k8s/up.sh)"
  fi
done

# ---- certificates (made once per data dir) ----------------------------------------------
PKI="$DATA/pki"
make_pki() {
  mkdir -p "$PKI"
  local tmp; tmp="$(mktemp -d)"
  (
    cd "$tmp"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt \
      -subj "/CN=rollback-orchestrator-local-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    sign() { # name subject extfile-lines...
      local name=$1 subj=$2; shift 2
      printf '%s\n' "$@" > "$name.ext"
      openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
      openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$name.ext" -out "$name.crt" 2>/dev/null
      rm -f "$name.csr" "$name.ext"
    }
    sign apiserver "/CN=kube-apiserver" \
      "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
    sign admin "/O=system:masters/CN=kubernetes-admin" "$client"
    sign controller-manager "/CN=system:kube-controller-manager" "$client"
    sign scheduler "/CN=system:kube-scheduler" "$client"
    sign kwok "/O=system:masters/CN=kwok-controller" "$client"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ca.srl
    chmod 600 ./*.key
    mv ./* "$PKI/"
  )
  rmdir "$tmp"
}
[[ -f "$PKI/sa.pub" && -f "$PKI/kwok.crt" ]] || { log "making certificates in $PKI"; make_pki; }

# kwok plays the kubelet's API too (`kubectl logs`): the API server calls it over https at the
# fake nodes' address, 127.0.0.1:$KWOK_PORT, and checks its certificate against the cluster CA.
# Made separately so a data dir from before this existed gets one.
make_kubelet_serving_cert() {
  local tmp; tmp="$(mktemp -d)"
  (
    cd "$tmp"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > ext
    openssl req -newkey rsa:2048 -nodes -keyout kwok-serving.key -out csr -subj "/CN=kwok-kubelet" 2>/dev/null
    openssl x509 -req -in csr -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -CAserial serial -days 3650 \
      -extfile ext -out kwok-serving.crt 2>/dev/null
    chmod 600 kwok-serving.key
    mv kwok-serving.key kwok-serving.crt "$PKI/"
  )
  rm -rf "$tmp"
}
[[ -f "$PKI/kwok-serving.crt" ]] || make_kubelet_serving_cert

b64() { base64 -w0 < "$1"; }
write_kubeconfig() { # file user
  local file=$1 user=$2
  umask 077
  cat > "$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rollback-local
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: ${user}
  user:
    client-certificate-data: $(b64 "$PKI/$user.crt")
    client-key-data: $(b64 "$PKI/$user.key")
contexts:
- name: rollback-local
  context:
    cluster: rollback-local
    user: ${user}
    namespace: default
current-context: rollback-local
EOF
  mv "$file.tmp" "$file"
}
write_kubeconfig "$KUBECONFIG_PATH" admin
for c in controller-manager scheduler kwok; do write_kubeconfig "$DATA/$c.kubeconfig" "$c"; done

# ---- processes --------------------------------------------------------------------------
start() { # name binary args...
  local name=$1; shift
  # setsid: the daemons outlive the shell or jest worker that ran up.sh; down.sh stops them.
  # 8>&-: the daemons must not inherit (and so hold forever) the up/down lock.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null 8>&- &
  local pid=$!
  echo "$pid" > "$PIDS/$name.pid"
  # pid_alive recognises our daemons by their command line, which is the forked shell's (then
  # setsid's) until the exec happens: on a busy machine that can take longer than the first
  # health probe, which then took a starting kube-apiserver for a dead one. Wait for the exec.
  local t0=$SECONDS cmd
  while kill -0 "$pid" 2>/dev/null && (( SECONDS - t0 < 10 )); do
    cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ "$cmd" == "$1 "* || "$cmd" == "$1" ]] && return 0
    sleep 0.05
  done
}

wait_for() { # description timeout-seconds command...
  local what=$1 limit=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${limit}s waiting for $what; last log lines:"
      for f in "$LOGS"/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done
      stop_all
      die "the cluster did not come up (logs in $LOGS)"
    fi
    # a component that died will not recover by waiting
    local n
    for n in $(started_components); do
      if ! pid_alive "$n"; then
        log "$n exited; last lines of $LOGS/$n.log:"; tail -n 30 "$LOGS/$n.log" >&2
        stop_all
        die "$n failed to start (log: $LOGS/$n.log)"
      fi
    done
    sleep 0.2
  done
}

log "starting etcd on 127.0.0.1:$ETCD_PORT"
start etcd "$BIN/etcd" \
  --name=rollback-local --data-dir="$DATA/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="rollback-local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync=true --log-level=warn
wait_for "etcd" 20 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

log "starting kube-apiserver on https://127.0.0.1:$APISERVER_PORT"
start kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
  --endpoint-reconciler-type=none \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=RBAC --anonymous-auth=false \
  --allow-privileged=true --profiling=false \
  --kubelet-preferred-address-types=InternalIP --kubelet-certificate-authority="$PKI/ca.crt" \
  --v=1
apiserver_ready() { curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$API/readyz" | grep -qx ok; }
wait_for "kube-apiserver /readyz" 60 apiserver_ready

log "starting kube-controller-manager and kube-scheduler"
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$DATA/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$DATA/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$DATA/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$CM_PORT" --leader-elect=false \
  --controllers='*' --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range=10.96.0.0/16 --allocate-node-cidrs=false \
  --profiling=false --v=1
start kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$DATA/scheduler.kubeconfig" \
  --authentication-kubeconfig="$DATA/scheduler.kubeconfig" \
  --authorization-kubeconfig="$DATA/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false \
  --profiling=false --v=1

# kwok manages a node only while it holds the node's Lease. After a restart with kept data,
# the Leases still name the previous kwok process and would block the new one for up to
# --node-lease-duration-seconds (40 s): pods would stay Pending meanwhile. Delete them.
fake_nodes() { local i; for ((i = 0; i < NODES; i++)); do echo "kwok-node-$i"; done; }
# shellcheck disable=SC2046
kc -n kube-node-lease delete lease $(fake_nodes) --ignore-not-found >/dev/null
node_leases_held() {
  local n
  for n in $(fake_nodes); do kc -n kube-node-lease get lease "$n" >/dev/null 2>&1 || return 1; done
}

# kwok's Logs and ClusterLogs resources say which file a pod's `kubectl logs` serves (tests
# write the files; docs/verification.md). Their CRDs are copied from the kwok module.
kc apply -f "$HERE/kwok-crds/" >/dev/null
wait_for "kwok's log CRDs" 20 kc get clusterlogs.kwok.x-k8s.io

log "starting kwok (fake nodes: $NODES)"
start kwok "$BIN/kwok" \
  --config="$BIN/kwok-stages.yaml" --config="$HERE/kwok-extra-stages.yaml" \
  --kubeconfig="$DATA/kwok.kubeconfig" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.1/16 --node-ip=127.0.0.1 --node-port="$KWOK_PORT" \
  --enable-crds=Logs,ClusterLogs \
  --tls-cert-file="$PKI/kwok-serving.crt" --tls-private-key-file="$PKI/kwok-serving.key" \
  --server-address="127.0.0.1:$KWOK_PORT"

nodes_yaml() {
  local i
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
EOF
  done
}
wait_for "the node API" 20 kc get --raw /api/v1/nodes
nodes_yaml | kc apply -f - >/dev/null

wait_for "kube-controller-manager /healthz" 30 curl -fsSk "https://127.0.0.1:$CM_PORT/healthz"
wait_for "kube-scheduler /healthz" 30 curl -fsSk "https://127.0.0.1:$SCHED_PORT/healthz"
wait_for "the default service account" 30 kc -n default get serviceaccount default
wait_for "kwok to hold the fake nodes' leases" 30 node_leases_held
wait_for "$NODES Ready fake nodes" 30 nodes_ready
# Nodes kept from a data dir made before kwok served logs still carry the old address (kwok
# keeps a node's addresses): point them at kwok's kubelet API.
for n in $(fake_nodes); do
  kc patch node "$n" --subresource=status --type=merge -p \
    "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"},{\"type\":\"Hostname\",\"address\":\"$n\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":$KWOK_PORT}}}}" >/dev/null
done

# Who started it: jest's teardown stops only a cluster that the tests started.
echo "${K8S_STARTED_BY:-manual}" > "$DATA/started-by"
T1=$(date +%s.%N)
log "ready in $(awk "BEGIN { printf \"%.1f\", $T1 - $T0 }")s: export KUBECONFIG=$KUBECONFIG_PATH"
