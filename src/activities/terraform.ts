// Everything that runs git and Terraform for the runbook's "Terraform Infrastructure Rollback":
// revert the bad commit in a local clone, plan into a saved plan file, apply exactly that plan,
// list and compare state backups, push one back. Each activity is safe to run again after a
// crash at any line:
//   - gitRevert finds its own revert commit on HEAD ("This reverts commit <sha>.") and stops;
//   - an apply runs detached from the worker (its output and exit code go to files next to the
//     plan file), so a worker killed mid-apply leaves Terraform running; the retry waits for
//     that same apply instead of starting another, and a saved plan that was applied is stale
//     for Terraform itself ("Saved plan is stale"), so it is never applied twice;
//   - pushStateBackup pushes serial current+1 only from the pinned current state, and finds a
//     push it already made by its serial and content.
import { Context } from '@temporalio/activity';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalPlan,
  diffStates,
  isLockHeld,
  isStalePlan,
  jsonFromOutput,
  parseState,
  planHasChanges,
  restoredState,
  stableStringify,
  summarizePlan,
  terraformCommand,
  terraformError,
  type PlanSummary,
  type StateDiff,
  type StateDocument,
  type TerraformOperation,
  type TerraformTarget,
} from '../domain/terraform.js';
import { nonRetryable } from './failures.js';

export interface TerraformSettings {
  /** TERRAFORM_BIN; unset: the OpenTofu `npm run tools` built (.tools/bin/tofu). */
  bin?: string;
  /** ATMOS_BIN; unset: the atmos `npm run tools` built (.tools/bin/atmos). */
  atmosBin?: string;
}

/** `.tools/bin/<name>` of this checkout (from src/ or dist/src/), else the name on PATH. */
function builtTool(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    const candidate = path.join(dir, '.tools', 'bin', name);
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return name;
}

/** The Terraform binary: the configured one (TERRAFORM_BIN), else the OpenTofu `npm run tools` built. */
export function terraformBinary(bin?: string): string {
  return bin ?? builtTool('tofu');
}

/** The environment every Terraform command runs with (beside the worker's own). */
export function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  // A TF_CLI_CONFIG_FILE naming no file makes Terraform print a warning into `show -json`.
  const cliConfig = process.env.TF_CLI_CONFIG_FILE;
  if (cliConfig && !existsSync(cliConfig)) env.TF_CLI_CONFIG_FILE = '';
  return env;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when `timeoutMs` ran out and the command was stopped (SIGTERM, then SIGKILL after 5 s). */
  timedOut?: boolean;
}

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not inside an activity (unit use): nothing to report to
  }
}

/**
 * Runs a command to its end (or until `timeoutMs`, when given), heartbeating every 5 s so a long
 * plan is not taken for a dead worker.
 */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  options: { timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const beat = setInterval(() => heartbeat(), 5000);
    let kill: NodeJS.Timeout | undefined;
    const limit =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGTERM');
            kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          }, options.timeoutMs);
    const stop = () => {
      clearInterval(beat);
      clearTimeout(limit);
      clearTimeout(kill);
    };
    child.once('error', (error) => {
      stop();
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? nonRetryable(
              'NotConfigured',
              `${command} is not installed (run \`npm run tools\`, or set its *_BIN variable)`,
            )
          : error,
      );
    });
    child.once('close', (code, signal) => {
      stop();
      resolve({ code, signal, stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    });
  });
}

// ---- git ------------------------------------------------------------------------------------

async function git(repo: string, args: string[], allowFail = false): Promise<RunResult> {
  const result = await run('git', ['-C', repo, ...args], repo, { GIT_TERMINAL_PROMPT: '0' });
  if (result.code !== 0 && !allowFail) {
    throw nonRetryable(
      'FailedPrecondition',
      `git ${args.join(' ')} in ${repo}: ${(result.stderr || result.stdout).trim()}`,
    );
  }
  return result;
}

const out = async (repo: string, args: string[]) => (await git(repo, args)).stdout.trim();

/** Files `git status` reports (tracked changes and untracked files that are not ignored). */
async function dirtyFiles(repo: string): Promise<string[]> {
  const status = await out(repo, ['status', '--porcelain=v1', '--untracked-files=all']);
  return status ? status.split('\n').map((l) => l.trim()) : [];
}

/** The clone is a git work tree and the commit is one of HEAD's ancestors; returns its full sha. */
async function resolveCommit(repo: string, commit: string): Promise<string> {
  if (!existsSync(repo)) throw nonRetryable('NotFound', `git: repository ${repo} does not exist`);
  const top = await git(repo, ['rev-parse', '--show-toplevel'], true);
  if (top.code !== 0) throw nonRetryable('NotFound', `git: ${repo} is not a git work tree (${top.stderr.trim()})`);
  const sha = await git(repo, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], true);
  if (sha.code !== 0) throw nonRetryable('NotFound', `git: commit "${commit}" not found in ${repo}`);
  const full = sha.stdout.trim();
  const ancestor = await git(repo, ['merge-base', '--is-ancestor', full, 'HEAD'], true);
  if (ancestor.code !== 0) {
    throw nonRetryable('NotFound', `git: commit ${full.slice(0, 12)} is not in the history of HEAD in ${repo}`);
  }
  return full;
}

/** The revert of `sha` at HEAD, when HEAD is one (the message git writes: "This reverts commit <sha>."). */
async function revertAtHead(repo: string, sha: string): Promise<string | undefined> {
  const message = await out(repo, ['log', '-1', '--format=%B', 'HEAD']);
  return message.includes(`This reverts commit ${sha}.`) ? out(repo, ['rev-parse', 'HEAD']) : undefined;
}

async function refuseDirty(repo: string): Promise<void> {
  const dirty = await dirtyFiles(repo);
  if (dirty.length > 0) {
    throw nonRetryable(
      'FailedPrecondition',
      `git: the working tree of ${repo} has uncommitted changes (${dirty.join(', ')}); commit, stash or remove them first: nothing was reverted`,
    );
  }
}

/** `git revert` that stopped on a conflict: names the files, aborts, and fails changing nothing. */
async function conflictFailure(repo: string, sha: string, output: string): Promise<Error> {
  const conflicted = (await out(repo, ['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
  await git(repo, ['revert', '--abort'], true);
  const files = conflicted.length ? conflicted.join(', ') : 'none reported';
  return nonRetryable(
    'Conflict',
    `git: reverting ${sha.slice(0, 12)} in ${repo} conflicts (files: ${files}); the revert was aborted and nothing changed: ${output.trim().split('\n')[0]}`,
  );
}

const IDENTITY = ['-c', 'user.name=rollback-orchestrator', '-c', 'user.email=rollback-orchestrator@localhost'];

async function identityArgs(repo: string): Promise<string[]> {
  const email = await git(repo, ['config', 'user.email'], true);
  return email.code === 0 && email.stdout.trim() ? [] : IDENTITY;
}

/** A revert this activity started and a crash interrupted: REVERT_HEAD names our commit. */
async function abortOwnInterruptedRevert(repo: string, sha: string): Promise<void> {
  const head = await git(repo, ['rev-parse', '--verify', '--quiet', 'REVERT_HEAD'], true);
  if (head.code === 0 && head.stdout.trim() === sha) await git(repo, ['revert', '--abort'], true);
}

export interface GitRevertResult {
  commit: string;
  revertCommit: string;
  /** HEAD before the revert (or the revert's parent when it was already there). */
  previousHead: string;
  changed: boolean;
  pushed?: string;
  message: string;
}

// ---- Terraform ------------------------------------------------------------------------------

export interface TargetInput {
  /** The clone (revert) or the working directory (state restore). */
  repo?: string;
  workingDir: string;
  component?: string;
  stack?: string;
}

export interface PlanView {
  planFile: string;
  hash: string;
  summary: PlanSummary;
  hasChanges: boolean;
}

function targetOf(input: TargetInput): TerraformTarget {
  const cwd = input.repo ? path.resolve(input.repo, input.workingDir) : input.workingDir;
  return { cwd, component: input.component, stack: input.stack };
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

export function createTerraformActivities(settings: TerraformSettings = {}) {
  const terraformBin = terraformBinary(settings.bin);
  const atmosBin = settings.atmosBin ?? builtTool('atmos');

  function commandFor(target: TerraformTarget, operation: TerraformOperation) {
    const line = terraformCommand(target, operation);
    const env = terraformEnv();
    if (line.tool === 'atmos') {
      // atmos runs our Terraform binary, and does not look for its own newer release.
      env.ATMOS_COMPONENTS_TERRAFORM_COMMAND = terraformBin;
      env.ATMOS_VERSION_CHECK_ENABLED = 'false';
    }
    return { command: line.tool === 'atmos' ? atmosBin : terraformBin, args: line.args, env };
  }

  async function terraform(target: TerraformTarget, operation: TerraformOperation, okCodes = [0]): Promise<RunResult> {
    const { command, args, env } = commandFor(target, operation);
    const result = await run(command, args, target.cwd, env);
    if (result.code !== null && okCodes.includes(result.code)) return result;
    const words = terraformError(`${result.stderr}\n${result.stdout}`);
    const what = `${path.basename(command)} ${args.slice(0, 2).join(' ')} in ${target.cwd}`;
    if (result.code === null) throw new Error(`${what} was killed (${result.signal ?? 'no exit code'})`);
    if (isLockHeld(words)) throw nonRetryable('Conflict', `${what}: the state is locked by someone else:\n${words}`);
    throw nonRetryable('FailedPrecondition', `${what} failed:\n${words}`);
  }

  async function init(target: TerraformTarget): Promise<void> {
    // atmos runs `init` itself before plan and apply.
    if (target.component === undefined) await terraform(target, { op: 'init' });
  }

  async function showPlan(target: TerraformTarget, planFile: string): Promise<{ shown: unknown; hash: string }> {
    const result = await terraform(target, { op: 'show-plan', planFile });
    const shown = jsonFromOutput(result.stdout);
    return { shown, hash: sha256(canonicalPlan(shown)) };
  }

  async function makePlan(target: TerraformTarget, planFile: string, lockTimeoutSeconds: number, lock = true) {
    await mkdir(path.dirname(planFile), { recursive: true });
    // A new plan under this name was never applied: any apply job beside it is from an old plan.
    await rm(`${planFile}.apply`, { recursive: true, force: true });
    await init(target);
    await terraform(target, { op: 'plan', out: planFile, lockTimeoutSeconds, lock });
    const { shown, hash } = await showPlan(target, planFile);
    return { planFile, hash, summary: summarizePlan(shown), hasChanges: planHasChanges(shown) };
  }

  /** Where saved plans live: inside the clone's git dir (never part of its work tree). */
  async function planDir(input: TargetInput): Promise<string> {
    if (input.repo)
      return path.join(
        path.resolve(input.repo, await out(input.repo, ['rev-parse', '--git-dir'])),
        'rollback-orchestrator',
        'plans',
      );
    return path.join(input.workingDir, '.terraform', 'rollback-orchestrator', 'plans');
  }

  async function pullState(target: TerraformTarget): Promise<{ doc: StateDocument | undefined; sha: string }> {
    await init(target);
    const result = await terraform(target, { op: 'state-pull' });
    const text = result.stdout.trim();
    if (!text) return { doc: undefined, sha: sha256('') };
    const doc = parseState(text.slice(text.indexOf('{')), `the current state of ${target.cwd}`);
    return { doc, sha: sha256(stableStringify(doc)) };
  }

  return {
    /**
     * Runbook step "git revert <bad-commit-hash>": `git revert --no-edit` in the clone, and a push
     * when asked. Refuses a dirty work tree (naming the files) and a conflict (naming the files,
     * after `git revert --abort`). Finds a revert it already made on HEAD and returns it.
     */
    async gitRevert(input: { repo: string; commit: string; push: boolean }): Promise<GitRevertResult> {
      const { repo } = input;
      const sha = await resolveCommit(repo, input.commit);
      await abortOwnInterruptedRevert(repo, sha);
      let revertCommit = await revertAtHead(repo, sha);
      let changed = false;
      let previousHead: string;
      if (revertCommit) {
        previousHead = await out(repo, ['rev-parse', 'HEAD^']);
      } else {
        await refuseDirty(repo);
        previousHead = await out(repo, ['rev-parse', 'HEAD']);
        const result = await git(repo, [...(await identityArgs(repo)), 'revert', '--no-edit', sha], true);
        if (result.code !== 0) throw await conflictFailure(repo, sha, result.stderr || result.stdout);
        revertCommit = await out(repo, ['rev-parse', 'HEAD']);
        changed = true;
      }
      let pushed: string | undefined;
      if (input.push) {
        const remotes = (await out(repo, ['remote'])).split('\n').filter(Boolean);
        const remote = remotes.includes('origin') ? 'origin' : remotes[0];
        if (!remote) throw nonRetryable('FailedPrecondition', `git: push: true but ${repo} has no remote configured`);
        const branch = await out(repo, ['rev-parse', '--abbrev-ref', 'HEAD']);
        if (branch === 'HEAD')
          throw nonRetryable('FailedPrecondition', `git: ${repo} is on a detached HEAD; push needs a branch`);
        // Pushing the same commit again is a no-op ("Everything up-to-date").
        await git(repo, ['push', remote, `HEAD:refs/heads/${branch}`]);
        pushed = `${remote}/${branch}`;
      }
      const short = sha.slice(0, 12);
      const message = changed
        ? `reverted ${short} as ${revertCommit.slice(0, 12)}${pushed ? ` and pushed to ${pushed}` : ''}`
        : `${short} is already reverted at HEAD (${revertCommit.slice(0, 12)})${pushed ? `; pushed to ${pushed}` : ''}`;
      return { commit: sha, revertCommit, previousHead, changed, pushed, message };
    },

    /**
     * The dry run of terraformRevert: the same revert and plan in a scratch worktree of the clone
     * (the clone, its HEAD and its state are not touched; a local state is copied, a plan takes no
     * lock). The plan's hash is what the apply compares against.
     */
    async previewRevertPlan(
      input: TargetInput & { repo: string; commit: string; lockTimeoutSeconds: number },
    ): Promise<PlanView & { commit: string; head: string; alreadyReverted: boolean }> {
      const { repo } = input;
      const sha = await resolveCommit(repo, input.commit);
      const alreadyReverted = (await revertAtHead(repo, sha)) !== undefined;
      if (!alreadyReverted) await refuseDirty(repo);
      const head = await out(repo, ['rev-parse', 'HEAD']);
      const scratchRoot = await mkdtemp(path.join(os.tmpdir(), 'terraform-revert-preview-'));
      const scratch = path.join(scratchRoot, 'tree');
      try {
        await git(repo, ['worktree', 'add', '--detach', scratch, head]);
        if (!alreadyReverted) {
          const result = await git(scratch, ['revert', '--no-commit', sha], true);
          if (result.code !== 0) {
            const conflicted = (await out(scratch, ['diff', '--name-only', '--diff-filter=U']))
              .split('\n')
              .filter(Boolean);
            throw nonRetryable(
              'Conflict',
              `git: reverting ${sha.slice(0, 12)} in ${repo} conflicts (files: ${conflicted.join(', ') || 'none reported'}); nothing was changed`,
            );
          }
        }
        // Local state (ignored files) goes along, so the scratch plan starts from the same state.
        const ignored = (await out(repo, ['ls-files', '--others', '--ignored', '--exclude-standard']))
          .split('\n')
          .filter((f) => /(^|\/)([^/]*\.tfstate|terraform\.tfstate\.d\/.*)$/.test(f));
        for (const file of ignored) {
          await mkdir(path.dirname(path.join(scratch, file)), { recursive: true });
          await copyFile(path.join(repo, file), path.join(scratch, file));
        }
        const target = targetOf({ ...input, repo: scratch });
        const plan = await makePlan(target, path.join(scratchRoot, 'preview.tfplan'), input.lockTimeoutSeconds, false);
        return { ...plan, planFile: '(scratch, removed)', commit: sha, head, alreadyReverted };
      } finally {
        await git(repo, ['worktree', 'remove', '--force', scratch], true);
        await rm(scratchRoot, { recursive: true, force: true });
        await git(repo, ['worktree', 'prune'], true);
      }
    },

    /** `plan -out=<planfile>` (atmos: `atmos terraform plan <component> -s <stack>`) and its hash. */
    async terraformPlan(input: TargetInput & { planKey: string; lockTimeoutSeconds: number }): Promise<PlanView> {
      const planFile = path.join(await planDir(input), `${input.planKey.replace(/[^A-Za-z0-9._-]/g, '_')}.tfplan`);
      return makePlan(targetOf(input), planFile, input.lockTimeoutSeconds);
    },

    /**
     * Applies exactly the confirmed saved plan. The apply runs detached (`sh` writes Terraform's
     * output and exit code next to the plan file): a retry after a worker crash finds it running
     * or finished and waits for it or reads its outcome, never starting a second apply.
     */
    async terraformApply(
      input: TargetInput & { planFile: string; planHash: string; lockTimeoutSeconds: number },
    ): Promise<{ outcome: 'applied' | 'stale'; output: string; resumed: boolean }> {
      const target = targetOf(input);
      const job = `${input.planFile}.apply`;
      const files = { pid: path.join(job, 'pid'), out: path.join(job, 'output'), rc: path.join(job, 'rc') };
      const resumed = existsSync(files.pid);
      if (!resumed) {
        const { hash } = await showPlan(target, input.planFile);
        if (hash !== input.planHash) {
          throw nonRetryable(
            'TargetChanged',
            `terraform: the saved plan ${input.planFile} hashes ${hash.slice(0, 12)}, not the confirmed ${input.planHash.slice(0, 12)}; plan again`,
          );
        }
        await mkdir(job, { recursive: true });
        const { command, args, env } = commandFor(target, {
          op: 'apply-plan',
          planFile: input.planFile,
          lockTimeoutSeconds: input.lockTimeoutSeconds,
        });
        const log = openSync(files.out, 'w');
        const child = spawn(
          'sh',
          [
            '-c',
            'pid_file=$1; rc_file=$2; shift 2; echo $$ > "$pid_file"; "$@"; rc=$?; echo $rc > "$rc_file.tmp" && mv "$rc_file.tmp" "$rc_file"',
            'sh',
            files.pid,
            files.rc,
            command,
            ...args,
          ],
          { cwd: target.cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', log, log] },
        );
        closeSync(log);
        child.unref();
        // The pid file is the mark that this plan's apply has started.
        const started = Date.now();
        while (!existsSync(files.pid) && !existsSync(files.rc)) {
          if (Date.now() - started > 30_000) throw new Error(`terraform apply in ${target.cwd}: sh did not start`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      for (;;) {
        if (existsSync(files.rc)) break;
        const pid = Number((await readFile(files.pid, 'utf8').catch(() => '')).trim());
        if (pid > 0 && !alive(pid) && !existsSync(files.rc)) {
          // The wrapper died without an exit code (a machine restart): the apply's outcome is
          // unknown. Terraform decides: the saved plan is stale if anything was applied.
          await rm(job, { recursive: true, force: true });
          return { outcome: 'stale', output: 'the earlier apply ended without an exit code', resumed };
        }
        heartbeat({ waitingFor: 'apply', pid });
        await new Promise((r) => setTimeout(r, 1000));
      }
      const output = await readFile(files.out, 'utf8');
      const rc = Number((await readFile(files.rc, 'utf8')).trim());
      if (rc === 0) return { outcome: 'applied', output: lastLines(output), resumed };
      if (isStalePlan(output)) return { outcome: 'stale', output: terraformError(output), resumed };
      // A failed apply may be retried by a new plan, never by running this job again.
      const words = terraformError(output);
      if (isLockHeld(words))
        throw nonRetryable(
          'Conflict',
          `terraform apply in ${target.cwd}: the state is locked by someone else:\n${words}`,
        );
      throw nonRetryable('FailedPrecondition', `terraform apply in ${target.cwd} failed:\n${words}`);
    },

    /**
     * Runbook "List available state backups": the current state (`state pull`), every backup in
     * the working dir (terraform.tfstate.backup, *.tfstate.backup, timestamped copies), in
     * .terraform/ and in the backups dir; and how the chosen backup differs from the current state.
     */
    async inspectStateBackups(input: {
      workingDir: string;
      backup: string;
      backupsDir?: string;
    }): Promise<StateInspection> {
      const target = targetOf({ workingDir: input.workingDir });
      if (!existsSync(input.workingDir))
        throw nonRetryable('NotFound', `terraform: working directory ${input.workingDir} does not exist`);
      const current = await pullState(target);
      if (!current.doc) throw nonRetryable('NotFound', `terraform: ${input.workingDir} has no state to restore over`);
      const backupsDir = input.backupsDir
        ? path.resolve(input.workingDir, input.backupsDir)
        : path.join(input.workingDir, 'backups');
      const backups = await listBackups([input.workingDir, path.join(input.workingDir, '.terraform'), backupsDir]);
      const backupPath = path.resolve(input.workingDir, input.backup);
      const text = await readFile(backupPath, 'utf8').catch(() => undefined);
      if (text === undefined) {
        const names = backups.map((b) => path.relative(input.workingDir, b.path)).join(', ') || 'none';
        throw nonRetryable(
          'NotFound',
          `terraform: backup ${input.backup} not found in ${input.workingDir}; backups there: ${names}`,
        );
      }
      let backupDoc: StateDocument;
      try {
        backupDoc = parseState(text, `backup ${input.backup}`);
      } catch (error) {
        throw nonRetryable('InvalidInput', `terraform: ${(error as Error).message}`);
      }
      const backupSha = sha256(stableStringify(backupDoc));
      const diff = diffStates(current.doc, backupDoc);
      const { force } = restoredState(current.doc, backupDoc);
      const restoreHash = sha256(stableStringify({ current: current.sha, backup: backupSha, force }));
      return {
        current: {
          serial: current.doc.serial,
          lineage: current.doc.lineage,
          sha: current.sha,
          resources: current.doc.resources?.length ?? 0,
        },
        backups,
        backup: { path: backupPath, serial: backupDoc.serial, lineage: backupDoc.lineage, sha: backupSha },
        diff,
        restoreHash,
        needsForce: force,
      };
    },

    /**
     * Runbook "Copy backup to current state", done with `state push` so a locked or remote state
     * is handled by Terraform: keeps a copy of the state it replaces, then pushes the backup as
     * serial current+1 (restoredState). Pushes only over the state it was confirmed against; a
     * retry finds its own push (serial pinned+1 with the backup's resources) and stops.
     */
    async pushStateBackup(input: {
      workingDir: string;
      backupPath: string;
      currentSha: string;
      backupSha: string;
      allowLineageChange: boolean;
      lockTimeoutSeconds: number;
    }): Promise<{ pushed: boolean; savedCopy: string; serial: number; message: string }> {
      const target = targetOf({ workingDir: input.workingDir });
      const copyDir = path.join(input.workingDir, 'backups');
      // The push itself overwrites terraform.tfstate.backup (with the state it replaces), so the
      // confirmed backup is first copied under its hash; a retry reads that copy.
      const source = path.join(copyDir, `restore-source-${input.backupSha.slice(0, 12)}.tfstate`);
      const backupText = existsSync(source) ? await readFile(source, 'utf8') : await readFile(input.backupPath, 'utf8');
      const backupDoc = parseState(backupText, `backup ${input.backupPath}`);
      if (sha256(stableStringify(backupDoc)) !== input.backupSha) {
        throw nonRetryable(
          'TargetChanged',
          `terraform: backup ${input.backupPath} changed since it was planned; plan again`,
        );
      }
      if (!existsSync(source)) {
        await mkdir(copyDir, { recursive: true });
        await writeFile(`${source}.tmp`, backupText);
        await rename(`${source}.tmp`, source);
      }
      const current = await pullState(target);
      if (!current.doc) throw nonRetryable('TargetChanged', `terraform: ${input.workingDir} has no state any more`);
      const copyName = (sha: string) => path.join(copyDir, `pre-restore-${sha.slice(0, 12)}.tfstate`);
      if (current.sha !== input.currentSha) {
        const done = diffStates(current.doc, backupDoc).identical && existsSync(copyName(input.currentSha));
        if (done) {
          const saved = parseState(await readFile(copyName(input.currentSha), 'utf8'), 'the saved copy');
          if (current.doc.serial > saved.serial) {
            return {
              pushed: false,
              savedCopy: copyName(input.currentSha),
              serial: current.doc.serial,
              message: `state already restored from ${path.basename(input.backupPath)} (serial ${current.doc.serial})`,
            };
          }
        }
        throw nonRetryable(
          'TargetChanged',
          `terraform: the state of ${input.workingDir} changed since the restore was planned (now serial ${current.doc.serial}, lineage ${current.doc.lineage}); plan again`,
        );
      }
      const { doc, force } = restoredState(current.doc, backupDoc);
      if (force && !input.allowLineageChange) {
        throw nonRetryable(
          'FailedPrecondition',
          `terraform: backup ${path.basename(input.backupPath)} has lineage ${backupDoc.lineage}, the state has ${current.doc.lineage}: it is another state's history; give allowLineageChange: true to push it with -force`,
        );
      }
      await mkdir(copyDir, { recursive: true });
      const savedCopy = copyName(current.sha);
      if (!existsSync(savedCopy)) {
        await writeFile(`${savedCopy}.tmp`, `${JSON.stringify(current.doc, null, 2)}\n`);
        await rename(`${savedCopy}.tmp`, savedCopy);
      }
      const pushFile = path.join(copyDir, `.push-${input.backupSha.slice(0, 12)}.tfstate`);
      await writeFile(pushFile, `${JSON.stringify(doc, null, 2)}\n`);
      try {
        await terraform(target, {
          op: 'state-push',
          file: pushFile,
          force,
          lockTimeoutSeconds: input.lockTimeoutSeconds,
        });
      } finally {
        await rm(pushFile, { force: true });
      }
      const after = await pullState(target);
      // Terraform numbers the pushed state itself (it may write serial current+3); what counts is a
      // newer serial holding exactly the backup's resources.
      if (!after.doc || after.doc.serial <= current.doc.serial || !diffStates(after.doc, backupDoc).identical) {
        throw nonRetryable(
          'VerificationFailed',
          `terraform: after state push, the state of ${input.workingDir} is serial ${after.doc?.serial ?? 'none'} without the backup's resources`,
        );
      }
      return {
        pushed: true,
        savedCopy,
        serial: after.doc.serial,
        message: `state restored from ${path.basename(input.backupPath)} as serial ${after.doc.serial}${force ? ' (-force: other lineage)' : ''}; the replaced state is kept in ${savedCopy}`,
      };
    },
  };
}

export interface StateFileInfo {
  path: string;
  serial?: number;
  lineage?: string;
  resources?: number;
  modified: string;
  bytes: number;
  /** Why it is not a usable state file, when it is not. */
  invalid?: string;
}

export interface StateInspection {
  current: { serial: number; lineage: string; sha: string; resources: number };
  backups: StateFileInfo[];
  backup: { path: string; serial: number; lineage: string; sha: string };
  diff: StateDiff;
  restoreHash: string;
  needsForce: boolean;
}

const BACKUP_NAME = /(\.tfstate\.backup|\.tfstate\.[^/]*backup[^/]*|\.backup|\.tfstate)$/;

async function listBackups(dirs: string[]): Promise<StateFileInfo[]> {
  const found: StateFileInfo[] = [];
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (name === 'terraform.tfstate' || name.startsWith('.') || !BACKUP_NAME.test(name)) continue;
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      const entry: StateFileInfo = { path: file, modified: info.mtime.toISOString(), bytes: info.size };
      try {
        const doc = parseState(await readFile(file, 'utf8'), name);
        Object.assign(entry, { serial: doc.serial, lineage: doc.lineage, resources: doc.resources?.length ?? 0 });
      } catch (error) {
        entry.invalid = (error as Error).message;
      }
      found.push(entry);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
