// What the Web UI reads without a query, on the dev server: rollbackctl starts the demo's P1
// incident (through startOrSignalIncident, as the trigger does) with its static summary; the
// incident keeps its current details up to date (the `__temporal_workflow_metadata` query the UI
// calls); its timers, activities and children carry summaries in the event history.
import type { WorkflowHandle } from '@temporalio/client';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { demoIncidentInput } from '../../tools/local/demo.js';
import { confirmUpdate } from '../../src/workflows/incident/messages.js';
import { startCliServer, type CliServer } from '../support/ctl.js';
import { waitForPhase } from '../support/incident.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { waitFor } from '../support/ports.js';
import { configFor } from '../support/temporal.js';
import { eventSummaries as summaries } from '../support/userMetadata.js';

let moto: MotoServer;
let server: CliServer;

beforeAll(async () => {
  moto = await startMoto();
  await seedLambdaFunction(moto, 'checkout-api');
  server = await startCliServer(configFor(moto.endpoint));
});
afterAll(async () => {
  await server?.stop();
  await moto?.stop();
});

async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

test('an incident started by rollbackctl carries its summary, keeps its details current and names its timers, activities and children', async () => {
  const input = demoIncidentInput();
  const started = await server.ctl('start', '--input', JSON.stringify(input), '--json');
  expect(started).toMatchObject({ code: 0 });
  const handle = server.env.client.workflow.getHandle(JSON.parse(started.stdout).workflowId as string);

  expect(await (await handle.describe()).staticSummary()).toBe('P1 checkout-api production: errors 12% > 5%');

  await waitForPhase(handle, 'awaiting-confirmation');
  const waiting = await waitFor('the details of the wait', async () => {
    const details = await currentDetails(handle);
    return details.includes('Waiting for') && details;
  });
  expect(waiting).toContain('**P1 awaiting-confirmation** checkout-api production (errors 12% > 5%)');
  expect(waiting).toMatch(/- \*\*Deadline\*\* \S+Z: \d+ min left \(as of \d\d:\d\d:\d\dZ\)/);
  expect(waiting).toContain('- **Waiting for** `confirm` or `reject` from anyone, not alertmanager (who asked for it)');
  expect(waiting).toContain('- **Plan** lambdaAliasRollback checkout-api:production: version 3 -> version 2 (pinned)');

  const whileWaiting = await summaries(handle);
  expect(whileWaiting).toEqual(
    expect.arrayContaining([
      'startChildWorkflowExecutionInitiated: plan lambdaAliasRollback checkout-api:production',
      'timerStarted: SLA warning at 80% of the P1 deadline',
      'timerStarted: confirmation timeout: 5 min, then escalate',
      'activityTaskScheduled: notify log: confirmation-request',
    ]),
  );

  await handle.executeUpdate(confirmUpdate, { args: [{ by: 'on-call' }] });
  expect(await handle.result()).toMatchObject({ outcome: 'rolled-back' });
  const done = await currentDetails(handle);
  expect(done).toContain('**P1 rolled-back**');
  expect(done).toContain('- **Procedure succeeded** lambdaAliasRollback checkout-api:production');
  expect(done).not.toContain('Waiting for');

  expect(await summaries(handle)).toContain(
    'startChildWorkflowExecutionInitiated: apply lambdaAliasRollback checkout-api:production: version 3 -> version 2',
  );
  const apply = server.env.client.workflow.getHandle(`${handle.workflowId}-1-lambdaAliasRollback`);
  expect(await (await apply.describe()).staticSummary()).toBe(
    'apply lambdaAliasRollback checkout-api:production: version 3 -> version 2',
  );
  expect(await summaries(apply)).toContain('activityTaskScheduled: update alias checkout-api:production 3 -> 2');
});

test('a procedure started by rollbackctl is summarised by its target', async () => {
  const started = await server.ctl(
    'start',
    '--type',
    'lambdaAliasRollback',
    '--input',
    JSON.stringify({ functionName: 'checkout-api', dryRun: true, reason: 'look first', requestedBy: 'alice' }),
    '--json',
  );
  expect(started).toMatchObject({ code: 0 });
  const handle = server.env.client.workflow.getHandle(JSON.parse(started.stdout).workflowId as string);
  await handle.result();
  expect(await (await handle.describe()).staticSummary()).toBe('dry run: lambdaAliasRollback checkout-api:production');
});
