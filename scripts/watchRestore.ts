// `npm run restore:watch -- <workflowId>`: follows a restore's progress through its `status`
// query, redrawing one line (a new line per change when the output is not a terminal), until the
// restore completes or fails. TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE as for the worker.
import { Client, Connection } from '@temporalio/client';
import { progressLine } from '../src/domain/rdsRestore.js';
import type { RestoreStatus } from '../src/domain/restoreProgress.js';

const spinner = ['|', '/', '-', '\\'];

function describeStatus(status: RestoreStatus): string {
  const detail =
    status.phase === 'waiting' && status.instance ? progressLine(status.instance, status.maxWaitSeconds) : status.step;
  return `[${status.phase}] ${detail}`;
}

async function main(): Promise<number> {
  const [workflowId, ...rest] = process.argv.slice(2);
  const once = rest.includes('--once');
  if (!workflowId || workflowId.startsWith('-')) {
    console.error('usage: npm run restore:watch -- <workflowId> [--once]');
    return 2;
  }
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const connection = await Connection.connect({ address }).catch((error: unknown) => {
    throw new Error(`cannot reach Temporal at ${address} (TEMPORAL_ADDRESS): ${(error as Error).message}`);
  });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
  const handle = client.workflow.getHandle(workflowId);
  const tty = process.stdout.isTTY;
  let last = '';
  try {
    for (let tick = 0; ; tick++) {
      const status = await handle.query<RestoreStatus>('status').catch((error: unknown) => {
        throw new Error(`no restore "${workflowId}" to watch: ${(error as Error).message}`);
      });
      const line = describeStatus(status);
      const finished = status.phase === 'completed' || status.phase === 'failed';
      if (tty) {
        process.stdout.write(`\r\x1b[2K${finished ? ' ' : spinner[tick % spinner.length]} ${line}`);
      } else if (line !== last) {
        console.log(line);
      }
      last = line;
      if (finished || once) {
        if (tty) process.stdout.write('\n');
        if (status.phase === 'failed')
          console.log(`restore failed: ${status.error ?? 'see the workflow in the Web UI'}`);
        return status.phase === 'failed' ? 1 : 0;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
