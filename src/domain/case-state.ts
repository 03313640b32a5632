import type { CaseStatus, ResolverType } from './case-status';
import type { ApproverRef } from './playbook';

/** A status target: one of the UpdateCaseStatus statuses, or Closed (through CloseCase). */
export type CaseTarget = Exclude<CaseStatus, 'Acknowledged' | 'Ready to Close'>;

/** One status change the workflow made (or found already made) on the SIR case. */
export interface TransitionRecord {
  from: CaseStatus;
  to: CaseStatus;
  at: string;
  via: 'UpdateCaseStatus' | 'CloseCase';
  alreadyApplied: boolean;
  /** Who asked for it: 'playbook' for a planned step, else the human who requested it. */
  requestedBy: string;
  approvedBy?: string;
}

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
}

export interface PendingApproval {
  approvalId: number;
  target: CaseTarget;
  approvers: ApproverRef[];
  requestedAt: string;
  requestedBy: string;
  /** ISO-8601 deadline of the current round, when the step has a timeout. */
  deadline?: string;
  escalated: boolean;
  /** Set by the first decision; any later one is a duplicate, so racing approvers make one transition. */
  decidedBy?: { decision: DecisionKind; by: string };
}

export type CasePhase = 'opening' | 'running' | 'awaiting-approval' | 'awaiting-request' | 'closed' | 'completed' | 'cancelled';

/** What the `state` query answers: everything an operator needs to see about a case. */
export interface CaseState {
  workflowId?: string;
  caseId?: string;
  playbook: string;
  status?: CaseStatus;
  resolverType?: ResolverType;
  phase: CasePhase;
  /** Index in playbook.steps of the last step reached; -1 before the first. */
  stepIndex: number;
  pendingApproval?: PendingApproval;
  /** A status change being applied right now (its SIR call may be retrying). */
  inFlight?: CaseTarget;
  transitions: TransitionRecord[];
  decisions: DecisionRecord[];
  /** Approvals opened so far; the next one gets this number plus one. */
  approvals: number;
  /** Alerts with the same fingerprint that arrived while this case ran. */
  duplicateAlerts: number;
  /** Why the playbook waits or stopped, in words (mirrors the Web UI's current details). */
  note?: string;
}
