// podStatus and logErrors (docs/verification.md) on the real local control plane. The pods'
// logs are real `kubectl logs` output: kwok serves them from a file (test/support/podLogs.ts).
import { createCheckActivities } from '../../src/activities/checks/index.js';
import { lazyKubeClient } from '../../src/activities/kubernetes/index.js';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53Client } from '@aws-sdk/client-route-53';
import { checkInput } from '../../src/domain/schemas/verifyRollback.js';
import type { CheckResult } from '../../src/domain/verification.js';
import { runActivity } from '../support/activityContext.js';
import { deploymentManifest } from '../support/deployments.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { servePodLogs, type PodLogs } from '../support/podLogs.js';
import { waitFor } from '../support/ports.js';

let runCheck: (raw: Record<string, unknown>) => Promise<CheckResult>;
let namespace: string;
let logs: PodLogs | undefined;

beforeAll(async () => {
  const { kubeconfigPath } = await ensureCluster();
  const aws = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' };
  const { runVerificationCheck } = createCheckActivities({
    cloudwatch: new CloudWatchClient(aws),
    route53: new Route53Client(aws),
    kube: lazyKubeClient(kubeconfigPath),
  });
  runCheck = (raw) => runActivity(runVerificationCheck, checkInput.parse(raw));
}, 120_000);

beforeEach(async () => {
  namespace = await createTestNamespace('verify-checks');
});
afterEach(async () => {
  await logs?.remove();
  logs = undefined;
  await deleteTestNamespace(namespace);
});

async function deploy(name: string, labels: Record<string, string> = {}): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    namespace,
    input: JSON.stringify(deploymentManifest(name, 'registry.local/web:1.0', 2, labels)),
  });
}

async function podsRunning(name: string): Promise<string[]> {
  let pods: string[] = [];
  await waitFor(
    `2 running pods of ${name}`,
    async () => {
      const out = await kubectl(
        [
          'get',
          'pods',
          '-l',
          `app=${name}`,
          '-o',
          'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\n"}{end}',
        ],
        { namespace },
      );
      pods = out.split('\n').filter(Boolean);
      return pods.length === 2;
    },
    60_000,
  );
  return pods;
}

describe('podStatus', () => {
  test('every pod ready passes; pods that never become ready fail; a missing Deployment is unreadable', async () => {
    await deploy('web');
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s'], { namespace });
    expect(await runCheck({ check: 'podStatus', namespace, deployment: 'web' })).toMatchObject({
      status: 'passed',
      observed: '2/2 ready, 2/2 running, 0 restarts',
      target: `${namespace}/web`,
    });

    await deploy('stuck', { 'rollback-orchestrator.test/never-ready': 'true' });
    await podsRunning('stuck');
    const stuck = await runCheck({ check: 'podStatus', namespace, deployment: 'stuck' });
    expect(stuck).toMatchObject({ status: 'failed', observed: '0/2 ready, 2/2 running, 0 restarts' });
    expect(stuck.detail).toContain('not ready: stuck-');

    const missing = await runCheck({ check: 'podStatus', namespace, deployment: 'nope' });
    expect(missing).toMatchObject({ status: 'unreadable', passed: false });
  });
});

describe('logErrors on real kubectl logs', () => {
  test('counts error lines since the rollback as `kubectl logs | grep -i error | wc -l` does', async () => {
    const rollbackAt = new Date(Date.now() - 60_000);
    logs = await servePodLogs(namespace, [
      { at: new Date(rollbackAt.getTime() - 30_000), text: 'ERROR before the rollback: not counted' },
      { at: new Date(rollbackAt.getTime() + 1_000), text: 'GET /health 200' },
      { at: new Date(rollbackAt.getTime() + 2_000), text: 'served release 1.0', stream: 'stderr' },
    ]);
    await deploy('web');
    const [pod] = await podsRunning('web');
    const since = rollbackAt.toISOString();
    const check = { check: 'logErrors', namespace, deployment: 'web', since, maxErrors: 0 };

    const clean = await runCheck(check);
    expect(clean).toMatchObject({ status: 'passed', observed: '0 error lines in 2 of 2 pods', value: 0 });

    logs.append([
      { at: new Date(), text: 'Error: connection refused to orders-db' },
      { at: new Date(), text: 'level=error msg="payment failed"', stream: 'stderr' },
    ]);
    // The runbook's pipeline on one pod, through the real kubectl, for comparison.
    const text = await kubectl(['logs', pod!, `--since-time=${since}`], { namespace });
    const byKubectl = text.split('\n').filter((l) => /error/i.test(l)).length;
    expect(byKubectl).toBe(2);
    const dirty = await runCheck(check);
    expect(dirty).toMatchObject({ status: 'failed', observed: '4 error lines in 2 of 2 pods', value: 2 * byKubectl });
    expect(await runCheck({ ...check, maxErrors: 4 })).toMatchObject({ status: 'passed' });
  });

  test('pods that serve no logs are unreadable, never passed', async () => {
    await deploy('quiet');
    await podsRunning('quiet');
    const r = await runCheck({ check: 'logErrors', namespace, deployment: 'quiet' });
    expect(r).toMatchObject({ status: 'unreadable', passed: false, observed: '0 error lines in 0 of 2 pods' });
    expect(r.detail).toContain('logs not served');
  });
});
