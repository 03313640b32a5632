import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, parseKeyRing } from './payload-encryption';

/**
 * The data converter every Client and Worker phasegate creates uses: payloads encrypted with the
 * PHASEGATE_KEYS ring, or Temporal's default (plain JSON) when no key is configured.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): EncryptionCodec | undefined {
  const keys = env.PHASEGATE_KEYS?.trim();
  return keys ? new EncryptionCodec(parseKeyRing(keys)) : undefined;
}
