// Recording workflow histories for the replay test (test/workflows/replay.test.ts). With
// RECORD_HISTORIES=1, every test server started through test/support/temporal.ts remembers the
// workflows its client starts; at teardown it saves the history of each closed one, and of each
// child workflow they ran, under test/fixtures/histories/<workflowType>/, the first few per type.
// `npm run histories:record` (scripts/recordHistories.sh) runs the recording scenarios this way.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowClient } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { historyToJson } from './historyJson.js';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

type History = temporal.api.history.v1.IHistory;

/** Histories kept per workflow type: a couple of scenarios is enough to catch a reordered command. */
function perType(): number {
  return Number(process.env.RECORD_HISTORIES_PER_TYPE ?? 2);
}

export function recordingHistories(): boolean {
  return process.env.RECORD_HISTORIES === '1';
}

interface Started {
  workflowId: string;
  /** The test that started it, for the file name. */
  test: string;
}

/** Wraps `env` so that its teardown first saves the histories of the workflows its client started. */
export function recordHistoriesOf(env: TestWorkflowEnvironment): TestWorkflowEnvironment {
  if (!recordingHistories()) return env;
  const started = new Map<string, Started>();
  const workflow = env.client.workflow as WorkflowClient & Record<string, unknown>;
  for (const method of ['start', 'execute', 'signalWithStart'] as const) {
    const original = workflow[method].bind(workflow) as (...args: unknown[]) => Promise<unknown>;
    workflow[method] = (async (...args: unknown[]) => {
      const workflowId = (args[1] as { workflowId?: string } | undefined)?.workflowId;
      if (workflowId && !started.has(workflowId)) started.set(workflowId, { workflowId, test: currentTest() });
      return original(...args);
    }) as never;
  }
  const teardown = env.teardown.bind(env);
  env.teardown = async () => {
    try {
      await saveHistories(env, [...started.values()]);
    } finally {
      await teardown();
    }
  };
  return env;
}

function currentTest(): string {
  const state = (
    globalThis as { expect?: { getState(): { currentTestName?: string; testPath?: string } } }
  ).expect?.getState();
  const file = state?.testPath ? path.basename(state.testPath).replace(/\.test\.ts$/, '') : 'script';
  return `${file} ${state?.currentTestName ?? ''}`.trim();
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90);
}

async function saveHistories(env: TestWorkflowEnvironment, started: Started[]): Promise<void> {
  const seen = new Set<string>();
  const queue = started.map((s) => ({
    workflowId: s.workflowId,
    runId: undefined as string | undefined,
    test: s.test,
  }));
  while (queue.length > 0) {
    const { workflowId, runId, test } = queue.shift()!;
    if (seen.has(`${workflowId}/${runId ?? ''}`)) continue;
    seen.add(`${workflowId}/${runId ?? ''}`);
    try {
      const handle = env.client.workflow.getHandle(workflowId, runId);
      const described = await handle.describe();
      if (described.status.name === 'RUNNING' || described.status.name === 'CONTINUED_AS_NEW') continue;
      const history = await handle.fetchHistory();
      for (const child of childrenOf(history)) queue.push({ ...child, test });
      save(described.type, workflowId, test, history);
    } catch (error) {
      console.warn(`histories: ${workflowId} not recorded: ${(error as Error).message}`);
    }
  }
}

function childrenOf(history: History): { workflowId: string; runId: string }[] {
  return (history.events ?? []).flatMap((event) => {
    const execution = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    return execution?.workflowId && execution.runId
      ? [{ workflowId: execution.workflowId, runId: execution.runId }]
      : [];
  });
}

/** The workflow types the worker registers (src/workflows/index.ts): a test's own helper workflows are not recorded. */
export function exportedWorkflowTypes(): string[] {
  const index = readFileSync(fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)), 'utf8');
  return [...index.matchAll(/export \{ (\w+) \}/g)].map((m) => m[1]!);
}

const EXPORTED = new Set(exportedWorkflowTypes());

function save(workflowType: string, workflowId: string, test: string, history: History): void {
  if (!EXPORTED.has(workflowType)) return;
  const dir = path.join(HISTORIES_DIR, workflowType);
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (existing.length >= perType()) return;
  let name = slug(test) || 'run';
  for (let n = 2; existing.includes(`${name}.json`) || existsSync(path.join(dir, `${name}.json`)); n += 1) {
    name = `${slug(test)}-${n}`;
  }
  // The workflow id goes with the history: child workflow ids are derived from it at replay.
  const json = { workflowId, ...(scrub(historyToJson(history)) as Record<string, unknown>) };
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
}

// Payloads hold this machine's paths (the repository's fixtures, kubeconfigs): they are rewritten
// to fixed absolute ones, still valid input, which nothing reads at replay (the SDK compares
// command types and ids, not activity arguments). Inputs name secrets (`passwordEnv`,
// `secretArn`), never hold them; a value under a key that is itself a secret is redacted anyway.
const PLACEHOLDERS: [string, string][] = [
  [REPO_ROOT.replace(/\/$/, ''), '/repo'],
  ...(os.homedir().length > 1 ? ([[os.homedir(), '/home/user']] as [string, string][]) : []),
];
const SECRET_KEY = /^(password|passwd|token|secret|api[-_]?key|private[-_]?key|authorization|client[-_]?secret)$/i;

/** Rewrites paths and secret-named values inside every JSON payload of a history. */
export function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (isJsonPayload(object)) {
    const decoded = JSON.parse(Buffer.from(object.data, 'base64').toString('utf8')) as unknown;
    const cleaned = JSON.stringify(scrubValue(decoded));
    return { ...object, data: Buffer.from(cleaned, 'utf8').toString('base64') };
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, scrub(v)]));
}

function isJsonPayload(object: Record<string, unknown>): object is { metadata: { encoding: string }; data: string } {
  const metadata = object.metadata as Record<string, unknown> | undefined;
  const encoding = typeof metadata?.encoding === 'string' ? Buffer.from(metadata.encoding, 'base64').toString() : '';
  return encoding === 'json/plain' && typeof object.data === 'string';
}

function scrubValue(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    // A valid name (a Kubernetes Secret's `secret` is one): the input must still validate at replay.
    if (SECRET_KEY.test(key) && value !== '') return 'redacted';
    return PLACEHOLDERS.reduce((text, [from, to]) => (from.length > 1 ? text.split(from).join(to) : text), value);
  }
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, key));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, k)]));
}
