// Goals 1 and 2 of issue 13 on the local control plane, against kubectl in the same run.
//   Goal 1: an alert posted to the trigger -> the undo's patch seen on the Deployment (a watch).
//   Goal 2: an alert posted -> the incident's result (undo, rollout complete, verified), against
//           `kubectl rollout undo && kubectl rollout status` on a twin Deployment.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { incidentWorkflowId } from '../src/domain/schemas/incidentRollback.js';
import type { IncidentResult } from '../src/workflows/incident/types.js';
import { kubectlPath, type Cluster, type FirstChangeWatch } from './support/cluster.js';
import { BENCH_ENVIRONMENT, postAlerts } from './support/stack.js';

const execFileAsync = promisify(execFile);

/** A P0 the decision matrix rolls back at once: a complete outage. */
const outageAlert = (service: string) => ({
  labels: { alertname: 'ServiceDown', service, severity: 'P0' },
  annotations: { outage: 'true', summary: `${service} answers 500 on every request` },
});

async function timedKubectl(cluster: Cluster, args: string[]): Promise<number> {
  const started = performance.now();
  await execFileAsync(kubectlPath(cluster.root), ['--kubeconfig', cluster.kubeconfigPath, ...args], {
    timeout: 120_000,
  });
  return performance.now() - started;
}

export interface AlertToPatch {
  /** Alert sent -> the undo's patch seen on the Deployment, per incident. */
  latencies: number[];
  /** The trigger's answer time for the same posts. */
  triggerMs: number[];
  failures: string[];
}

/**
 * One P0 alert at a time; the next goes `gapMs` after the previous undo was seen, so earlier
 * incidents are still waiting for their rollout and verifying meanwhile, as on a real worker.
 */
export async function alertToFirstPatch(
  triggerUrl: string,
  watch: FirstChangeWatch,
  services: string[],
  gapMs = 100,
): Promise<AlertToPatch> {
  const result: AlertToPatch = { latencies: [], triggerMs: [], failures: [] };
  for (const service of services) {
    const changed = watch.changed(service);
    const posted = await postAlerts(triggerUrl, [outageAlert(service)]);
    result.triggerMs.push(posted.ms);
    if (posted.status !== 202) {
      result.failures.push(`${service}: trigger answered ${posted.status}`);
      changed.catch(() => undefined);
      continue;
    }
    try {
      result.latencies.push((await changed) - posted.sentAt);
    } catch (error) {
      result.failures.push(error instanceof Error ? error.message : String(error));
    }
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return result;
}

export interface EndToEnd {
  incidentMs: number[];
  /** The same incidents' alert -> first patch (goal 1's figure without background load). */
  incidentFirstPatchMs: number[];
  kubectlMs: number[];
  /** `kubectl rollout undo` alone, as a process. */
  kubectlUndoMs: number[];
  failures: string[];
  /** The last incident's service and when its alert was sent (epoch ms), for the breakdown. */
  last?: { service: string; sentAtEpochMs: number };
}

/** Incident i, then kubectl on twin i, alternating so a busy moment of the machine hits both. */
export async function endToEnd(
  cluster: Cluster,
  client: Client,
  triggerUrl: string,
  watch: FirstChangeWatch,
  namespace: string,
  pairs: { incident: string; kubectl: string }[],
): Promise<EndToEnd> {
  const result: EndToEnd = { incidentMs: [], incidentFirstPatchMs: [], kubectlMs: [], kubectlUndoMs: [], failures: [] };
  for (const pair of pairs) {
    const changed = watch.changed(pair.incident);
    const posted = await postAlerts(triggerUrl, [outageAlert(pair.incident)]);
    if (posted.status !== 202) {
      result.failures.push(`${pair.incident}: trigger answered ${posted.status}`);
      changed.catch(() => undefined);
    } else {
      const handle = client.workflow.getHandle(incidentWorkflowId(BENCH_ENVIRONMENT, pair.incident));
      const outcome = (await handle.result()) as IncidentResult;
      const done = performance.now();
      result.last = { service: pair.incident, sentAtEpochMs: performance.timeOrigin + posted.sentAt };
      if (outcome.outcome === 'rolled-back') {
        result.incidentMs.push(done - posted.sentAt);
        result.incidentFirstPatchMs.push((await changed) - posted.sentAt);
      } else {
        result.failures.push(`${pair.incident}: incident closed ${outcome.outcome}`);
      }
    }

    const target = `deployment/${pair.kubectl}`;
    const undoMs = await timedKubectl(cluster, ['-n', namespace, 'rollout', 'undo', target]);
    const statusMs = await timedKubectl(cluster, ['-n', namespace, 'rollout', 'status', target, '--timeout=120s']);
    result.kubectlUndoMs.push(undoMs);
    result.kubectlMs.push(undoMs + statusMs);
  }
  return result;
}

/**
 * Where one incident's time went (BENCH_BREAKDOWN=1): every history event of the incident and of
 * the children it started (and theirs), in ms after the alert was sent, one line each.
 */
export async function incidentBreakdown(client: Client, service: string, sentAtEpochMs: number): Promise<string[]> {
  const lines: string[] = [];
  const queue = [incidentWorkflowId(BENCH_ENVIRONMENT, service)];
  while (queue.length > 0) {
    const workflowId = queue.shift()!;
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    for (const event of history.events ?? []) {
      const at = tsToMs(event.eventTime) - sentAtEpochMs;
      const type = proto.temporal.api.enums.v1.EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? '?';
      const detail =
        event.activityTaskScheduledEventAttributes?.activityType?.name ??
        event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ??
        event.markerRecordedEventAttributes?.markerName ??
        event.timerStartedEventAttributes?.timerId ??
        '';
      const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (child) queue.push(child);
      lines.push(`${at.toFixed(0).padStart(6)} ms  ${workflowId.padEnd(40)} ${type} ${detail}`);
    }
  }
  return lines.sort((a, b) => Number(a.split(' ms')[0]) - Number(b.split(' ms')[0]));
}
