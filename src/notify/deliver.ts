/**
 * Sends one approval notice to one configured channel, in that channel's format. Everything about
 * where it goes (URL, signing secret) comes from the channel, never from the caller.
 */
import type { ChannelMessage } from '../domain/case/approval-message';
import type { ApprovalNotice } from '../domain/case/approval-notice';
import type { NotifyChannel } from './channel';
import { postJson } from './http-delivery';
import { postGateMessage } from './slack-app-delivery';
import { slackMessage } from './slack-message';
import { webhookMessage } from './webhook-message';

export interface DeliverOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolves with the receiver's 2xx status (and, for a `slack-app` channel, where the message it
 * posted lives); rejects with a DeliveryError (http-delivery.ts).
 */
export async function deliverNotice(channel: NotifyChannel, notice: ApprovalNotice, options: DeliverOptions = {}): Promise<{ status: number; message?: Omit<ChannelMessage, 'channel'> }> {
  if (channel.type === 'slack-app') return postGateMessage(channel, notice, options);
  const message = channel.type === 'slack' ? { body: JSON.stringify(slackMessage(notice)), headers: {} } : webhookMessage(notice, channel.signingSecret);
  return postJson({ url: channel.url, ...message, ...options });
}
