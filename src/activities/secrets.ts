// Secrets Manager into a Kubernetes Secret (runbook "Secrets Rollback"). The secret value is read
// and written inside one activity and never leaves it: not in the result, not in a log, not in an
// error message (errors carry the resource names and the HTTP status only).
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { log } from '@temporalio/activity';
import { fromAwsError, nonRetryable } from './failures.js';
import { formatApiRequest } from '../domain/kubernetes/apiRequest.js';
import { KubeApiError, loadClientNode, paths, type KubeClient } from './kubernetes/client.js';

interface KubeSecret {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/**
 * The Secret data (base64 values) held by a Secrets Manager SecretString: a Kubernetes Secret
 * manifest (JSON or YAML, what the runbook pipes into `kubectl apply -f -`), or a JSON object of
 * key to string value.
 */
export async function secretDataFrom(secretString: string): Promise<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    try {
      parsed = (await loadClientNode()).loadYaml(secretString);
    } catch {
      parsed = undefined;
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw nonRetryable('InvalidInput', 'secrets: the secret value is neither a Secret manifest nor a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64');
  if (obj.kind === 'Secret') {
    const manifest = obj as unknown as KubeSecret;
    return {
      ...(manifest.data ?? {}),
      ...Object.fromEntries(Object.entries(manifest.stringData ?? {}).map(([k, v]) => [k, b64(String(v))])),
    };
  }
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, b64(typeof v === 'string' ? v : JSON.stringify(v))]),
  );
}

function sameData(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

export function createSecretActivities(secretsManager: SecretsManagerClient, kube: () => KubeClient) {
  /** Which version a stage points at, without reading any value (for plans and dry runs). */
  async function describeSecretStage(ref: {
    secretId: string;
    versionStage: string;
  }): Promise<{ versionId: string | undefined; stages: Record<string, string[]> }> {
    try {
      const out = await secretsManager.send(new DescribeSecretCommand({ SecretId: ref.secretId }));
      const stages = out.VersionIdsToStages ?? {};
      const versionId = Object.keys(stages).find((id) => stages[id]!.includes(ref.versionStage));
      return { versionId, stages };
    } catch (error) {
      throw fromAwsError(error, `secrets: secret "${ref.secretId}"`);
    }
  }

  /** Writes the `versionStage` version into the Kubernetes Secret; a no-op when it already holds it. */
  async function restoreSecretFromSecretsManager(ref: {
    namespace: string;
    secret: string;
    secretId: string;
    versionStage: string;
  }): Promise<{ changed: boolean; keys: string[]; versionId: string }> {
    const where = `secrets: secret "${ref.secretId}" (${ref.versionStage}) into kubernetes secret "${ref.secret}" in namespace "${ref.namespace}"`;
    let versionId: string;
    let data: Record<string, string>;
    try {
      const out = await secretsManager.send(
        new GetSecretValueCommand({ SecretId: ref.secretId, VersionStage: ref.versionStage }),
      );
      if (out.SecretString === undefined) {
        throw nonRetryable('InvalidInput', `${where}: the version holds binary data, not a SecretString`);
      }
      versionId = out.VersionId ?? '';
      data = await secretDataFrom(out.SecretString);
    } catch (error) {
      // AWS errors name the secret, never its value; anything else is replaced by a neutral message.
      const mapped = fromAwsError(error, where);
      if (mapped !== error || (error as { type?: string }).type === 'InvalidInput') throw mapped;
      throw new Error(`${where}: reading the secret failed (${(error as { name?: string }).name ?? 'error'})`);
    }

    const path = paths.secret(ref.namespace, ref.secret);
    // The API server's own message is left out: an admission webhook's refusal could quote the data.
    const failed = (error: unknown) => {
      if (!(error instanceof KubeApiError)) {
        return new Error(`${where}: ${(error as { code?: string }).code ?? 'request failed'}`);
      }
      const status = `HTTP ${error.status} ${error.reason}`;
      if (error.status === 401 || error.status === 403) {
        const what = error.request ? `${formatApiRequest(error.request)} ` : '';
        return nonRetryable('Forbidden', `${where}: Forbidden: ${what}(${status})`);
      }
      if (error.status === 404 || error.status === 422) return nonRetryable('InvalidInput', `${where}: ${status}`);
      return new Error(`${where}: ${status}`);
    };
    let existing: KubeSecret | undefined;
    try {
      existing = await kube().get<KubeSecret>(path);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw failed(error);
    }
    const keys = Object.keys(data).sort();
    if (existing && sameData(existing.data, data)) return { changed: false, keys, versionId };
    try {
      if (existing) {
        await kube().replace(path, { ...existing, data, stringData: undefined });
      } else {
        await kube().create(paths.secrets(ref.namespace), {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: ref.secret, namespace: ref.namespace },
          type: 'Opaque',
          data,
        });
      }
    } catch (error) {
      throw failed(error);
    }
    log.info(`secret/${ref.secret} restored from ${ref.secretId} ${ref.versionStage}`, { keys, versionId });
    return { changed: true, keys, versionId };
  }

  return { describeSecretStage, restoreSecretFromSecretsManager };
}
