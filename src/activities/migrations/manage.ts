// Runs `python manage.py ...` where the Django project lives: on the worker in its working
// directory, or in a pod of a Deployment as `kubectl exec` does (client-node's Exec, the same
// websocket protocol). Output is collected; the activity heartbeats while the command runs.
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { Context, heartbeat } from '@temporalio/activity';
import type { Deployment, Pod } from '../../domain/kubernetes/objects.js';
import { selectorToQuery } from '../../domain/kubernetes/objects.js';
import type { DjangoRollbackInput } from '../../domain/schemas/databaseMigrationRollback.js';
import { nonRetryable } from '../failures.js';
import { loadClientNode, paths, type KubeClient } from '../kubernetes/client.js';
import { migrationPassword } from './postgres.js';

export interface CommandResult {
  exitCode: number;
  output: string;
}

export interface ManageOptions {
  /** libpq's PGAPPNAME for the command's connections, so a retry can see a command still running. */
  applicationName?: string;
  timeoutMs: number;
}

export type ManageRunner = (args: string[], options: ManageOptions) => Promise<CommandResult>;

export function commandLine(input: DjangoRollbackInput, args: string[]): string {
  return [input.python, input.manage, ...args].join(' ');
}

/** The runner for this input: local (with the input's database as libpq variables) or in a pod. */
export function manageRunner(input: DjangoRollbackInput, env: NodeJS.ProcessEnv, kube: () => KubeClient): ManageRunner {
  if (input.pod) return podRunner(input, kube);
  return (args, options) => {
    // The project's settings may read libpq's variables; the password goes only to the child.
    const password = migrationPassword(input, env);
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      PGHOST: input.host,
      PGPORT: String(input.port),
      PGDATABASE: input.database,
      PGUSER: input.user,
      ...(password !== undefined ? { PGPASSWORD: password } : {}),
      ...(options.applicationName ? { PGAPPNAME: options.applicationName } : {}),
    };
    return runLocal(input.python, [input.manage, ...args], input.workingDirectory!, childEnv, options.timeoutMs);
  };
}

function runLocal(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const append = (c: Buffer) => (output = (output + c.toString()).slice(-64_000));
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const beat = setInterval(() => heartbeat({ running: `${command} ${args.join(' ')}` }), 2000);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    // A cancelled activity (the workflow gave up, a heartbeat timed out) stops its command.
    const cancelled = Context.current().cancelled.catch(() => child.kill('SIGTERM'));
    void cancelled;
    const done = () => {
      clearInterval(beat);
      clearTimeout(timer);
    };
    child.once('error', (error) => {
      done();
      reject(nonRetryable('NotConfigured', `django: cannot run ${command} in ${cwd}: ${(error as Error).message}`));
    });
    child.once('close', (code, signal) => {
      done();
      resolve({ exitCode: code ?? (signal ? 128 : 1), output });
    });
  });
}

/** `kubectl exec deploy/<name>`: the first Running and Ready pod of the Deployment, by name. */
function podRunner(input: DjangoRollbackInput, kube: () => KubeClient): ManageRunner {
  const { namespace, deployment, container } = input.pod!;
  return async (args, options) => {
    const client = kube();
    const call = { context: `django: deployment ${namespace}/${deployment}` };
    const d = await client.get<Deployment>(paths.deployment(namespace, deployment), call);
    const { items: pods } = await client.get<{ items: Pod[] }>(
      paths.pods(namespace, selectorToQuery(d.spec.selector ?? {})),
      call,
    );
    const ready = pods
      .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running')
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
    const pod = ready[0];
    if (!pod) throw nonRetryable('NotFound', `django: deployment ${namespace}/${deployment} has no running, ready pod`);
    const command = [
      'env',
      ...(options.applicationName ? [`PGAPPNAME=${options.applicationName}`] : []),
      input.python,
      input.manage,
      ...args,
    ];
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output = (output + chunk.toString()).slice(-64_000);
        callback();
      },
    });
    const [{ Exec }, kubeConfig] = await Promise.all([loadClientNode(), client.kubeConfig()]);
    const beat = setInterval(() => heartbeat({ running: `${command.join(' ')} in pod ${pod.metadata.name}` }), 2000);
    try {
      const status = await new Promise<{
        status?: string;
        details?: { causes?: { reason?: string; message?: string }[] };
      }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`django: exec in ${pod.metadata.name} timed out`)),
          options.timeoutMs,
        );
        new Exec(kubeConfig)
          .exec(
            namespace,
            pod.metadata.name!,
            container ?? pod.spec?.containers?.[0]?.name ?? '',
            command,
            sink,
            sink,
            null,
            false,
            (s) => {
              clearTimeout(timer);
              resolve(s as never);
            },
          )
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          });
      });
      const exitCause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
      return { exitCode: status.status === 'Success' ? 0 : Number(exitCause?.message ?? 1), output };
    } finally {
      clearInterval(beat);
    }
  };
}
