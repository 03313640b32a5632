/**
 * The people who may decide on cases through the HTTP API (PHASEGATE_USERS, SPEC §3). The file holds
 * the SHA-256 of each bearer token, never the token, so reading it does not let anyone impersonate.
 *
 *   users:
 *     - name: alice
 *       groups: [ir-leads]
 *       tokenSha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';

const NAME = /^[A-Za-z0-9._@-]{1,128}$/;

const usersFileSchema = z.strictObject({
  users: z
    .array(
      z.strictObject({
        name: z.string().regex(NAME, 'user names use letters, digits and . _ @ -'),
        groups: z.array(z.string().regex(NAME, 'group names use letters, digits and . _ @ -')).default([]),
        tokenSha256: z.string().regex(/^[0-9a-f]{64}$/i, 'tokenSha256 is the hex SHA-256 of the token (64 hex digits)'),
      }),
    )
    .min(1, 'list at least one user'),
});

export interface User {
  name: string;
  groups: string[];
}

export class UserDirectory {
  private readonly entries: Array<User & { digest: Buffer }>;

  constructor(users: Array<User & { tokenSha256: string }>) {
    const names = new Set<string>();
    for (const user of users) {
      if (names.has(user.name)) throw new Error(`user "${user.name}" is listed twice`);
      names.add(user.name);
    }
    this.entries = users.map((u) => ({ name: u.name, groups: [...u.groups], digest: Buffer.from(u.tokenSha256, 'hex') }));
  }

  /** Looks at every entry whatever matches, so timing says nothing about which tokens exist. */
  authenticate(token: string): User | undefined {
    const digest = sha256(token);
    let found: User | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) found = { name: entry.name, groups: entry.groups };
    }
    return found;
  }

  find(name: string): User | undefined {
    const entry = this.entries.find((e) => e.name === name);
    return entry && { name: entry.name, groups: entry.groups };
  }

  get size(): number {
    return this.entries.length;
  }
}

export function parseUsersFile(text: string, file: string): UserDirectory {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const parsed = usersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(document)'}: ${issue.message}`);
  }
  return new UserDirectory(parsed.data.users);
}

export async function loadUsersFile(file: string): Promise<UserDirectory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the users file ${file} (PHASEGATE_USERS): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  return parseUsersFile(text, file);
}

export function sha256Hex(token: string): string {
  return sha256(token).toString('hex');
}

function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
