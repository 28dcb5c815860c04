// Everything that talks to the Kubernetes API, with kubectl's semantics. Minimal for now: the env
// switch of the RDS restores (`kubectl set env`) and `kubectl rollout status`. The client is
// built on first use from the kubeconfig (KUBECONFIG or ~/.kube/config), so a worker without a
// cluster still starts and serves the procedures that need none.
import { AppsV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { Context, log } from '@temporalio/activity';
import { nonRetryable } from './failures.js';

export interface DeploymentRef {
  namespace: string;
  deployment: string;
}

export interface DeploymentEnvRef extends DeploymentRef {
  /** The container to change; all containers when absent (as `kubectl set env` without -c). */
  container?: string;
  name: string;
}

export interface SetDeploymentEnvResult {
  changed: boolean;
  previous?: string;
  message: string;
}

function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

function kubernetesError(error: unknown, context: string): unknown {
  const code = statusCode(error);
  if (code === 404) return nonRetryable('NotFound', `kubernetes: ${context} not found`);
  if (code === 401 || code === 403) return nonRetryable('Forbidden', `kubernetes: ${context}: access denied`);
  if (code === 400 || code === 422) {
    return nonRetryable('InvalidInput', `kubernetes: ${context}: rejected (${(error as Error).message})`);
  }
  return error;
}

export function createKubernetesActivities(loadConfig: () => KubeConfig = defaultKubeConfig) {
  let api: AppsV1Api | undefined;
  const apps = () => (api ??= loadConfig().makeApiClient(AppsV1Api));

  async function readDeployment(ref: DeploymentRef): Promise<V1Deployment> {
    try {
      return await apps().readNamespacedDeployment({ name: ref.deployment, namespace: ref.namespace });
    } catch (error) {
      throw kubernetesError(error, `deployment "${ref.deployment}" in namespace "${ref.namespace}"`);
    }
  }

  function containersOf(deployment: V1Deployment, ref: DeploymentEnvRef) {
    const all = deployment.spec?.template.spec?.containers ?? [];
    const chosen = ref.container ? all.filter((c) => c.name === ref.container) : all;
    if (chosen.length === 0) {
      throw nonRetryable(
        'NotFound',
        `kubernetes: container "${ref.container}" not found in deployment "${ref.deployment}" (containers: ${all.map((c) => c.name).join(', ')})`,
      );
    }
    return chosen;
  }

  /** The value of an env var in the Deployment's pod template (the first chosen container's). */
  async function getDeploymentEnv(ref: DeploymentEnvRef): Promise<{ value?: string }> {
    const containers = containersOf(await readDeployment(ref), ref);
    return { value: containers[0]?.env?.find((e) => e.name === ref.name)?.value };
  }

  /** `kubectl set env deployment/<name> NAME=value`: a no-op, with no new rollout, when already set. */
  async function setDeploymentEnv(ref: DeploymentEnvRef & { value: string }): Promise<SetDeploymentEnvResult> {
    const deployment = await readDeployment(ref);
    const containers = containersOf(deployment, ref);
    const previous = containers[0]?.env?.find((e) => e.name === ref.name)?.value;
    const stale = containers.filter((c) => {
      const current = c.env?.find((e) => e.name === ref.name);
      return current?.value !== ref.value || current.valueFrom !== undefined;
    });
    if (stale.length === 0) {
      const message = `deployment.apps/${ref.deployment} ${ref.name} already ${ref.value} (no change, no new rollout)`;
      log.info(message);
      return { changed: false, previous, message };
    }
    for (const c of stale) {
      const others = (c.env ?? []).filter((e) => e.name !== ref.name);
      c.env = [...others, { name: ref.name, value: ref.value }];
    }
    try {
      // Replacing with the resourceVersion we read fails with 409 on a concurrent change: retried.
      await apps().replaceNamespacedDeployment({ name: ref.deployment, namespace: ref.namespace, body: deployment });
    } catch (error) {
      throw kubernetesError(error, `deployment "${ref.deployment}" in namespace "${ref.namespace}"`);
    }
    const message = `deployment.apps/${ref.deployment} env updated: ${ref.name} ${previous ?? '(unset)'} -> ${ref.value}`;
    log.info(message);
    return { changed: true, previous, message };
  }

  /** `kubectl rollout status`: waits (heartbeating) until the newest ReplicaSet is fully available. */
  async function waitForRollout(ref: DeploymentRef & { timeoutSeconds: number }): Promise<{ message: string }> {
    const ctx = Context.current();
    const deadline = Date.now() + ref.timeoutSeconds * 1000;
    for (;;) {
      const d = await readDeployment(ref);
      const state = rolloutState(d);
      ctx.heartbeat(state);
      if (state.done) return { message: state.message };
      if (state.failed) throw nonRetryable('VerificationFailed', `kubernetes: ${state.message}`);
      if (Date.now() > deadline) {
        throw nonRetryable(
          'WaitLimitExceeded',
          `kubernetes: rollout of deployment "${ref.deployment}" not finished after ${ref.timeoutSeconds}s: ${state.message}`,
        );
      }
      await ctx.sleep(1_000);
    }
  }

  return { getDeploymentEnv, setDeploymentEnv, waitForRollout };
}

/** kubectl's rollout status messages (rollout_status.go, DeploymentStatusViewer). */
export function rolloutState(d: V1Deployment): { done: boolean; failed: boolean; message: string } {
  const name = d.metadata?.name ?? '';
  const wanted = d.spec?.replicas ?? 1;
  const status = d.status ?? {};
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { done: false, failed: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  }
  if (updated < wanted) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${wanted} new replicas have been updated...`,
    };
  }
  if (replicas > updated) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  }
  if (available < updated) {
    return {
      done: false,
      failed: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { done: true, failed: false, message: `deployment "${name}" successfully rolled out` };
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export type KubernetesActivities = ReturnType<typeof createKubernetesActivities>;
