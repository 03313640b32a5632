/**
 * The proto3 JSON form of a `temporal.api.common.v1.Payloads` message, as the codec protocol carries
 * it, read as leniently as protojson reads it and written as protojson writes it.
 *
 * What the two clients send (Temporal CLI v1.5.1, i.e. Go SDK 1.37 `RemotePayloadCodec`; Web UI):
 * - The CLI marshals with Go's encoding/json and `omitempty`, so an empty list arrives as `{}`, a
 *   payload without data as `{"metadata":{…}}`, an empty payload as `{}` and a nil one as `null`.
 * - The Web UI (v2.42.1 as `phasegate dev` runs it: POST …/decode, `Content-Type: application/json`,
 *   `X-Namespace`, its Origin) forwards payloads as the server's JSON API gave them: camelCase,
 *   `externalPayloads` (int64 as strings) in newer UIs, `data` left out (binary/null) or null.
 * - proto3 JSON accepts standard and URL-safe base64, padded or not, and the proto field names as
 *   well as the camelCase ones; null stands for an absent field.
 * The answer goes back to the CLI through protojson.Unmarshal, which refuses unknown fields, so it
 * holds only `metadata`, `data` and (when present) `externalPayloads`.
 */
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';

export const MAX_PAYLOADS_PER_REQUEST = 1000;

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
  // A lone trailing character carries fewer than 8 bits: no encoder produces it.
  .refine((value) => value.replace(/=+$/, '').length % 4 !== 1, 'must be base64 (truncated)');

const sizeBytes = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be a non-negative integer')]);
const externalPayloadDetails = z
  .strictObject({ sizeBytes: sizeBytes.nullish(), size_bytes: sizeBytes.nullish() })
  .nullable();

const payload = z
  .strictObject({
    metadata: z.record(z.string(), base64).nullish(),
    data: base64.nullish(),
    externalPayloads: z.array(externalPayloadDetails).nullish(),
    external_payloads: z.array(externalPayloadDetails).nullish(),
  })
  .nullable();

export const codecRequestBody = z.strictObject({
  payloads: z.array(payload).max(MAX_PAYLOADS_PER_REQUEST, `at most ${MAX_PAYLOADS_PER_REQUEST} payloads per request`).nullish(),
});

export type CodecRequestBody = z.infer<typeof codecRequestBody>;
type JsonPayload = z.infer<typeof payload>;

export interface JsonPayloadOut {
  metadata: Record<string, string>;
  data: string;
  externalPayloads?: Array<{ sizeBytes?: string }>;
}

export function payloadsFromJson(body: CodecRequestBody): Payload[] {
  return (body.payloads ?? []).map(payloadFromJson);
}

function payloadFromJson(json: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(json?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  const external = json?.externalPayloads ?? json?.external_payloads;
  return {
    metadata,
    data: Buffer.from(json?.data ?? '', 'base64'),
    ...(external?.length
      ? {
          externalPayloads: external.map((d) =>
            temporal.api.common.v1.Payload.ExternalPayloadDetails.fromObject({ sizeBytes: d?.sizeBytes ?? d?.size_bytes ?? 0 }),
          ),
        }
      : {}),
  };
}

/** Both `metadata` and `data` are always written: the Web UI tells a payload from other objects by those two keys. */
export function payloadToJson(payload: Payload): JsonPayloadOut {
  const external = payload.externalPayloads ?? [];
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
    ...(external.length > 0
      ? {
          externalPayloads: external.map((d) =>
            temporal.api.common.v1.Payload.ExternalPayloadDetails.toObject(temporal.api.common.v1.Payload.ExternalPayloadDetails.fromObject(d), {
              longs: String,
            }) as { sizeBytes?: string },
          ),
        }
      : {}),
  };
}
