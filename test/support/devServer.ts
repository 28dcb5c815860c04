// A Temporal dev server a test can stop (SIGKILL or SIGTERM) and start again on the same SQLite
// file and port, with a client that outlives the restarts. The server is started exactly as
// `npm start` starts it (tools/local/stack.ts): 127.0.0.1, the rollback search attributes, headless
// unless `uiPort` is given.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFromEnv } from '../../src/codec/index.js';
import { stopServices, type Service } from '../../tools/local/processes.js';
import { startTemporalDevServer } from '../../tools/local/stack.js';
import { freePort, waitFor } from './ports.js';
import { repoRoot } from './tools.js';

export interface DevServer {
  /** host:port, the same across restarts. */
  address: string;
  dbFile: string;
  /** Reconnects by itself once the server is back; calls fail while it is down. */
  client: Client;
  /** Stops the server with `signal` and resolves when the process has exited. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts it again on the same file and port; resolves once it answers for the namespace. */
  start(): Promise<void>;
  /** The server's log (every start appends to it). */
  log(): string;
  close(): Promise<void>;
}

export interface DevServerOptions {
  dbFile?: string;
  port?: number;
  /** Serve the Web UI on this port (default: headless). */
  uiPort?: number;
  /** More `temporal server start-dev` flags (`--ui-codec-endpoint <url>`, ...). */
  extraArgs?: string[];
  /** The client's payload codec; default from ROLLBACK_CODEC_KEYS / ROLLBACK_CODEC_KEY_FILE. */
  dataConverter?: DataConverter;
}

export async function devServer(options: DevServerOptions = {}): Promise<DevServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devserver-'));
  const dbFile = options.dbFile ?? path.join(dir, 'temporal.db');
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const paths = { root: repoRoot, logDir: dir };
  let service: Service | undefined;
  let connection: Connection | undefined;

  const log = () => {
    try {
      return service ? readFileSync(service.logFile, 'utf8') : '';
    } catch {
      return '';
    }
  };

  async function start(): Promise<void> {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      throw new Error(`the dev server on ${address} is still running`);
    }
    service = startTemporalDevServer(paths, {
      port,
      dbFile,
      logLevel: 'error',
      uiPort: options.uiPort,
      extraArgs: options.extraArgs,
    });
    const started = service;
    connection ??= Connection.lazy({ address });
    const conn = connection;
    await waitFor(
      `the dev server on ${address} (${dbFile}) to answer`,
      async () => {
        if (started.child.exitCode !== null) throw new Error(`exited with ${started.child.exitCode}:\n${log()}`);
        // A short deadline per try: the connection's own retries would outlast the outage.
        await conn.withDeadline(Date.now() + 2_000, () =>
          conn.workflowService.describeNamespace({ namespace: 'default' }),
        );
        return true;
      },
      60_000,
      200,
    );
  }

  await start();
  const dataConverter = 'dataConverter' in options ? options.dataConverter : dataConverterFromEnv();
  const client = new Client({ connection: connection!, namespace: 'default', dataConverter });

  return {
    address,
    dbFile,
    client,
    start,
    log,
    async stop(signal) {
      const child = service!.child;
      if (child.exitCode !== null || child.signalCode !== null) {
        return { code: child.exitCode, signal: child.signalCode };
      }
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      child.kill(signal);
      return exited;
    },
    async close() {
      if (service) await stopServices([service]);
      await connection?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
