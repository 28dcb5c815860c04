// The Terraform procedures' pure logic: command lines (plain and atmos), plan summaries and the
// canonical form a confirmation hash is taken of, state differences, and the input schemas.
import {
  canonicalPlan,
  diffStates,
  firstErrorLine,
  jsonFromOutput,
  planTextChanges,
  restoredState,
  summarizePlan,
  terraformCommand,
  terraformError,
  type StateDocument,
} from '../../src/domain/terraform.js';
import {
  confirmPlanArgs,
  terraformRevertInput,
  terraformStateRestoreInput,
} from '../../src/domain/schemas/terraform.js';

const plain = { cwd: '/infra' };
const atmos = { cwd: '/infra', component: 'vpc', stack: 'prod' };

test('plain commands are terraform/tofu; with component and stack they are atmos, Terraform flags after --', () => {
  expect(terraformCommand(plain, { op: 'plan', out: '/p.tfplan', lockTimeoutSeconds: 60 })).toEqual({
    tool: 'terraform',
    args: ['plan', '-input=false', '-no-color', '-lock-timeout=60s', '-out=/p.tfplan'],
  });
  expect(terraformCommand(plain, { op: 'apply-plan', planFile: '/p.tfplan', lockTimeoutSeconds: 5 }).args).toEqual([
    'apply',
    '-input=false',
    '-no-color',
    '-lock-timeout=5s',
    '/p.tfplan',
  ]);
  expect(terraformCommand(atmos, { op: 'plan', out: '/p.tfplan', lockTimeoutSeconds: 60 })).toEqual({
    tool: 'atmos',
    args: [
      'terraform',
      'plan',
      'vpc',
      '-s',
      'prod',
      '--',
      '-input=false',
      '-no-color',
      '-lock-timeout=60s',
      '-out=/p.tfplan',
    ],
  });
  expect(terraformCommand(atmos, { op: 'apply-plan', planFile: '/p.tfplan', lockTimeoutSeconds: 5 }).args).toEqual([
    'terraform',
    'apply',
    'vpc',
    '-s',
    'prod',
    '--planfile',
    '/p.tfplan',
    '--',
    '-input=false',
    '-no-color',
    '-lock-timeout=5s',
  ]);
  expect(
    terraformCommand(plain, { op: 'state-push', file: '/s.tfstate', force: true, lockTimeoutSeconds: 1 }).args,
  ).toEqual(['state', 'push', '-lock-timeout=1s', '-force', '/s.tfstate']);
});

const shown = (order: 'ab' | 'ba', timestamp: string) => {
  const a = {
    address: 'terraform_data.a',
    change: { actions: ['update'], before: { input: 'v2' }, after: { input: 'v1' } },
  };
  const c = { address: 'terraform_data.c', change: { actions: ['delete'], before: { input: 'c1' }, after: null } };
  const b = { address: 'terraform_data.b', change: { actions: ['delete', 'create'], before: {}, after: {} } };
  const n = { address: 'terraform_data.n', change: { actions: ['no-op'], before: {}, after: {} } };
  return {
    timestamp,
    terraform_version: '1.12.6',
    resource_changes: order === 'ab' ? [a, b, c, n] : [n, c, b, a],
    output_changes: {},
  };
};

test('a plan summary counts like Terraform and lists every destroy, replacements included', () => {
  expect(summarizePlan(shown('ab', 't1'))).toEqual({
    add: 1,
    change: 1,
    destroy: 2,
    destroys: ['terraform_data.b', 'terraform_data.c'],
    changes: [
      { address: 'terraform_data.a', actions: ['update'] },
      { address: 'terraform_data.b', actions: ['delete', 'create'] },
      { address: 'terraform_data.c', actions: ['delete'] },
    ],
    text: 'Plan: 1 to add, 1 to change, 2 to destroy.',
  });
  expect(summarizePlan({ resource_changes: [] }).text).toBe('No changes.');
});

test('the canonical plan ignores timestamps and order, and changes with any value', () => {
  expect(canonicalPlan(shown('ab', 't1'))).toBe(canonicalPlan(shown('ba', 't2')));
  const other = shown('ab', 't1');
  other.resource_changes[0]!.change.after = { input: 'v3' };
  expect(canonicalPlan(other)).not.toBe(canonicalPlan(shown('ab', 't1')));
});

const state = (serial: number, lineage: string, inputs: Record<string, string>): StateDocument => ({
  version: 4,
  serial,
  lineage,
  resources: Object.entries(inputs).map(([name, input]) => ({
    mode: 'managed',
    type: 'terraform_data',
    name,
    instances: [{ attributes: { input } }],
  })),
  outputs: {},
});

test('a state diff says what a restore puts back, drops and changes; the push is the next serial', () => {
  const current = state(7, 'L', { a: 'v2', c: 'c1' });
  const backup = state(3, 'L', { a: 'v1', b: 'b1' });
  expect(diffStates(current, backup)).toEqual({
    added: ['terraform_data.b'],
    removed: ['terraform_data.c'],
    changed: ['terraform_data.a'],
    serial: { current: 7, backup: 3 },
    lineage: { current: 'L', backup: 'L', same: true },
    identical: false,
  });
  expect(diffStates(backup, backup).identical).toBe(true);
  expect(restoredState(current, backup)).toEqual({ doc: { ...backup, serial: 8 }, force: false });
  expect(restoredState(current, state(1, 'OTHER', {})).force).toBe(true);
});

test("Terraform's words: the error block, without box drawing or colours; JSON after atmos's lines", () => {
  const out = '\u001b[31m╷\u001b[0m\n│ Error: Error acquiring the state lock\n│ \n│ Lock Info:\n│   ID: 1\n╵\n';
  expect(terraformError(out)).toBe('Error: Error acquiring the state lock\nLock Info:\nID: 1');
  expect(jsonFromOutput('Initializing...\n{"a":1}\n')).toEqual({ a: 1 });
});

test("the plan-clean check's words: var files in order, the summary and planned changes, the first error line", () => {
  expect(
    terraformCommand(plain, {
      op: 'plan',
      detailedExitcode: true,
      lock: false,
      lockTimeoutSeconds: 0,
      varFiles: ['a.tfvars', 'b.tfvars'],
    }).args,
  ).toEqual([
    'plan',
    '-input=false',
    '-no-color',
    '-lock-timeout=0s',
    '-lock=false',
    '-detailed-exitcode',
    '-var-file=a.tfvars',
    '-var-file=b.tfvars',
  ]);
  const text = [
    'Note: Objects have changed outside of OpenTofu',
    '  # terraform_data.d has been deleted',
    'OpenTofu will perform the following actions:',
    '  # terraform_data.a will be updated in-place',
    '  # module.m["a b"].terraform_data.y[0] must be replaced',
    '  # terraform_data.t is tainted, so must be replaced',
    '  # terraform_data.d will be created',
    'Plan: 3 to add, 1 to change, 2 to destroy.',
  ].join('\n');
  expect(planTextChanges(text)).toEqual({
    summary: 'Plan: 3 to add, 1 to change, 2 to destroy.',
    changes: [
      'terraform_data.a will be updated in-place',
      'module.m["a b"].terraform_data.y[0] must be replaced',
      'terraform_data.t is tainted, so must be replaced',
      'terraform_data.d will be created',
    ],
  });
  expect(planTextChanges('Changes to Outputs:\n  + x = 1\n')).toEqual({ summary: undefined, changes: [] });
  expect(firstErrorLine('╷\n│ Error: Unclosed configuration block\n│\n│   on main.tf line 1:\n╵\n')).toBe(
    'Error: Unclosed configuration block',
  );
});

test('inputs are checked field by field', () => {
  const bad = terraformRevertInput.safeParse({ repo: 'rel', commit: 'a b', workingDir: '../x', component: 'vpc' });
  expect(bad.success).toBe(false);
  const fields = bad.error!.issues.map((i) => i.path.join('.'));
  expect(fields).toEqual(expect.arrayContaining(['repo', 'commit', 'workingDir', 'stack']));
  expect(terraformRevertInput.parse({ repo: '/r', commit: 'abc123' })).toMatchObject({
    workingDir: '.',
    push: false,
    dryRun: false,
    lockTimeoutSeconds: 60,
    confirmationTimeoutSeconds: 3600,
  });
  expect(
    terraformStateRestoreInput.safeParse({ workingDir: '/w', backup: 'x', pin: { planHash: 'short' } }).success,
  ).toBe(false);
  expect(confirmPlanArgs.safeParse({ planHash: 'a'.repeat(64), by: '' }).success).toBe(false);
});
