// Runbook "Blue-Green Rollback": scale blue back up, wait until it is ready, switch the Service
// selector to blue, and check that the Service's endpoints are blue pods.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { blueGreenRollbackInput } from '../domain/schemas/kubernetes.js';
import { waitAndVerify, type Verification } from './kubernetes/settle.js';
import { cloudApiCall, longWait } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { trackProgress } from './support/progress.js';

const k8s = proxyActivities<Activities>(cloudApiCall);

export interface BlueGreenRollbackResult {
  namespace: string;
  service: string;
  dryRun: boolean;
  blueReplicas: { from: number; to: number };
  selector: { from: Record<string, string>; to: Record<string, string> };
  verification?: Verification;
  endpoints?: string[];
  message: string;
}

export async function blueGreenRollback(rawInput: unknown): Promise<BlueGreenRollbackResult> {
  return asProcedure(() => switchBackToBlue(rawInput));
}

async function switchBackToBlue(rawInput: unknown): Promise<BlueGreenRollbackResult> {
  const input = parseInput(blueGreenRollbackInput, rawInput, 'blueGreenRollback');
  const { namespace } = input;
  const blue = { namespace, deployment: input.blueDeployment };
  const progress = trackProgress();

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
  const plan = {
    namespace,
    service: input.service,
    blueReplicas: { from: blueNow.replicas, to: replicas },
    selector: { from: selector, to: { ...selector, ...input.blueSelector } },
  };
  if (input.dryRun) {
    return {
      ...plan,
      dryRun: true,
      message: `dry run: would scale ${input.blueDeployment} from ${blueNow.replicas} to ${replicas} and point service ${input.service} at ${JSON.stringify(input.blueSelector)}`,
    };
  }

  // 1. Scale up blue if scaled down, and wait until it is ready (before any traffic moves).
  progress.step('scale blue', `to ${replicas}`);
  await k8s.scaleDeployment({ ...blue, replicas });
  const verification = await waitAndVerify(blue, input, progress);
  if (!verification.passed) {
    throw procedureFailure(
      'RollbackFailed',
      `kubernetes: blue deployment "${input.blueDeployment}" is not ready (${verification.problem}); traffic was not switched`,
    );
  }

  // 2. Switch traffic back to blue.
  progress.step('switch service', JSON.stringify(input.blueSelector));
  await k8s.patchServiceSelector({ namespace, service: input.service, selector: input.blueSelector });

  // 3. Verify: the Service's ready endpoints are exactly the blue pods.
  progress.step('verify endpoints');
  const endpoints = await proxyActivities<Activities>(longWait(120)).waitForServiceEndpoints({
    namespace,
    service: input.service,
    labels: input.blueSelector,
    count: replicas,
  });
  return {
    ...plan,
    dryRun: false,
    verification,
    endpoints: endpoints.ready.map((e) => e.pod),
    message: `service ${input.service} sends traffic to ${endpoints.ready.length} ${JSON.stringify(input.blueSelector)} pods`,
  };
}
