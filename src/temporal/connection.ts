// Connections to Temporal from configuration: plain for the dev server, mTLS or an API key for
// a production cluster or Temporal Cloud (docs/production.md). Clients get the payload codec when keys
// are configured.
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, type AppConfig } from '../config/env.js';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/** A certificate or key file, or a ConfigError naming the variable that gave its path. */
function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${variable}: cannot read ${file}: ${(error as Error).message}`);
  }
}

function tlsOptions(config: AppConfig): TLSConfig | undefined {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.caPath ? readPem('TEMPORAL_TLS_CA', tls.caPath) : undefined,
    clientCertPair:
      tls.clientCertPath && tls.clientKeyPath
        ? {
            crt: readPem('TEMPORAL_TLS_CERT', tls.clientCertPath),
            key: readPem('TEMPORAL_TLS_KEY', tls.clientKeyPath),
          }
        : undefined,
  };
}

/** The options both connections share; certificate files are read here, once per connection. */
export function temporalConnectionOptions(config: AppConfig): TemporalConnectionOptions {
  return { address: config.temporal.address, tls: tlsOptions(config), apiKey: config.temporal.apiKey };
}

export async function connectClient(config: AppConfig): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: config.dataConverter });
}

export async function connectWorker(config: AppConfig): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config));
}
