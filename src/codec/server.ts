// Codec server entry point: `npm run codec-server`. Decodes and encodes payloads for the Temporal
// Web UI (`--ui-codec-endpoint`, or the UI's codec settings) and the CLI (`--codec-endpoint`) with
// the keys of ROLLBACK_CODEC_KEYS or ROLLBACK_CODEC_KEY_FILE, on ROLLBACK_CODEC_HOST:ROLLBACK_CODEC_PORT,
// until SIGINT or SIGTERM.
import { ConfigError } from '../config/env.js';
import { createLogger } from '../logger.js';
import { buildCodecServer, loadCodecServerConfig } from './codecServer.js';
import { AesGcmPayloadCodec, CodecKeyError, KEY_FILE_VARIABLE, KEYS_VARIABLE, loadCodecKeys } from './index.js';
import { stopOnSignals } from '../http/lifecycle.js';

async function main(): Promise<void> {
  const config = loadCodecServerConfig();
  const keys = loadCodecKeys();
  if (!keys) throw new ConfigError(`codec server: set ${KEYS_VARIABLE} or ${KEY_FILE_VARIABLE}`);
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'codec-server');
  const codec = new AesGcmPayloadCodec(keys);
  const app = buildCodecServer({ codec, corsOrigins: config.corsOrigins, token: config.token, logger });
  const address = await app.listen({ host: config.host, port: config.port });
  logger.info(
    {
      address,
      corsOrigins: config.corsOrigins,
      keyIds: keys.map((k) => k.id),
      encryptsWith: codec.keyId,
      token: config.token ? 'required' : 'none',
    },
    'codec server listening',
  );
  stopOnSignals(app, logger, 'codec server');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof CodecKeyError) console.error(error.message);
  else console.error('codec server failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
