// rollbackctl's commands and flags (commander). Every command takes --json and the connection
// flags; parsing errors exit 2 with commander's message, which names the flag.
import { Command, CommanderError, Option } from 'commander';
import { CLOSED_PHASES, WAITING_PHASES } from '../domain/incident/phases.js';
import * as commands from './commands.js';
import { cliConfig, connect, type ConnectionFlags } from './connect.js';
import { EXIT_FAILED, EXIT_USAGE, FailedError, UsageError } from './errors.js';
import { parseJsonFlag, parseNumber, parsePositiveInt } from './input.js';

const SEVERITIES = ['P0', 'P1', 'P2', 'P3'];
const PHASES = ['assessing', ...WAITING_PHASES, 'rolling-back', ...CLOSED_PHASES];

interface CommonFlags extends ConnectionFlags {
  json?: boolean;
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

function common(cmd: Command): Command {
  return cmd
    .option('--json', 'print JSON instead of text')
    .option('--address <host:port>', 'Temporal frontend (default TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'Temporal namespace (default TEMPORAL_NAMESPACE or default)')
    .option('--task-queue <name>', 'task queue of the worker (default TEMPORAL_TASK_QUEUE or rollback)');
}

/** Connects, runs `body` and closes the connection. */
async function withContext(
  io: Io,
  flags: CommonFlags,
  body: (ctx: commands.Context) => Promise<number>,
): Promise<number> {
  const config = cliConfig(flags, io.env);
  const client = await connect(config);
  try {
    return await body({ client, taskQueue: config.temporal.taskQueue, json: flags.json ?? false, out: io.out });
  } finally {
    await client.connection.close();
  }
}

function requiredBy(cmd: Command): Command {
  return cmd.requiredOption('--by <name>', 'who acts (checked against the incident approvers)');
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('rollbackctl')
    .description('Start, follow and decide rollback incidents on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(run with --help for usage)');
  const run = (flags: CommonFlags, body: (ctx: commands.Context) => Promise<number>) =>
    withContext(io, flags, body).then(setExit);

  common(
    program
      .command('start')
      .description('start an incident (joining a running one) or a single procedure workflow')
      .option(
        '--type <workflowType>',
        'incidentRollback or a procedure such as lambdaAliasRollback',
        commands.INCIDENT_TYPE,
      )
      .option('--input <json|@file>', 'the raw workflow input, inline or from a file', (v) => parseJsonFlag(v))
      .option('--workflow-id <id>', 'workflow ID of a procedure (default <type>-<epoch ms>)')
      .option('--service <name>', 'the service in the catalog (ROLLBACK_CATALOG)')
      .option('--environment <name>', "the environment (default the service's first)")
      .addOption(new Option('--severity <severity>', 'severity as declared').choices(SEVERITIES))
      .option('--error-rate <pct>', 'observed error rate, percent', parseNumber)
      .option('--latency <pct>', 'observed latency degradation, percent', parseNumber)
      .option('--outage', 'the service is down')
      .option('--reason <text>', 'why the rollback is requested')
      .option('--requested-by <name>', 'who requests it', io.env.USER || 'rollbackctl')
      .option('--catalog <file>', 'the service catalog (default ROLLBACK_CATALOG or catalog.yaml)'),
  ).action((o: commands.StartOptions & CommonFlags) => {
    const plan = commands.planStart(o);
    return run(o, (ctx) => commands.start(ctx, plan));
  });

  common(program.command('status').description("a workflow's status query, as text").argument('<workflowId>')).action(
    (id: string, o: CommonFlags) => run(o, (ctx) => commands.status(ctx, id)),
  );

  common(
    requiredBy(
      program.command('confirm').description('confirm the rollback (the incident answers)').argument('<workflowId>'),
    )
      .option('--notes <text>', 'notes for the timeline')
      .option('--step <name>', 'for a procedure waiting for a person: the step confirmed'),
  ).action((id: string, o: commands.DecisionOptions & CommonFlags) =>
    run(o, (ctx) => commands.decide(ctx, 'confirm', id, o)),
  );

  common(
    requiredBy(
      program.command('reject').description('reject the rollback (the incident answers)').argument('<workflowId>'),
    ).option('--reason <text>', 'why'),
  ).action((id: string, o: commands.DecisionOptions & CommonFlags) =>
    run(o, (ctx) => commands.decide(ctx, 'reject', id, o)),
  );

  common(
    requiredBy(program.command('abort').description('abort the incident').argument('<workflowId>')).option(
      '--reason <text>',
      'why',
    ),
  ).action((id: string, o: { by: string; reason?: string } & CommonFlags) =>
    run(o, (ctx) => commands.abort(ctx, id, o)),
  );

  common(
    requiredBy(
      program
        .command('escalate')
        .description('raise (or lower) the incident severity')
        .argument('<workflowId>')
        .addOption(new Option('--severity <severity>', 'the new severity').choices(SEVERITIES).makeOptionMandatory()),
    ).option('--reason <text>', 'why'),
  ).action((id: string, o: { by: string; severity: 'P0'; reason?: string } & CommonFlags) =>
    run(o, (ctx) => commands.escalate(ctx, id, o)),
  );

  common(
    program
      .command('list')
      .description('incidents by their search attributes')
      .option('--service <name>')
      .option('--environment <name>')
      .addOption(new Option('--severity <severity>').choices(SEVERITIES))
      .addOption(new Option('--phase <phase>', 'the incident phase').choices(PHASES))
      .option('--sla-breached', 'only incidents past their deadline')
      .option('--open', 'only running incidents')
      .option('--limit <n>', 'at most this many', parsePositiveInt, 50),
  ).action((o: commands.ListOptions & CommonFlags) => run(o, (ctx) => commands.list(ctx, o)));

  common(
    program
      .command('watch')
      .description('redraw progress until the run closes; exit 0 completed, 1 failed')
      .argument('<workflowId>')
      .option('--interval <ms>', 'poll interval', parsePositiveInt, 1000)
      .option('--once', 'print the current line and exit'),
  ).action((id: string, o: { interval: number; once?: boolean } & CommonFlags) =>
    run(o, (ctx) => commands.watch(ctx, id, { intervalMs: o.interval, once: o.once })),
  );

  common(
    program.command('history').description("the incident's timeline: who did what, when").argument('<workflowId>'),
  ).action((id: string, o: CommonFlags) => run(o, (ctx) => commands.history(ctx, id)));

  return program;
}

/** Runs the CLI on `argv` (without node and the script) and resolves to the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      return EXIT_USAGE;
    }
    io.err(`error: ${error instanceof FailedError ? error.message : describeError(error)}`);
    return EXIT_FAILED;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && !error.message.includes(cause.message)
    ? `${error.message}: ${cause.message}`
    : error.message;
}
