#!/usr/bin/env bash
# Build (or link from the machine-level cache) the binaries the Terraform procedures run:
# OpenTofu (`tofu`, MPL-2.0, the default TERRAFORM_BIN) and atmos (Apache-2.0, ATMOS_BIN),
# both from the Go module proxy. Each tool has its own wrapper module (scripts/terraform/<tool>/
# go.mod) that pins the release with a `tool` directive, so `go build` resolves exactly that
# release's dependency graph (plus the replace directives those modules need, see the go.mod
# comments).
#
# Idempotent, like scripts/k8s/build.sh:
#   - .tools/terraform/bin already holds this exact set (stamp matches)  -> nothing to do
#   - the machine cache holds it (a fresh clone on the same machine)    -> hard-link/copy
#   - otherwise                                                         -> build, fill the cache
#
# Env:
#   ROLLBACK_TOOLS_CACHE  machine-level cache root (default ~/.cache/rollback-orchestrator)
#   TERRAFORM_BUILD_P     go build -p (default 2)
#   TERRAFORM_FORCE_BUILD=1  ignore both caches and rebuild
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# Versions. They must agree with the wrapper modules (checked below).
TOFU_VERSION=v1.12.6
ATMOS_VERSION=v1.180.0

log() { printf '[terraform:build] %s\n' "$*" >&2; }
die() { printf '[terraform:build] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 builds OpenTofu ${TOFU_VERSION})"
grep -qE "github.com/opentofu/opentofu[[:space:]]+${TOFU_VERSION}([[:space:]]|$)" "$HERE/tofu/go.mod" \
  || die "scripts/terraform/tofu/go.mod does not require opentofu ${TOFU_VERSION}; keep build.sh and go.mod in step"
grep -qE "github.com/cloudposse/atmos[[:space:]]+${ATMOS_VERSION}([[:space:]]|$)" "$HERE/atmos/go.mod" \
  || die "scripts/terraform/atmos/go.mod does not require atmos ${ATMOS_VERSION}; keep build.sh and go.mod in step"

GO_VERSION="$(go env GOVERSION)"
FLAGS_ID="trimpath;s-w;cgo0;versionx"
HASH="$(cat "$HERE"/tofu/go.mod "$HERE"/tofu/go.sum "$HERE"/atmos/go.mod "$HERE"/atmos/go.sum \
  <(echo "$FLAGS_ID $GO_VERSION") | sha256sum | cut -c1-10)"
KEY="terraform-tofu-${TOFU_VERSION}-atmos-${ATMOS_VERSION}-${HASH}"
BINARIES=(tofu atmos)

CACHE_ROOT="${ROLLBACK_TOOLS_CACHE:-$HOME/.cache/rollback-orchestrator}"
CACHE_DIR="$CACHE_ROOT/$KEY"
CACHE_BIN="$CACHE_DIR/bin"
DEST="$ROOT/.tools/terraform/bin"
STAMP="$ROOT/.tools/terraform/STAMP"

have_all() { local b; for b in "${BINARIES[@]}"; do [[ -x "$1/$b" ]] || return 1; done; }

link_into_tools() {
  mkdir -p "$ROOT/.tools/bin" "$ROOT/.tools/terraform"
  rm -rf "$DEST.tmp"; mkdir -p "$DEST.tmp"
  local b
  for b in "${BINARIES[@]}"; do
    ln "$CACHE_BIN/$b" "$DEST.tmp/$b" 2>/dev/null || cp "$CACHE_BIN/$b" "$DEST.tmp/$b"
  done
  rm -rf "$DEST"; mv "$DEST.tmp" "$DEST"
  for b in "${BINARIES[@]}"; do ln -sfn "../terraform/bin/$b" "$ROOT/.tools/bin/$b"; done
  echo "$KEY" > "$STAMP"
}

if [[ "${TERRAFORM_FORCE_BUILD:-0}" != 1 ]]; then
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]] && have_all "$DEST"; then
    for b in "${BINARIES[@]}"; do ln -sfn "../terraform/bin/$b" "$ROOT/.tools/bin/$b"; done
    log "up to date: .tools/terraform/bin ($KEY)"
    exit 0
  fi
  if have_all "$CACHE_BIN"; then
    link_into_tools
    log "linked from machine cache $CACHE_BIN"
    exit 0
  fi
fi

START=$(date +%s)
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.lock"
if command -v flock >/dev/null; then
  flock -n 9 || { log "another build of $KEY is running; waiting for it"; flock 9; }
  if [[ "${TERRAFORM_FORCE_BUILD:-0}" != 1 ]] && have_all "$CACHE_BIN"; then
    link_into_tools; log "another build filled the cache meanwhile; linked"; exit 0
  fi
fi

WORK="$CACHE_DIR/bin.tmp.$$"
rm -rf "$WORK"; mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

P="${TERRAFORM_BUILD_P:-2}"
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local

gobuild() { # module-dir name package ldflags
  local t0=$(date +%s)
  log "go build $3 -> $2"
  (cd "$HERE/$1" && go build -p "$P" -trimpath -ldflags="-s -w $4" -o "$WORK/$2" "$3")
  log "  $2 built in $(( $(date +%s) - t0 ))s"
}

log "building; Go modules come from $(go env GOPROXY)"
# dev=no: report "OpenTofu v1.12.6", not "v1.12.6-dev".
gobuild tofu tofu github.com/opentofu/opentofu/cmd/tofu "-X github.com/opentofu/opentofu/version.dev=no"
gobuild atmos atmos github.com/cloudposse/atmos "-X github.com/cloudposse/atmos/pkg/version.Version=${ATMOS_VERSION}"

TF_CLI_CONFIG_FILE=/dev/null "$WORK/tofu" version >&2
ATMOS_VERSION_CHECK_ENABLED=false "$WORK/atmos" version >&2 || die "atmos ${ATMOS_VERSION} does not run"

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
log "built in ${SECS}s; cached in $CACHE_BIN; linked into .tools/terraform/bin"
