import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeChannel } from '../../src/domain/incident/channels.js';
import { describeOutcome, describeTarget, PROCEDURE_WORKFLOW_TYPES } from '../../src/domain/incident/procedures.js';
import { classifyIncident, incidentRollbackInput } from '../../src/domain/schemas/incidentRollback.js';
import { parseWith } from '../../src/domain/validation.js';
import { repoRoot } from '../support/tools.js';

const base = {
  service: 'checkout-api',
  environment: 'production',
  reason: 'errors after release 3',
  requestedBy: 'alertmanager',
  procedures: [{ type: 'lambdaAliasRollback', input: { functionName: 'checkout-api' } }],
};

function error(input: unknown): string {
  const parsed = parseWith(incidentRollbackInput, input);
  expect(parsed.ok).toBe(false);
  return parsed.ok ? '' : parsed.message;
}

test('an input with neither a severity nor an observed signal names "severity"', () => {
  expect(error(base)).toBe(
    'severity: give a severity (P0-P3) or an observed signal (outage, errorRatePct, latencyDegradationPct)',
  );
});

test('a P1 incident without procedures names "procedures"', () => {
  expect(error({ ...base, errorRatePct: 12, procedures: [] })).toMatch(/^procedures: a P1 incident needs at least one/);
});

test('an unknown procedure type names the field and the known types', () => {
  expect(error({ ...base, severity: 'P0', procedures: [{ type: 'kubectlMagic', input: {} }] })).toBe(
    `procedures.0.type: Invalid enum value. Expected ${PROCEDURE_WORKFLOW_TYPES.map((t) => `'${t}'`).join(' | ')}, received 'kubectlMagic'`,
  );
});

test('a bad channel, timeout policy or unknown field each names its path', () => {
  expect(error({ ...base, severity: 'P0', notify: { channels: [{ type: 'slack', webhookUrl: 'nope' }] } })).toBe(
    'notify.channels.0.webhookUrl: Invalid url',
  );
  expect(error({ ...base, severity: 'P1', confirmation: { onTimeout: 'panic' } })).toContain(
    'confirmation.onTimeout: Invalid enum value',
  );
  expect(error({ ...base, severity: 'P1', sevrity: 'P0' })).toBe("(input): Unrecognized key(s) in object: 'sevrity'");
});

test('defaults: log channel, 5-minute confirmation with "escalate"; P3 needs no procedures', () => {
  const parsed = parseWith(incidentRollbackInput, { ...base, severity: 'P3', procedures: undefined });
  expect(parsed.ok && parsed.value).toMatchObject({
    procedures: [],
    notify: { channels: [{ type: 'log' }], escalation: [] },
    confirmation: { timeoutMinutes: 5, onTimeout: 'escalate' },
  });
});

test('an explicit severity wins; signals alone go through the decision matrix with overridable thresholds', () => {
  expect(classifyIncident({ severity: 'P0', errorRatePct: 0.1 }).severity).toBe('P0');
  expect(classifyIncident({ errorRatePct: 3 }).severity).toBe('P2');
  expect(classifyIncident({ errorRatePct: 3 }, { errorGapSeverity: 'P1' }).severity).toBe('P1');
  expect(classifyIncident({ latencyDegradationPct: 80 }).action).toBe('rollback-after-investigation');
});

test('every procedure type is a workflow the worker serves', () => {
  const index = readFileSync(path.join(repoRoot, 'src/workflows/index.ts'), 'utf8');
  for (const type of PROCEDURE_WORKFLOW_TYPES) expect(index).toMatch(new RegExp(`export \\{ ${type} \\}`));
});

test("targets and outcomes are described from any procedure's input and result, not per procedure", () => {
  expect(describeTarget({ type: 'lambdaAliasRollback', input: { functionName: 'checkout-api', reason: 'x' } })).toBe(
    'lambdaAliasRollback functionName=checkout-api -> previous version/revision',
  );
  expect(describeTarget({ type: 'lambdaAliasRollback', input: { functionName: 'a', toVersion: '1' } })).toBe(
    'lambdaAliasRollback functionName=a -> version 1',
  );
  expect(describeOutcome('kubernetesDeploymentRollback', { toRevision: 4 })).toBe(
    'kubernetesDeploymentRollback: revision 4',
  );
  expect(describeOutcome('x', { message: 'done it' })).toBe('x: done it');
});

test('channels are named without the secret part of their URL', () => {
  expect(describeChannel({ type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/SECRET' })).toBe(
    'slack hooks.slack.com',
  );
  expect(describeChannel({ type: 'webhook', url: 'https://user:pw@ops.example.com/hook?token=abc' })).toBe(
    'webhook https://ops.example.com/hook',
  );
});
