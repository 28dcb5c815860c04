// The Temporal Web UI (the one bundled in .tools/bin/temporal) in headless Debian Chromium, driven
// by playwright-core as an on-call engineer would: start the demo's P1 incident from *Start
// Workflow*, see it wait with its current details, send `confirm` from the *Send a Signal* dialog,
// see it Completed, find it with RollbackSeverity="P1", and read the run's story on its page
// (static summary, current details, timer, activity and child summaries) without a query.
// Screenshots: test-output/browser/.
import type { DataConverter } from '@temporalio/common';
import type { Browser, Page } from 'playwright-core';
import { rollbackDataConverter } from '../../src/codec/index.js';
import { seedLambdaFunction } from '../../tools/demo/seedLambda.js';
import { incidentStaticSummary } from '../../src/domain/incident/summaries.js';
import { DEMO_INCIDENT_ID, demoIncidentInput } from '../../tools/local/demo.js';
import { statusQuery } from '../../src/workflows/incident/messages.js';
import { launchChromium, newPage, screenshot } from '../support/browser.js';
import { keysVariable, randomKey, startCodecServerProcess } from '../support/codec.js';
import { devServer, type DevServer } from '../support/devServer.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { freePort, waitFor } from '../support/ports.js';
import { workerPool, type WorkerPool } from '../support/processes.js';

const TASK_QUEUE = 'rollback';
/** Planning, a signal's round trip, the UI's own polling: slow on a busy 2-core machine. */
const SLOW = 60_000;

/**
 * How the Web UI test's servers are started. The codec case passes `--ui-codec-endpoint` in
 * `devServerArgs`, the keys in `workerEnv` and the client's `dataConverter`.
 */
interface WebUiStackOptions {
  /** The Web UI's port (the codec server's CORS origin must name it). */
  uiPort?: number;
  /** The test client's payload codec. */
  dataConverter?: DataConverter;
  /** More `temporal server start-dev` flags. */
  devServerArgs?: string[];
  /** More environment for the compiled worker process. */
  workerEnv?: NodeJS.ProcessEnv;
}

interface WebUiStack {
  /** The Web UI's base URL. */
  ui: string;
  server: DevServer;
  moto: MotoServer;
  workers: WorkerPool;
  stop(): Promise<void>;
}

/** The dev server with its Web UI, moto seeded with the demo Lambda, and the compiled worker. */
async function startWebUiStack(options: WebUiStackOptions = {}): Promise<WebUiStack> {
  const uiPort = options.uiPort ?? (await freePort());
  const [server, moto] = await Promise.all([
    devServer({
      uiPort,
      extraArgs: ['--ui-disable-news-fetch', ...(options.devServerArgs ?? [])],
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    }),
    startMoto(),
  ]);
  const ui = `http://127.0.0.1:${uiPort}`;
  await seedLambdaFunction(moto, demoIncidentInput().service);
  const workers = workerPool({
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    AWS_ENDPOINT_URL: moto.endpoint,
    ...options.workerEnv,
  });
  workers.start();
  await waitFor('the Web UI to answer', async () => (await fetch(ui)).ok, SLOW, 200);
  return {
    ui,
    server,
    moto,
    workers,
    async stop() {
      await workers.stopAll();
      await Promise.all([server.close(), moto.stop()]);
    },
  };
}

/** *Start Workflow*: id, task queue, type, the JSON input and a summary, as a person types them; ends on the run's page. */
async function startWorkflowFromUi(
  page: Page,
  ui: string,
  run: { workflowId: string; type: string; input: object; summary: string },
): Promise<void> {
  await page.goto(`${ui}/namespaces/default/workflows/start-workflow`);
  await page.locator('#workflowId').fill(run.workflowId);
  await page.locator('#taskQueue').fill(TASK_QUEUE);
  await page.locator('#workflowType').fill(run.type);
  const data = page.getByRole('textbox', { name: 'Data' });
  await data.click();
  await page.keyboard.insertText(JSON.stringify(run.input));
  // The JSON editor reformats on blur, which moves everything below it: blur before going on.
  await data.blur();
  await page.getByRole('button', { name: 'More options' }).click();
  const summary = page.locator('label[for="summary"] + div [role="textbox"]');
  await summary.click();
  await page.keyboard.insertText(run.summary);
  await summary.blur();
  await page.getByRole('button', { name: 'Start Workflow' }).click();
  // The toast links to the new run.
  await page.getByRole('link', { name: 'Workflow started successfully' }).click();
  await page.getByTestId('execution-status').waitFor();
}

/** *More Actions* -> *Send a Signal*: pick the signal by name, type its JSON, submit. */
async function sendSignalFromUi(page: Page, name: string, payload: object): Promise<void> {
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
  await dialog.getByTestId('signal-select-button').click();
  await dialog.getByRole('option', { name, exact: true }).click();
  const data = dialog.getByRole('textbox', { name: 'Data' });
  await data.click();
  await page.keyboard.insertText(JSON.stringify(payload));
  await data.blur();
  await dialog.getByTestId('confirm-modal-button').click();
  await dialog.waitFor({ state: 'hidden' });
}

async function openRun(page: Page, ui: string, workflowId: string): Promise<void> {
  await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  await page.getByTestId('execution-status').waitFor();
}

async function waitForStatus(page: Page, status: 'Running' | 'Completed'): Promise<void> {
  await page.getByTestId('execution-status').getByText(status, { exact: true }).waitFor({ timeout: SLOW });
}

/** The run's page shows its input (decoded, when a codec is configured). */
async function expectInputShown(page: Page): Promise<void> {
  await page.getByText('"errorRatePct": 12').first().waitFor();
}

/** The *User Metadata* tab: the static summary and the current details, each rendered in its own frame. */
async function openUserMetadata(page: Page) {
  await page.getByRole('tab', { name: 'User Metadata' }).click();
  return {
    summary: page.frameLocator('#user-metadata-summary'),
    details: page.frameLocator('#user-metadata-current-details'),
  };
}

let stack: WebUiStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebUiStack(), launchChromium()]);
  page = await newPage(browser);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const input = demoIncidentInput();
const summary = incidentStaticSummary(input);

test('the demo P1 started from Start Workflow waits, is confirmed from the signal dialog, completes, and is found by RollbackSeverity="P1"', async () => {
  expect(summary).toBe('P1 checkout-api production: errors 12% > 5%');
  await startWorkflowFromUi(page, stack.ui, {
    workflowId: DEMO_INCIDENT_ID,
    type: 'incidentRollback',
    input,
    summary,
  });

  // Waiting: the UI shows it Running and its details say what for. The client only tells the
  // test when to look (the details are read when the tab opens).
  const handle = stack.server.client.workflow.getHandle(DEMO_INCIDENT_ID);
  await waitFor(
    'the incident to wait for confirmation',
    async () => (await handle.query(statusQuery)).phase === 'awaiting-confirmation',
    SLOW,
    200,
  );
  await openRun(page, stack.ui, DEMO_INCIDENT_ID);
  await waitForStatus(page, 'Running');
  await expectInputShown(page);
  const waiting = await openUserMetadata(page);
  await waiting.details.getByText('P1 awaiting-confirmation').waitFor();
  await waiting.details.getByText('from anyone, not alertmanager (who asked for it)', { exact: false }).waitFor();
  await screenshot(page, 'incident-waiting');

  await sendSignalFromUi(page, 'confirm', { by: 'on-call' });
  await waitForStatus(page, 'Completed');
  await screenshot(page, 'incident-completed');
  expect(await handle.result()).toMatchObject({ severity: 'P1', outcome: 'rolled-back' });

  // The list, filtered as an on-call engineer would (visibility is eventually consistent).
  const query = 'RollbackSeverity="P1"';
  await waitFor('the incident in the visibility store', async () => {
    for await (const wf of stack.server.client.workflow.list({ query }))
      if (wf.workflowId === DEMO_INCIDENT_ID) return true;
    return false;
  });
  await page.goto(`${stack.ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  await page.getByRole('link', { name: DEMO_INCIDENT_ID, exact: true }).waitFor();
  await screenshot(page, 'workflows-rollback-severity-p1');
}, 240_000);

test("the run's page tells the story without a query: static summary, current details, timer, activity and child summaries", async () => {
  await openRun(page, stack.ui, DEMO_INCIDENT_ID);
  await waitForStatus(page, 'Completed');
  // The timeline names each timer, activity and child by what it is for.
  for (const text of [
    'SLA warning at 80% of the P1 deadline',
    'confirmation timeout: 5 min, then escalate',
    'notify log: confirmation-request',
    'plan lambdaAliasRollback checkout-api:production',
    'apply lambdaAliasRollback checkout-api:production: version 3 -> version 2',
  ]) {
    await page.getByText(text, { exact: false }).first().waitFor();
  }
  await screenshot(page, 'incident-timeline');

  const metadata = await openUserMetadata(page);
  await metadata.summary.getByText(summary).waitFor();
  await metadata.details.getByText('P1 rolled-back').waitFor();
  await metadata.details
    .getByText('lambdaAliasRollback checkout-api:production: version 3 -> version 2', { exact: false })
    .waitFor();
  await screenshot(page, 'incident-user-metadata');

  // The procedure's own run: its activity says what it changed, from and to.
  await openRun(page, stack.ui, `${DEMO_INCIDENT_ID}-1-lambdaAliasRollback`);
  await page.getByText('update alias checkout-api:production 3 -> 2', { exact: false }).first().waitFor();
  await screenshot(page, 'procedure-timeline');
});

test('with payloads encrypted, the history holds ciphertext and the UI shows the input decoded through the codec server', async () => {
  const keys = [randomKey('browser-test')];
  const uiPort = await freePort();
  const codec = await startCodecServerProcess({
    ROLLBACK_CODEC_KEYS: keysVariable(keys),
    ROLLBACK_CODEC_CORS_ORIGIN: `http://127.0.0.1:${uiPort},http://localhost:${uiPort}`,
  });
  const encrypted = await startWebUiStack({
    uiPort,
    devServerArgs: ['--ui-codec-endpoint', codec.url],
    workerEnv: { ROLLBACK_CODEC_KEYS: keysVariable(keys) },
    dataConverter: rollbackDataConverter(keys),
  });
  const codecPage = await newPage(browser);
  try {
    const workflowId = `${DEMO_INCIDENT_ID}-encrypted`;
    const handle = await encrypted.server.client.workflow.start('incidentRollback', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
    });
    await waitFor(
      'the encrypted incident to wait for confirmation',
      async () => (await handle.query(statusQuery)).phase === 'awaiting-confirmation',
      SLOW,
      200,
    );
    // What the server stores: the input under the codec's encoding, not the JSON.
    const history = await handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const stored = started?.input?.payloads?.[0];
    expect(Buffer.from(stored?.metadata?.encoding ?? new Uint8Array()).toString()).toBe('binary/encrypted');
    expect(Buffer.from(stored?.data ?? new Uint8Array()).toString('latin1')).not.toContain('errorRatePct');

    await openRun(codecPage, encrypted.ui, workflowId);
    await waitForStatus(codecPage, 'Running');
    await expectInputShown(codecPage);
    await screenshot(codecPage, 'incident-input-decoded');
    await handle.terminate('browser test done');
  } finally {
    await codecPage.close();
    await encrypted.stop();
    await codec.stop();
  }
}, 240_000);
