import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * A SIR call that cannot succeed (Conflict, Validation, AccessDenied…) fails the case workflow with a
 * failure of the SIR exception's own type, so operators and visibility queries see "ConflictException"
 * on the workflow itself rather than a generic activity failure one level down.
 */
export function asCaseFailure(err: unknown, what: string): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type) {
    return ApplicationFailure.create({
      type: err.cause.type,
      message: `${what} failed: ${err.cause.message}`,
      nonRetryable: true,
      details: err.cause.details ?? undefined,
      cause: err,
    });
  }
  return err;
}
