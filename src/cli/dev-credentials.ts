/**
 * `phasegate dev` needs a webhook secret and a user who may approve, and a new user has neither. It
 * generates them once, keeps them in .phasegate/dev-credentials.json (mode 0600) so restarts keep
 * working, and prints them; PHASEGATE_WEBHOOK_SECRET / PHASEGATE_USERS override them.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { generateKey } from '../temporal/payload-encryption';

export const DEMO_USER = 'demo';
export const DEMO_GROUPS = ['ir-leads', 'security-management'];

const schema = z.object({
  webhookSecret: z.string().min(32),
  demoToken: z.string().min(32),
  /** PHASEGATE_KEYS for dev: payloads are encrypted in `dev` too, as they will be in production. */
  payloadKeys: z.string().min(40).optional(),
  /** PHASEGATE_DECISION_KEYS for dev: the API attests decisions as it does in production. */
  decisionKey: z.string().min(32).optional(),
  /** PHASEGATE_NOTIFY_SECRET for dev: webhook channels sign with their own secret, never the webhook's. */
  notifySecret: z.string().min(32).optional(),
  /** Where the last `phasegate dev` serves the API, so the CLI finds it without configuration. */
  apiUrl: z.string().url().optional(),
  /** Where the last `phasegate dev --slack-fake` serves its Slack fake (`phasegate demo env` prints it). */
  slackFakeUrl: z.string().url().optional(),
});
export type DevCredentials = z.infer<typeof schema>;

const fileIn = (stateDir: string): string => join(stateDir, 'dev-credentials.json');

/** The credentials an earlier `phasegate dev` generated, if any. */
export async function readDevCredentials(stateDir: string): Promise<DevCredentials | undefined> {
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(fileIn(stateDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

export type GeneratedDevCredentials = Required<Omit<DevCredentials, 'apiUrl' | 'slackFakeUrl'>> & Pick<DevCredentials, 'apiUrl' | 'slackFakeUrl'>;

export async function loadOrCreateDevCredentials(stateDir: string): Promise<GeneratedDevCredentials & { created: boolean }> {
  const existing = await readDevCredentials(stateDir);
  if (existing?.payloadKeys && existing.decisionKey && existing.notifySecret) {
    return { ...existing, payloadKeys: existing.payloadKeys, decisionKey: existing.decisionKey, notifySecret: existing.notifySecret, created: false };
  }
  // A file from before payload encryption, attested decisions or notify secrets keeps what it has and gains the rest.
  const fresh: GeneratedDevCredentials = {
    webhookSecret: existing?.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`,
    demoToken: existing?.demoToken ?? `pg_${randomBytes(24).toString('hex')}`,
    payloadKeys: existing?.payloadKeys ?? `dev-1:${generateKey()}`,
    decisionKey: existing?.decisionKey ?? randomBytes(32).toString('hex'),
    notifySecret: existing?.notifySecret ?? `whsec_notify_${randomBytes(24).toString('hex')}`,
  };
  await writeDevCredentials(stateDir, fresh);
  return { ...fresh, created: existing === undefined };
}

/** Remembers where this `phasegate dev` serves its API (and its Slack fake, if any), for the CLI. */
export async function recordDevApiUrl(stateDir: string, apiUrl: string, slackFakeUrl?: string): Promise<void> {
  const existing = await readDevCredentials(stateDir);
  if (existing) await writeDevCredentials(stateDir, { ...existing, apiUrl, slackFakeUrl });
}

async function writeDevCredentials(stateDir: string, credentials: DevCredentials): Promise<void> {
  await writeFile(fileIn(stateDir), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}
