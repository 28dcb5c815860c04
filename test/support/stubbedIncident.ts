// Fast incident tests (test/workflows/fast/): the real workflows on the real time-skipping server,
// with the activities stubbed in the worker (as temporalio/samples-typescript's
// `activities-examples` does with `Worker.create({ activities: {...} })`). The subject is the
// incident's own logic: what it decided and which procedure and activity it called with what.
// Every stub is typed against the real activity interface (`satisfies Partial<Activities>`), so a
// renamed or re-typed activity fails to compile here. The integrations themselves (moto, webhooks,
// health URLs, the follow-ups started through the client) stay proven by test/workflows/incident*.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowClient, type WorkflowHandle } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import { nonRetryable } from '../../src/activities/failures.js';
import type { LambdaRollbackMark } from '../../src/activities/lambda.js';
import { dataConverterFromEnv } from '../../src/codec/index.js';
import type { Notification, NotificationKind } from '../../src/domain/incident/notifications.js';
import {
  addToRollbackMark,
  formatRollbackMark,
  rollbackMarkKey,
  type RollbackMark,
} from '../../src/domain/lambdaVersions.js';
import type { CheckSpec } from '../../src/domain/schemas/verifyRollback.js';
import type { CheckResult, CheckStatus } from '../../src/domain/verification.js';
import { workflowsPath } from '../../src/worker/createWorker.js';
import { recordHistoriesOf } from './histories.js';
import { toolPath } from './tools.js';

export type ActivityName = keyof Activities;

/** One call of a stubbed activity, with the workflow that made it. */
export interface ActivityCall {
  activity: ActivityName;
  args: unknown[];
  workflowId: string;
  workflowType: string;
  attempt: number;
}

/** A Lambda function as the stubbed Lambda activities see it: the alias's version, the rest. */
export interface StubFunction {
  name: string;
  version: string;
  published: string[];
  mark?: RollbackMark;
}

/** What a stubbed probe of one URL answers: a figure, an unreadable body, or no answer at all. */
export type StubReading = number | 'unreadable' | 'down';

/** The worker's channel names, as test/support/incident.ts's `channelConfig` configures them. */
export const STUB_CHANNELS = ['log', 'slack', 'escalation', 'broken', 'p3'];

export interface StubbedIncidentHarness {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  /** Every stubbed activity call, in the order the worker ran them. */
  calls: ActivityCall[];
  /** The first argument of each call of `activity`, optionally only from workflow `workflowId`. */
  called<N extends ActivityName>(activity: N, workflowId?: string): Parameters<Activities[N]>[0][];
  /** A fresh function (versions 1-3 published, alias `production` on 3); returns its state. */
  lambdaFunction(): StubFunction;
  /** What the error-rate probe of `url` reads from now on. */
  setErrorRate(url: string, reading: StubReading): void;
  /** What the latency probe of `url` reads from now on. */
  setLatency(url: string, reading: StubReading): void;
  /** The readings of `runVerificationCheck`, one call at a time. */
  setCheckReading(reading: (spec: CheckSpec) => CheckResult): void;
  /** Makes deliveries to `channel` fail (a retryable error, as a 5xx answer is). */
  failChannel(channel: string): void;
  /** Notifications delivered (or tried) to `channel` for `service`, optionally of one kind. */
  notified(channel: string, service: string, kind?: NotificationKind): Notification[];
  start(input: Record<string, unknown>, workflowId?: string): Promise<WorkflowHandle>;
  /**
   * A run's result through a plain client: the time-skipping client's `result()` lets the server
   * skip time while it waits, and with nothing else running it skips to its far-off timeouts.
   * For a run that finishes without timers (a P0) and a next step that depends on the clock.
   */
  resultInRealTime<T>(handle: WorkflowHandle): Promise<T>;
  stop(): Promise<void>;
}

let incidents = 0;
let functions = 0;

/** One reading of a verification check, in the one result shape. */
export function checkReading(
  spec: CheckSpec,
  status: CheckStatus,
  observed: string,
  extra: { target?: string; value?: number } = {},
): CheckResult {
  return {
    check: spec.check,
    target: extra.target ?? spec.check,
    status,
    passed: status === 'passed',
    observed,
    expected: 'as stubbed',
    at: new Date().toISOString(),
    ...(extra.value !== undefined ? { value: extra.value } : {}),
  };
}

export async function startStubbedIncidentHarness(): Promise<StubbedIncidentHarness> {
  const calls: ActivityCall[] = [];
  const lambda = new Map<string, StubFunction>();
  const errorRates = new Map<string, StubReading>();
  const latencies = new Map<string, StubReading>();
  const failing = new Set<string>();
  let checkReadingOf: (spec: CheckSpec) => CheckResult = (spec) => checkReading(spec, 'unreadable', 'not stubbed');

  const fn = (name: string): StubFunction => {
    const found = lambda.get(name);
    // The message of the real listLambdaVersions for a function that does not exist.
    if (!found) throw nonRetryable('NotFound', `lambda: function "${name}" not found`);
    return found;
  };
  const markOf = (f: StubFunction, alias: string): LambdaRollbackMark | undefined =>
    f.mark ? { ...f.mark, tag: rollbackMarkKey(alias), value: formatRollbackMark(f.mark) } : undefined;
  const probe = (kind: string, url: string, readings: Map<string, StubReading>): number => {
    const reading = readings.get(url) ?? 'down';
    if (reading === 'down') throw new Error(`http: ${kind} ${url} unreachable (ECONNREFUSED)`);
    if (reading === 'unreadable') throw nonRetryable('InvalidInput', `http: ${url} answered HTTP 200 without a figure`);
    return reading;
  };

  const stubs = {
    // The incident's own activities.
    unknownChannels: async (names) => [...new Set(names)].filter((n) => !STUB_CHANNELS.includes(n)),
    // The time-skipping server has no operator API, so no search attributes: as the real activity says.
    missingSearchAttributes: async (names) => names,
    sendNotification: async ({ channel }) => {
      if (failing.has(channel.channel)) {
        throw new Error(`notify: webhook channel "${channel.channel}" answered HTTP 500 ({"ok":true})`);
      }
      return { channel: channel.channel, delivered: true as const, detail: 'stubbed' };
    },
    probeErrorRate: async (source) => {
      const errorRatePct = probe('error-rate source', source.url, errorRates);
      return { errorRatePct, source: source.url, detail: `stubbed, error rate ${errorRatePct}%` };
    },
    probeLatency: async (source) => {
      const latencyMs = probe('latency source', source.url, latencies);
      return { latencyMs, source: source.url, detail: `stubbed, p95Ms ${latencyMs}` };
    },
    // Recorded, not started: the real activity starting the follow-ups is proven in incidentRollback.test.ts.
    startFollowUpsWorkflow: async (req) => req.workflowId,
    runVerificationCheck: async (spec) => checkReadingOf(spec),

    // lambdaAliasRollback's activities, over the in-memory functions above (same checks, same failures).
    getLambdaAlias: async (ref) => ({
      ...ref,
      functionVersion: fn(ref.functionName).version,
      aliasArn: `arn:aws:lambda:us-east-1:123456789012:function:${ref.functionName}:${ref.alias}`,
    }),
    listLambdaVersions: async (name) => ['$LATEST', ...fn(name).published].map((version) => ({ version })),
    getLambdaRollbackMark: async (ref) => markOf(fn(ref.functionName), ref.alias),
    markLambdaRollback: async (req) => {
      const f = fn(req.functionName);
      f.mark = addToRollbackMark(f.mark, { version: req.fromVersion, at: req.at, ...(req.by ? { by: req.by } : {}) });
      return markOf(f, req.alias)!;
    },
    updateLambdaAlias: async (req) => {
      const f = fn(req.functionName);
      const from = f.version;
      if (from === req.toVersion) {
        return { changed: false, fromVersion: from, toVersion: req.toVersion, message: `already at ${from}` };
      }
      if (from !== req.fromVersion) throw nonRetryable('TargetChanged', `lambda: alias moved to version ${from}`);
      f.version = req.toVersion;
      const message = `alias "${req.alias}" of "${req.functionName}" moved from version ${from} to ${req.toVersion}`;
      return { changed: true, fromVersion: from, toVersion: req.toVersion, message };
    },
  } satisfies Partial<Activities>;

  const env = await startTimeSkippingServer();
  const taskQueue = `fast-${process.pid}-${Date.now()}`;
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      ...workflowCode(),
      activities: recorded(stubs, calls),
      dataConverter: dataConverterFromEnv(),
    });
  } catch (error) {
    await env.teardown();
    throw error;
  }
  const running = worker.run();

  return {
    env,
    taskQueue,
    calls,
    called(activity, workflowId) {
      return calls
        .filter((c) => c.activity === activity && (workflowId === undefined || c.workflowId === workflowId))
        .map((c) => c.args[0]) as never;
    },
    lambdaFunction() {
      functions += 1;
      const f: StubFunction = { name: `checkout-api-${functions}`, version: '3', published: ['1', '2', '3'] };
      lambda.set(f.name, f);
      return f;
    },
    setErrorRate: (url, reading) => void errorRates.set(url, reading),
    setLatency: (url, reading) => void latencies.set(url, reading),
    setCheckReading: (reading) => void (checkReadingOf = reading),
    failChannel: (channel) => void failing.add(channel),
    notified(channel, service, kind) {
      return calls
        .filter((c) => c.activity === 'sendNotification')
        .map((c) => c.args[0] as Parameters<Activities['sendNotification']>[0])
        .filter((r) => r.channel.channel === channel && r.notification.service === service)
        .map((r) => r.notification)
        .filter((n) => kind === undefined || n.kind === kind);
    },
    start(input, workflowId) {
      incidents += 1;
      return env.client.workflow.start('incidentRollback', {
        args: [input],
        taskQueue,
        workflowId: workflowId ?? `fast-incident-${incidents}`,
      });
    },
    resultInRealTime(handle) {
      const plain = new WorkflowClient({
        connection: env.connection,
        namespace: env.namespace ?? 'default',
        dataConverter: dataConverterFromEnv(),
      });
      return plain.getHandle(handle.workflowId).result();
    },
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await env.teardown();
    },
  };
}

/**
 * The time-skipping server as test/support/temporal.ts starts it (existing path, never a
 * download; histories recorded with RECORD_HISTORIES=1), without importing the real activities:
 * their SDK clients take seconds to load and these tests never call them.
 */
async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: toolPath('temporal-test-server') } },
    client: { dataConverter: dataConverterFromEnv() },
  });
  return recordHistoriesOf(env);
}

/** Starts the stubbed harness before a test file's tests and stops it after them. */
export function useStubbedIncidentHarness(started: (harness: StubbedIncidentHarness) => void): void {
  let harness: StubbedIncidentHarness | undefined;
  beforeAll(async () => {
    harness = await startStubbedIncidentHarness();
    started(harness);
  });
  afterAll(async () => {
    await harness?.stop();
  });
}

/** Wraps every stub so that each call is recorded with the workflow that made it. */
function recorded<S extends Partial<Activities>>(stubs: S, calls: ActivityCall[]): S {
  const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, stub] of Object.entries(stubs) as [ActivityName, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      const { info } = Context.current();
      calls.push({
        activity: name,
        args,
        workflowId: info.workflowExecution?.workflowId ?? '',
        workflowType: info.workflowType ?? '',
        attempt: info.attempt,
      });
      return stub(...args);
    };
  }
  return wrapped as S;
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The workflow bundle `npm run build` made (dist/workflow-bundle.js) when it is newer than every
 * source file under src/ (so never stale code), else the sources bundled at start, as the other
 * harnesses do. `npm test` builds first, so there the bundling (seconds per file) is saved.
 */
function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = path.join(REPO, 'dist', 'workflow-bundle.js');
  if (process.env.ROLLBACK_PREBUILT_BUNDLE !== '0' && existsSync(bundle)) {
    if (statSync(bundle).mtimeMs >= newestMtimeMs(path.join(REPO, 'src')))
      return { workflowBundle: { codePath: bundle } };
  }
  return { workflowsPath: workflowsPath() };
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}
