/**
 * The notification channels a worker can deliver to, resolved from the channels file and the
 * environment. A channel's URL (a Slack incoming-webhook URL is a credential in itself) and signing
 * secret live only here, in worker memory: workflows and activity inputs name the channel, logs name
 * the channel, and nothing that serialises this directory can print either of them.
 */
import { inspect } from 'node:util';

export type NotifyChannel =
  | { name: string; type: 'slack'; url: string }
  | { name: string; type: 'webhook'; url: string; signingSecret: string }
  | SlackAppChannel;

/**
 * A Slack app's bot posting to one conversation (slack-app-channel.ts): its messages carry Approve /
 * Reject buttons and phasegate edits them as the gate moves on. The bot token is the secret here.
 */
export interface SlackAppChannel {
  name: string;
  type: 'slack-app';
  /** Slack's conversation id (C…, G…): where the bot posts. */
  conversation: string;
  botToken: string;
  /** Slack's Web API base URL (PHASEGATE_SLACK_API_URL; a local fake in dev and tests). */
  apiUrl: string;
}

export type ChannelType = NotifyChannel['type'];

export class ChannelDirectory {
  readonly #channels: ReadonlyMap<string, NotifyChannel>;

  /** `source` says where the channels came from (the file), for messages about unknown names. */
  constructor(
    readonly source: string,
    channels: readonly NotifyChannel[],
  ) {
    const map = new Map<string, NotifyChannel>();
    for (const channel of channels) {
      if (map.has(channel.name)) throw new Error(`${source}: channel "${channel.name}" is defined twice`);
      map.set(channel.name, { ...channel });
    }
    this.#channels = map;
  }

  get(name: string): NotifyChannel | undefined {
    return this.#channels.get(name);
  }

  /** Names and types only: what a start-up line or an error message may show. */
  describe(): Array<{ name: string; type: ChannelType }> {
    return [...this.#channels.values()].map(({ name, type }) => ({ name, type }));
  }

  get size(): number {
    return this.#channels.size;
  }

  toJSON(): { source: string; channels: Array<{ name: string; type: ChannelType }> } {
    return { source: this.source, channels: this.describe() };
  }

  [inspect.custom](): string {
    return `ChannelDirectory(${this.source}: ${this.describe().map((c) => `${c.name} (${c.type})`).join(', ')})`;
  }
}
