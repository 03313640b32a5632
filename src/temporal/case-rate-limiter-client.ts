/**
 * Asks the playbook's limiter workflow for the hour (src/domain/contract/case-rate-limiter.ts) whether a case
 * may open. Starts the limiter when it is not running yet; USE_EXISTING makes concurrent starters
 * (several servers, intakes) share one.
 */
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { hourNumber } from '../domain/alert/group';
import { RESERVE_REFUSALS, caseRateLimiterId, reserveCaseUpdate } from '../domain/contract/case-rate-limiter';
import { caseRateLimiter } from '../../workflows';

export type SlotVerdict = 'granted' | 'already-granted' | 'limit-reached';

export interface SlotAnswer {
  verdict: SlotVerdict;
  /** Granted: the slot just granted was the hour's last one (no need to wait for a refusal to know). */
  lastSlot?: boolean;
}

export async function reserveCaseSlot(client: Client, taskQueue: string, playbook: string, limit: number, caseWorkflowId: string, now: Date): Promise<SlotAnswer> {
  const hour = hourNumber(now);
  const workflowId = caseRateLimiterId(playbook, hour);
  const ask = async (): Promise<SlotAnswer> => {
    try {
      const { used } = await client.workflow.getHandle(workflowId).executeUpdate(reserveCaseUpdate, { args: [{ caseWorkflowId, limit }] });
      return { verdict: 'granted', lastSlot: used >= limit };
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === RESERVE_REFUSALS.alreadyGranted) return { verdict: 'already-granted' };
      if (cause instanceof ApplicationFailure && cause.type === RESERVE_REFUSALS.limitReached) return { verdict: 'limit-reached' };
      throw err;
    }
  };
  try {
    return await ask();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await client.workflow.start(caseRateLimiter, {
    taskQueue,
    workflowId,
    args: [{ playbook, hour }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `case-rate limiter · playbook ${playbook} · hour starting ${new Date(hour * 3_600_000).toISOString()}`,
  });
  return ask();
}
