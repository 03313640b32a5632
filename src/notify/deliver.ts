/**
 * Sends one approval notice to one configured channel, in that channel's format. Everything about
 * where it goes (URL, signing secret) comes from the channel, never from the caller.
 */
import type { ApprovalNotice } from '../domain/approval-notice';
import type { NotifyChannel } from './channel';
import { postJson } from './http-delivery';
import { slackMessage } from './slack-message';
import { webhookMessage } from './webhook-message';

export interface DeliverOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Resolves with the receiver's 2xx status; rejects with a DeliveryError (http-delivery.ts). */
export async function deliverNotice(channel: NotifyChannel, notice: ApprovalNotice, options: DeliverOptions = {}): Promise<{ status: number }> {
  const message = channel.type === 'slack' ? { body: JSON.stringify(slackMessage(notice)), headers: {} } : webhookMessage(notice, channel.signingSecret);
  return postJson({ url: channel.url, ...message, ...options });
}
