/**
 * Whether the workflow task running this local activity is a retry. A local activity runs inside its
 * workflow task and leaves no trace in the history until the task completes: when the task is lost
 * (its worker died, or its answer never reached Temporal), the next attempt of the task runs the same
 * call again from scratch, with attempt 1, and only Temporal knows the task was tried before. So an
 * earlier try of this very call may have reached SIR exactly when the task's attempt is above 1.
 */
import { Context, log } from '@temporalio/activity';

export async function inRetriedWorkflowTask(): Promise<boolean> {
  const context = Context.current();
  const { workflowExecution, workflowNamespace } = context.info;
  if (!workflowExecution) return false;
  try {
    const description = await context.client.workflowService.describeWorkflowExecution({
      namespace: workflowNamespace,
      execution: { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId },
    });
    return (description.pendingWorkflowTask?.attempt ?? 1) > 1;
  } catch (err) {
    // Unknown: the write found is counted as someone else's (drift, adopted, never overwritten).
    log.warn('could not tell whether this workflow task is a retry', { workflowId: workflowExecution.workflowId, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}
