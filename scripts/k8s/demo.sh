#!/usr/bin/env bash
# Seed the demo: namespace `demo` with a Deployment `web` that has three revisions
# (images registry.local/web:1.0.0, 2.0.0, 3.0.0) and a Service `web`. Starts the cluster if
# needed. Idempotent: a Deployment that already has three or more revisions is left alone.
#   K8S_DEMO_NAMESPACE   namespace (default demo)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=./common.sh
source "$HERE/common.sh"

bash "$HERE/up.sh"
NS="${K8S_DEMO_NAMESPACE:-demo}"

kc get namespace "$NS" >/dev/null 2>&1 || kc create namespace "$NS" >/dev/null
for _ in $(seq 1 100); do kc -n "$NS" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done

rev="$(kc -n "$NS" get deployment web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}' 2>/dev/null || true)"
image="$(kc -n "$NS" get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null || true)"
# Each `npm start` offers a fresh demo (as moto is fresh): a Deployment already rolled back by an
# earlier demo (not on 3.0.0 at revision 3) is recreated, which also drops its rollback marks.
if [[ "$rev" == "3" && "$image" == "registry.local/web:3.0.0" ]]; then
  log "demo: deployment $NS/web already at revision 3 (3.0.0)"
else
  if [[ -n "$rev" ]]; then
    log "demo: deployment $NS/web was at revision $rev ($image): recreating it"
    kc -n "$NS" delete deployment web --cascade=foreground --wait=true --timeout=60s >/dev/null
  fi
  kc -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  annotations: {kubernetes.io/change-cause: "image registry.local/web:1.0.0"}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.local/web:1.0.0
        ports: [{containerPort: 8080}]
YAML
  kc -n "$NS" rollout status deployment/web --timeout=60s >/dev/null
  for v in 2.0.0 3.0.0; do
    kc -n "$NS" set image deployment/web web="registry.local/web:$v" >/dev/null
    kc -n "$NS" annotate deployment/web kubernetes.io/change-cause="image registry.local/web:$v" --overwrite >/dev/null
    kc -n "$NS" rollout status deployment/web --timeout=60s >/dev/null
  done
  log "demo: deployment $NS/web rolled out three revisions"
fi

kc -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
YAML
kc -n "$NS" rollout history deployment/web >&2
log "demo: ready; KUBECONFIG=$KUBECONFIG_PATH kubectl -n $NS get deploy,rs,pods,svc"
