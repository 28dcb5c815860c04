// Everything that talks to AWS Lambda. Each call checks before it acts, so a retry after a crash
// at any line converges on the same end state.
import {
  GetAliasCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { log } from '@temporalio/activity';
import { fromAwsError, nonRetryable } from './failures.js';

export interface LambdaAliasRef {
  functionName: string;
  alias: string;
}

export interface LambdaAliasState extends LambdaAliasRef {
  functionVersion: string;
  aliasArn: string;
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

export function createLambdaActivities(client: LambdaClient) {
  async function getLambdaAlias(ref: LambdaAliasRef): Promise<LambdaAliasState> {
    try {
      const out = await client.send(new GetAliasCommand({ FunctionName: ref.functionName, Name: ref.alias }));
      return { ...ref, functionVersion: out.FunctionVersion ?? '', aliasArn: out.AliasArn ?? '' };
    } catch (error) {
      throw fromAwsError(error, `lambda: alias "${ref.alias}" of function "${ref.functionName}"`);
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

  /** Points the alias at `toVersion`; a no-op (reported as such) when it already does. */
  async function updateLambdaAlias(ref: LambdaAliasRef & { toVersion: string }): Promise<AliasUpdateResult> {
    const current = await getLambdaAlias(ref);
    if (current.functionVersion === ref.toVersion) {
      const message = `alias "${ref.alias}" of "${ref.functionName}" already points at version ${ref.toVersion}`;
      log.info(message);
      return { changed: false, fromVersion: current.functionVersion, toVersion: ref.toVersion, message };
    }
    try {
      await client.send(
        new UpdateAliasCommand({ FunctionName: ref.functionName, Name: ref.alias, FunctionVersion: ref.toVersion }),
      );
    } catch (error) {
      throw fromAwsError(error, `lambda: alias "${ref.alias}" of function "${ref.functionName}"`);
    }
    const message = `alias "${ref.alias}" of "${ref.functionName}" moved from version ${current.functionVersion} to ${ref.toVersion}`;
    log.info(message);
    return { changed: true, fromVersion: current.functionVersion, toVersion: ref.toVersion, message };
  }

  return { getLambdaAlias, listLambdaVersions, updateLambdaAlias };
}

export type LambdaActivities = ReturnType<typeof createLambdaActivities>;
