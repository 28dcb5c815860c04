// Runbook "Rollback Failed", mildest first: a rolling restart (`kubectl rollout restart`), then
// the destructive rungs: delete every pod, scale to zero and back, delete and recreate from a
// previous manifest. Each rung is tried only if the one before did not settle the Deployment; the
// destructive ones cause downtime and wait for a person (told to the parent incident, see
// support/confirmation.ts) unless the input allows them.
import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { KubernetesActivities } from '../../activities/types.js';
import type { Deployment } from '../../domain/kubernetes/objects.js';
import type { FallbackPolicy } from '../../domain/schemas/kubernetes.js';
import { cloudApiCall, longWait } from '../support/activityOptions.js';
import type { ConfirmationGate } from '../support/confirmation.js';
import type { Progress } from '../support/progress.js';
import { restartTimestamp } from './restartUsers.js';
import { waitAndVerify, type DeploymentRef, type Verification } from './settle.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

export type Rung = 'rolling restart' | 'delete pods' | 'scale to zero and back' | 'recreate from manifest';

export interface RungResult {
  rung: Rung;
  outcome: 'settled' | 'not settled' | 'not confirmed';
  detail: string;
  confirmedBy?: string;
}

interface LadderContext {
  ref: DeploymentRef;
  policy: FallbackPolicy;
  replicas: number;
  timeoutSeconds: number;
  maxLogErrors?: number;
  progress: Progress;
  gate: ConfirmationGate;
}

export async function runFallbackLadder(
  ctx: LadderContext,
): Promise<{ verification?: Verification; rungs: RungResult[] }> {
  const rungs: { rung: Rung; enabled: boolean; destructive: boolean; act: () => Promise<void> }[] = [
    {
      rung: 'rolling restart',
      enabled: ctx.policy.rollingRestart,
      destructive: false,
      act: async () => {
        await k8s.rolloutRestart({ ...ctx.ref, restartedAt: restartTimestamp() });
      },
    },
    {
      rung: 'delete pods',
      enabled: ctx.policy.deletePods,
      destructive: true,
      act: async () => {
        await k8s.deletePods(ctx.ref);
      },
    },
    {
      rung: 'scale to zero and back',
      enabled: ctx.policy.scaleToZeroAndBack,
      destructive: true,
      act: async () => {
        await k8s.scaleDeployment({ ...ctx.ref, replicas: 0 });
        await proxyActivities<KubernetesActivities>(longWait(300)).waitForNoPods({ ...ctx.ref, timeoutSeconds: 300 });
        await sleep(ctx.policy.pauseAtZeroSeconds * 1000);
        await k8s.scaleDeployment({ ...ctx.ref, replicas: ctx.replicas });
      },
    },
    {
      rung: 'recreate from manifest',
      enabled: ctx.policy.recreateFromManifest !== undefined,
      destructive: true,
      act: async () => {
        const { workflowId, runId } = workflowInfo();
        await proxyActivities<KubernetesActivities>(longWait(180)).recreateFromManifest({
          ...ctx.ref,
          manifest: ctx.policy.recreateFromManifest as unknown as Deployment,
          marker: `${workflowId}/${runId}`,
        });
      },
    },
  ];

  const results: RungResult[] = [];
  for (const { rung, enabled, destructive, act } of rungs) {
    if (!enabled) continue;
    let confirmedBy: string | undefined;
    if (destructive && !ctx.policy.allowDestructive) {
      ctx.progress.step(`fallback: ${rung}`, 'waiting for confirm');
      const confirmation = await ctx.gate.waitFor(rung, ctx.policy.confirmationTimeoutSeconds);
      if (!confirmation) {
        results.push({
          rung,
          outcome: 'not confirmed',
          detail: `no confirm within ${ctx.policy.confirmationTimeoutSeconds}s`,
        });
        return { rungs: results };
      }
      confirmedBy = confirmation.by;
    }
    ctx.progress.step(`fallback: ${rung}`);
    await act();
    const verification = await waitAndVerify(ctx.ref, ctx, ctx.progress);
    results.push({
      rung,
      outcome: verification.passed ? 'settled' : 'not settled',
      detail: verification.problem ?? verification.rollout,
      confirmedBy,
    });
    if (verification.passed) return { verification, rungs: results };
  }
  return { rungs: results };
}
