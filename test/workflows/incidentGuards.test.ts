// Issue 9, incident side: each defect reproduced on the time-skipping server with real Lambda
// rollbacks in moto and real webhooks. The incident must never make things worse: it checks
// every input before it announces anything, never counts a dry run as a rollback, never lets a
// stated severity hide an outage, decides "restored" from readings, bounds every wait and keeps
// paging, checks every human input against its approvers, and keeps webhook URLs out of its
// history.
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  abortSignal,
  alertSignal,
  confirmUpdate,
  escalateSignal,
  investigationResultSignal,
} from '../../src/workflows/incident/messages.js';
import type { IncidentResult } from '../../src/workflows/incident/types.js';
import { aliasVersion } from '../support/aws.js';
import {
  entries,
  healthMonitoring,
  p1Input,
  status,
  timeline,
  useIncidentHarness,
  waitForPhase,
  type IncidentHarness,
} from '../support/incident.js';
import { freePort } from '../support/ports.js';

let h: IncidentHarness;
useIncidentHarness((started) => (h = started));

const MIN = 60_000;

afterEach(() => {
  h.receiver.setErrorRatio(0);
  h.receiver.setP95Ms(undefined);
});

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return (error as WorkflowFailedError).cause as ApplicationFailure;
}

const pages = (fn: string, kind: string) =>
  h.receiver.posted<{ kind: string; text: string }>(`/escalation/${fn}`).filter((m) => m.kind === kind);
const slackTexts = (fn: string) => h.receiver.posted<{ text: string }>(`/slack/${fn}`).map((m) => m.text);

describe('defect 1: a re-fired alert does not roll the rollback back', () => {
  test('the same P0 incident started again asks a person and pages, changing nothing', async () => {
    const fn = await h.seedFunction();
    // The time-skipping server may jump to the first incident's follow-up timer (1 hour) before
    // the second one starts, so the window is wider than that jump; the rule is the same.
    const input = p1Input(h.receiver.url, fn, { errorRatePct: undefined, outage: true, refireWindowMinutes: 180 });
    const first = await h.start(input, `refire-${fn}`);
    expect(await first.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(await aliasVersion(h.moto, fn)).toBe('2');

    const again = await h.start({ ...input, confirmation: { onTimeout: 'rollback' } }, `refire-${fn}`);
    const waiting = await waitForPhase(again, 'awaiting-confirmation');
    expect(waiting.severity).toBe('P0');
    expect(waiting.refire).toMatch(
      new RegExp(`^lambdaAliasRollback ${fn}:production was rolled back at .+ \\(from version 3.*\\), still failing$`),
    );
    expect(waiting.procedures[0]!.plan).toMatchObject({ from: 'version 2', to: 'version 1' });
    expect(await aliasVersion(h.moto, fn)).toBe('2');
    const paged = pages(fn, 'escalation').filter((m) => m.text.includes('still failing'));
    expect(paged).toHaveLength(1);
    const request = h.receiver
      .posted<{ text: string }>(`/slack/${fn}`)
      .map((m) => m.text)
      .filter((t) => t.startsWith('*🟠 ROLLBACK NEEDS CONFIRMATION*'))
      .at(-1)!;
    expect(request).toContain(`- lambdaAliasRollback ${fn}:production: version 2 -> version 1`);
    expect(request).toContain('*Already rolled back:*');

    // Even the "rollback" no-answer policy does not act on a re-fired alert.
    await h.env.sleep(7.5 * MIN);
    expect((await status(again)).phase).toBe('awaiting-confirmation');
    await again.signal(abortSignal, { by: 'ic-alice', reason: 'investigating release 2 instead' });
    expect(await again.result()).toMatchObject({ outcome: 'aborted' });
    expect(await aliasVersion(h.moto, fn)).toBe('2');
  });

  test('the P1 confirmation request and status carry the plan; the apply moves exactly the planned versions', async () => {
    const fn = await h.seedFunction();
    const handle = await h.start(p1Input(h.receiver.url, fn, { confirmation: { onTimeout: 'rollback' } }));
    const waiting = await waitForPhase(handle, 'awaiting-confirmation');
    expect(waiting.procedures[0]).toMatchObject({
      status: 'planned',
      plan: { from: 'version 3', to: 'version 2', pin: { fromVersion: '3', toVersion: '2' } },
    });
    expect(waiting.refire).toBeUndefined();
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back' });
    expect(contractTo(result)).toBe('version 2');
  });
});

test('a target moved by hand after the plan fails the apply with TargetChanged, pages, and moves nothing', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn));
  await waitForPhase(handle, 'awaiting-confirmation');
  // Someone deploys version 1 by hand while the approver reads the plan (3 -> 2).
  const client = new LambdaClient({ endpoint: h.moto.endpoint, region: h.moto.region });
  await client.send(new UpdateAliasCommand({ FunctionName: fn, Name: 'production', FunctionVersion: '1' }));
  client.destroy();
  await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] });
  const cause = await failure(handle.result());
  expect(cause.type).toBe('TargetChanged');
  expect(cause.message).toContain(`lambdaAliasRollback ${fn}:production changed since it was planned`);
  expect(await aliasVersion(h.moto, fn)).toBe('1');
  expect((await status(handle)).phase).toBe('rollback-failed');
  expect(pages(fn, 'rollback-failed')).toHaveLength(1);
});

const contractTo = (r: IncidentResult) => (r.procedures[0]!.result as { to?: string } | undefined)?.to;

describe('defect 6: inputs are checked before anything is announced; a dry run is never a rollback', () => {
  test('a bad procedure input fails at once, naming its path, with nothing announced or changed', async () => {
    const fn = await h.seedFunction();
    const input = p1Input(h.receiver.url, fn, {
      errorRatePct: undefined,
      outage: true,
      procedures: [
        { type: 'lambdaAliasRollback', input: { functionName: fn } },
        { type: 'lambdaAliasRollback', input: { alias: 'production' } },
      ],
    });
    const cause = await failure((await h.start(input)).result());
    expect(cause.type).toBe('InvalidInput');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toBe('incidentRollback: invalid input: procedures[1].input.functionName: Required');
    expect(slackTexts(fn)).toEqual([]);
    expect(await aliasVersion(h.moto, fn)).toBe('3');
  });

  test('"dryRun" inside a procedure is refused with a clear message', async () => {
    const fn = await h.seedFunction();
    const input = p1Input(h.receiver.url, fn, {
      errorRatePct: undefined,
      outage: true,
      procedures: [{ type: 'lambdaAliasRollback', input: { functionName: fn, dryRun: true } }],
    });
    const cause = await failure((await h.start(input)).result());
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toContain('procedures[0].input.dryRun: not allowed inside an incident');
    expect(slackTexts(fn)).toEqual([]);
  });

  test('an incident-level dryRun plans every procedure, changes nothing and closes "dry-run"', async () => {
    const fn = await h.seedFunction();
    const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, outage: true, dryRun: true }));
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ severity: 'P0', outcome: 'dry-run' });
    expect(result.procedures[0]).toMatchObject({ status: 'planned', target: `lambdaAliasRollback ${fn}:production` });
    expect(result.procedures[0]!.plan).toMatchObject({ from: 'version 3', to: 'version 2' });
    expect(result.procedures[0]!.plan?.message).toContain('from version 3 to 2');
    expect(await aliasVersion(h.moto, fn)).toBe('3');
    expect(await entries(handle, 'procedure-started')).toHaveLength(0);
    const checklist = (await timeline(handle)).filter((e) => e.message.includes('Rollback command executed'));
    expect(checklist).toHaveLength(0);
  });
});

test('defect 7: an explicit P3 with an observed outage is a P0 and rolls back', async () => {
  const fn = await h.seedFunction();
  const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, severity: 'P3', outage: true }));
  expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
  expect(await aliasVersion(h.moto, fn)).toBe('2');
  expect((await entries(handle, 'assessed'))[0]?.message).toContain('complete outage (worse than the given P3)');
});

describe('defect 2: "restored" is decided from readings', () => {
  test('errors still at 60% after the rollback close "rolled-back-unhealthy", page, and say what was measured', async () => {
    const fn = await h.seedFunction();
    h.receiver.setErrorRatio(0.6);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        outage: true,
        monitoring: healthMonitoring(h.receiver.url),
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unhealthy', verification: { verdict: 'unhealthy' } });
    expect(await aliasVersion(h.moto, fn)).toBe('2');
    const complete = slackTexts(fn).find((t) => t.startsWith('*✅ ROLLBACK COMPLETE*'))!;
    expect(complete).toContain(
      '*Status:* Rolled back, service still unhealthy: not 3 readings in a row with errors < 1%',
    );
    expect(complete).toContain('- Health checks: ❌ Failing');
    expect(complete).toContain('- Error rate: 60%');
    expect(pages(fn, 'escalation').some((m) => m.text.includes('rolled back, but unhealthy'))).toBe(true);
    const checklist = await entries(handle, 'checklist');
    expect(checklist.some((e) => e.message.includes('Health checks passed'))).toBe(false);
  });

  test('an unreadable health source is "not verified", never passing, and pages', async () => {
    const fn = await h.seedFunction();
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        outage: true,
        monitoring: { errorRate: { type: 'healthUrl', url: `${h.receiver.url}/no-ratio-here` } },
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unverified', verification: { verdict: 'unverified' } });
    const complete = slackTexts(fn).find((t) => t.startsWith('*✅ ROLLBACK COMPLETE*'))!;
    expect(complete).toContain('*Status:* Rolled back, not verified: no reading could be taken in 10 minutes');
    expect(complete).not.toContain('Passing');
    expect(pages(fn, 'escalation').some((m) => m.text.includes('rolled back, but unverified'))).toBe(true);
  });

  test('three readings in a row below 1% close "rolled-back" with the readings named', async () => {
    const fn = await h.seedFunction();
    h.receiver.setErrorRatio(0.002);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        outage: true,
        monitoring: healthMonitoring(h.receiver.url),
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back', verification: { verdict: 'healthy' } });
    expect(result.verification!.detail).toBe('3 readings in a row with errors < 1%: 0.2%, 0.2%, 0.2%');
  });
});

describe('latency incidents are verified and monitored on latency', () => {
  const latencyMonitoring = (url: string) => ({
    errorRate: { type: 'healthUrl', url: `${url}/health` },
    latency: { type: 'healthUrl', url: `${url}/health`, thresholdMs: 300 },
  });

  test('a latency incident still slow after its rollback closes "rolled-back-unhealthy" and says the latency', async () => {
    const fn = await h.seedFunction();
    h.receiver.setP95Ms(900);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        latencyDegradationPct: 80,
        monitoring: latencyMonitoring(h.receiver.url),
      }),
    );
    await waitForPhase(handle, 'awaiting-investigation');
    await handle.signal(investigationResultSignal, { rollback: true, by: 'erin' });
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back-unhealthy', verification: { latencyMs: 900 } });
    const complete = slackTexts(fn).find((t) => t.startsWith('*✅ ROLLBACK COMPLETE*'))!;
    expect(complete).toContain('- Latency: 900 ms');
    expect(complete).toContain('latency < 300 ms');
  });

  test('P2 monitoring escalates to the P1 investigation when the latency doubles', async () => {
    const fn = await h.seedFunction();
    h.receiver.setP95Ms(320);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        latencyDegradationPct: 10,
        monitoring: latencyMonitoring(h.receiver.url),
      }),
    );
    await waitForPhase(handle, 'monitoring');
    h.receiver.setP95Ms(700);
    await h.env.sleep(7.5 * MIN);
    const escalated = await waitForPhase(handle, 'awaiting-investigation');
    expect(escalated).toMatchObject({ severity: 'P1', action: 'rollback-after-investigation' });
    expect((await entries(handle, 'severity-changed'))[0]!.message).toContain('latency 700 ms, 133.33% over 300 ms');
    await handle.signal(abortSignal, { by: 'ic-alice' });
    expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
  });
});

describe('defect 3: P2 monitoring sees an outage', () => {
  test('a health URL that stops answering 3 times in a row is a complete outage: P0, rolled back', async () => {
    const fn = await h.seedFunction();
    const port = await freePort();
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: 0.4,
        monitoring: { errorRate: { type: 'healthUrl', url: `http://127.0.0.1:${port}/health` }, intervalMinutes: 5 },
      }),
    );
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back-unverified' });
    expect(await aliasVersion(h.moto, fn)).toBe('2');
    const [change] = await entries(handle, 'severity-changed');
    expect(change!.message).toContain('P2 -> P0');
    expect(change!.message).toContain('3 failed probes in a row');
  });

  test('a 100% error reading is a complete outage (P0), not P1', async () => {
    const fn = await h.seedFunction();
    h.receiver.setErrorRatio(0.003);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, { errorRatePct: 0.3, monitoring: healthMonitoring(h.receiver.url, 5) }),
    );
    await waitForPhase(handle, 'monitoring');
    h.receiver.setErrorRatio(1);
    await h.env.sleep(7.5 * MIN);
    const result: IncidentResult = await handle.result();
    expect(result).toMatchObject({ severity: 'P0', outcome: 'rolled-back-unhealthy' });
    expect((await entries(handle, 'severity-changed'))[0]!.message).toContain('P2 -> P0');
  });
});

describe('defect 4: every wait is bounded and keeps paging', () => {
  test('an unanswered investigation escalates at its timeout and is paged again every 5 minutes', async () => {
    const fn = await h.seedFunction();
    const handle = await h.start(p1Input(h.receiver.url, fn, { errorRatePct: undefined, latencyDegradationPct: 80 }));
    await waitForPhase(handle, 'awaiting-investigation');
    await h.env.sleep(32.5 * MIN);
    const first = pages(fn, 'escalation').filter((m) => m.text.includes('no investigation result within 30 minutes'));
    expect(first).toHaveLength(1);
    await h.env.sleep(5 * MIN);
    const again = pages(fn, 'escalation').filter((m) => m.text.includes('no investigation result within 30 minutes'));
    expect(again).toHaveLength(2);
    expect(again[1]!.text).toContain('page 2: still unanswered');
    // The SLA breach at the same deadline is paged again too.
    expect(pages(fn, 'sla-breach').length).toBeGreaterThanOrEqual(2);
    expect((await status(handle)).phase).toBe('awaiting-investigation');
    await handle.signal(abortSignal, { by: 'ic-alice', reason: 'test over' });
    expect(await handle.result()).toMatchObject({ outcome: 'aborted' });
  });
  // The incident's one-hour limit with its 11 re-pages: test/workflows/fast/incidentTimers.test.ts.
});

describe('defect 5: approvers cannot be bypassed', () => {
  test('the requester cannot confirm their own rollback, and an outage alert pages but does not skip the confirmation', async () => {
    const fn = await h.seedFunction();
    const handle = await h.start(p1Input(h.receiver.url, fn, { requestedBy: 'alice', approvers: ['alice', 'bob'] }));
    await waitForPhase(handle, 'awaiting-confirmation');
    const self = await handle.executeUpdate(confirmUpdate, { args: [{ by: 'alice' }] }).catch((e: unknown) => e);
    expect((self as WorkflowUpdateFailedError).cause?.message).toBe(
      'alice requested this rollback and may not confirm it (allowSelfApproval is false)',
    );
    await handle.signal(escalateSignal, { severity: 'P0', by: 'mallory' });
    await handle.signal(abortSignal, { by: 'mallory' });
    await handle.signal(alertSignal, { outage: true, source: 'pagerduty', summary: 'checkout down' });
    await waitForPhase(handle, 'awaiting-confirmation');
    expect(await status(handle)).toMatchObject({ severity: 'P0', phase: 'awaiting-confirmation' });
    expect(await aliasVersion(h.moto, fn)).toBe('3');
    expect((await entries(handle, 'refused')).map((e) => e.message)).toEqual([
      'confirm refused: alice requested this rollback and may not confirm it (allowSelfApproval is false)',
      'escalate to P0 refused: mallory is not an approver of this incident (approvers: alice, bob)',
      'abort refused: mallory is not an approver of this incident (approvers: alice, bob)',
    ]);
    expect(pages(fn, 'escalation').some((m) => m.text.includes('severity raised from P1 to P0'))).toBe(true);

    await handle.executeUpdate(confirmUpdate, { args: [{ by: 'bob' }] });
    expect(await handle.result()).toMatchObject({ severity: 'P0', outcome: 'rolled-back' });
    expect(await aliasVersion(h.moto, fn)).toBe('2');
  });

  test('an investigation result from someone who is not an approver is refused', async () => {
    const fn = await h.seedFunction();
    const handle = await h.start(
      p1Input(h.receiver.url, fn, { errorRatePct: undefined, latencyDegradationPct: 80, approvers: ['erin'] }),
    );
    await waitForPhase(handle, 'awaiting-investigation');
    await handle.signal(investigationResultSignal, { rollback: true, by: 'mallory' });
    await handle.signal(investigationResultSignal, { rollback: false, by: 'erin', notes: 'noisy neighbour' });
    expect(await handle.result()).toMatchObject({ outcome: 'investigated-no-rollback' });
    expect((await entries(handle, 'refused'))[0]).toMatchObject({
      by: 'mallory',
      message: 'investigation result refused: mallory is not an approver of this incident (approvers: erin)',
    });
    expect(await aliasVersion(h.moto, fn)).toBe('3');
  });
});

describe('defect 10: no webhook URL in inputs, histories, results or timelines', () => {
  test("a whole incident's history, decoded payload by payload, never holds a channel URL", async () => {
    const fn = await h.seedFunction();
    h.receiver.setErrorRatio(0.001);
    const handle = await h.start(
      p1Input(h.receiver.url, fn, {
        errorRatePct: undefined,
        outage: true,
        monitoring: healthMonitoring(h.receiver.url),
      }),
    );
    const result = await handle.result();
    expect(h.receiver.posted(`/slack/${fn}`).length).toBeGreaterThan(0);
    const history = await handle.fetchHistory();
    const decoded: string[] = [];
    const visit = (node: unknown): void => {
      if (node instanceof Uint8Array) decoded.push(Buffer.from(node).toString('utf8'));
      else if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') Object.values(node).forEach(visit);
      else if (typeof node === 'string') decoded.push(node);
    };
    visit(history);
    const everything = [decoded.join('\n'), JSON.stringify(result), JSON.stringify(await timeline(handle))].join('\n');
    expect(everything).toContain('slack'); // the channel's name is there...
    for (const path of ['/slack', '/escalation']) expect(everything).not.toContain(`${h.receiver.url}${path}`);
  });

  test('an inline URL is refused, and an unknown channel name fails at start naming it', async () => {
    const fn = await h.seedFunction();
    const inline = p1Input(h.receiver.url, fn, {
      notify: { channels: [{ type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/SECRET' }] },
    });
    expect((await failure((await h.start(inline)).result())).message).toContain(
      'notify.channels.0: inline channel URLs are credentials and are refused: name a channel configured on the worker instead',
    );
    const unknown = p1Input(h.receiver.url, fn, { notify: { channels: [{ channel: 'payments-slack' }] } });
    const cause = await failure((await h.start(unknown)).result());
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toBe(
      'incidentRollback: invalid input: notify: channel "payments-slack" is not configured on this worker (ROLLBACK_CHANNELS)',
    );
    expect(await aliasVersion(h.moto, fn)).toBe('3');
  });
});
