/**
 * The server's side of a Slack app (PHASEGATE_SLACK_*): the signing secret(s) that prove a click came
 * from Slack, and optionally the bot token, with which the server asks Slack for a clicking user's
 * verified email (`users.info`, for users mapped by email) and opens the "reject with reason" modal
 * (`views.open`). The token and secrets live here only; logs and messages never show them.
 */
import { inspect } from 'node:util';
import { WebClient } from '@slack/web-api';
import { SILENT_SLACK_LOGGER } from '../notify/slack-app-delivery';
import { SLACK_API_URL_DEFAULT, SLACK_BOT_TOKEN_ENV, slackApiUrl } from '../notify/slack-app-channel';

export const SLACK_SIGNING_SECRET_ENV = 'PHASEGATE_SLACK_SIGNING_SECRET';

export class SlackApp {
  readonly #signingSecrets: readonly string[];
  readonly #api?: WebClient;

  constructor(options: { signingSecrets: readonly string[]; botToken?: string; apiUrl?: string; timeoutMs?: number }) {
    if (options.signingSecrets.length === 0) throw new Error(`${SLACK_SIGNING_SECRET_ENV} is empty`);
    this.#signingSecrets = [...options.signingSecrets];
    this.apiUrl = options.apiUrl ?? SLACK_API_URL_DEFAULT;
    if (options.botToken) {
      this.#api = new WebClient(options.botToken, {
        slackApiUrl: this.apiUrl,
        // A click is answered within Slack's 3 s; a lookup that cannot finish by then is refused, not retried.
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: options.timeoutMs ?? 2_500,
        logger: SILENT_SLACK_LOGGER,
        allowAbsoluteUrls: false,
      });
    }
  }

  readonly apiUrl: string;

  get signingSecrets(): readonly string[] {
    return this.#signingSecrets;
  }

  /** Slack's Web API with the bot token, when the server has one. */
  get api(): WebClient | undefined {
    return this.#api;
  }

  /**
   * Where a click's `response_url` may point: Slack's hooks, or the origin of the Web API this app
   * talks to (a local fake in dev and tests). Anything else is not Slack, and is not posted to.
   */
  allowsResponseUrl(url: string): boolean {
    try {
      const parsed = new URL(url);
      return parsed.origin === 'https://hooks.slack.com' || parsed.origin === new URL(this.apiUrl).origin;
    } catch {
      return false;
    }
  }

  /** PHASEGATE_SLACK_SIGNING_SECRET (comma-separated during a rotation), PHASEGATE_SLACK_BOT_TOKEN, PHASEGATE_SLACK_API_URL. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): SlackApp | undefined {
    const signingSecrets = (env[SLACK_SIGNING_SECRET_ENV] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (signingSecrets.length === 0) return undefined;
    const apiUrl = slackApiUrl(env);
    if (typeof apiUrl !== 'string') throw new Error(apiUrl.problem);
    const botToken = env[SLACK_BOT_TOKEN_ENV]?.trim() || undefined;
    return new SlackApp({ signingSecrets, apiUrl, ...(botToken && { botToken }) });
  }

  toJSON(): { apiUrl: string; botToken: boolean } {
    return { apiUrl: this.apiUrl, botToken: this.#api !== undefined };
  }

  [inspect.custom](): string {
    return `SlackApp(${this.apiUrl}${this.#api ? ', with a bot token' : ''})`;
  }
}
