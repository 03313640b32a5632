/**
 * caseRateLimiter: the per-playbook, per-hour count of new cases (src/domain/contract/case-rate-limiter.ts).
 * Deterministic: `@temporalio/workflow` and pure `src/domain` only.
 */
import { ApplicationFailure, allHandlersFinished, condition, setHandler, sleep } from '@temporalio/workflow';
import {
  type CaseRateLimiterInput,
  type CaseRateLimiterState,
  type ReserveCaseRequest,
  RESERVE_REFUSALS,
  limiterEndsAt,
  limiterStateQuery,
  reserveCaseUpdate,
} from '../src/domain/contract/case-rate-limiter';

export async function caseRateLimiter(input: CaseRateLimiterInput): Promise<CaseRateLimiterState> {
  const state: CaseRateLimiterState = { playbook: input.playbook, hour: input.hour, granted: [] };
  setHandler(limiterStateQuery, () => state);
  setHandler(
    reserveCaseUpdate,
    (request) => {
      // Validated just before: a new id with a free slot. Re-checked, since validators and handlers of
      // concurrent updates interleave only at awaits and this handler has none.
      if (!state.granted.includes(request.caseWorkflowId)) state.granted.push(request.caseWorkflowId);
      return { granted: true, used: state.granted.length };
    },
    {
      validator: (request: ReserveCaseRequest) => {
        if (state.granted.includes(request.caseWorkflowId)) {
          throw ApplicationFailure.create({ type: RESERVE_REFUSALS.alreadyGranted, message: `${request.caseWorkflowId} already has a slot`, nonRetryable: true });
        }
        if (state.granted.length >= request.limit) {
          throw ApplicationFailure.create({ type: RESERVE_REFUSALS.limitReached, message: `${state.granted.length} of ${request.limit} new cases this hour`, nonRetryable: true });
        }
      },
      description: 'reserve a new-case slot of the hour for a case workflow id',
    },
  );
  await sleep(Math.max(limiterEndsAt(input.hour) - Date.now(), 1));
  await condition(allHandlersFinished);
  return state;
}
