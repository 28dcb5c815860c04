// Runbook "Canary Rollback": remove the canary routing from the Ingress, delete the canary
// Deployment, and verify that all traffic goes to the stable Service.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { canaryRollbackInput } from '../domain/schemas/kubernetes.js';
import { cloudApiCall } from './support/activityOptions.js';
import { asProcedure, procedureFailure } from './support/failures.js';
import { parseInput } from './support/input.js';
import { trackProgress } from './support/progress.js';

const k8s = proxyActivities<Activities>(cloudApiCall);

export interface CanaryRollbackResult {
  namespace: string;
  dryRun: boolean;
  routing: string;
  canaryDeploymentDeleted: boolean;
  /** Services each Ingress routes to after the rollback. */
  ingresses: { name: string; canary: boolean; services: string[] }[];
  message: string;
}

export async function canaryRollback(rawInput: unknown): Promise<CanaryRollbackResult> {
  return asProcedure(() => removeCanary(rawInput));
}

async function removeCanary(rawInput: unknown): Promise<CanaryRollbackResult> {
  const input = parseInput(canaryRollbackInput, rawInput, 'canaryRollback');
  const { namespace } = input;
  const progress = trackProgress();

  if (input.dryRun) {
    const [routing, canary] = await Promise.all([
      k8s.ingressRouting({ namespace }),
      k8s.deploymentReplicas({ namespace, deployment: input.canaryDeployment }),
    ]);
    return {
      namespace,
      dryRun: true,
      routing: 'unchanged',
      canaryDeploymentDeleted: false,
      ingresses: routing.ingresses,
      message: `dry run: would remove routing to "${input.canaryService}" from ingress "${input.ingress}"${canary.exists ? ` and delete deployment "${input.canaryDeployment}" (${canary.replicas} replicas)` : ''}`,
    };
  }

  // 1. Remove canary traffic routing.
  progress.step('remove canary routing');
  const removed = await k8s.removeCanaryRouting({
    namespace,
    ingress: input.ingress,
    canaryService: input.canaryService,
  });

  // 2. Delete the canary Deployment.
  progress.step('delete canary deployment');
  const deleted = await k8s.deleteDeployment({ namespace, deployment: input.canaryDeployment });

  // 3. Verify all traffic is on stable: no Ingress routes to the canary, and stable is routed to.
  progress.step('verify');
  const routing = await k8s.ingressRouting({ namespace });
  const stillCanary = routing.ingresses.filter((i) => i.canary || i.services.includes(input.canaryService));
  if (stillCanary.length > 0 || !routing.ingresses.some((i) => i.services.includes(input.stableService))) {
    throw procedureFailure(
      'VerificationFailed',
      `kubernetes: traffic is not all on "${input.stableService}" after the canary rollback: ${JSON.stringify(routing.ingresses)}`,
    );
  }
  return {
    namespace,
    dryRun: false,
    routing: removed.action,
    canaryDeploymentDeleted: deleted.deleted,
    ingresses: routing.ingresses,
    message: `all ingress traffic in "${namespace}" goes to "${input.stableService}"`,
  };
}
