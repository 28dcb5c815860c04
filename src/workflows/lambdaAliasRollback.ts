// Runbook "Lambda Function Rollback": list versions, move the alias back, read it back to verify.
// Plan, pin, apply and the rollback guard (src/domain/procedures/contract.ts): the dry run pins
// the alias's version and the destination; the apply moves only from the pinned version, never
// onto a version the alias was rolled back from (a function tag), and marks the one it leaves.
import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LambdaActivities } from '../activities/types.js';
import type { LastRollback, ProcedureResult } from '../domain/procedures/contract.js';
import { aliasUpdateSummary } from '../domain/incident/summaries.js';
import { previousUnmarkedVersion } from '../domain/lambdaVersions.js';
import { lambdaAliasRollbackInput, type LambdaAliasRollbackInput } from '../domain/schemas/lambdaAliasRollback.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { changedThisRun } from './support/lostAnswer.js';
import { verifyAfter } from './support/verifyAfter.js';
import type { VerifyRollbackResult } from './verifyRollback.js';

const lambda = proxyActivities<LambdaActivities>(cloudApiCall);

type LambdaRollbackMark = NonNullable<Awaited<ReturnType<LambdaActivities['getLambdaRollbackMark']>>>;

export interface LambdaAliasRollbackResult extends ProcedureResult {
  functionName: string;
  alias: string;
  fromVersion: string;
  toVersion: string;
  pin?: { fromVersion: string; toVersion: string };
  /** The verification suite's report, when the input listed `verify` checks. */
  verification?: VerifyRollbackResult;
}

export async function lambdaAliasRollback(rawInput: unknown): Promise<LambdaAliasRollbackResult> {
  return asProcedure(() => rollBackAlias(rawInput));
}

async function rollBackAlias(rawInput: unknown): Promise<LambdaAliasRollbackResult> {
  const input = parseInput(lambdaAliasRollbackInput, rawInput, 'lambdaAliasRollback');
  const ref = { functionName: input.functionName, alias: input.alias };

  // 1. List function versions, the alias's current one and the versions it was rolled back from.
  const [current, versions, mark] = await Promise.all([
    lambda.getLambdaAlias(ref),
    lambda.listLambdaVersions(input.functionName),
    lambda.getLambdaRollbackMark(ref),
  ]);
  const published = versions.map((v) => v.version);
  const fromVersion = input.pin?.fromVersion ?? current.functionVersion;
  const toVersion = input.pin?.toVersion ?? chooseTarget(input, current.functionVersion, published, mark);
  if (input.pin) checkPin(input, current.functionVersion, published);
  if (toVersion !== current.functionVersion) guard(input, toVersion, mark);

  const plan = {
    ...ref,
    fromVersion,
    toVersion,
    from: `version ${fromVersion}`,
    to: `version ${toVersion}`,
    pin: { fromVersion, toVersion },
    ...lastRollbackOf(mark),
  };
  if (input.dryRun) {
    const message = `dry run: would move alias "${input.alias}" of "${input.functionName}" from version ${fromVersion} to ${toVersion}`;
    log.info(message);
    return { ...plan, dryRun: true, changed: false, verified: false, message };
  }

  // 2. Update the alias to the previous version (only from the pinned one).
  const update = await lambda.updateLambdaAlias.executeWithOptions(
    { summary: aliasUpdateSummary(ref, fromVersion, toVersion) },
    [{ ...ref, fromVersion, toVersion }],
  );

  // 3. Mark the version rolled back from, so no later rollback returns to it on its own.
  // A re-applied plan that finds the move done keeps the mark's time (it is already marked).
  let newMark = mark;
  if (fromVersion !== toVersion && (update.changed || !mark?.versions.includes(fromVersion))) {
    const info = workflowInfo();
    newMark = await lambda.markLambdaRollback({
      ...ref,
      fromVersion,
      at: new Date().toISOString(),
      by: info.parent?.workflowId ?? info.workflowId,
    });
  }

  // 4. Verify the rollback by reading the alias back.
  const after = await lambda.getLambdaAlias(ref);
  if (after.functionVersion !== toVersion) {
    throw procedureFailure(
      'VerificationFailed',
      `lambda: alias "${input.alias}" of "${input.functionName}" points at version ${after.functionVersion}, expected ${toVersion}`,
    );
  }
  // 5. The service itself: the verification suite's checks the input gave, if any (none natural:
  //    step 4 read the alias back). They run on a re-applied plan that found the alias moved too.
  const { verification, healthy, suffix } = await verifyAfter({
    changed: true,
    natural: [],
    given: input.verify,
    reason: `after moving ${input.functionName}:${input.alias} to ${toVersion}`,
  });
  // This run found the alias elsewhere and left it at the target: a retried update whose first
  // answer was lost reports "already points at", but the move was this run's.
  const changed = changedThisRun(update.changed, current.functionVersion !== toVersion);
  const message =
    changed && !update.changed
      ? `alias "${input.alias}" of "${input.functionName}" moved from version ${current.functionVersion} to ${toVersion}`
      : update.message;
  return {
    ...plan,
    ...lastRollbackOf(newMark),
    dryRun: false,
    changed,
    // Verified: the alias reads back as planned and, with checks, the service is healthy.
    verified: healthy,
    message: `${message}${suffix}`,
    ...(verification ? { verification } : {}),
  };
}

/** The requested version, or else the newest published one below the current that is not marked. */
function chooseTarget(
  input: LambdaAliasRollbackInput,
  current: string,
  versions: string[],
  mark: LambdaRollbackMark | undefined,
): string {
  if (input.toVersion !== undefined) {
    requirePublished(input.functionName, input.toVersion, 'toVersion', versions);
    return input.toVersion;
  }
  const skip = input.allowMarkedTarget ? [] : (mark?.versions ?? []);
  const previous = previousUnmarkedVersion(versions, current, skip);
  if (previous === undefined) {
    const marked = skip.length > 0 ? ` that is not marked as rolled back from (${mark?.tag}=${mark?.value})` : '';
    throw procedureFailure(
      'NotFound',
      `lambda: function "${input.functionName}" has no published version before ${current}${marked} to roll back to`,
    );
  }
  return previous;
}

/** The apply of a plan: the alias must still be where the plan found it (or already done). */
function checkPin(input: LambdaAliasRollbackInput, current: string, versions: string[]): void {
  const pin = input.pin!;
  requirePublished(input.functionName, pin.toVersion, 'pin.toVersion', versions);
  if (current !== pin.fromVersion && current !== pin.toVersion) {
    throw procedureFailure(
      'TargetChanged',
      `lambda: alias "${input.alias}" of function "${input.functionName}" points at version ${current}, not the planned version ${pin.fromVersion} (plan: ${pin.fromVersion} to ${pin.toVersion}); plan again`,
    );
  }
}

/** The rollback guard: never onto a version this alias was rolled back from, unless allowed. */
function guard(input: LambdaAliasRollbackInput, toVersion: string, mark: LambdaRollbackMark | undefined): void {
  if (!mark?.versions.includes(toVersion) || input.allowMarkedTarget) return;
  throw procedureFailure(
    'MarkedTarget',
    `lambda: version ${toVersion} of function "${input.functionName}" was rolled back from (tag ${mark.tag}=${mark.value}); give allowMarkedTarget: true to move alias "${input.alias}" onto it anyway`,
  );
}

function requirePublished(functionName: string, version: string, field: string, versions: string[]): void {
  if (versions.includes(version)) return;
  const published = versions.filter((v) => v !== '$LATEST').join(', ') || 'none';
  throw procedureFailure(
    'NotFound',
    `lambda: version "${version}" (${field}) not found for function "${functionName}"; published versions: ${published}`,
  );
}

function lastRollbackOf(mark: LambdaRollbackMark | undefined): { lastRollback?: LastRollback } {
  const newest = mark?.versions[mark.versions.length - 1];
  if (!mark || newest === undefined) return {};
  return { lastRollback: { at: mark.at, from: `version ${newest}`, ...(mark.by ? { by: mark.by } : {}) } };
}
