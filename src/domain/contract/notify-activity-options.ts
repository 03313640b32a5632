/**
 * How the notification activities fail, and the activity options a workflow should schedule it with.
 * Here rather than in workflows/ so that the workflow, the activity and the tests share one list.
 */
import type { ActivityOptions } from '@temporalio/common';

export const NOTIFY_FAILURE_TYPES = {
  /** Network error, timeout, 429 or 5xx: retryable; a Retry-After answer sets the next delay. */
  failed: 'NotificationFailed',
  /** The receiver answered another 4xx (or a redirect): asking again will not change its mind. */
  refused: 'NotificationRefused',
  /** The channel is not in the worker's channels file, or the worker has none (PHASEGATE_CHANNELS). */
  unknownChannel: 'UnknownChannel',
  /** The activity input is not a ChannelDelivery. */
  invalidNotice: 'InvalidNotice',
  /** notifyEscalation was asked to POST to a URL from workflow input, which it never does. */
  escalationUrlRefused: 'EscalationUrlRefused',
} as const;

export const NON_RETRYABLE_NOTIFY_ERROR_TYPES: string[] = [NOTIFY_FAILURE_TYPES.refused, NOTIFY_FAILURE_TYPES.unknownChannel, NOTIFY_FAILURE_TYPES.invalidNotice];

/**
 * A notice is worth retrying while it is still news: backoff from 2 s (Slack accepts about one message
 * per second per webhook) to 5 minutes, for at most an hour, after which the gate's next reminder or
 * event says the same thing more accurately. Each attempt gets the 8 s request timeout plus room.
 * The activity already marks its non-retryable failures; the list here keeps the policy readable.
 * A workflow should not let a failed notification fail the case: catch it and carry on.
 */
export const NOTIFY_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_NOTIFY_ERROR_TYPES,
  },
} satisfies ActivityOptions;
