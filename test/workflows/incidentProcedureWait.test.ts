// Issue 9, defect 8 (incident side): a procedure waiting for a person (a destructive rung) is
// shown in the incident's status and announced, and a `confirm` sent to the incident is checked
// against its approvers and forwarded to the waiting child's own `confirm` signal. The child
// here is a real, slow RDS restore (moto through the slow-RDS launcher); the test sends the
// `procedureAwaiting` signal the Kubernetes ladder sends when it reaches a destructive rung.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { confirmUpdate } from '../../src/workflows/incident/messages.js';
import { procedureAwaitingSignal, procedureAwaitSettledSignal } from '../../src/workflows/support/procedureSignals.js';
import { entries, status } from '../support/incident.js';
import { waitFor } from '../support/ports.js';
import { startRestoreTestbed, type RestoreTestbed } from '../support/restoreTestbed.js';

let t: RestoreTestbed;

beforeAll(async () => {
  t = await startRestoreTestbed();
});
afterAll(async () => {
  await t?.stop();
});

test('a waiting procedure shows in status, is announced, and gets the approver-checked confirm', async () => {
  await t.resetRds(['orders-2026-11-20']);
  await t.moto.configure({ seconds: 3600, outcome: 'available', restoreResponseDelay: 0 });
  const incident = await t.env.client.workflow.start('incidentRollback', {
    taskQueue: t.taskQueue,
    workflowId: 'incident-procedure-wait',
    args: [
      {
        service: 'orders',
        environment: 'production',
        outage: true,
        approvers: ['bob'],
        procedures: [
          { type: 'rdsSnapshotRestore', input: { sourceInstanceId: 'orders-prod', targetInstanceId: 'orders-wait' } },
        ],
        reason: 'orders table corrupted',
        requestedBy: 'alertmanager',
      },
    ],
  });
  const childId = 'incident-procedure-wait-1-rdsSnapshotRestore';
  await waitFor('the restore to start', async () => (await entries(incident, 'procedure-started')).length === 1);

  const since = new Date().toISOString();
  await incident.signal(procedureAwaitingSignal, {
    workflowId: childId,
    step: 'scale to zero and back',
    timeoutSeconds: 600,
    since,
  });
  await waitFor('the wait in status', async () => (await status(incident)).procedures[0]?.awaiting !== undefined);
  const waiting = await status(incident);
  expect(waiting.phase).toBe('rolling-back');
  expect(waiting.currentStep).toContain('rdsSnapshotRestore orders-prod waits for confirm of "scale to zero and back"');
  expect(waiting.procedures[0]!.awaiting).toMatchObject({ step: 'scale to zero and back', timeoutSeconds: 600 });

  const refused = await incident.executeUpdate(confirmUpdate, { args: [{ by: 'mallory' }] }).catch((e: unknown) => e);
  expect((refused as WorkflowUpdateFailedError).cause?.message).toBe(
    'mallory is not an approver of this incident (approvers: bob)',
  );
  const receipt = await incident.executeUpdate(confirmUpdate, { args: [{ by: 'bob', notes: 'go' }] });
  expect(receipt).toMatchObject({ accepted: true, by: 'bob' });

  const child = t.env.client.workflow.getHandle(childId);
  let forwarded: unknown[] = [];
  await waitFor('the confirm on the child', async () => {
    const history = await child.fetchHistory();
    forwarded = (history.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'confirm',
    );
    return forwarded.length > 0;
  });
  expect(forwarded).toHaveLength(1);
  expect((await entries(incident, 'forwarded'))[0]).toMatchObject({
    by: 'bob',
    message: `confirm of "scale to zero and back" forwarded to ${childId}`,
  });
  expect((await entries(incident, 'refused')).map((e) => e.by)).toEqual(['mallory']);
  const announced = (await entries(incident, 'notified')).map((e) => e.message);
  expect(announced).toContain('procedure-confirmation-request sent to channel "log"');

  await incident.signal(procedureAwaitSettledSignal, {
    workflowId: childId,
    step: 'scale to zero and back',
    outcome: 'confirmed',
    by: 'bob',
  });
  await waitFor('the wait to clear', async () => (await status(incident)).procedures[0]?.awaiting === undefined);
  await t.moto.advance(3600);
  // No health source, and a restore without verification queries does not claim `verified`.
  expect(await incident.result()).toMatchObject({ outcome: 'rolled-back-unverified' });
});
