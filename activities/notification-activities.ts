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
import type { ChannelDeliveryResult, ChannelMessageUpdate } from '../src/domain/approval-message';
import type { ChannelDirectory, NotifyChannel } from '../src/notify/channel';
import { checkChannelMessageUpdate } from '../src/notify/channel-message-update-schema';
import { checkChannelDelivery } from '../src/notify/channel-delivery-schema';
import { CHANNELS_ENV } from '../src/notify/channels-file';
import { deliverNotice } from '../src/notify/deliver';
import { DeliveryError } from '../src/notify/http-delivery';
import { updateGateMessage } from '../src/notify/slack-app-delivery';

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
    notifyChannel: async (delivery: ChannelDelivery): Promise<ChannelDeliveryResult> => {
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
        const { status, message } = await deliverNotice(channel, notice, { timeoutMs, signal: context.cancellationSignal });
        logger.info({ ...fields, status, ...(message && { slackChannel: message.slackChannel, ts: message.ts }) }, 'notification delivered');
        return { channel: channel.name, status, ...(message && { message }) };
      } catch (err) {
        throw deliveryFailure(logger, err, channel, fields, 'notification not delivered');
      }
    },

    /** Edits a gate's message (a `slack-app` channel's) so it tells where the gate stands now. */
    updateChannelMessage: async (input: ChannelMessageUpdate): Promise<ChannelDeliveryResult> => {
      const checked = checkChannelMessageUpdate(input);
      if ('problem' in checked) {
        throw ApplicationFailure.create({ type: NOTIFY_FAILURE_TYPES.invalidNotice, nonRetryable: true, message: `not a message update: ${checked.problem}` });
      }
      const { update } = checked;
      const channel = channels?.get(update.channel);
      if (channel?.type !== 'slack-app') {
        const message = channel
          ? `channel "${update.channel}" is a ${channel.type} channel, whose messages cannot be edited`
          : `channel "${update.channel}" is not in ${channels?.source ?? `this worker's channels (${CHANNELS_ENV} is not set)`}`;
        throw ApplicationFailure.create({ type: NOTIFY_FAILURE_TYPES.unknownChannel, nonRetryable: true, message });
      }
      const context = Context.current();
      const fields = {
        channel: channel.name,
        channelType: channel.type,
        event: update.event,
        caseId: update.notice.caseId,
        approvalId: update.notice.approvalId,
        slackChannel: update.message.slackChannel,
        ts: update.message.ts,
        workflowId: context.info.workflowExecution?.workflowId,
        attempt: context.info.attempt,
      };
      try {
        const { status } = await updateGateMessage(channel, update, { timeoutMs });
        logger.info({ ...fields, status }, 'message updated');
        return { channel: channel.name, status };
      } catch (err) {
        throw deliveryFailure(logger, err, channel, fields, 'message not updated');
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

/** A DeliveryError as the activity's failure (retried or not); anything else is a bug Temporal retries as it is. */
function deliveryFailure(logger: Logger, err: unknown, channel: NotifyChannel, fields: Record<string, unknown>, what: string): unknown {
  if (!(err instanceof DeliveryError)) return err;
  logger.warn({ ...fields, status: err.status, retryable: err.retryable, reason: err.message }, what);
  return ApplicationFailure.create({
    type: err.retryable ? NOTIFY_FAILURE_TYPES.failed : NOTIFY_FAILURE_TYPES.refused,
    message: `channel "${channel.name}" (${channel.type}): ${err.message}`,
    nonRetryable: !err.retryable,
    // Retry-After is the receiver saying when to come back (Slack rate limits say so); it beats our backoff.
    nextRetryDelay: err.retryAfterMs,
    details: [{ channel: channel.name, ...(err.status !== undefined && { httpStatus: err.status }) }],
  });
}
