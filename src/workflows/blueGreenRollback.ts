// Runbook "Blue-Green Rollback": scale blue back up, wait until it is ready, switch the Service
// selector to blue, and check that the Service's endpoints are blue pods. The plan pins the
// Service selector; an apply given the pin refuses a selector that moved (TargetChanged).
import { proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities } from '../activities/types.js';
import { podStatusChecks } from '../domain/naturalChecks.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import {
  blueGreenPin,
  blueGreenRollbackInput,
  type BlueGreenPin,
  type BlueGreenRollbackInput,
} from '../domain/schemas/kubernetes.js';
import { stableJson } from '../domain/textDiff.js';
import { waitAndVerify, type Verification } from './kubernetes/settle.js';
import { cloudApiCall, longWait } from './support/activityOptions.js';
import { procedureFailure } from './support/failures.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import { verifyAfter } from './support/verifyAfter.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

export interface BlueGreenRollbackResult extends ProcedureResult {
  namespace: string;
  service: string;
  blueReplicas: { from: number; to: number };
  selector: { from: Record<string, string>; to: Record<string, string> };
  /** Blue's rollout and pods as the procedure saw them settle, before traffic moved. */
  settled?: Verification;
  endpoints?: string[];
  pin?: BlueGreenPin;
}

export async function blueGreenRollback(rawInput: unknown): Promise<BlueGreenRollbackResult> {
  const spec = { workflowType: 'blueGreenRollback', input: blueGreenRollbackInput, pin: blueGreenPin };
  return runProcedure(rawInput, spec, switchBackToBlue);
}

async function switchBackToBlue({
  input,
  pin,
  progress,
}: ProcedureStart<BlueGreenRollbackInput, BlueGreenPin>): Promise<BlueGreenRollbackResult> {
  const { namespace } = input;
  const blue = { namespace, deployment: input.blueDeployment };

  progress.step('plan');
  const [selector, blueNow, green] = await Promise.all([
    k8s.readServiceSelector({ namespace, service: input.service }),
    k8s.deploymentReplicas(blue),
    input.greenDeployment ? k8s.deploymentReplicas({ namespace, deployment: input.greenDeployment }) : undefined,
  ]);
  if (!blueNow.exists) {
    throw procedureFailure(
      'NotFound',
      `kubernetes: blue deployment "${input.blueDeployment}" not found in "${namespace}"`,
    );
  }
  const replicas = input.replicas ?? green!.replicas;
  const target = { ...selector, ...input.blueSelector };
  const plan = {
    namespace,
    service: input.service,
    blueReplicas: { from: blueNow.replicas, to: replicas },
    selector: { from: selector, to: target },
    from: `service/${input.service} selector ${JSON.stringify(selector)}`,
    to: `service/${input.service} selector ${JSON.stringify(target)}`,
  };
  if (input.dryRun) {
    return {
      ...plan,
      dryRun: true,
      changed: false,
      verified: false,
      pin: { selector },
      message: `dry run: would scale ${input.blueDeployment} from ${blueNow.replicas} to ${replicas} and point service ${input.service} at ${JSON.stringify(input.blueSelector)}`,
    };
  }
  // A selector already on blue is where the apply would have left it (a retried or repeated run).
  const onBlue = stableJson(selector) === stableJson(target);
  if (pin && !onBlue && stableJson(pin.selector) !== stableJson(selector)) {
    throw procedureFailure(
      'TargetChanged',
      `service/${input.service} selector moved from ${JSON.stringify(pin.selector)} to ${JSON.stringify(selector)} since the plan; plan again`,
    );
  }

  // 1. Scale up blue if scaled down, and wait until it is ready (before any traffic moves).
  progress.step('scale blue', `to ${replicas}`);
  const scaled = await k8s.scaleDeployment({ ...blue, replicas });
  const settled = await waitAndVerify(blue, input, progress);
  if (!settled.passed) {
    throw procedureFailure(
      'RollbackFailed',
      `kubernetes: blue deployment "${input.blueDeployment}" is not ready (${settled.problem}); traffic was not switched`,
    );
  }

  // 2. Switch traffic back to blue.
  progress.step('switch service', JSON.stringify(input.blueSelector));
  const switched = await k8s.patchServiceSelector({
    namespace,
    service: input.service,
    selector: input.blueSelector,
    expected: pin?.selector,
  });

  // 3. Verify: the Service's ready endpoints are exactly the blue pods.
  progress.step('verify endpoints');
  const endpoints = await proxyActivities<KubernetesActivities>(longWait(120)).waitForServiceEndpoints({
    namespace,
    service: input.service,
    labels: input.blueSelector,
    count: replicas,
  });

  // 4. The verification suite: blue's pods, and the input's checks.
  const changed = scaled.changed || switched.changed;
  const { verification, healthy, suffix } = await verifyAfter({
    changed,
    natural: podStatusChecks([blue]),
    given: input.verify,
    reason: `after switching service/${input.service} in "${namespace}" back to blue`,
  });
  return {
    ...plan,
    dryRun: false,
    changed,
    // Blue settled and the Service's endpoints are exactly the blue pods; with checks, healthy.
    verified: healthy,
    settled,
    ...(verification ? { verification } : {}),
    endpoints: endpoints.ready.map((e) => e.pod),
    message: `service ${input.service} sends traffic to ${endpoints.ready.length} ${JSON.stringify(input.blueSelector)} pods${suffix}`,
  };
}
