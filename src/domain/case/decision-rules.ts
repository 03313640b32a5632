/**
 * The approval gate's rules, as pure functions of the case state: who may decide which approval, what
 * a decision does to it (quorum, four-eyes), and what a transition request opens. The workflow's
 * update validators, its signal handlers and its recording all go through here, so every path to a
 * decision applies the same rules. Cases started before the `attested-decisions` patch use case/rules.ts.
 */
import { REFUSAL_TYPES, type Refusal, describeApprovers, refuseActor, refuseFinished } from './rules';
import type { ApprovalOutcome, CaseState, PendingApproval, QueuedMove } from './state';
import type { DecisionAnswer } from '../contract/messages';
import type { ApproverRef } from '../playbook/playbook';
import { checkTransition } from './transitions';
import type { CaseTarget } from './status';
import type { DecisionKind, DecisionRecord } from './decision';
import type { DecisionRequest, TransitionRequest } from '../contract/message-payloads';

export { REFUSAL_TYPES, type Refusal } from './rules';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const TIMEOUT_ACTOR = 'phasegate-timeout';

export function isApproverOf(approvers: readonly ApproverRef[], by: string, groups: readonly string[]): boolean {
  return approvers.some((ref) => (ref.startsWith('group:') ? groups.includes(ref.slice('group:'.length)) : ref === by));
}

export function approvalsNeeded(pending: PendingApproval): number {
  return Math.max((pending.minApprovers ?? 1) - (pending.approvedBy?.length ?? 0), 0);
}

export function describeOutcome(outcome: ApprovalOutcome): string {
  if (outcome.decision === 'withdrawn') {
    return `approval #${outcome.approvalId} to move to "${outcome.target}" was withdrawn at ${outcome.at}: ${outcome.reason ?? 'the case changed outside phasegate'}`;
  }
  const verb = outcome.decision === 'approve' ? 'approved' : 'rejected';
  const who = outcome.by.includes(TIMEOUT_ACTOR) ? 'on timeout' : `by ${outcome.by.join(', ')}`;
  const partial = outcome.partialApprovals?.length ? ` (approvals counted before the deadline: ${outcome.partialApprovals.join(', ')})` : '';
  return `approval #${outcome.approvalId} to move to "${outcome.target}" was ${verb} ${who}${partial} at ${outcome.at}`;
}

/**
 * Everything about a decision that does not depend on who the person is proven to be: its shape, the
 * approval it names, and whether this person already decided it. Runs in the update validator, so
 * such refusals leave no trace in the history.
 */
export function refuseDecisionRequest(state: CaseState, request: DecisionRequest): Refusal | undefined {
  const invalid = refuseActor(request);
  if (invalid) return invalid;
  if (request.decision !== 'approve' && request.decision !== 'reject') {
    return { type: REFUSAL_TYPES.invalidRequest, message: `decision must be "approve" or "reject", not ${JSON.stringify(request.decision)}` };
  }
  if (!Number.isSafeInteger(request.approvalId) || request.approvalId < 1) {
    return { type: REFUSAL_TYPES.invalidRequest, message: 'the decision must name the approval it decides (approvalId: the pending approval\'s number)' };
  }
  const finished = refuseFinished(state);
  if (finished) return finished;
  const pending = state.pendingApproval;
  if (!pending || pending.approvalId !== request.approvalId) {
    const outcome = state.approvalOutcomes?.find((o) => o.approvalId === request.approvalId);
    if (outcome) return { type: REFUSAL_TYPES.approvalNotPending, message: `${describeOutcome(outcome)}; nothing was decided now` };
    if (pending && pending.decidedBy === undefined && request.approvalId < pending.approvalId) {
      return { type: REFUSAL_TYPES.approvalNotPending, message: `approval #${request.approvalId} is no longer pending; the pending one is #${pending.approvalId} (move to "${pending.target}")` };
    }
    const now = pending ? `the pending one is #${pending.approvalId} (move to "${pending.target}")` : `no approval is pending (status "${state.status}")`;
    return { type: REFUSAL_TYPES.unknownApproval, message: `case ${state.caseId} has no approval #${request.approvalId}; ${now}` };
  }
  if (pending.decidedBy) {
    return {
      type: REFUSAL_TYPES.approvalNotPending,
      message: `approval #${pending.approvalId} to move to "${pending.target}" was already decided (${pending.decidedBy.decision} by ${pending.decidedBy.by})`,
    };
  }
  if (pending.approvedBy?.includes(request.by)) {
    return {
      type: REFUSAL_TYPES.duplicateDecision,
      message: `${request.by} already approved #${pending.approvalId}; ${approvalsNeeded(pending)} more distinct approver(s) needed`,
    };
  }
  if (request.decision === 'approve' && pending.separateFrom === 'requester' && pending.requestedBy === request.by) {
    return {
      type: REFUSAL_TYPES.separationOfDuties,
      message: `${request.by} asked for the move to "${pending.target}" and cannot also approve it (separateFrom: requester)`,
    };
  }
  return undefined;
}

/** The rest, once the worker has proven who the person is and which groups the users file gives them. */
export function refuseDecisionBy(state: CaseState, request: DecisionRequest, groups: readonly string[]): Refusal | undefined {
  const early = refuseDecisionRequest(state, request);
  if (early) return early;
  const pending = state.pendingApproval!;
  if (!isApproverOf(pending.approvers, request.by, groups)) {
    return {
      type: REFUSAL_TYPES.notAnApprover,
      message: `${request.by} is not an approver for moving case ${state.caseId} to "${pending.target}" (approvers: ${describeApprovers(pending.approvers)})`,
    };
  }
  return undefined;
}

/**
 * The answer a decision got the first time, when the same person already made the same decision on the
 * same approval: a retry (a lost HTTP answer, a CLI run again, even after the case continued as new)
 * is answered, never refused nor counted twice.
 */
export function repeatedDecision(state: CaseState, request: DecisionRequest): Omit<DecisionAnswer, 'state'> | undefined {
  if (!request || typeof request.by !== 'string' || !Number.isSafeInteger(request.approvalId)) return undefined;
  const first = state.decisions.find((d) => d.approvalId === request.approvalId && d.by === request.by && d.decision === request.decision && d.via !== 'timeout');
  if (!first) return undefined;
  const base = { approvalId: first.approvalId, decision: first.decision, by: first.by, target: first.target };
  const outcome = state.approvalOutcomes?.find((o) => o.approvalId === first.approvalId);
  if (first.decision === 'reject') return { ...base, result: 'rejected', approvalsNeeded: 0, next: 'staying' };
  if (outcome?.decision === 'approve' && outcome.by.includes(first.by)) {
    return { ...base, result: 'approved', approvalsNeeded: 0, next: first.target === 'Closed' ? 'closing' : 'moving' };
  }
  const pending = state.pendingApproval?.approvalId === first.approvalId ? state.pendingApproval : undefined;
  return { ...base, result: 'counted', approvalsNeeded: pending ? approvalsNeeded(pending) : 0, next: 'waiting-for-approvals' };
}

/**
 * Records a decision that passed refuseDecisionBy on the pending approval: a rejection decides at once;
 * an approval decides once enough distinct people have approved.
 */
export function recordDecision(
  state: CaseState,
  request: DecisionRequest,
  meta: { at: string; via: DecisionRecord['via']; proof?: DecisionRecord['proof'] },
): Omit<DecisionAnswer, 'state'> {
  const pending = state.pendingApproval!;
  state.decisions.push({
    approvalId: pending.approvalId,
    decision: request.decision,
    by: request.by,
    at: meta.at,
    phase: state.status ?? 'Submitted',
    target: pending.target,
    ...(request.comment !== undefined && { comment: request.comment }),
    via: meta.via,
    ...(meta.proof && { proof: meta.proof }),
  });
  const answer = { approvalId: pending.approvalId, decision: request.decision, by: request.by, target: pending.target };
  if (request.decision === 'reject') {
    decide(state, pending, 'reject', [request.by], meta.at);
    return { ...answer, result: 'rejected', approvalsNeeded: 0, next: 'staying' };
  }
  pending.approvedBy = [...(pending.approvedBy ?? []), request.by];
  const needed = approvalsNeeded(pending);
  if (needed > 0) return { ...answer, result: 'counted', approvalsNeeded: needed, next: 'waiting-for-approvals' };
  decide(state, pending, 'approve', pending.approvedBy, meta.at);
  return { ...answer, result: 'approved', approvalsNeeded: 0, next: pending.target === 'Closed' ? 'closing' : 'moving' };
}

/**
 * How each approval ended, for state carried from a case started before `attested-decisions` (which
 * kept only the decisions): so a late decision on one of them hears what became of it.
 */
export function outcomesFromDecisions(decisions: readonly DecisionRecord[]): ApprovalOutcome[] {
  const last = new Map<number, DecisionRecord>();
  for (const d of decisions) last.set(d.approvalId, d);
  return [...last.values()].map((d) => ({ approvalId: d.approvalId, target: d.target, decision: d.decision, by: [d.by], at: d.at }));
}

/**
 * The clock decides as the playbook says. Since `decision-outcomes` (`timeoutDecides`) it is the only
 * decider of an approval on timeout: the approvals counted before it, short of the quorum, are kept as
 * partial (older cases named them beside it, as if they had approved the move).
 */
export function recordTimeout(state: CaseState, action: DecisionKind, at: string, options: { timeoutDecides?: boolean } = {}): void {
  const pending = state.pendingApproval!;
  state.decisions.push({
    approvalId: pending.approvalId,
    decision: action,
    by: TIMEOUT_ACTOR,
    at,
    phase: state.status ?? 'Submitted',
    target: pending.target,
    comment: `no decision before the deadline; the playbook says ${action} on timeout`,
    via: 'timeout',
  });
  const counted = pending.approvedBy ?? [];
  if (options.timeoutDecides) decide(state, pending, action, [TIMEOUT_ACTOR], at, action === 'approve' ? counted : []);
  else decide(state, pending, action, action === 'approve' ? [...counted, TIMEOUT_ACTOR] : [TIMEOUT_ACTOR], at);
}

function decide(state: CaseState, pending: PendingApproval, decision: DecisionKind, by: string[], at: string, partialApprovals: string[] = []): void {
  pending.decidedBy = { decision, by: by.join(', ') };
  state.approvalOutcomes = [
    ...(state.approvalOutcomes ?? []),
    { approvalId: pending.approvalId, target: pending.target, decision, by, at, ...(partialApprovals.length > 0 && { partialApprovals: [...partialApprovals] }) },
  ];
}

/**
 * The move an approved gate makes, naming who approved it: its approvers, or the clock alone when a
 * timeout decided (with the approvals it had counted kept as partial). Older cases recorded a timeout
 * on a part-approved gate as decided by its approvers and the clock together; they keep that record.
 */
export function approvedMove(pending: PendingApproval): QueuedMove {
  const counted = pending.approvedBy ?? [];
  const byTimeout = pending.decidedBy?.by === TIMEOUT_ACTOR;
  return {
    to: pending.target,
    requestedBy: pending.requestedBy,
    approvedBy: byTimeout ? [TIMEOUT_ACTOR] : [...counted],
    ...(byTimeout && counted.length > 0 && { partialApprovals: [...counted] }),
    ...(pending.stepIndex !== undefined && { stepIndex: pending.stepIndex }),
    ...(pending.requestId && { requestId: pending.requestId }),
  };
}

export function refuseTransitionRequest(state: CaseState, request: TransitionRequest): Refusal | undefined {
  const invalid = refuseActor(request);
  if (invalid) return invalid;
  if (request.requestId !== undefined && (typeof request.requestId !== 'string' || !REQUEST_ID_PATTERN.test(request.requestId))) {
    return { type: REFUSAL_TYPES.invalidRequest, message: 'requestId must be 1-128 letters, digits and . _ : -' };
  }
  const finished = refuseFinished(state);
  if (finished) return finished;
  // A retried request is answered with what it did the first time, whatever has happened since.
  if (request.requestId && state.takenRequests?.some((t) => t.requestId === request.requestId)) return undefined;
  if (state.pendingApproval && !state.pendingApproval.decidedBy) {
    return {
      type: REFUSAL_TYPES.approvalPending,
      message: `approval #${state.pendingApproval.approvalId} to move to "${state.pendingApproval.target}" is pending on case ${state.caseId}; decide it first`,
    };
  }
  const moving = state.move?.target ?? state.queue?.[0]?.to ?? state.pendingApproval?.target;
  if (moving) return { type: REFUSAL_TYPES.transitionInProgress, message: `case ${state.caseId} is already moving to "${moving}"` };
  const check = checkTransition(state.status ?? 'Submitted', request.to, { resolverType: state.resolverType });
  if (!check.ok) return { type: REFUSAL_TYPES.illegalTransition, message: check.reason };
  return undefined;
}

/** Gate options a pending approval copies from the playbook when it opens. */
export function pendingOptions(approval: { minApprovers?: number; separateFrom?: 'requester' }): Pick<PendingApproval, 'minApprovers' | 'separateFrom'> {
  return {
    ...(approval.minApprovers !== undefined && approval.minApprovers > 1 && { minApprovers: approval.minApprovers }),
    ...(approval.separateFrom && { separateFrom: approval.separateFrom }),
  };
}

export type { CaseTarget };
