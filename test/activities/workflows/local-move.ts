/**
 * Test-only workflow: one moveCase as a local activity, as a case's first try of a move runs it; with
 * `loseFirstTask` the workflow task that ran it fails once after the call, as when a worker dies (or
 * its answer never reaches Temporal) after SIR applied the move, so the task's next attempt runs the
 * call again from scratch.
 */
import { proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { MoveCaseRequest, MoveCaseResult, SirActivities } from '../../../activities';
import { SIR_LOCAL_ACTIVITY_OPTIONS } from '../../../workflows/sir-activity-options';

const local = proxyLocalActivities<SirActivities>(SIR_LOCAL_ACTIVITY_OPTIONS);

/** Events a workflow's first task sees on its first attempt: started, task scheduled, task started. */
const FIRST_TASK_EVENTS = 3;

export async function localMove(request: MoveCaseRequest, loseFirstTask: boolean): Promise<MoveCaseResult> {
  const result = await local.moveCase(request);
  // Not a failure of the workflow: an error outside Temporal's failure types fails the task, which Temporal retries.
  if (loseFirstTask && workflowInfo().historyLength <= FIRST_TASK_EVENTS) throw new Error('this workflow task is lost');
  return result;
}
