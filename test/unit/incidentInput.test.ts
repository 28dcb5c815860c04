import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/env.js';
import { describeOutcome, reportsVerified } from '../../src/domain/incident/procedures.js';
import { describeTarget, PROCEDURE_TYPES, procedureInputErrors } from '../../src/domain/procedures/registry.js';
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
    `procedures.0.type: Invalid enum value. Expected ${PROCEDURE_TYPES.map((t) => `'${t}'`).join(' | ')}`,
  );
});

test('a bad channel, timeout policy or unknown field each names its path', () => {
  expect(error({ ...base, severity: 'P0', notify: { channels: [{ channel: '' }] } })).toBe(
    'notify.channels.0.channel: must name a configured channel',
  );
  expect(error({ ...base, severity: 'P1', confirmation: { onTimeout: 'panic' } })).toContain(
    'confirmation.onTimeout: Invalid enum value',
  );
  expect(error({ ...base, severity: 'P1', sevrity: 'P0' })).toBe('sevrity: unknown field');
});

test('defaults: log channel, 5-minute confirmation with "escalate"; P3 needs no procedures', () => {
  const parsed = parseWith(incidentRollbackInput, { ...base, severity: 'P3', procedures: undefined });
  expect(parsed.ok && parsed.value).toMatchObject({
    procedures: [],
    notify: { channels: [{ channel: 'log' }], escalation: [] },
    confirmation: { timeoutMinutes: 5, onTimeout: 'escalate' },
    investigation: { timeoutMinutes: 30, onTimeout: 'escalate' },
    verification: { healthyReadings: 3, intervalMinutes: 1, windowMinutes: 10 },
    dryRun: false,
    refireWindowMinutes: 60,
    repageMinutes: 5,
    maxDurationHours: 24,
    allowSelfApproval: false,
  });
});

test('an explicit severity wins over milder signals, never over worse ones; thresholds are overridable', () => {
  expect(classifyIncident({ severity: 'P0', errorRatePct: 0.1 }).severity).toBe('P0');
  expect(classifyIncident({ severity: 'P3', outage: true })).toMatchObject({
    severity: 'P0',
    action: 'immediate-rollback',
  });
  expect(classifyIncident({ errorRatePct: 3 }).severity).toBe('P2');
  expect(classifyIncident({ errorRatePct: 3 }, { errorGapSeverity: 'P1' }).severity).toBe('P1');
  expect(classifyIncident({ latencyDegradationPct: 80 }).action).toBe('rollback-after-investigation');
});

test('every procedure type is a workflow the worker serves', () => {
  const index = readFileSync(path.join(repoRoot, 'src/workflows/index.ts'), 'utf8');
  for (const type of PROCEDURE_TYPES) expect(index).toMatch(new RegExp(`export \\{ ${type} \\}`));
});

test("targets are type and target only, never the input's data (defect 10); outcomes come from the contract", () => {
  expect(describeTarget({ type: 'lambdaAliasRollback', input: { functionName: 'checkout-api', reason: 'x' } })).toBe(
    'lambdaAliasRollback checkout-api:production',
  );
  const configMap = { namespace: 'demo', configMap: 'web-config', previousData: { PASSWORD: 'hunter2' } };
  expect(describeTarget({ type: 'configMapRollback', input: configMap })).toBe('configMapRollback demo/web-config');
  const manifest = { kind: 'Deployment', spec: { template: { secret: 'hunter2' } } };
  const deployment = { namespace: 'demo', deployment: 'web', fallbacks: { recreateFromManifest: manifest } };
  expect(describeTarget({ type: 'kubernetesDeploymentRollback', input: deployment })).toBe(
    'kubernetesDeploymentRollback demo/web',
  );
  expect(describeOutcome('kubernetesDeploymentRollback demo/web', { to: 'revision 2', message: 'x' })).toBe(
    'kubernetesDeploymentRollback demo/web: revision 2',
  );
  expect(reportsVerified({ verified: true, dryRun: false })).toBe(true);
  expect(reportsVerified({ verified: true, dryRun: true })).toBe(false);
  expect(reportsVerified({ checks: [{ passed: true }] })).toBe(false);
});

test('procedure inputs are checked against their own schema, naming the path (defect 6)', () => {
  expect(
    procedureInputErrors([
      { type: 'lambdaAliasRollback', input: { functionName: 'a' } },
      { type: 'lambdaAliasRollback', input: { alias: 'live' } },
    ]),
  ).toEqual(['procedures[1].input.functionName: Required']);
  expect(procedureInputErrors([{ type: 'lambdaAliasRollback', input: { functionName: 'a', dryRun: true } }])).toEqual([
    `procedures[0].input.dryRun: not allowed inside an incident (the incident plans every procedure; give the incident's own "dryRun": true to change nothing)`,
  ]);
});

test('an inline webhook URL is refused with a pointer to named channels (defect 10)', () => {
  const inline = { type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/SECRET' };
  expect(error({ ...base, severity: 'P0', notify: { channels: [inline] } })).toBe(
    'notify.channels.0: inline channel URLs are credentials and are refused: name a channel configured on the worker instead, e.g. {"channel":"payments-slack"} (ROLLBACK_CHANNELS)',
  );
});

test('the worker resolves channel names from ROLLBACK_CHANNELS; a missing URL variable is named', () => {
  const config = loadConfig({
    ROLLBACK_CHANNELS: JSON.stringify({ 'payments-slack': { type: 'slack', urlEnv: 'PAYMENTS_SLACK_URL' } }),
    PAYMENTS_SLACK_URL: 'https://hooks.slack.com/services/T0/B0/SECRET',
  });
  expect(config.channels.get('payments-slack')).toMatchObject({ type: 'slack' });
  expect(config.channels.get('log')).toMatchObject({ type: 'log' });
  expect(() =>
    loadConfig({ ROLLBACK_CHANNELS: JSON.stringify({ pager: { type: 'webhook', urlEnv: 'PAGER_URL' } }) }),
  ).toThrow('invalid configuration: ROLLBACK_CHANNELS: channel "pager": PAGER_URL must hold an http(s) URL');
});

test('a value in the wrong field is never quoted back (it may be a secret)', () => {
  const message = error({ ...base, severity: 'P0', procedures: [{ type: 'sk_live_0123456789abcdef', input: {} }] });
  expect(message).toMatch(/^procedures\.0\.type: Invalid enum value/);
  expect(message).not.toContain('sk_live_');
});
