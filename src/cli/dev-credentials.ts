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

export async function loadOrCreateDevCredentials(stateDir: string): Promise<Required<DevCredentials> & { created: boolean }> {
  const existing = await readDevCredentials(stateDir);
  if (existing?.payloadKeys) return { ...existing, payloadKeys: existing.payloadKeys, created: false };
  // A file from before payload encryption keeps its secret and token and gains a key.
  const fresh: Required<DevCredentials> = {
    webhookSecret: existing?.webhookSecret ?? `whsec_${randomBytes(24).toString('hex')}`,
    demoToken: existing?.demoToken ?? `pg_${randomBytes(24).toString('hex')}`,
    payloadKeys: `dev-1:${generateKey()}`,
  };
  await writeFile(fileIn(stateDir), `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
  return { ...fresh, created: existing === undefined };
}
