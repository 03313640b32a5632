/**
 * Who decides on a case of the frozen v4 loop, since the `v4-proven-groups` patch (issue 18): the
 * worker proves the person as it does for newer cases (activities/identity-activities.ts), and their
 * groups come from the users file (the API server's, through its attestation, or the worker's where
 * Temporal access is trusted), never from the message. Its own proxy, so the frozen loop does not
 * reach into the live one for it.
 *
 * A queued activity, as for newer cases since `proof-in-history` (workflows/case-operations.ts): the
 * proof is asked by a message handler, beside the main line, and only a queued activity's result
 * reaches the workflow in the same workflow task live and replayed.
 */
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PhasegateActivities } from '../../activities';
import { REFUSAL_TYPES } from '../../src/domain/case/rules';
import type { DecisionRequest } from '../../src/domain/contract/message-payloads';

export const V4_PROVEN_GROUPS = 'v4-proven-groups';

const PROOF_OPTIONS = { startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3, initialInterval: '200 milliseconds' } } as const;
const identity = proxyActivities<PhasegateActivities>(PROOF_OPTIONS);

/** The request with the proven name and groups; a refusal (UnprovenIdentity) when nothing proves who sent it. */
export async function withProvenGroups<R extends Omit<DecisionRequest, 'approvalId'>>(request: R): Promise<R> {
  const { namespace, workflowId } = workflowInfo();
  // These cases' decide update does not require the approval id; an attestation from the API names it.
  const approvalId = (request as Partial<DecisionRequest>).approvalId as number;
  const verdict = await identity.proveActor.executeWithOptions(
    { ...PROOF_OPTIONS, summary: `Check who decides: ${request.by}` },
    [{ act: { kind: 'decide', namespace, workflowId, approvalId, decision: request.decision, comment: request.comment }, by: request.by, attestation: request.attestation }],
  );
  if (!verdict.ok) throw ApplicationFailure.create({ type: REFUSAL_TYPES.unprovenIdentity, message: verdict.message, nonRetryable: true });
  return { ...request, by: verdict.by, groups: verdict.groups };
}
