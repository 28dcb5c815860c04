import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { temporalConnectionOptions } from '../../src/temporal/connection.js';

/** PEM-looking files in a temp dir; their bytes are what the connection must carry. */
function pemFiles(): { cert: string; key: string; ca: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
  const files = { cert: 'client.pem', key: 'client.key', ca: 'ca.pem' };
  for (const [kind, name] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), `-----BEGIN ${kind.toUpperCase()}-----\n${kind}\n-----END-----\n`);
  }
  return { cert: path.join(dir, files.cert), key: path.join(dir, files.key), ca: path.join(dir, files.ca) };
}

describe('Temporal connection options from the environment', () => {
  test('the local dev server: plain text, no API key', () => {
    expect(temporalConnectionOptions(loadConfig({}))).toEqual({
      address: 'localhost:7233',
      tls: undefined,
      apiKey: undefined,
    });
  });

  test('mTLS (a self-hosted cluster or Temporal Cloud with certificates): the files are read into the TLS options', () => {
    const files = pemFiles();
    const options = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'payments.a1b2c.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'payments.a1b2c',
        TEMPORAL_TLS_CERT: files.cert,
        TEMPORAL_TLS_KEY: files.key,
        TEMPORAL_TLS_CA: files.ca,
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      }),
    );
    expect(options.address).toBe('payments.a1b2c.tmprl.cloud:7233');
    expect(options.apiKey).toBeUndefined();
    expect(options.tls?.clientCertPair?.crt.toString()).toContain('BEGIN CERT');
    expect(options.tls?.clientCertPair?.key.toString()).toContain('BEGIN KEY');
    expect(options.tls?.serverRootCACertificate?.toString()).toContain('BEGIN CA');
    expect(options.tls?.serverNameOverride).toBe('temporal.internal');
  });

  test('an API key (Temporal Cloud) turns TLS on with the system CAs and no client certificate', () => {
    const options = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233',
        TEMPORAL_NAMESPACE: 'payments.a1b2c',
        TEMPORAL_API_KEY: 'test-api-key',
      }),
    );
    expect(options).toEqual({
      address: 'us-east-1.aws.api.temporal.io:7233',
      tls: { serverNameOverride: undefined, serverRootCACertificate: undefined, clientCertPair: undefined },
      apiKey: 'test-api-key',
    });
  });

  test('TEMPORAL_TLS=true alone: server-authenticated TLS without a client certificate', () => {
    const options = temporalConnectionOptions(loadConfig({ TEMPORAL_TLS: 'true' }));
    expect(options.tls).toBeDefined();
    expect(options.tls?.clientCertPair).toBeUndefined();
    expect(options.apiKey).toBeUndefined();
  });

  test('an unreadable certificate, key or CA file fails naming its variable and path', () => {
    const files = pemFiles();
    const missing = path.join(path.dirname(files.cert), 'absent.pem');
    const cases: Array<[string, NodeJS.ProcessEnv]> = [
      ['TEMPORAL_TLS_CERT', { TEMPORAL_TLS_CERT: missing, TEMPORAL_TLS_KEY: files.key }],
      ['TEMPORAL_TLS_KEY', { TEMPORAL_TLS_CERT: files.cert, TEMPORAL_TLS_KEY: missing }],
      ['TEMPORAL_TLS_CA', { TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA: missing }],
    ];
    for (const [variable, env] of cases) {
      const config = loadConfig(env);
      expect(() => temporalConnectionOptions(config)).toThrow(ConfigError);
      expect(() => temporalConnectionOptions(config)).toThrow(`${variable}: cannot read ${missing}`);
    }
  });

  test('bad values are refused at start, naming the variable', () => {
    expect(() => loadConfig({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS/);
    expect(() => loadConfig({ TEMPORAL_TLS_KEY: '/k.pem' })).toThrow(
      /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/,
    );
    expect(() => loadConfig({ TEMPORAL_ADDRESS: '' })).toThrow(/TEMPORAL_ADDRESS/);
    expect(() => loadConfig({ TEMPORAL_NAMESPACE: '' })).toThrow(/TEMPORAL_NAMESPACE/);
  });
});
