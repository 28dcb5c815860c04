import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CatalogError, catalogChannels, loadCatalog, parseCatalog } from '../../src/config/catalog.js';
import { incidentRollbackInput } from '../../src/domain/schemas/incidentRollback.js';
import { incidentInputFor } from '../../src/trigger/incidentInput.js';

const good = `channels:
  payments-slack: { type: slack, urlEnv: SLACK_PAYMENTS_WEBHOOK }
  oncall-pager:   { type: webhook, urlEnv: ONCALL_WEBHOOK }
services:
  - name: checkout-api
    environments: [production, staging]
    match:
      alertmanager: { service: checkout-api }
      pagerduty: { serviceId: PXXXXXX }
      cloudwatch: { alarmNamePrefix: "checkout-" }
    procedures:
      - type: kubernetesDeploymentRollback
        input: { namespace: "payments-\${environment}", deployment: checkout-api }
    approvers: [alice, bob]
    channels: [payments-slack]
    escalation: [oncall-pager]
    monitoring: { errorRate: { type: healthUrl, url: "http://checkout-api.payments/healthz" } }
`;

function errorOf(text: string, file = 'catalog.yaml'): string {
  try {
    parseCatalog(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as Error).message;
  }
  throw new Error('the catalog was accepted');
}

describe('service catalog', () => {
  test('the DESIGN.md example is accepted with its defaults filled in', () => {
    const catalog = parseCatalog(good);
    expect(catalog.services[0]).toMatchObject({
      name: 'checkout-api',
      environments: ['production', 'staging'],
      defaultSeverity: 'P1',
      match: { alertmanager: { service: 'checkout-api' }, pagerduty: { serviceId: 'PXXXXXX' } },
    });
    expect(catalogChannels(catalog)).toEqual({
      'payments-slack': { type: 'slack', urlEnv: 'SLACK_PAYMENTS_WEBHOOK' },
      'oncall-pager': { type: 'webhook', urlEnv: 'ONCALL_WEBHOOK' },
    });
  });

  test('the committed example catalog is valid and its inputs pass the incident schema', () => {
    const file = path.join(process.cwd(), 'catalog.example.yaml');
    const catalog = loadCatalog(file);
    expect(catalog.services.map((s) => s.name)).toEqual(['checkout-api', 'web']);
    for (const service of catalog.services) {
      const input = incidentInputFor(
        service,
        service.environments[0]!,
        { severity: 'P1' },
        {
          reason: 'test',
          requestedBy: 'test',
        },
      );
      const parsed = incidentRollbackInput.safeParse(input);
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  test('a value of the wrong type names the file, the line and the field', () => {
    const bad = good.replace('alertmanager: { service: checkout-api }', 'alertmanager: checkout-api');
    expect(errorOf(bad, 'svc/catalog.yaml')).toBe(
      'svc/catalog.yaml:8: services[0].match.alertmanager: Expected object, received string',
    );
  });

  test('a missing field is reported at the line of the entry that lacks it', () => {
    const bad = good.replace('    environments: [production, staging]\n', '');
    expect(errorOf(bad)).toBe('catalog.yaml:5: services[0].environments: Required');
  });

  test('an unknown procedure type and an undefined channel are reported at their lines', () => {
    expect(errorOf(good.replace('type: kubernetesDeploymentRollback', 'type: kubectlRollback'))).toMatch(
      /^catalog\.yaml:12: services\[0\]\.procedures\[0\]\.type: Invalid enum value/,
    );
    expect(errorOf(good.replace('escalation: [oncall-pager]', 'escalation: [pager]'))).toBe(
      'catalog.yaml:16: services[0].escalation[0]: channel "pager" is not defined in channels: (known: payments-slack, oncall-pager, log)',
    );
  });

  test('a channel holding a URL instead of a variable name is refused', () => {
    const bad = good.replace('urlEnv: ONCALL_WEBHOOK', 'urlEnv: "https://hooks.example.com/x"');
    expect(errorOf(bad)).toMatch(/^catalog\.yaml:3: channels\.oncall-pager\.urlEnv: must name an environment variable/);
  });

  test('unknown keys, duplicate services and YAML syntax errors are refused', () => {
    expect(errorOf(good.replace('    approvers:', '    aprovers: [x]\n    approvers:'))).toMatch(
      /^catalog\.yaml:5: services\[0\]: Unrecognized key\(s\) in object: 'aprovers'/,
    );
    const twice = good + good.slice(good.indexOf('  - name:'));
    expect(errorOf(twice)).toMatch(/^catalog\.yaml:18: services\[1\]\.name: "checkout-api" is also services\[0\]/);
    expect(errorOf('services:\n  - name: [unclosed\n')).toMatch(/^catalog\.yaml:\d+: /);
    expect(errorOf('services: []\n')).toBe('catalog.yaml:1: services: must list at least one service');
  });

  test('a missing file names the file and the variable that chooses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'catalog-'));
    expect(() => loadCatalog(path.join(dir, 'none.yaml'))).toThrow(
      /none\.yaml: cannot read the service catalog.*ROLLBACK_CATALOG/,
    );
    writeFileSync(path.join(dir, 'catalog.yaml'), readFileSync('catalog.example.yaml'));
    expect(loadCatalog(path.join(dir, 'catalog.yaml')).services).toHaveLength(2);
  });
});

describe('incident input from the catalog', () => {
  const service = parseCatalog(good).services[0]!;

  test('substitutes the environment into procedures and names channels by reference', () => {
    const input = incidentInputFor(
      service,
      'staging',
      { errorRatePct: 12 },
      { reason: 'errors', requestedBy: 'alertmanager' },
    );
    expect(input).toEqual({
      service: 'checkout-api',
      environment: 'staging',
      errorRatePct: 12,
      procedures: [
        { type: 'kubernetesDeploymentRollback', input: { namespace: 'payments-staging', deployment: 'checkout-api' } },
      ],
      reason: 'errors',
      requestedBy: 'alertmanager',
      approvers: ['alice', 'bob'],
      notify: { channels: [{ channel: 'payments-slack' }], escalation: [{ channel: 'oncall-pager' }] },
      monitoring: { errorRate: { type: 'healthUrl', url: 'http://checkout-api.payments/healthz' } },
    });
  });

  test('procedures given with the request replace the catalog ones', () => {
    const input = incidentInputFor(
      service,
      'production',
      { severity: 'P2' },
      {
        reason: 'r',
        requestedBy: 'cli',
        procedures: [{ type: 'lambdaAliasRollback', input: { functionName: 'f-${environment}' } }],
      },
    );
    expect(input.procedures).toEqual([{ type: 'lambdaAliasRollback', input: { functionName: 'f-production' } }]);
  });
});
