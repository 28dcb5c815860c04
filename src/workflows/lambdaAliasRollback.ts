// Runbook "Lambda Function Rollback": list versions, move the alias back, read it back to verify.
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { previousVersion } from '../domain/lambdaVersions.js';
import { lambdaAliasRollbackInput } from '../domain/schemas/lambdaAliasRollback.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';

const lambda = proxyActivities<Activities>(cloudApiCall);

export interface LambdaAliasRollbackResult {
  functionName: string;
  alias: string;
  fromVersion: string;
  toVersion: string;
  dryRun: boolean;
  changed: boolean;
  verified: boolean;
  message: string;
}

export async function lambdaAliasRollback(rawInput: unknown): Promise<LambdaAliasRollbackResult> {
  return asProcedure(() => rollBackAlias(rawInput));
}

async function rollBackAlias(rawInput: unknown): Promise<LambdaAliasRollbackResult> {
  const input = parseInput(lambdaAliasRollbackInput, rawInput, 'lambdaAliasRollback');
  const ref = { functionName: input.functionName, alias: input.alias };

  // 1. List function versions and the alias's current one.
  const [current, versions] = await Promise.all([
    lambda.getLambdaAlias(ref),
    lambda.listLambdaVersions(input.functionName),
  ]);
  const toVersion = chooseTarget(
    input.toVersion,
    current.functionVersion,
    versions.map((v) => v.version),
    input.functionName,
  );
  const plan = { ...ref, fromVersion: current.functionVersion, toVersion };

  if (input.dryRun) {
    const message = `dry run: would move alias "${input.alias}" of "${input.functionName}" from version ${current.functionVersion} to ${toVersion}`;
    log.info(message);
    return { ...plan, dryRun: true, changed: false, verified: false, message };
  }

  // 2. Update the alias to the previous version.
  const update = await lambda.updateLambdaAlias({ ...ref, toVersion });

  // 3. Verify the rollback by reading the alias back.
  const after = await lambda.getLambdaAlias(ref);
  if (after.functionVersion !== toVersion) {
    throw procedureFailure(
      'VerificationFailed',
      `lambda: alias "${input.alias}" of "${input.functionName}" points at version ${after.functionVersion}, expected ${toVersion}`,
    );
  }
  return {
    ...plan,
    fromVersion: update.fromVersion,
    dryRun: false,
    changed: update.changed,
    verified: true,
    message: update.message,
  };
}

function chooseTarget(
  requested: string | undefined,
  current: string,
  versions: string[],
  functionName: string,
): string {
  if (requested !== undefined) {
    if (!versions.includes(requested)) {
      const published = versions.filter((v) => v !== '$LATEST').join(', ') || 'none';
      throw procedureFailure(
        'NotFound',
        `lambda: version "${requested}" (toVersion) not found for function "${functionName}"; published versions: ${published}`,
      );
    }
    return requested;
  }
  const previous = previousVersion(versions, current);
  if (previous === undefined) {
    throw procedureFailure(
      'NotFound',
      `lambda: function "${functionName}" has no published version before ${current} to roll back to`,
    );
  }
  return previous;
}
