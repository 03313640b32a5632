/**
 * Encrypts every payload phasegate puts into Temporal (workflow inputs, signals, updates, activity
 * arguments and results, query answers) with AES-256-GCM, so alerts and case data are unreadable to
 * anyone with the Temporal database or a shared cluster. Each payload names the key that sealed it, so
 * keys rotate without breaking old histories: the current key encrypts, every key in the ring decrypts.
 *
 * Key ring (PHASEGATE_KEYS): comma-separated `<id>:<base64 of 32 bytes>`, the current one marked with a
 * leading `*`, e.g. `*2026-11:q83v…=,2026-10:Zm9v…=`. A single key needs no mark.
 *
 * Since AES-GCM authenticates what it decrypts, a payload this codec opens was sealed by a holder of
 * the key ring: phasegate itself. So a worker's codec refuses a payload that is not encrypted (a case
 * started with `temporal workflow start` and no codec, say) instead of running on it. What Temporal
 * itself writes unencrypted never reaches the codec: search attributes and headers are not decoded,
 * and patch and local-activity markers are read by the SDK's core (their results were encrypted by
 * the worker). Clients read what is there (acceptingPlaintext), and the codec server passes such a
 * payload through (routes/codec.ts): a memo or a detail someone wrote in plain text must not stop
 * them listing or showing cases.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class KeyRing {
  constructor(
    readonly currentId: string,
    private readonly keys: ReadonlyMap<string, Buffer>,
  ) {
    if (!keys.has(currentId)) throw new Error(`the current key "${currentId}" is not in the key ring`);
  }

  get current(): Buffer {
    return this.keys.get(this.currentId)!;
  }

  find(id: string): Buffer | undefined {
    return this.keys.get(id);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }
}

/** Parses PHASEGATE_KEYS; the error names the entry at fault but never echoes key material. */
export function parseKeyRing(value: string): KeyRing {
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error('PHASEGATE_KEYS is empty');
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  entries.forEach((entry, i) => {
    const marked = entry.startsWith('*');
    const [id, material, ...rest] = (marked ? entry.slice(1) : entry).split(':');
    if (!id || !KEY_ID.test(id) || material === undefined || rest.length > 0) {
      throw new Error(`PHASEGATE_KEYS entry ${i + 1} must be <id>:<base64 key> with an id of letters, digits, . _ -`);
    }
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, '')) {
      throw new Error(`PHASEGATE_KEYS key "${id}" must be 32 bytes in base64 (openssl rand -base64 32)`);
    }
    if (keys.has(id)) throw new Error(`PHASEGATE_KEYS lists key "${id}" twice`);
    keys.set(id, key);
    if (marked) {
      if (current) throw new Error('PHASEGATE_KEYS marks more than one key as current (*)');
      current = id;
    }
  });
  if (!current) {
    if (keys.size > 1) throw new Error('PHASEGATE_KEYS has several keys: mark the current one with a leading *');
    current = [...keys.keys()][0]!;
  }
  return new KeyRing(current, keys);
}

export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

/** The reason a decode is refused, in the error a worker reports as the workflow task's failure. */
export const PLAINTEXT_REFUSED = 'payload is not encrypted';

export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly ring: KeyRing,
    private readonly options: { acceptPlaintext?: boolean } = {},
  ) {}

  /** The same keys, passing payloads that are not encrypted through as they are (clients, the codec server). */
  acceptingPlaintext(): EncryptionCodec {
    return new EncryptionCodec(this.ring, { acceptPlaintext: true });
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, this.ring.current, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.ring.currentId),
        },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = Buffer.from(payload.metadata?.[METADATA_ENCODING_KEY] ?? []).toString();
      if (encoding !== ENCRYPTED_ENCODING) {
        if (this.options.acceptPlaintext) return payload;
        throw new Error(
          `${PLAINTEXT_REFUSED} (encoding "${encoding || 'none'}") but PHASEGATE_KEYS is set: only payloads sealed with the key ring are taken; ` +
            'start and signal cases through phasegate, or give the Temporal CLI --codec-endpoint',
        );
      }
      const keyId = Buffer.from(payload.metadata?.[KEY_ID_METADATA] ?? []).toString();
      const key = this.ring.find(keyId);
      if (!key) throw new Error(`payload encrypted with key "${keyId}", which is not in PHASEGATE_KEYS (known: ${this.ring.ids.join(', ')})`);
      const sealed = Buffer.from(payload.data ?? []);
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload is truncated');
      const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
