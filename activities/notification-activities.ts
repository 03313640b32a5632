/**
 * Telling people about approvals. `notifyChannel` delivers one approval notice to one channel of the
 * worker's channels file (PHASEGATE_CHANNELS): its input names the channel, so neither a Slack URL
 * nor a signing secret ever lands in a workflow history, and its log lines name the channel only.
 *
 * `notifyEscalation` is the older hook: it POSTed to the URL in its input (a playbook's
 * `escalation.notify` URL form), so anyone able to write workflow input chose where the worker sent
 * requests. Playbooks can no longer name a URL; the activity stays registered because running cases
 * started before that still schedule it, and it refuses every call (see below).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import type { ChannelDelivery } from '../src/domain/case/approval-notice';
import { NOTIFY_FAILURE_TYPES } from '../src/domain/contract/notify-activity-options';
import type { ChannelDeliveryResult, ChannelMessageUpdate } from '../src/domain/case/approval-message';
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

    /**
     * Refuses, sending nothing, whatever the URL. Delivering when the URL is one of this worker's
     * channels was the alternative, and is worse: whoever writes workflow input would still choose the
     * body the worker signs and sends to that receiver, and the outcome recorded in the history would
     * tell them whether a guessed URL (a Slack webhook URL is a credential) is configured here. The
     * failure is non-retryable and the case workflows swallow it (notifications are best effort), so a
     * running case that escalates goes on; its escalation's channels, if any, are told as usual. The
     * URL appears in neither the failure nor the log.
     */
    notifyEscalation: async (notice: EscalationNotice): Promise<never> => {
      const context = Context.current();
      const payload = typeof notice === 'object' && notice !== null && typeof notice.payload === 'object' && notice.payload !== null ? notice.payload : {};
      logger.warn(
        {
          workflowId: context.info.workflowExecution?.workflowId,
          caseId: typeof payload.caseId === 'string' ? payload.caseId : undefined,
          approvalId: typeof payload.approvalId === 'number' ? payload.approvalId : undefined,
        },
        'escalation notice to a URL from workflow input refused: nothing was sent; name channels in the playbook\'s escalation.notify',
      );
      throw ApplicationFailure.create({
        type: NOTIFY_FAILURE_TYPES.escalationUrlRefused,
        nonRetryable: true,
        message:
          "not sent: phasegate no longer POSTs to a URL taken from workflow input (the older escalation.notify URL form); name channels from the worker's channels file (PHASEGATE_CHANNELS) in escalation.notify instead",
      });
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
