/**
 * What phasegate tells approvers about a gate: the one shape every notification channel (signed JSON
 * webhook, Slack incoming webhook) renders. It carries no alert content beyond the case id, the case
 * title made from the playbook's title template and the severity: channels are chat rooms and
 * third-party relays, not places for finding details.
 */
import type { CaseStatus, CaseTarget } from './status';
import type { ApproverRef } from '../playbook/playbook';

export type ApprovalNoticeEvent = 'approval-opened' | 'approval-reminder' | 'approval-escalated' | 'approval-timed-out';

export interface ApprovalNotice {
  event: ApprovalNoticeEvent;
  /** SIR case id. */
  caseId: string;
  workflowId: string;
  /** The approval a decision must name (`POST /v1/cases/{caseId}/decisions` body `approvalId`). */
  approvalId: number;
  playbook: string;
  title?: string;
  severity?: number;
  from: CaseStatus;
  target: CaseTarget;
  approvers: ApproverRef[];
  /** Distinct approvals still needed. */
  approvalsNeeded: number;
  /** ISO-8601 deadline of the current round, when there is one. */
  deadline?: string;
  /** For `approval-timed-out`: what the playbook did (approve, reject, escalate). */
  outcome?: string;
  /** ISO-8601 time the event happened (workflow time). */
  at: string;
}

/** One delivery: which configured channel, and the notice. */
export interface ChannelDelivery {
  channel: string;
  notice: ApprovalNotice;
}
