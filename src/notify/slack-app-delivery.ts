/**
 * A `slack-app` channel's side of a notice: `chat.postMessage` for a gate's message (its `ts` comes
 * back to the case), `chat.update` to edit it, and a reply in its thread for a reminder. Through
 * Slack's own `@slack/web-api` client, with its retries off: the activity's retry policy owns them,
 * so a rate limit becomes a retryable DeliveryError carrying Slack's Retry-After. Errors and logs
 * never carry the bot token (the client sends it only as a header and redacts it in its debug log).
 */
import { ErrorCode, type Logger, LogLevel, WebClient } from '@slack/web-api';
import type { ChannelMessage, ChannelMessageUpdate } from '../domain/case/approval-message';
import type { ApprovalNotice } from '../domain/case/approval-notice';
import type { SlackAppChannel } from './channel';
import { DELIVERY_TIMEOUT_MS, DeliveryError, MAX_RETRY_AFTER_MS } from './http-delivery';
import { gateViewOf, gateViewOfUpdate, reminderReply, slackAppMessage } from './slack-app-message';

export interface SlackDeliveryOptions {
  timeoutMs?: number;
}

/** Slack's answers that another attempt may change (its docs: retry these); any other `ok: false` is final. */
const TRANSIENT_SLACK_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

export async function postGateMessage(channel: SlackAppChannel, notice: ApprovalNotice, options: SlackDeliveryOptions = {}): Promise<{ status: number; message: Omit<ChannelMessage, 'channel'> }> {
  const client = webClient(channel, options);
  const message = slackAppMessage(gateViewOf(notice));
  const result = await client.chat.postMessage({ channel: channel.conversation, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }).catch(asDeliveryError);
  if (typeof result.ts !== 'string' || typeof result.channel !== 'string') throw new DeliveryError('Slack answered chat.postMessage without the message ts', true);
  return { status: 200, message: { slackChannel: result.channel, ts: result.ts } };
}

export async function updateGateMessage(channel: SlackAppChannel, update: ChannelMessageUpdate, options: SlackDeliveryOptions = {}): Promise<{ status: number }> {
  const client = webClient(channel, options);
  const message = slackAppMessage(gateViewOfUpdate(update));
  await client.chat.update({ channel: update.message.slackChannel, ts: update.message.ts, text: message.text, blocks: message.blocks }).catch(asDeliveryError);
  if (update.event === 'approval-reminder') {
    await client.chat.postMessage({ channel: update.message.slackChannel, thread_ts: update.message.ts, text: reminderReply(update.notice) }).catch(asDeliveryError);
  }
  return { status: 200 };
}

function webClient(channel: SlackAppChannel, options: SlackDeliveryOptions): WebClient {
  return new WebClient(channel.botToken, {
    slackApiUrl: channel.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
    logger: SILENT_SLACK_LOGGER,
    // A bot posts to one workspace; an absolute URL in a method name must not send the token elsewhere.
    allowAbsoluteUrls: false,
  });
}

/** What the Slack client threw, as a DeliveryError the notify activity turns into a retry or a refusal. */
export function asDeliveryError(err: unknown): never {
  const code = (err as { code?: unknown } | undefined)?.code;
  switch (code) {
    case ErrorCode.RateLimitedError: {
      const seconds = (err as { retryAfter?: number }).retryAfter ?? 1;
      throw new DeliveryError(`Slack rate-limited the call (retry after ${seconds} s)`, true, 429, Math.min(seconds * 1000, MAX_RETRY_AFTER_MS));
    }
    case ErrorCode.PlatformError: {
      const said = (err as { data?: { error?: unknown } }).data?.error;
      const error = (typeof said === 'string' ? said : 'unknown_error').slice(0, 100);
      throw new DeliveryError(`Slack answered ${error}`, TRANSIENT_SLACK_ERRORS.has(error), 200);
    }
    case ErrorCode.HTTPError: {
      const status = (err as { statusCode?: number }).statusCode ?? 0;
      throw new DeliveryError(`HTTP ${status}`, status >= 500 || status === 429, status);
    }
    case ErrorCode.RequestError: {
      const original = (err as { original?: { name?: string; cause?: { code?: unknown } } }).original;
      if (original?.name === 'TimeoutError' || original?.name === 'AbortError') throw new DeliveryError('no answer from Slack in time', true);
      const cause = typeof original?.cause?.code === 'string' ? original.cause.code : 'unreachable';
      throw new DeliveryError(`network error (${cause})`, true);
    }
  }
  throw err;
}

/** The client's own log lines add nothing the activity's log does not say, and its warnings repeat errors we report. */
export const SILENT_SLACK_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
