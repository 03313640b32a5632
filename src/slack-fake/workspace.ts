/**
 * The fake Slack workspace's memory: its people, its conversations and the messages in them (every
 * version of each, so a test can click a button as someone who still sees an old one), the response
 * URLs and trigger ids it handed out with clicks, the ephemeral messages apps sent back, and the
 * modals they opened.
 */
import { randomBytes } from 'node:crypto';

export interface FakeSlackUser {
  id: string;
  name: string;
  /** Default: the workspace's team. */
  team?: string;
  email?: string;
  /** Default true. */
  emailConfirmed?: boolean;
  /** A guest (restricted) account. */
  guest?: boolean;
  deleted?: boolean;
}

export interface FakeMessage {
  conversation: string;
  ts: string;
  threadTs?: string;
  /** Every version, oldest first: as posted, then each chat.update. */
  versions: Array<{ text: string; blocks: unknown[]; at: number }>;
}

export interface FakeEphemeral {
  user: string;
  conversation: string;
  text: string;
  at: number;
}

export interface FakeView {
  id: string;
  user: string;
  view: Record<string, unknown>;
  responseUrl?: string;
  at: number;
}

/** How long Slack honours what it hands out with a click. */
export const TRIGGER_TTL_MS = 3_000;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

export class FakeWorkspace {
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly views: FakeView[] = [];
  /** Every Web API call, for tests: method, and whether its token was the bot's. */
  readonly calls: Array<{ method: string; authorized: boolean; at: number }> = [];
  readonly #triggers = new Map<string, { user: string; expires: number; responseUrl?: string }>();
  readonly #responses = new Map<string, { user: string; conversation: string; expires: number }>();
  #clock = 0;

  constructor(
    readonly team: string,
    readonly users: FakeSlackUser[],
    readonly conversations: string[],
  ) {}

  user(id: string): FakeSlackUser | undefined {
    return this.users.find((u) => u.id === id);
  }

  /** Slack's message ids are seconds with a six-digit sequence; these never repeat within a run. */
  nextTs(): string {
    const seconds = Math.floor(Date.now() / 1000);
    this.#clock += 1;
    return `${seconds}.${String(this.#clock).padStart(6, '0')}`;
  }

  message(conversation: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.conversation === conversation && m.ts === ts);
  }

  issueTrigger(user: string, responseUrl?: string): string {
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    this.#triggers.set(id, { user, expires: Date.now() + TRIGGER_TTL_MS, ...(responseUrl && { responseUrl }) });
    return id;
  }

  /** A trigger is good once, within its 3 s. */
  takeTrigger(id: string): { user: string; responseUrl?: string } | 'expired' | undefined {
    const trigger = this.#triggers.get(id);
    if (!trigger) return undefined;
    this.#triggers.delete(id);
    return trigger.expires < Date.now() ? 'expired' : trigger;
  }

  issueResponse(user: string, conversation: string): string {
    const id = randomBytes(12).toString('hex');
    this.#responses.set(id, { user, conversation, expires: Date.now() + RESPONSE_URL_TTL_MS });
    return id;
  }

  response(id: string): { user: string; conversation: string } | undefined {
    const response = this.#responses.get(id);
    return response && response.expires >= Date.now() ? response : undefined;
  }
}

export interface FakeButton {
  type: 'button';
  action_id: string;
  value?: string;
  text?: unknown;
  style?: string;
  block_id?: string;
}

/** The buttons of a message's actions blocks, as Slack puts them in a click's `actions`. */
export function buttonsOf(blocks: unknown[]): FakeButton[] {
  return blocks.flatMap((block) => {
    const b = block as { type?: string; block_id?: string; elements?: Array<Record<string, unknown>> };
    if (b.type !== 'actions' || !Array.isArray(b.elements)) return [];
    return b.elements.filter((e) => e.type === 'button').map((e) => ({ ...(e as unknown as FakeButton), block_id: b.block_id }));
  });
}
