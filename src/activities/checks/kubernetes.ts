// Provider: the Kubernetes API. `podStatus` (runbook `kubectl get pods -l ...`: every pod Running
// and Ready, restarts under a maximum) and `logErrors` (runbook `kubectl logs ... | grep -i error
// | wc -l`, over the Deployment's current pods, only lines since the rollback).
import type { CheckOf } from '../../domain/schemas/verifyRollback.js';
import { countMatchingLines, reading, type CheckResult } from '../../domain/verification.js';
import type { KubeClient } from '../kubernetes/client.js';
import { createDeploymentActivities } from '../kubernetes/deployments.js';

const now = () => new Date().toISOString();

export function createKubernetesChecks(kube: () => KubeClient) {
  const { podStatus: readPods } = createDeploymentActivities(kube);

  async function podStatus(spec: CheckOf<'podStatus'>): Promise<CheckResult> {
    const expected = `every pod Running and Ready${spec.maxRestarts !== undefined ? `, <= ${spec.maxRestarts} restarts` : ''}`;
    const base = { check: 'podStatus', target: `${spec.namespace}/${spec.deployment}`, expected };
    let pods: Awaited<ReturnType<typeof readPods>>;
    try {
      pods = await readPods(spec);
    } catch (error) {
      return reading(base, 'unreadable', 'pods not readable', now(), { detail: (error as Error).message });
    }
    const observed = `${pods.ready}/${pods.total} ready, ${pods.running}/${pods.total} running, ${pods.restarts} restarts`;
    const healthy =
      pods.total > 0 &&
      pods.ready === pods.total &&
      pods.running === pods.total &&
      (spec.maxRestarts === undefined || pods.restarts <= spec.maxRestarts);
    const notReady = pods.pods.filter((p) => !p.ready).map((p) => `${p.name} (${p.phase})`);
    return reading(base, healthy ? 'passed' : 'failed', observed, now(), {
      value: pods.ready,
      detail: pods.total === 0 ? 'no pods' : notReady.length > 0 ? `not ready: ${notReady.join(', ')}` : undefined,
    });
  }

  async function logErrors(spec: CheckOf<'logErrors'>, at = new Date()): Promise<CheckResult> {
    const since = spec.since ?? new Date(at.getTime() - spec.sinceMinutes * 60_000).toISOString();
    const base = {
      check: 'logErrors',
      target: `${spec.namespace}/${spec.deployment} logs since ${since}`,
      expected: `<= ${spec.maxErrors} lines matching "${spec.pattern}" (case-insensitive)`,
    };
    let pods: Awaited<ReturnType<typeof readPods>>;
    try {
      pods = await readPods(spec);
    } catch (error) {
      return reading(base, 'unreadable', 'pods not readable', now(), { detail: (error as Error).message });
    }
    if (pods.pods.length === 0)
      return reading(base, 'unreadable', 'no pods', now(), { detail: 'no pods to read logs from' });
    let count = 0;
    const unreadable: string[] = [];
    const query = new URLSearchParams({ sinceTime: since.replace(/\.\d+Z$/, 'Z') });
    if (spec.container) query.set('container', spec.container);
    for (const pod of pods.pods) {
      try {
        const text = await kube().text(`/api/v1/namespaces/${spec.namespace}/pods/${pod.name}/log?${query.toString()}`);
        count += countMatchingLines(text, spec.pattern);
      } catch (error) {
        unreadable.push(`${pod.name}: ${(error as Error).message.slice(0, 200)}`);
      }
    }
    const read = pods.pods.length - unreadable.length;
    const observed = `${count} error lines in ${read} of ${pods.pods.length} pods`;
    // A pod whose logs cannot be read may hold the errors: only a count over every pod passes.
    if (count > spec.maxErrors) return reading(base, 'failed', observed, now(), { value: count });
    if (unreadable.length > 0) {
      return reading(base, 'unreadable', observed, now(), {
        value: count,
        detail: `logs not served: ${unreadable.join('; ')}`,
      });
    }
    return reading(base, 'passed', observed, now(), { value: count });
  }

  return { podStatus, logErrors };
}
