// Runbook "Canary Rollback": remove the canary routing from the Ingress, delete the canary
// Deployment, and verify that all traffic goes to the stable Service. The plan pins where the
// Ingress routes; an apply given the pin refuses an Ingress whose routing moved (TargetChanged).
import { proxyActivities } from '@temporalio/workflow';
import type { KubernetesActivities } from '../activities/types.js';
import type { ProcedureResult } from '../domain/procedures/contract.js';
import {
  canaryPin,
  canaryRollbackInput,
  type CanaryPin,
  type CanaryRollbackInput,
} from '../domain/schemas/kubernetes.js';
import { stableJson } from '../domain/textDiff.js';
import { cloudApiCall } from './support/activityOptions.js';
import { procedureFailure } from './support/failures.js';
import { runProcedure, type ProcedureStart } from './support/procedure.js';
import { verifyAfter } from './support/verifyAfter.js';

const k8s = proxyActivities<KubernetesActivities>(cloudApiCall);

export interface CanaryRollbackResult extends ProcedureResult {
  namespace: string;
  routing: string;
  canaryDeploymentDeleted: boolean;
  /** Services each Ingress routes to after the rollback. */
  ingresses: { name: string; canary: boolean; services: string[] }[];
  pin?: CanaryPin;
}

export async function canaryRollback(rawInput: unknown): Promise<CanaryRollbackResult> {
  const spec = { workflowType: 'canaryRollback', input: canaryRollbackInput, pin: canaryPin };
  return runProcedure(rawInput, spec, removeCanary);
}

async function removeCanary({
  input,
  pin,
  progress,
}: ProcedureStart<CanaryRollbackInput, CanaryPin>): Promise<CanaryRollbackResult> {
  const { namespace } = input;
  const describe = (r: { exists: boolean; services: string[] }) =>
    r.exists ? `ingress/${input.ingress} routes to [${r.services.join(', ')}]` : `ingress/${input.ingress} absent`;

  progress.step('plan');
  const ingress = await k8s.readIngressRouting({ namespace, ingress: input.ingress });
  const from = describe(ingress);
  const to = `no ingress routes to "${input.canaryService}"; all traffic on "${input.stableService}"`;
  if (input.dryRun) {
    const [routing, canary] = await Promise.all([
      k8s.ingressRouting({ namespace }),
      k8s.deploymentReplicas({ namespace, deployment: input.canaryDeployment }),
    ]);
    return {
      namespace,
      dryRun: true,
      changed: false,
      verified: false,
      from,
      to,
      pin: { ingress },
      routing: 'unchanged',
      canaryDeploymentDeleted: false,
      ingresses: routing.ingresses,
      message: `dry run: would remove routing to "${input.canaryService}" from ingress "${input.ingress}"${canary.exists ? ` and delete deployment "${input.canaryDeployment}" (${canary.replicas} replicas)` : ''}`,
    };
  }
  // An Ingress that no longer routes to the canary is where the apply would have left it.
  const routesToCanary = ingress.exists && (ingress.canary || ingress.services.includes(input.canaryService));
  if (pin && routesToCanary && stableJson(pin.ingress) !== stableJson(ingress)) {
    throw procedureFailure(
      'TargetChanged',
      `ingress/${input.ingress} moved since the plan: it was ${describe(pin.ingress)}, now ${describe(ingress)}; plan again`,
    );
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

  // 4. The input's checks. None natural: no Deployment was rolled or restarted (the canary's is
  //    gone, and the input names the stable Service, not its Deployment).
  const changed = removed.changed || deleted.deleted;
  const { verification, healthy, suffix } = await verifyAfter({
    changed,
    natural: [],
    given: input.verify,
    reason: `after removing canary "${input.canaryService}" from ingress/${input.ingress} in "${namespace}"`,
  });
  return {
    namespace,
    dryRun: false,
    changed,
    // No Ingress routes to the canary and one routes to stable; with checks, healthy.
    verified: healthy,
    ...(verification ? { verification } : {}),
    from,
    to,
    routing: removed.action,
    canaryDeploymentDeleted: deleted.deleted,
    ingresses: routing.ingresses,
    message: `all ingress traffic in "${namespace}" goes to "${input.stableService}"${suffix}`,
  };
}
