import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/env.js';

describe('configuration from the environment', () => {
  test('defaults to the local dev server and the rollback task queue', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'rollback',
      tls: undefined,
      apiKey: undefined,
    });
    expect(config.aws).toEqual({ region: 'us-east-1', endpoint: undefined });
  });
  test('an API key turns TLS on, as Temporal Cloud needs', () => {
    const config = loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233' });
    expect(config.temporal.tls).toBeDefined();
    expect(config.temporal.apiKey).toBe('k');
  });
  test('a bad value is reported by its variable name', () => {
    expect(() => loadConfig({ AWS_ENDPOINT_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ AWS_ENDPOINT_URL: 'not a url' })).toThrow(/AWS_ENDPOINT_URL/);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/c.pem' })).toThrow(/TEMPORAL_TLS_KEY/);
    expect(() => loadConfig({ WORKER_METRICS_PORT: '70000' })).toThrow(/WORKER_METRICS_PORT/);
  });
  test('the worker metrics endpoint is off unless WORKER_METRICS_PORT is set, on loopback by default', () => {
    expect(loadConfig({}).workerMetricsAddress).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_PORT: '9464' }).workerMetricsAddress).toBe('127.0.0.1:9464');
    expect(loadConfig({ WORKER_METRICS_PORT: '9464', WORKER_METRICS_HOST: '0.0.0.0' }).workerMetricsAddress).toBe(
      '0.0.0.0:9464',
    );
  });
});

describe('notification channels from the service catalog', () => {
  const catalog = (channels: string) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-'));
    const file = path.join(dir, 'catalog.yaml');
    writeFileSync(
      file,
      `channels:\n${channels}\nservices:\n  - name: web\n    environments: [production]\n    match: { alertmanager: { service: web } }\n    procedures: []\n`,
    );
    return file;
  };

  test('the worker resolves the names the catalog defines, reading each URL from its variable', () => {
    const file = catalog('  payments-slack: { type: slack, urlEnv: SLACK_PAYMENTS }');
    const config = loadConfig({ ROLLBACK_CATALOG: file, SLACK_PAYMENTS: 'https://hooks.example.test/T1' });
    expect(config.channels.get('payments-slack')).toEqual({
      name: 'payments-slack',
      type: 'slack',
      url: 'https://hooks.example.test/T1',
    });
    expect(config.channels.get('log')).toMatchObject({ type: 'log' });
  });

  test('a catalog channel whose variable is unset stops the worker naming the channel and the variable', () => {
    const file = catalog('  oncall-pager: { type: webhook, urlEnv: ONCALL_URL }');
    expect(() => loadConfig({ ROLLBACK_CATALOG: file })).toThrow(ConfigError);
    expect(() => loadConfig({ ROLLBACK_CATALOG: file })).toThrow(/channel "oncall-pager": ONCALL_URL must hold/);
  });

  test('ROLLBACK_CHANNELS cannot silently redefine a catalog channel', () => {
    const file = catalog('  pager: { type: webhook, urlEnv: PAGER_URL }');
    const env = {
      ROLLBACK_CATALOG: file,
      PAGER_URL: 'https://pager.example.test/a',
      ROLLBACK_CHANNELS: '{"pager":{"type":"webhook","urlEnv":"PAGER_URL"}}',
    };
    expect(() => loadConfig(env)).toThrow(/channel "pager" is already defined/);
  });
});
