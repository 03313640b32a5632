/**
 * The limit for bench 3: a workflow that runs N no-op activities one after another, with the same
 * retry options as phasegate's SIR calls, and nothing else (no search attributes, no state).
 */
import { proxyActivities } from '@temporalio/workflow';

const { benchNoop } = proxyActivities<{ benchNoop(i: number): Promise<number> }>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

export async function bareNoopWorkflow(activities: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < activities; i++) sum += await benchNoop(i);
  return sum;
}
