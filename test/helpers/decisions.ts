/**
 * Deciding on a case the way a test worker allows: test workers trust Temporal access (as `phasegate
 * dev` does) and take groups from TEST_USERS, never from the message; a decision names its approval.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CaseState } from '../../src/domain/case/state';
import { type DecisionAnswer, decideUpdate, stateQuery } from '../../src/domain/contract/messages';
import type { casePlaybook } from '../../workflows';
import { waitFor } from './wait';

/** The users file a test worker checks groups against. */
export const TEST_GROUPS: Readonly<Record<string, string[]>> = {
  carol: ['ir-leads'],
  erin: ['ir-leads'],
  frank: ['ciso'],
  grace: ['ir-leads'],
  mallory: ['dev'],
};

export const testGroupsOf = (name: string): string[] | undefined => TEST_GROUPS[name];

type CaseHandle = WorkflowHandle<typeof casePlaybook>;

/** Decides the approval pending now (or the one named) by update. */
export async function decideOn(
  handle: CaseHandle,
  decision: 'approve' | 'reject',
  by: string,
  extra: { comment?: string; approvalId?: number } = {},
): Promise<DecisionAnswer> {
  const approvalId = extra.approvalId ?? (await handle.query(stateQuery)).pendingApproval?.approvalId ?? 0;
  return handle.executeUpdate(decideUpdate, { args: [{ approvalId, decision, by, ...(extra.comment && { comment: extra.comment }) }] });
}

/** The case once it stands in `status` (a decision answers before the move is made). */
export function statusOf(handle: CaseHandle, status: string, timeoutMs?: number): Promise<CaseState> {
  return waitFor(`status "${status}"`, async () => {
    const state = await handle.query(stateQuery);
    return state.status === status && !state.move ? state : undefined;
  }, timeoutMs);
}
