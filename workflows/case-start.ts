/**
 * The first act of a new case since the `verified-start` patch (src/domain/case/start.ts): the
 * worker checks the start in a local activity, and a start it refuses fails the workflow with
 * UnverifiedStart before any SIR call.
 */
import { ApplicationFailure, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { PhasegateActivities } from '../activities';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import { type StartVerdict, UNVERIFIED_START, malformedStart } from '../src/domain/case/start';

const CHECK_OPTIONS = { startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3, initialInterval: '200 milliseconds' } } as const;
const startCheck = proxyLocalActivities<PhasegateActivities>(CHECK_OPTIONS);

/** Before the case touches its input: a start it cannot even read is refused at once. */
export function refuseMalformedStart(input: unknown): void {
  const problem = malformedStart(input);
  if (problem) throw unverified(problem);
}

/** The worker's verdict on the start; a refusal is thrown as the case's failure. */
export async function verifyStart(input: CasePlaybookInput): Promise<Extract<StartVerdict, { ok: true }>> {
  const { namespace, workflowId, runStartTime } = workflowInfo();
  const summary = `Check the start: playbook ${input.playbook.name}${input.caseId !== undefined ? `, adopting SIR case ${input.caseId}` : ''}`;
  // The input goes to the local activity only; its history marker holds the verdict alone.
  const verdict = await startCheck.verifyStart.executeWithOptions(
    { ...CHECK_OPTIONS, summary },
    [{ namespace, workflowId, runStartedAt: runStartTime.toISOString(), input }],
  );
  if (!verdict.ok) throw unverified(verdict.message);
  return verdict;
}

function unverified(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: UNVERIFIED_START, message: `start refused: ${message}`, nonRetryable: true });
}
