#!/usr/bin/env bash
# `npm run histories:record [-- <workflowType>...]`: records the histories that
# test/workflows/replay.test.ts replays, by running the scenarios below with RECORD_HISTORIES=1
# (test/support/histories.ts saves the first two closed runs of each workflow type, children
# included). With types, only those types' histories are replaced; without, all of them.
# The Kubernetes scenarios start the local control plane: export the K8S_*_PORT variables
# first when another cluster runs on this machine (docs/kubernetes.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# Workflow type -> the test files whose scenarios record it (the first listed come first).
declare -A SCENARIOS=(
  [lambdaAliasRollback]=test/workflows/lambdaAliasRollback.test.ts
  [route53RecordRollback]=test/workflows/route53RecordRollback.test.ts
  [incidentRollback]=test/workflows/incidentRollback.test.ts
  [postRollbackFollowUps]=test/workflows/fast/incidentTimers.test.ts
  [verifyRollback]=test/workflows/verifyRollback.test.ts
  [rdsSnapshotRestore]=test/workflows/rdsSnapshotRestore.test.ts
  [rdsPointInTimeRestore]=test/workflows/rdsPointInTimeRestore.test.ts
  [databaseMigrationRollback]=test/workflows/databaseMigrationRollback.test.ts
  [terraformRevert]=test/terraform/terraformRevert.test.ts
  [terraformStateRestore]=test/terraform/terraformStateRestore.test.ts
  [kubernetesDeploymentRollback]=test/kubernetes/kubernetesDeploymentRollback.test.ts
  [configMapRollback]=test/kubernetes/configuration.test.ts
  [secretRollback]=test/kubernetes/configuration.test.ts
  [blueGreenRollback]=test/kubernetes/traffic.test.ts
  [canaryRollback]=test/kubernetes/traffic.test.ts
  [helmReleaseRollback]=test/helm/helmReleaseRollback.test.ts
)

types=("$@")
[ ${#types[@]} -gt 0 ] || types=("${!SCENARIOS[@]}")
files=()
for type in "${types[@]}"; do
  file=${SCENARIOS[$type]:-}
  [ -n "$file" ] || { echo "histories:record: no scenario for \"$type\" (known: ${!SCENARIOS[*]})" >&2; exit 2; }
  rm -rf "test/fixtures/histories/$type"
  [[ " ${files[*]} " == *" $file "* ]] || files+=("$file")
done

# Committed histories are plain JSON, replayed without keys: never record encrypted payloads.
unset ROLLBACK_CODEC_KEYS ROLLBACK_CODEC_KEY_FILE
echo "histories:record: ${types[*]} from ${files[*]}"
RECORD_HISTORIES=1 NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' \
  npx jest --runInBand "${files[@]}"
# Replayed at once: a history that does not replay on the code that recorded it is no use.
NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' npx jest test/workflows/replay.test.ts
