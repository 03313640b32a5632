/**
 * What a gate does when its deadline passes undecided, as the playbook says: the first round may
 * escalate to other approvers (with its own deadline, counted from the first one); otherwise, or once
 * escalated, the clock decides (escalation's own `onTimeout`; a first round that says `escalate`
 * without an escalation rejects). A pure function: the gate carries the answer out
 * (workflows/approval-gate.ts).
 */
import type { ApproverRef, ApprovalSpec } from '../playbook/playbook';
import type { DecisionKind } from './decision';
import type { PendingApproval } from './state';

export type DeadlineAction =
  | { kind: 'escalate'; approvers: ApproverRef[]; deadline?: string }
  | { kind: 'decide'; decision: DecisionKind };

export function onGateDeadline(spec: ApprovalSpec, pending: Pick<PendingApproval, 'escalated'>, deadlineMs: number): DeadlineAction {
  if (!pending.escalated && spec.onTimeout === 'escalate' && spec.escalation) {
    const { escalation } = spec;
    return {
      kind: 'escalate',
      approvers: [...escalation.approvers],
      ...(escalation.timeoutMs !== undefined && { deadline: new Date(deadlineMs + escalation.timeoutMs).toISOString() }),
    };
  }
  return { kind: 'decide', decision: pending.escalated ? spec.escalation!.onTimeout : spec.onTimeout === 'escalate' ? 'reject' : spec.onTimeout };
}
