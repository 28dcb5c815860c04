#!/bin/sh
# One-shot of docker-compose.yml (temporalio/admin-tools): the namespace and the incident search
# attributes (SEARCH_ATTRIBUTES, `Name=Type` pairs; test/deploy/compose.test.ts keeps them equal to
# src/temporal/searchAttributes.ts). Each is created only when missing, so rerunning is safe.
# The temporal CLI reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE from the environment.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${TEMPORAL_NAMESPACE:?}" "${SEARCH_ATTRIBUTES:?}"

# retry <what> <command...>: the server may still be starting, or not yet know a new namespace.
retry() {
  what=$1; shift
  for attempt in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    "$@" && return 0
    echo "setup-namespace: $what not done yet (attempt $attempt), retrying in 3 s"
    sleep 3
  done
  echo "setup-namespace: $what failed after 20 attempts" >&2
  return 1
}

retry "cluster health" temporal operator cluster health
ns=$TEMPORAL_NAMESPACE
if ! temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
  retry "namespace $ns" temporal operator namespace create --namespace "$ns" --retention "${NAMESPACE_RETENTION:-30d}"
fi
for spec in $SEARCH_ATTRIBUTES; do
  name=${spec%%=*}
  type=${spec#*=}
  if temporal operator search-attribute list --namespace "$ns" | grep -qw "$name"; then
    echo "setup-namespace: search attribute $name exists"
  else
    retry "search attribute $name" temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"
  fi
done
echo "setup-namespace: namespace $ns ready with $SEARCH_ATTRIBUTES"
