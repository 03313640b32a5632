/**
 * Maps SIR client errors to Temporal failures (SPEC §2). The failure `type` is always the exception's
 * short name, so workflows, retry policies and the Web UI all speak the SIR's own vocabulary.
 */
import { ApplicationFailure } from '@temporalio/common';
import { SirError } from '../src/sir';

export function sirFailure(err: unknown): ApplicationFailure {
  if (!(err instanceof SirError)) {
    // A bug on our side, not a SIR answer: let Temporal retry it like any unexpected error.
    return ApplicationFailure.fromError(err);
  }
  return ApplicationFailure.create({
    type: err.type,
    message: err.message,
    nonRetryable: !err.retryable,
    // Retry-After is the service telling us when to come back; it beats our own backoff.
    nextRetryDelay: err.retryable && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : undefined,
    details: [
      {
        operation: err.operation,
        httpStatus: err.httpStatus,
        requestId: err.requestId,
        // Read by a case whose local attempt failed: it waits this long before the queued call.
        ...(err.retryable && err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
        ...(err.reason ? { reason: err.reason } : {}),
        ...(err.fieldList ? { fieldList: err.fieldList } : {}),
      },
    ],
  });
}

export function illegalTransitionFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'ValidationException', message, nonRetryable: true });
}
