/**
 * The people who may decide on cases through the HTTP API (PHASEGATE_USERS, SPEC §3). The file holds
 * the SHA-256 of each bearer token, never the token, so reading it does not let anyone impersonate.
 *
 *   users:
 *     - name: alice
 *       groups: [ir-leads]
 *       tokenSha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *       slack: { team: T0123ABCD, user: U0456EFGH }   # optional: decides from Slack's buttons
 *     - name: bob
 *       groups: [ir-leads]
 *       email: bob@example.com                        # optional: a Slack user with this verified email
 *
 * A Slack click (routes/slack-interactions.ts) counts as the user whose `slack` names the clicking
 * Slack user, else the one whose `email` is that Slack user's verified email; a user needs at least
 * one way in (a token, a Slack user or an email).
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
        tokenSha256: z.string().regex(/^[0-9a-f]{64}$/i, 'tokenSha256 is the hex SHA-256 of the token (64 hex digits)').optional(),
        slack: z
          .strictObject({
            team: z.string().regex(/^[TE][A-Z0-9]{2,31}$/, 'slack.team is the Slack workspace id (T…)'),
            user: z.string().regex(/^[UW][A-Z0-9]{2,31}$/, 'slack.user is the Slack member id (U… or W…: profile → ⋮ → Copy member ID)'),
          })
          .optional(),
        email: z.email('email must be an email address').max(254).optional(),
      }).refine((user) => user.tokenSha256 !== undefined || user.slack !== undefined || user.email !== undefined, {
        message: 'a user needs tokenSha256 (the API and CLI), slack: {team, user} or email (Slack buttons)',
      }),
    )
    .min(1, 'list at least one user'),
});

export interface User {
  name: string;
  groups: string[];
}

export interface UserEntry extends User {
  tokenSha256?: string;
  /** The Slack user who decides as this user from Slack's buttons. */
  slack?: { team: string; user: string };
  /** A Slack user whose verified email this is decides as this user. */
  email?: string;
}

export class UserDirectory {
  private readonly entries: Array<User & { digest?: Buffer; slack?: { team: string; user: string }; email?: string }>;

  constructor(users: UserEntry[]) {
    const names = new Set<string>();
    const slackUsers = new Set<string>();
    const emails = new Set<string>();
    for (const user of users) {
      if (names.has(user.name)) throw new Error(`user "${user.name}" is listed twice`);
      names.add(user.name);
      if (user.slack) {
        const key = `${user.slack.team}/${user.slack.user}`;
        if (slackUsers.has(key)) throw new Error(`Slack user ${key} is mapped to two users (the second is "${user.name}")`);
        slackUsers.add(key);
      }
      if (user.email) {
        const email = user.email.toLowerCase();
        if (emails.has(email)) throw new Error(`email ${user.email} is given to two users (the second is "${user.name}")`);
        emails.add(email);
      }
    }
    this.entries = users.map((u) => ({
      name: u.name,
      groups: [...u.groups],
      ...(u.tokenSha256 !== undefined && { digest: Buffer.from(u.tokenSha256, 'hex') }),
      ...(u.slack && { slack: { ...u.slack } }),
      ...(u.email && { email: u.email.toLowerCase() }),
    }));
  }

  /** Looks at every entry whatever matches, so timing says nothing about which tokens exist. */
  authenticate(token: string): User | undefined {
    const digest = sha256(token);
    let found: User | undefined;
    for (const entry of this.entries) {
      if (entry.digest && timingSafeEqual(entry.digest, digest)) found = { name: entry.name, groups: entry.groups };
    }
    return found;
  }

  /** The user a Slack user decides as, by the `slack: {team, user}` the file gives them. */
  findBySlack(team: string, user: string): User | undefined {
    const entry = this.entries.find((e) => e.slack?.team === team && e.slack.user === user);
    return entry && { name: entry.name, groups: entry.groups };
  }

  /** The user a verified email belongs to (case-insensitive, as email domains are). */
  findByEmail(email: string): User | undefined {
    const wanted = email.toLowerCase();
    const entry = this.entries.find((e) => e.email === wanted);
    return entry && { name: entry.name, groups: entry.groups };
  }

  /** Whether any user is mapped by email (only then is Slack asked for a clicking user's email). */
  get mapsEmails(): boolean {
    return this.entries.some((e) => e.email !== undefined);
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
