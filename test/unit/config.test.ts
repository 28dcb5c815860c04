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
  });
});
