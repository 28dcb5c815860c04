// Real pod logs on the local cluster: kwok serves `kubectl logs` for a namespace's pods from a
// file in the CRI log format, named by a kwok ClusterLogs object (scripts/k8s/up.sh enables them).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubectl } from './kubernetes.js';

export interface LogLine {
  at: Date;
  text: string;
  stream?: 'stdout' | 'stderr';
}

export interface PodLogs {
  file: string;
  append(lines: LogLine[]): void;
  remove(): Promise<void>;
}

const cri = (lines: LogLine[]) =>
  lines.map((l) => `${l.at.toISOString().replace('Z', '000000Z')} ${l.stream ?? 'stdout'} F ${l.text}\n`).join('');

/** Every pod of `namespace` serves the lines of one file (kwok ClusterLogs `logs-<namespace>`). */
export async function servePodLogs(namespace: string, lines: LogLine[] = []): Promise<PodLogs> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pod-logs-'));
  const file = path.join(dir, 'app.log');
  writeFileSync(file, cri(lines));
  const name = `logs-${namespace}`;
  await kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'ClusterLogs',
      metadata: { name },
      spec: { selector: { matchNamespaces: [namespace] }, logs: [{ logsFile: file }] },
    }),
  });
  return {
    file,
    append: (more) => appendFileSync(file, cri(more)),
    async remove() {
      await kubectl(['delete', 'clusterlogs.kwok.x-k8s.io', name, '--ignore-not-found']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
