// Payload encryption for every client and worker of the project: the worker, the trigger,
// rollbackctl and the tests' clients all build their data converter here, from the same keys.
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aesGcmCodec.js';
import { loadCodecKeys, type CodecKey } from './keys.js';

export { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError } from './aesGcmCodec.js';
export {
  CodecKeyError,
  KEY_FILE_VARIABLE,
  KEYS_VARIABLE,
  loadCodecKeys,
  parseCodecKeyFile,
  parseCodecKeys,
  type CodecKey,
} from './keys.js';

/** The data converter that encrypts every payload with the first key and decrypts with any. */
export function rollbackDataConverter(keys: readonly CodecKey[]): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}

/** From ROLLBACK_CODEC_KEYS or ROLLBACK_CODEC_KEY_FILE; undefined (no encryption) when neither is set. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keys = loadCodecKeys(env);
  return keys ? rollbackDataConverter(keys) : undefined;
}
