/**
 * `phasegate dev` needs a webhook secret and a user who may approve, and a new user has neither. It
 * generates them once, keeps them in .phasegate/dev-credentials.json (mode 0600) so restarts keep
 * working, and prints them; PHASEGATE_WEBHOOK_SECRET / PHASEGATE_USERS override them.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const DEMO_USER = 'demo';
export const DEMO_GROUPS = ['ir-leads', 'security-management'];

const schema = z.object({ webhookSecret: z.string().min(32), demoToken: z.string().min(32) });
export type DevCredentials = z.infer<typeof schema>;

export async function loadOrCreateDevCredentials(stateDir: string): Promise<DevCredentials & { created: boolean }> {
  const file = join(stateDir, 'dev-credentials.json');
  try {
    const parsed = schema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return { ...parsed.data, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const fresh: DevCredentials = { webhookSecret: `whsec_${randomBytes(24).toString('hex')}`, demoToken: `pg_${randomBytes(24).toString('hex')}` };
  await writeFile(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
  return { ...fresh, created: true };
}
