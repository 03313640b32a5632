/**
 * The references for bench 3. bareNoopWorkflow runs N no-op activities one after another, with the
 * same retry options as phasegate's SIR calls, and nothing else. bareSirWorkflow makes exactly the SIR
 * calls a casePlaybook on the auto-close bench playbook makes (CreateCase, a comment, GetCase then
 * UpdateCaseStatus per step, GetCase then CloseCase), as queued or as local activities, and nothing
 * else: no search attributes, no state, no patches, no messages.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { BareSirActivities, BareSirCase } from './bare-sir-activities';

const { benchNoop } = proxyActivities<{ benchNoop(i: number): Promise<number> }>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});

export async function bareNoopWorkflow(activities: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < activities; i++) sum += await benchNoop(i);
  return sum;
}

const queued = proxyActivities<BareSirActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
});
const local = proxyLocalActivities<BareSirActivities>({ startToCloseTimeout: '5 seconds', retry: { maximumAttempts: 1 } });

export async function bareSirWorkflow(request: BareSirCase, kind: 'queued' | 'local'): Promise<void> {
  const sir = kind === 'local' ? local : queued;
  const { caseId } = await sir.benchCreateCase(request);
  await sir.benchComment(caseId, request.clientToken);
  for (const to of request.steps) await sir.benchMove(caseId, to);
  await sir.benchMove(caseId, 'Closed');
}
