/** A decision on an approval: what an approver can say, and how the case keeps it. */
import type { CaseStatus, CaseTarget } from './status';

export type DecisionKind = 'approve' | 'reject';

/** One decision on an approval, kept in workflow state and mirrored to the SIR case as a comment. */
export interface DecisionRecord {
  approvalId: number;
  decision: DecisionKind;
  by: string;
  at: string;
  /** The case status when the decision was made, and the target it was about. */
  phase: CaseStatus;
  target: CaseTarget;
  comment?: string;
  via: 'update' | 'signal' | 'timeout';
  /** How phasegate knew who decided: an attestation from the API, or a deployment that trusts Temporal access. */
  proof?: 'attested' | 'trusted-temporal-access';
}

