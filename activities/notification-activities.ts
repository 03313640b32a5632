/**
 * Telling people about approvals. `notifyChannel` delivers one approval notice to one channel of the
 * worker's channels file (PHASEGATE_CHANNELS): its input names the channel, so neither a Slack URL
 * nor a signing secret ever lands in a workflow history, and its log lines name the channel only.
 *
 * `notifyEscalation` is the older hook (a playbook's `escalation.notify` URL, POSTed unsigned); it
 * stays registered because running cases and recorded histories still schedule it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import type { ChannelDelivery } from '../src/domain/approval-notice';
import { NOTIFY_FAILURE_TYPES } from '../src/domain/notify-activity-options';
import type { ChannelDirectory } from '../src/notify/channel';
import { checkChannelDelivery } from '../src/notify/channel-delivery-schema';
import { CHANNELS_ENV } from '../src/notify/channels-file';
import { deliverNotice } from '../src/notify/deliver';
import { DeliveryError } from '../src/notify/http-delivery';

export interface EscalationNotice {
  url: string;
  payload: Record<string, unknown>;
}

export interface NotificationActivityOptions {
  /** The worker's channels; without them every notifyChannel call fails with UnknownChannel. */
  channels?: ChannelDirectory;
  /** Where delivery results are logged; silent when not given. */
  logger?: Logger;
  /** Per-request timeout (default 8 s). */
  timeoutMs?: number;
}

export function createNotificationActivities(options: NotificationActivityOptions = {}) {
  const { channels, timeoutMs } = options;
  const logger = options.logger ?? pino({ level: 'silent' });

  return {
    notifyChannel: async (delivery: ChannelDelivery): Promise<{ channel: string; status: number }> => {
      const checked = checkChannelDelivery(delivery);
      if ('problem' in checked) {
        throw ApplicationFailure.create({ type: NOTIFY_FAILURE_TYPES.invalidNotice, nonRetryable: true, message: `not a channel delivery: ${checked.problem}` });
      }
      const { notice } = checked.delivery;
      const channel = channels?.get(checked.delivery.channel);
      if (channel === undefined) {
        const message = channels
          ? `channel "${checked.delivery.channel}" is not in ${channels.source}; it has ${channels.describe().map((c) => `"${c.name}"`).join(', ')}`
          : `channel "${checked.delivery.channel}" is unknown: this worker has no channels file (${CHANNELS_ENV})`;
        logger.warn({ channel: checked.delivery.channel, event: notice.event, caseId: notice.caseId, approvalId: notice.approvalId }, 'notification for an unknown channel');
        throw ApplicationFailure.create({ type: NOTIFY_FAILURE_TYPES.unknownChannel, nonRetryable: true, message });
      }

      const context = Context.current();
      const fields = {
        channel: channel.name,
        channelType: channel.type,
        event: notice.event,
        caseId: notice.caseId,
        approvalId: notice.approvalId,
        workflowId: context.info.workflowExecution?.workflowId,
        attempt: context.info.attempt,
      };
      try {
        const { status } = await deliverNotice(channel, notice, { timeoutMs, signal: context.cancellationSignal });
        logger.info({ ...fields, status }, 'notification delivered');
        return { channel: channel.name, status };
      } catch (err) {
        // Anything else is a bug on our side: Temporal retries it like any unexpected error.
        if (!(err instanceof DeliveryError)) throw err;
        logger.warn({ ...fields, status: err.status, retryable: err.retryable, reason: err.message }, 'notification not delivered');
        throw ApplicationFailure.create({
          type: err.retryable ? NOTIFY_FAILURE_TYPES.failed : NOTIFY_FAILURE_TYPES.refused,
          message: `channel "${channel.name}" (${channel.type}): ${err.message}`,
          nonRetryable: !err.retryable,
          // Retry-After is the receiver saying when to come back (Slack rate limits say so); it beats our backoff.
          nextRetryDelay: err.retryAfterMs,
          details: [{ channel: channel.name, ...(err.status !== undefined && { httpStatus: err.status }) }],
        });
      }
    },

    notifyEscalation: async (notice: EscalationNotice): Promise<void> => {
      const response = await fetch(notice.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'phasegate' },
        body: JSON.stringify(notice.payload),
        signal: AbortSignal.timeout(8_000),
      });
      if (!response.ok) {
        throw ApplicationFailure.create({
          type: 'NotificationFailed',
          message: `escalation hook answered HTTP ${response.status}`,
          nonRetryable: response.status >= 400 && response.status < 500 && response.status !== 429,
        });
      }
    },
  };
}
