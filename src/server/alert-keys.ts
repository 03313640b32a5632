/**
 * Keys for senders that cannot sign: an EventBridge API destination authenticates only with its
 * Connection's API key header or Basic credentials. The keys file (PHASEGATE_ALERT_KEYS) holds the
 * SHA-256 of each key, never the key, and the alert sources each key may send, so a key leaked from a
 * GuardDuty rule cannot open cases with made-up generic alerts.
 *
 *   keys:
 *     - name: eventbridge-2026-11          # the Basic user name; shows in /metrics
 *       keySha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *       sources: [guardduty, securityhub, sir-events]
 *     - name: soc-tooling
 *       keySha256: …
 *       sources: [generic]
 *       mayAdoptCases: true                # its generic alerts may name an existing SIR case (caseId)
 *
 * Several keys may share sources: that is how a key is rotated without downtime. Taking over an
 * existing case is a permission of its own (off by default): a key that may send generic alerts could
 * otherwise point a playbook at any case the worker's IAM role can see.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { GUARDDUTY_EVENT_SOURCE } from '../domain/alert/guardduty';
import { SECURITYHUB_EVENT_SOURCE } from '../domain/alert/securityhub';
import { SIR_EVENT_SOURCE } from '../domain/sir-api/event';

/** What a key may send: the three alert kinds, and AWS SIR's own `aws.security-ir` events. */
export const ALERT_KEY_SOURCES = ['guardduty', 'securityhub', 'generic', 'sir-events'] as const;
export type AlertKeySource = (typeof ALERT_KEY_SOURCES)[number];

/** Letters, digits and . _ @ -: no colon, so a name is always a valid Basic user name. */
const NAME = /^[A-Za-z0-9._@-]{1,128}$/;

const keysFileSchema = z.strictObject({
  keys: z.array(
    z
      .strictObject({
        name: z.string().regex(NAME, 'key names use letters, digits and . _ @ - (at most 128)'),
        keySha256: z.string().regex(/^[0-9a-f]{64}$/i, 'keySha256 is the hex SHA-256 of the key (64 hex digits)'),
        sources: z
          .array(z.enum(ALERT_KEY_SOURCES, { error: () => `each source is one of ${ALERT_KEY_SOURCES.join(', ')}` }))
          .min(1, `list the sources this key may send (${ALERT_KEY_SOURCES.join(', ')})`),
        mayAdoptCases: z.boolean({ error: () => 'mayAdoptCases is true or false (default false)' }).optional(),
      })
      // Only a generic alert names a caseId: the permission would otherwise be a silent no-op.
      .refine((key) => !key.mayAdoptCases || key.sources.includes('generic'), {
        path: ['mayAdoptCases'],
        message: 'only generic alerts name a caseId: add generic to sources, or drop mayAdoptCases',
      }),
  ),
});

export interface AlertKey {
  name: string;
  sources: ReadonlySet<AlertKeySource>;
  /** Its alerts may name an existing SIR case (`caseId`) for a playbook to take over. */
  mayAdoptCases: boolean;
}

interface Entry extends AlertKey {
  nameDigest: Buffer;
  keyDigest: Buffer;
}

export class AlertKeyring {
  private readonly entries: Entry[];

  constructor(keys: Array<{ name: string; keySha256: string; sources: readonly AlertKeySource[]; mayAdoptCases?: boolean }>) {
    const names = new Set<string>();
    const digests = new Set<string>();
    for (const key of keys) {
      if (names.has(key.name)) throw new Error(`key "${key.name}" is listed twice`);
      // One key under two names would make the name a key authenticates as (and its sources) ambiguous.
      if (digests.has(key.keySha256.toLowerCase())) throw new Error(`key "${key.name}" has the same keySha256 as another key`);
      names.add(key.name);
      digests.add(key.keySha256.toLowerCase());
    }
    this.entries = keys.map((k) => ({
      name: k.name,
      sources: new Set(k.sources),
      mayAdoptCases: k.mayAdoptCases === true,
      nameDigest: sha256(k.name),
      keyDigest: Buffer.from(k.keySha256, 'hex'),
    }));
  }

  /**
   * The key sent in the API key header. Every entry is compared, whatever matches, and only digests
   * (fixed length) are compared, so timing says nothing about which keys exist or how long they are.
   */
  authenticateApiKey(key: string): AlertKey | undefined {
    const digest = sha256(key);
    let found: AlertKey | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.keyDigest, digest)) found = publicKey(entry);
    }
    return found;
  }

  /** Basic credentials: the user name is the key's name and the password the key itself. */
  authenticateBasic(name: string, key: string): AlertKey | undefined {
    const nameDigest = sha256(name);
    const keyDigest = sha256(key);
    let found: AlertKey | undefined;
    for (const entry of this.entries) {
      // Both comparisons always run (no short-circuit), so a right name with a wrong key takes as long as neither.
      const nameMatches = timingSafeEqual(entry.nameDigest, nameDigest);
      const keyMatches = timingSafeEqual(entry.keyDigest, keyDigest);
      if (nameMatches && keyMatches) found = publicKey(entry);
    }
    return found;
  }

  get size(): number {
    return this.entries.length;
  }

  get names(): string[] {
    return this.entries.map((e) => e.name);
  }
}

export function parseAlertKeysFile(text: string, file: string): AlertKeyring {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const parsed = keysFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(document)'}: ${issue.message}`);
  }
  try {
    return new AlertKeyring(parsed.data.keys);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

export async function loadAlertKeysFile(file: string): Promise<AlertKeyring> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the alert keys file ${file} (PHASEGATE_ALERT_KEYS): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      cause: err,
    });
  }
  return parseAlertKeysFile(text, file);
}

/**
 * Which key source a request body claims to be, read from its envelope only (the full parse comes
 * after the key is known to be allowed). Undefined for what is no alert kind at all: the parser then
 * refuses it with its own precise message.
 */
export function alertKeySourceOf(body: unknown): AlertKeySource | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(record, 'detail-type') && !Object.prototype.hasOwnProperty.call(record, 'detail')) return 'generic';
  switch (record.source) {
    case GUARDDUTY_EVENT_SOURCE:
      return 'guardduty';
    case SECURITYHUB_EVENT_SOURCE:
      return 'securityhub';
    case SIR_EVENT_SOURCE:
      return 'sir-events';
    default:
      return undefined;
  }
}

function publicKey(entry: Entry): AlertKey {
  return { name: entry.name, sources: entry.sources, mayAdoptCases: entry.mayAdoptCases };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
