import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, parseKeyRing } from './payload-encryption';

/**
 * The data converter of every Client phasegate creates (server, intake, CLI): payloads encrypted with
 * the PHASEGATE_KEYS ring, or Temporal's default (plain JSON) when no key is configured. A client reads
 * a payload that is not encrypted as it is.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec.acceptingPlaintext()] } : undefined;
}

/** A worker's: the same encryption, and a payload that is not encrypted is refused (payload-encryption.ts). */
export function workerDataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** The PHASEGATE_KEYS codec as a worker uses it (refusing plain payloads); see acceptingPlaintext for clients. */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionCodec | undefined {
  const keys = env.PHASEGATE_KEYS?.trim();
  return keys ? new EncryptionCodec(parseKeyRing(keys)) : undefined;
}
