// Recorded histories of every workflow (test/fixtures/histories/<workflowType>/*.json) replayed
// against today's workflow code: a change that would break running workflows (a command added,
// removed or reordered without `patched()`) fails here with a nondeterminism error. Re-record
// after an intentional change with `npm run histories:record` (docs/testing.md).
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { workflowsPath } from '../../src/worker/createWorker.js';
import { exportedWorkflowTypes, HISTORIES_DIR } from '../support/histories.js';
import { historyFromJson } from '../support/historyJson.js';

/** Workflows without a recorded history yet, and why; a new workflow must be recorded or listed. */
const NOT_RECORDED: Record<string, string> = {};

const exported = exportedWorkflowTypes();

const files = readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort();

const results = new Map<string, ReplayResult>();
/** Each file's recorded workflow id: child workflow ids are derived from it. */
const idOf = new Map<string, string>();

beforeAll(async () => {
  const histories = files.map((file) => {
    const { workflowId, ...history } = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as {
      workflowId: string;
    };
    idOf.set(file, workflowId);
    return { workflowId, history: historyFromJson(history) };
  });
  expect(new Set(idOf.values()).size).toBe(files.length);
  // The same workflow code the tests run (bundled from src/workflows/index.ts).
  for await (const result of Worker.runReplayHistories({ workflowsPath: workflowsPath() }, histories)) {
    results.set(result.workflowId, result);
  }
}, 120_000);

test('every exported workflow has recorded histories (or says why not)', () => {
  const recorded = new Set(files.map((f) => f.split(path.sep)[0]));
  const missing = exported.filter((type) => !recorded.has(type) && !(type in NOT_RECORDED));
  expect(missing).toEqual([]);
  expect(Object.keys(NOT_RECORDED).filter((type) => recorded.has(type))).toEqual([]);
});

test.each(files)('%s replays on the current workflow code', (file) => {
  const result = results.get(idOf.get(file)!);
  expect(result).toBeDefined();
  if (result?.error) throw result.error;
});

test('recorded histories hold no machine paths or test credentials', () => {
  for (const file of files) {
    const text = readFileSync(path.join(HISTORIES_DIR, file), 'utf8');
    const decoded = [...text.matchAll(/"data": "([A-Za-z0-9+/=]+)"/g)]
      .map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'))
      .join('\n');
    const home = os.homedir().length > 1 ? [os.homedir()] : [];
    for (const needle of [process.cwd(), ...home, 'test-token-', 'pd-secret-']) {
      expect({ file, found: decoded.includes(needle) ? needle : undefined }).toEqual({ file, found: undefined });
    }
  }
});
