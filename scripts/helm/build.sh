#!/usr/bin/env bash
# Build (or fetch from the machine-level cache) the helm CLI used by the helmReleaseRollback
# procedure (runbook "Kubernetes Application Rollback, Method 3: Helm Rollback") and its tests.
# helm comes from the Go module proxy: scripts/helm/go.mod pins helm.sh/helm/v3 (it has no
# replace directives, but a go.mod + go.sum keeps every dependency pinned and verified).
#
# Idempotent, like scripts/k8s/build.sh:
#   - .tools/helm/bin/helm is already this exact build (stamp matches) -> nothing to do
#   - the machine cache holds it (a fresh clone on the same machine)   -> hard-link/copy
#   - otherwise                                                         -> build, fill the cache
#
# Env:
#   ROLLBACK_TOOLS_CACHE  machine-level cache root (default ~/.cache/rollback-orchestrator)
#   HELM_BUILD_P          go build -p (default 2; the machine has 2 cores)
#   HELM_FORCE_BUILD=1    ignore both caches and rebuild
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# Must agree with scripts/helm/go.mod (checked below).
HELM_VERSION=v3.22.0

log() { printf '[helm:build] %s\n' "$*" >&2; }
die() { printf '[helm:build] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed to build helm ${HELM_VERSION})"
grep -qE "^[[:space:]]*helm\.sh/helm/v3[[:space:]]+${HELM_VERSION}([[:space:]]|$)" "$HERE/go.mod" \
  || die "scripts/helm/go.mod does not require helm.sh/helm/v3 ${HELM_VERSION}; keep build.sh and go.mod in step"

GO_VERSION="$(go env GOVERSION)"
FLAGS_ID="trimpath;s-w;cgo0;ldx1"
HASH="$(cat "$HERE/go.mod" "$HERE/go.sum" <(echo "$FLAGS_ID $GO_VERSION") | sha256sum | cut -c1-10)"
KEY="helm-${HELM_VERSION}-${HASH}"

CACHE_ROOT="${ROLLBACK_TOOLS_CACHE:-$HOME/.cache/rollback-orchestrator}"
CACHE_DIR="$CACHE_ROOT/$KEY"
CACHE_BIN="$CACHE_DIR/bin"
DEST="$ROOT/.tools/helm/bin"
STAMP="$ROOT/.tools/helm/STAMP"

link_into_tools() {
  mkdir -p "$ROOT/.tools/bin" "$ROOT/.tools/helm"
  rm -rf "$DEST.tmp"; mkdir -p "$DEST.tmp"
  # Hard links cost no disk; fall back to a copy across file systems.
  ln "$CACHE_BIN/helm" "$DEST.tmp/helm" 2>/dev/null || cp "$CACHE_BIN/helm" "$DEST.tmp/helm"
  rm -rf "$DEST"; mv "$DEST.tmp" "$DEST"
  ln -sfn ../helm/bin/helm "$ROOT/.tools/bin/helm"
  echo "$KEY" > "$STAMP"
}

if [[ "${HELM_FORCE_BUILD:-0}" != 1 ]]; then
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" && -x "$DEST/helm" ]]; then
    ln -sfn ../helm/bin/helm "$ROOT/.tools/bin/helm"
    log "up to date: .tools/helm/bin ($KEY)"
    exit 0
  fi
  if [[ -x "$CACHE_BIN/helm" ]]; then
    link_into_tools
    log "linked from machine cache $CACHE_BIN"
    exit 0
  fi
fi

# ---- full build -------------------------------------------------------------------------
START=$(date +%s)
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
if command -v flock >/dev/null; then
  flock -n 9 || { log "another build of $KEY is running; waiting for it"; flock 9; }
  if [[ "${HELM_FORCE_BUILD:-0}" != 1 && -x "$CACHE_BIN/helm" ]]; then
    link_into_tools; log "another build filled the cache meanwhile; linked"; exit 0
  fi
fi

WORK="$CACHE_DIR/bin.tmp.$$"
rm -rf "$WORK"; mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

P="${HELM_BUILD_P:-2}"
# GOTOOLCHAIN=local: use the machine's Go (>= 1.26, see go.mod), never download another.
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
# The version `helm version` reports (otherwise "v3.x-dev"-like defaults).
VX="-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean"

log "go build helm.sh/helm/v3/cmd/helm ${HELM_VERSION}; Go modules come from $(go env GOPROXY)"
(cd "$HERE" && go build -p "$P" -trimpath -ldflags="-s -w ${VX}" -o "$WORK/helm" helm.sh/helm/v3/cmd/helm)
"$WORK/helm" version --short >&2

rm -rf "$CACHE_BIN"; mv "$WORK" "$CACHE_BIN"; trap - EXIT
SECS=$(( $(date +%s) - START ))
{
  echo "key=$KEY"
  echo "go=$GO_VERSION"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "seconds=$SECS"
  echo "bin_bytes=$(du -sb "$CACHE_BIN" | cut -f1)"
} > "$CACHE_DIR/BUILD-INFO"
link_into_tools
log "built in ${SECS}s; cached in $CACHE_BIN; linked into .tools/helm/bin"
