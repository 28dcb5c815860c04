// helmReleaseRollback from the compiled rollbackctl (issue 11: each procedure runs from the CLI,
// dry run and for real), against the real helm CLI on the local Kubernetes control plane: the dry
// run shows the plan and its pin and leaves `helm history` as it was; the pinned run rolls back.
import type { HelmReleaseRollbackResult } from '../../src/workflows/helmReleaseRollback.js';
import { runProcedure, startCliServer, type CliServer } from '../support/ctl.js';
import { history, historyRows, releaseWithFailedUpgrade } from '../support/helm.js';
import { createTestNamespace, deleteTestNamespace, ensureCluster, kubectl } from '../support/kubernetes.js';
import { configFor } from '../support/temporal.js';
import { toolPath } from '../support/tools.js';

let server: CliServer;
let namespace: string;

beforeAll(async () => {
  const { kubeconfigPath } = await ensureCluster();
  server = await startCliServer(
    configFor('http://127.0.0.1:1', { KUBECONFIG: kubeconfigPath, HELM_BIN: toolPath('helm') }),
  );
  namespace = await createTestNamespace('helm-cli');
});
afterAll(async () => {
  if (namespace) await deleteTestNamespace(namespace);
  await server?.stop();
});

const imageOf = (release: string) =>
  kubectl(['get', `deployment/${release}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], { namespace });

test('rollbackctl runs helmReleaseRollback: a dry run changes nothing and shows the pin, the pinned run rolls back', async () => {
  // Revisions 1 (web:1.0) and 2 (web:1.1) deployed, 3 (web:1.2) a failed upgrade.
  await releaseWithFailedUpgrade(namespace, 'web');
  const before = await history(namespace, 'web');
  expect(before.map((h) => h.revision)).toEqual([1, 2, 3]);
  expect(before.at(-1)!.status).toBe('failed');
  const id = `helm-cli-${process.pid}`;

  const dry = await runProcedure<HelmReleaseRollbackResult>(server.ctl, 'helmReleaseRollback', `${id}-dry`, {
    namespace,
    release: 'web',
    dryRun: true,
  });
  expect(dry.status).toMatchObject({ workflowType: 'helmReleaseRollback' });
  expect(dry.status.result).toMatchObject({
    dryRun: true,
    changed: false,
    verified: false,
    fromRevision: 3,
    toRevision: 2,
    from: 'revision 3 (failed)',
    to: 'revision 2 (deployed)',
    pin: { currentRevision: 3, toRevision: 2 },
    message: `dry run: would run helm rollback web 2 -n ${namespace} --wait --timeout 300s (from revision 3 to 2)`,
  });
  expect(dry.text).toContain(`result: dry run: would run helm rollback web 2 -n ${namespace}`);
  expect(dry.text).toContain('pin:    {"currentRevision":3,"toRevision":2}');
  // Nothing moved: the same revisions (times included), the failed upgrade still in place.
  expect(await history(namespace, 'web')).toEqual(before);
  expect(await imageOf('web')).toBe('registry.local/web:1.2');

  const real = await runProcedure<HelmReleaseRollbackResult>(server.ctl, 'helmReleaseRollback', `${id}-apply`, {
    namespace,
    release: 'web',
    pin: dry.status.result!.pin,
    timeoutSeconds: 60,
  });
  expect(real.status.result).toMatchObject({
    dryRun: false,
    changed: true,
    verified: true,
    fromRevision: 3,
    toRevision: 2,
    newRevision: 4,
    // Helm's own words, then the verdict of the natural podStatus check (issue 12).
    message: 'Rollback was a success! Happy Helming!; verification healthy: 1 of 1 checks passed',
    verification: { verdict: 'healthy', results: [expect.objectContaining({ check: 'podStatus', status: 'passed' })] },
  });
  expect(real.status).toMatchObject({ step: 'done' });
  expect(real.status.completed.map((c) => c.step)).toEqual(expect.arrayContaining(['history', 'rollback', 'status']));
  expect(real.watched).toMatch(/^\[done\] /m);
  // helm itself: revision 4 is the rollback to 2, deployed, and the Deployment runs web:1.1 again.
  const rows = await historyRows(namespace, 'web');
  expect(rows).toHaveLength(4);
  expect(rows.at(-1)).toEqual([4, 'deployed', 'Rollback to 2']);
  expect(await imageOf('web')).toBe('registry.local/web:1.1');
});
