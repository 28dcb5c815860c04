// Pure logic of the Terraform procedures (runbook "Terraform Infrastructure Rollback"): the
// command lines (plain terraform/tofu, or atmos as in the runbook), what a saved plan changes and
// the canonical form its confirmation hash is taken of, how a state file differs from another,
// and how Terraform's own error messages are recognised. No I/O here.

/** Where Terraform runs: a plain working directory, or an atmos component in a stack. */
export interface TerraformTarget {
  /** Absolute directory the command runs in (atmos: the repository root with atmos.yaml). */
  cwd: string;
  component?: string;
  stack?: string;
}

export interface CommandLine {
  /** "terraform" (TERRAFORM_BIN) or "atmos" (ATMOS_BIN). */
  tool: 'terraform' | 'atmos';
  args: string[];
}

export type TerraformOperation =
  | { op: 'init' }
  | {
      op: 'plan';
      out?: string;
      detailedExitcode?: boolean;
      lockTimeoutSeconds: number;
      lock?: boolean;
      /** `-var-file=<f>` each, in order (relative to the working directory). */
      varFiles?: string[];
    }
  | { op: 'show-plan'; planFile: string }
  | { op: 'apply-plan'; planFile: string; lockTimeoutSeconds: number }
  | { op: 'state-pull' }
  | { op: 'state-push'; file: string; force: boolean; lockTimeoutSeconds: number };

const common = ['-input=false', '-no-color'];

/**
 * The command for one operation. With a component and a stack it is atmos's
 * (`atmos terraform plan <component> -s <stack>`, as the runbook writes it); atmos generates
 * the varfile and backend and runs `init` itself, and applies a saved plan with `--planfile`.
 */
export function terraformCommand(target: TerraformTarget, operation: TerraformOperation): CommandLine {
  const atmos = target.component !== undefined && target.stack !== undefined;
  let sub: string[];
  let args: string[];
  const atmosFlags: string[] = [];
  switch (operation.op) {
    case 'init':
      sub = ['init'];
      args = [...common];
      break;
    case 'plan':
      sub = ['plan'];
      args = [...common, `-lock-timeout=${operation.lockTimeoutSeconds}s`];
      if (operation.lock === false) args.push('-lock=false');
      if (operation.detailedExitcode) args.push('-detailed-exitcode');
      for (const file of operation.varFiles ?? []) args.push(`-var-file=${file}`);
      if (operation.out) args.push(`-out=${operation.out}`);
      break;
    case 'show-plan':
      sub = ['show'];
      args = ['-no-color', '-json', operation.planFile];
      break;
    case 'apply-plan':
      sub = ['apply'];
      args = [...common, `-lock-timeout=${operation.lockTimeoutSeconds}s`];
      if (atmos) atmosFlags.push('--planfile', operation.planFile);
      else args.push(operation.planFile);
      break;
    case 'state-pull':
      sub = ['state', 'pull'];
      args = [];
      break;
    case 'state-push':
      sub = ['state', 'push'];
      args = [`-lock-timeout=${operation.lockTimeoutSeconds}s`, ...(operation.force ? ['-force'] : []), operation.file];
      break;
  }
  if (!atmos) return { tool: 'terraform', args: [...sub, ...args] };
  // Terraform's own flags go after `--`: atmos would read `-json` as flags of its own.
  return {
    tool: 'atmos',
    args: ['terraform', ...sub, target.component!, '-s', target.stack!, ...atmosFlags, '--', ...args],
  };
}

// ---- plans --------------------------------------------------------------------------------

export type ChangeAction = 'no-op' | 'create' | 'read' | 'update' | 'delete';

export interface ResourceChange {
  address: string;
  /** Terraform's actions: ["create"], ["delete","create"] (replace), ["update"], ... */
  actions: ChangeAction[];
}

export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  /** Resources that are deleted, replacements included: never applied without confirmation. */
  destroys: string[];
  changes: ResourceChange[];
  /** "Plan: 1 to add, 0 to change, 1 to destroy." or "No changes." as Terraform says it. */
  text: string;
}

interface ShownPlan {
  resource_changes?: {
    address: string;
    mode?: string;
    type?: string;
    name?: string;
    index?: unknown;
    provider_name?: string;
    action_reason?: string;
    change: {
      actions: ChangeAction[];
      before?: unknown;
      after?: unknown;
      after_unknown?: unknown;
      before_sensitive?: unknown;
      after_sensitive?: unknown;
      replace_paths?: unknown;
    };
  }[];
  output_changes?: Record<
    string,
    { actions: ChangeAction[]; before?: unknown; after?: unknown; after_unknown?: unknown }
  >;
}

/** What a plan changes, from `show -json <planfile>` (resources whose action is no-op left out). */
export function summarizePlan(shown: unknown): PlanSummary {
  const plan = shown as ShownPlan;
  const changes: ResourceChange[] = (plan.resource_changes ?? [])
    .filter((rc) => !rc.change.actions.every((a) => a === 'no-op' || a === 'read'))
    .map((rc) => ({ address: rc.address, actions: rc.change.actions }));
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const c of changes) {
    if (c.actions.includes('create')) add += 1;
    if (c.actions.includes('delete')) destroy += 1;
    if (c.actions.includes('update')) change += 1;
  }
  const destroys = changes.filter((c) => c.actions.includes('delete')).map((c) => c.address);
  const outputsChange = Object.values(plan.output_changes ?? {}).some((o) => !o.actions.every((a) => a === 'no-op'));
  const text =
    changes.length === 0
      ? outputsChange
        ? 'No resource changes; outputs change.'
        : 'No changes.'
      : `Plan: ${add} to add, ${change} to change, ${destroy} to destroy.`;
  return { add, change, destroy, destroys, changes, text };
}

/** True when applying the plan would change anything (resources or outputs). */
export function planHasChanges(shown: unknown): boolean {
  const s = summarizePlan(shown);
  return s.changes.length > 0 || s.text !== 'No changes.';
}

/**
 * The part of a plan a confirmation is about: every resource and output change with its values
 * before and after. Left out: timestamps, versions, absolute paths and the configuration, so the
 * same change planned in a scratch worktree (a dry run) and in the clone itself (the apply)
 * hash the same. Keys are sorted, so the hash does not depend on JSON key order.
 */
export function canonicalPlan(shown: unknown): string {
  const plan = shown as ShownPlan;
  const resources = (plan.resource_changes ?? [])
    .map((rc) => ({
      address: rc.address,
      provider: rc.provider_name,
      reason: rc.action_reason,
      actions: rc.change.actions,
      before: rc.change.before,
      after: rc.change.after,
      afterUnknown: rc.change.after_unknown,
      beforeSensitive: rc.change.before_sensitive,
      afterSensitive: rc.change.after_sensitive,
      replacePaths: rc.change.replace_paths,
    }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return stableStringify({ resources, outputs: plan.output_changes ?? {} });
}

export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** The JSON document in a command's stdout (atmos may print its own lines before it). */
export function jsonFromOutput(stdout: string): unknown {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON document in the output: ${stdout.slice(0, 200)}`);
  return JSON.parse(stdout.slice(start, end + 1));
}

/**
 * What `plan -no-color` printed about its changes: the summary line ("Plan: 1 to add, 0 to
 * change, 0 to destroy.") and each resource it would change with Terraform's words for how
 * ("terraform_data.a will be updated in-place"). Drift notes ("has changed", "has been deleted")
 * are not planned changes and are left out.
 */
export function planTextChanges(stdout: string): { summary?: string; changes: string[] } {
  const summary = /^Plan: .*$/m.exec(stdout)?.[0].trim();
  const changes: string[] = [];
  // The address may hold quoted keys with spaces: module.x["a b"].terraform_data.y[0].
  for (const m of stdout.matchAll(/^[ \t]*# ((?:[^\s[]|\[[^\]\n]*\])+) ([^\n]*\b(?:will|must) be [^\n]*?)[ \t]*$/gm)) {
    const line = `${m[1]} ${m[2]}`;
    if (!changes.includes(line)) changes.push(line);
  }
  return { summary, changes };
}

// ---- Terraform's words ----------------------------------------------------------------------
// Terraform exits 1 for every error (its -json diagnostics are text too): a held lock or a stale
// plan can only be told from its words. Retrying is decided by the exit code alone.

/** `apply` of a saved plan whose state moved on (already applied, or changed by someone else). */
export function isStalePlan(output: string): boolean {
  return /Saved plan is stale/i.test(output);
}

export function isLockHeld(output: string): boolean {
  return /Error acquiring the state lock/i.test(output);
}

/** Terraform's error block(s) without the noise (empty lines, box-drawing characters). */
export function terraformError(output: string, maxChars = 1500): string {
  const lines = output
    // eslint-disable-next-line no-control-regex -- ANSI colour codes (atmos colours Terraform's output)
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.replace(/^[│╷╵\s]+/u, '').trimEnd())
    .filter((l) => l.length > 0);
  const from = lines.findIndex((l) => l.startsWith('Error'));
  const text = (from >= 0 ? lines.slice(from) : lines.slice(-15)).join('\n');
  return text.length > maxChars ? `${text.slice(0, maxChars)}...` : text;
}

/** The first line of Terraform's first error ("Error: Unclosed configuration block"), else its last words. */
export function firstErrorLine(output: string): string {
  const text = terraformError(output);
  return text.split('\n').find((l) => l.startsWith('Error')) ?? text.split('\n').pop() ?? '';
}

// ---- state files ----------------------------------------------------------------------------

interface StateResource {
  module?: string;
  mode?: string;
  type: string;
  name: string;
  instances?: { index_key?: string | number; attributes?: unknown; status?: string }[];
}

export interface StateDocument {
  version?: number;
  serial: number;
  lineage: string;
  resources?: StateResource[];
  outputs?: Record<string, unknown>;
}

export function parseState(text: string, what: string): StateDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not a state file (not JSON: ${(error as Error).message})`);
  }
  const d = doc as Partial<StateDocument>;
  if (typeof d !== 'object' || d === null || typeof d.serial !== 'number' || typeof d.lineage !== 'string') {
    throw new Error(`${what} is not a state file (no serial and lineage)`);
  }
  return d as StateDocument;
}

/** Every resource instance by address ("module.a.terraform_data.x[0]") with its attributes. */
export function stateInstances(state: StateDocument): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of state.resources ?? []) {
    const base = `${r.module ? `${r.module}.` : ''}${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
    for (const i of r.instances ?? []) {
      const key =
        i.index_key === undefined ? '' : typeof i.index_key === 'number' ? `[${i.index_key}]` : `["${i.index_key}"]`;
      out.set(`${base}${key}`, stableStringify(i.attributes ?? null));
    }
  }
  return out;
}

export interface StateDiff {
  /** In the backup, not in the current state: restoring puts them back into the state. */
  added: string[];
  /** In the current state, not in the backup: restoring drops them from the state. */
  removed: string[];
  /** In both with different attributes. */
  changed: string[];
  serial: { current: number; backup: number };
  lineage: { current: string; backup: string; same: boolean };
  /** True when the backup's resources and outputs are exactly the current ones. */
  identical: boolean;
}

export function diffStates(current: StateDocument, backup: StateDocument): StateDiff {
  const now = stateInstances(current);
  const then = stateInstances(backup);
  const added = [...then.keys()].filter((k) => !now.has(k)).sort();
  const removed = [...now.keys()].filter((k) => !then.has(k)).sort();
  const changed = [...then.keys()].filter((k) => now.has(k) && now.get(k) !== then.get(k)).sort();
  const sameOutputs = stableStringify(current.outputs ?? {}) === stableStringify(backup.outputs ?? {});
  return {
    added,
    removed,
    changed,
    serial: { current: current.serial, backup: backup.serial },
    lineage: { current: current.lineage, backup: backup.lineage, same: current.lineage === backup.lineage },
    identical: added.length === 0 && removed.length === 0 && changed.length === 0 && sameOutputs,
  };
}

export function describeStateDiff(diff: StateDiff): string {
  const parts = [
    diff.added.length ? `puts back ${diff.added.join(', ')}` : '',
    diff.removed.length ? `drops ${diff.removed.join(', ')}` : '',
    diff.changed.length ? `changes ${diff.changed.join(', ')}` : '',
  ].filter(Boolean);
  const what = parts.length ? parts.join('; ') : 'no resource differs';
  const lineage = diff.lineage.same
    ? 'same lineage'
    : `different lineage (${diff.lineage.backup} vs ${diff.lineage.current})`;
  return `${what} (serial ${diff.serial.backup} over ${diff.serial.current}, ${lineage})`;
}

/**
 * The document pushed to restore a backup. `state push` refuses a lower serial over the same
 * lineage ("cannot import state with serial N over newer state with serial M") and any other
 * lineage unless forced. The restored state is pushed as a newer version of the current one:
 * the backup's resources and outputs with serial current+1 (same lineage, no -force needed;
 * Terraform then numbers what it writes itself).
 * A backup of another lineage is another state's history: it is pushed (with its own lineage,
 * serial current+1 and -force) only when the caller says `allowLineageChange`.
 */
export function restoredState(current: StateDocument, backup: StateDocument): { doc: StateDocument; force: boolean } {
  const force = current.lineage !== backup.lineage;
  return { doc: { ...backup, serial: current.serial + 1 }, force };
}
