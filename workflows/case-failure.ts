import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * A SIR call that cannot succeed (Conflict, Validation, AccessDenied…) fails the case workflow with a
 * failure of the SIR exception's own type, so operators and visibility queries see "ConflictException"
 * on the workflow itself rather than a generic activity failure one level down. A queued activity's
 * failure comes wrapped in an ActivityFailure; a local activity's (cases since `local-sir-calls`) as
 * the activity threw it.
 */
export function asCaseFailure(err: unknown, what: string): unknown {
  const sirFailure = activityFailureCause(err);
  if (sirFailure instanceof ApplicationFailure && sirFailure.type) {
    return ApplicationFailure.create({
      type: sirFailure.type,
      message: `${what} failed: ${sirFailure.message}`,
      nonRetryable: true,
      details: sirFailure.details ?? undefined,
      cause: err as Error,
    });
  }
  return err;
}

/** What an activity failed with: the cause a queued activity's ActivityFailure wraps, or a local one's own failure. */
export function activityFailureCause(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}
