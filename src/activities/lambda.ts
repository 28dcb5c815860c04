// Everything that talks to AWS Lambda. Each call checks before it acts, so a retry after a crash
// at any line converges on the same end state.
import {
  GetAliasCommand,
  GetFunctionCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  TagResourceCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { log } from '@temporalio/activity';
import {
  addToRollbackMark,
  formatRollbackMark,
  parseRollbackMark,
  rollbackMarkKey,
  type RollbackMark,
} from '../domain/lambdaVersions.js';
import { fromAwsError, nonRetryable } from './failures.js';

export interface LambdaAliasRef {
  functionName: string;
  alias: string;
}

export interface LambdaAliasState extends LambdaAliasRef {
  functionVersion: string;
  aliasArn: string;
  /** Changes with every update of the alias; UpdateAlias given it fails if the alias moved. */
  revisionId?: string;
}

export interface LambdaVersionInfo {
  version: string;
  lastModified?: string;
  description?: string;
}

export interface AliasUpdateResult {
  changed: boolean;
  fromVersion: string;
  toVersion: string;
  message: string;
}

/** The rollback guard's tag on the function, as read (see domain/lambdaVersions.ts). */
export interface LambdaRollbackMark extends RollbackMark {
  /** The tag key and value as they stand in Lambda, to name the mark in messages. */
  tag: string;
  value: string;
}

export function createLambdaActivities(client: LambdaClient) {
  const aliasContext = (ref: LambdaAliasRef) => `lambda: alias "${ref.alias}" of function "${ref.functionName}"`;

  async function getLambdaAlias(ref: LambdaAliasRef): Promise<LambdaAliasState> {
    try {
      const out = await client.send(new GetAliasCommand({ FunctionName: ref.functionName, Name: ref.alias }));
      return {
        ...ref,
        functionVersion: out.FunctionVersion ?? '',
        aliasArn: out.AliasArn ?? '',
        ...(out.RevisionId ? { revisionId: out.RevisionId } : {}),
      };
    } catch (error) {
      throw fromAwsError(error, aliasContext(ref));
    }
  }

  async function listLambdaVersions(functionName: string): Promise<LambdaVersionInfo[]> {
    const versions: LambdaVersionInfo[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await client.send(
          new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker }),
        );
        for (const v of page.Versions ?? []) {
          if (v.Version) {
            versions.push({ version: v.Version, lastModified: v.LastModified, description: v.Description });
          }
        }
        marker = page.NextMarker;
      } while (marker);
    } catch (error) {
      throw fromAwsError(error, `lambda: function "${functionName}"`);
    }
    // Every function has $LATEST; an empty list means the function does not exist.
    if (versions.length === 0) throw nonRetryable('NotFound', `lambda: function "${functionName}" not found`);
    return versions;
  }

  /** The function's unqualified ARN and tags (tags belong to the function, not to a version). */
  async function functionTags(functionName: string): Promise<{ arn: string; tags: Record<string, string> }> {
    try {
      const out = await client.send(new GetFunctionCommand({ FunctionName: functionName }));
      const arn = (out.Configuration?.FunctionArn ?? '').split(':').slice(0, 7).join(':');
      return { arn, tags: out.Tags ?? {} };
    } catch (error) {
      throw fromAwsError(error, `lambda: function "${functionName}"`);
    }
  }

  /** The versions `alias` was rolled back from, as marked on the function; undefined when unmarked. */
  async function getLambdaRollbackMark(ref: LambdaAliasRef): Promise<LambdaRollbackMark | undefined> {
    const { tags } = await functionTags(ref.functionName);
    const tag = rollbackMarkKey(ref.alias);
    const value = tags[tag];
    const mark = parseRollbackMark(value);
    return mark && value !== undefined ? { ...mark, tag, value } : undefined;
  }

  /**
   * Adds `fromVersion` to the alias's rollback mark. Idempotent: a retry writes the same value
   * because `at` and `by` come from the workflow.
   */
  async function markLambdaRollback(
    ref: LambdaAliasRef & { fromVersion: string; at: string; by?: string },
  ): Promise<LambdaRollbackMark> {
    const { arn, tags } = await functionTags(ref.functionName);
    const tag = rollbackMarkKey(ref.alias);
    const mark = addToRollbackMark(parseRollbackMark(tags[tag]), {
      version: ref.fromVersion,
      at: ref.at,
      ...(ref.by ? { by: ref.by } : {}),
    });
    const value = formatRollbackMark(mark);
    if (tags[tag] !== value) {
      try {
        await client.send(new TagResourceCommand({ Resource: arn, Tags: { [tag]: value } }));
      } catch (error) {
        throw fromAwsError(error, `lambda: tag "${tag}" of function "${ref.functionName}"`);
      }
      log.info(`marked version ${ref.fromVersion} of "${ref.functionName}" as rolled back from: ${tag}=${value}`);
    }
    return { ...(parseRollbackMark(value) ?? mark), tag, value };
  }

  /**
   * Moves the alias from `fromVersion` to `toVersion`, only if it still points at `fromVersion`
   * (TargetChanged otherwise). A no-op, reported as such, when it already points at `toVersion`,
   * so a retry after success succeeds. The update carries the RevisionId read here, so a change
   * made between this read and the update fails instead of being overwritten.
   */
  async function updateLambdaAlias(
    ref: LambdaAliasRef & { fromVersion: string; toVersion: string },
  ): Promise<AliasUpdateResult> {
    const current = await getLambdaAlias(ref);
    if (current.functionVersion === ref.toVersion) {
      const message = `alias "${ref.alias}" of "${ref.functionName}" already points at version ${ref.toVersion}`;
      log.info(message);
      return { changed: false, fromVersion: current.functionVersion, toVersion: ref.toVersion, message };
    }
    if (current.functionVersion !== ref.fromVersion) throw aliasMoved(ref, current.functionVersion);
    try {
      await client.send(
        new UpdateAliasCommand({
          FunctionName: ref.functionName,
          Name: ref.alias,
          FunctionVersion: ref.toVersion,
          RevisionId: current.revisionId,
        }),
      );
    } catch (error) {
      // The alias changed between our read and the update: never overwrite someone else's move.
      // Unless it changed to our target: the SDK re-sent an update whose answer was lost, and the
      // first one had moved the alias (and with it the revision).
      if ((error as { name?: string }).name === 'PreconditionFailedException') {
        const now = await getLambdaAlias(ref);
        if (now.functionVersion !== ref.toVersion) {
          throw aliasMoved(ref, `a new revision (was ${current.revisionId})`);
        }
      } else {
        throw fromAwsError(error, aliasContext(ref));
      }
    }
    const message = `alias "${ref.alias}" of "${ref.functionName}" moved from version ${current.functionVersion} to ${ref.toVersion}`;
    log.info(message);
    return { changed: true, fromVersion: current.functionVersion, toVersion: ref.toVersion, message };
  }

  return { getLambdaAlias, listLambdaVersions, getLambdaRollbackMark, markLambdaRollback, updateLambdaAlias };
}

function aliasMoved(ref: LambdaAliasRef & { fromVersion: string; toVersion: string }, now: string) {
  const at = /^[0-9]+$/.test(now) ? `version ${now}` : now;
  return nonRetryable(
    'TargetChanged',
    `lambda: alias "${ref.alias}" of function "${ref.functionName}" moved to ${at} since the plan (version ${ref.fromVersion} to ${ref.toVersion}); plan again`,
  );
}

export type LambdaActivities = ReturnType<typeof createLambdaActivities>;
