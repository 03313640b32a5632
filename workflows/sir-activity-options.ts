import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_SIR_ERROR_TYPES } from '../src/domain/sir-errors';

/**
 * Retry policy for every SIR call: exponential backoff for throttling, server errors and transport
 * failures (a Retry-After from SIR overrides the next delay via nextRetryDelay), no retry for errors
 * that another attempt cannot fix. Attempts are unlimited on purpose: a throttled or degraded SIR
 * API must delay a case, never fail it; the pending activity and its last failure show in the UI.
 */
export const SIR_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_SIR_ERROR_TYPES,
  },
};
