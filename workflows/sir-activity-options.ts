import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_SIR_ERROR_TYPES } from '../src/domain/sir-api/errors';

/**
 * Retry policy for every SIR call: exponential backoff for throttling, server errors and transport
 * failures (a Retry-After from SIR overrides the next delay via nextRetryDelay), no retry for errors
 * that another attempt cannot fix. Attempts are unlimited on purpose: a throttled or degraded SIR
 * API must delay a case, never fail it; the pending activity and its last failure show in the UI.
 */
export const SIR_FIRST_RETRY_MS = 1_000;
/**
 * The backoff's ceiling, as the AWS SDKs' standard retry mode caps theirs (20 s). With 2 minutes, a
 * run of unlucky attempts against a SIR that throttles a third of its calls at random kept a case
 * waiting for over 10 minutes now and then (drill:sir-faults, issue 18.10): each wait after the
 * fifth failure doubled up to 2 minutes. The global rate limit (PHASEGATE_SIR_MAX_RPS) is what keeps
 * a busy fleet from pressing SIR; the backoff only spaces one call's attempts.
 */
export const SIR_LONGEST_RETRY_MS = 20_000;
/** SIR's Retry-After is honoured up to this (Temporal does not cap nextRetryDelay by the policy's maximumInterval). */
export const SIR_LONGEST_RETRY_AFTER_MS = 120_000;

export const SIR_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: SIR_FIRST_RETRY_MS,
    backoffCoefficient: 2,
    maximumInterval: SIR_LONGEST_RETRY_MS,
    nonRetryableErrorTypes: NON_RETRYABLE_SIR_ERROR_TYPES,
  },
};

/**
 * A SIR call's first attempt in cases since `local-sir-calls`: a local activity, run by the worker
 * inside the workflow task that asked for it, so a case opens, moves and parks in one task and its
 * history keeps one marker per call instead of a scheduled, started and completed activity. One
 * attempt only: a call that fails in a way another attempt could fix (throttled, a 500, a timeout,
 * a global rate limit) goes on as a queued activity with SIR_ACTIVITY_OPTIONS' backoff, visible as
 * pending in the Web UI, and under the task queue's rate limit.
 */
export const SIR_LOCAL_ACTIVITY_OPTIONS: LocalActivityOptions = {
  // While a local activity runs, its workflow task stays open and the case answers nothing (a
  // decision waits for it): a call slower than this goes on as a queued activity. Every SIR call is
  // safe to send again (client tokens, read before write).
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
};

/**
 * A best-effort comment (an audit note, the start note) is tried locally for less long: it runs
 * beside the playbook, and a slow one must not keep a gate from opening for more than a moment.
 */
export const COMMENT_LOCAL_ACTIVITY_OPTIONS: LocalActivityOptions = {
  ...SIR_LOCAL_ACTIVITY_OPTIONS,
  startToCloseTimeout: '2 seconds',
};
