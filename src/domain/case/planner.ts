/**
 * What a case does next, decided in one place: a pure function of the playbook and the case state.
 * The workflow loop only carries the answer out (wait, open a gate, move the SIR case, finish) and
 * asks again; the message handlers change state through case/decision-rules.ts. Keeping the decision here
 * means the rules for requested moves, playbook steps, approved and rejected gates and AWS-supported
 * cases can be read, and tested, without Temporal.
 */
import type { CaseState, PendingApproval, QueuedMove, TakenRequest } from './state';
import { pendingOptions } from './decision-rules';
import type { ApprovalSpec, Playbook } from '../playbook/playbook';
import { checkTransition } from './transitions';
import type { CaseTarget } from './status';
import type { TransitionRequest } from '../contract/message-payloads';

export type NextStep =
  | { kind: 'finish' }
  | { kind: 'wait-for-request'; why?: string }
  | { kind: 'wait-for-decision'; pending: PendingApproval }
  | { kind: 'approved'; pending: PendingApproval }
  | { kind: 'rejected'; pending: PendingApproval; then: 'stay' | 'close' }
  | { kind: 'open-approval'; target: CaseTarget; approval: ApprovalSpec; stepIndex?: number }
  | { kind: 'move'; move: QueuedMove; queued: boolean };

export function planNext(playbook: Playbook, state: CaseState): NextStep {
  if (state.status === 'Closed') return { kind: 'finish' };
  const pending = state.pendingApproval;
  if (pending) {
    if (!pending.decidedBy) return { kind: 'wait-for-decision', pending };
    return pending.decidedBy.decision === 'approve'
      ? { kind: 'approved', pending }
      : { kind: 'rejected', pending, then: playbook.onReject === 'close' ? 'close' : 'stay' };
  }
  const queued = state.queue?.[0];
  if (queued) return { kind: 'move', move: queued, queued: true };
  if (state.phase === 'awaiting-request') return { kind: 'wait-for-request' };
  return nextPlannedStep(playbook, state);
}

/**
 * The next step of the playbook itself. AWS-supported cases skip every status step (phasegate never
 * calls UpdateCaseStatus on them) and go straight to the close gate.
 */
function nextPlannedStep(playbook: Playbook, state: CaseState): NextStep {
  const { steps, close } = playbook;
  if (state.resolverType !== 'AWS') {
    for (let i = state.stepIndex + 1; i < steps.length; i++) {
      const step = steps[i]!;
      // An adopted case may already stand where a step would take it.
      if (step.status === state.status) {
        state.stepIndex = i;
        continue;
      }
      const check = checkTransition(state.status ?? 'Submitted', step.status, { resolverType: state.resolverType });
      if (!check.ok) {
        return { kind: 'wait-for-request', why: `The playbook's next step "${step.status}" is not possible from "${state.status}" (${check.reason}); waiting for a transition request.` };
      }
      return step.approval
        ? { kind: 'open-approval', target: step.status, approval: step.approval, stepIndex: i }
        : { kind: 'move', move: { to: step.status, requestedBy: 'playbook', stepIndex: i }, queued: false };
    }
  }
  if (close && state.status !== 'Closed') {
    return close.approval
      ? { kind: 'open-approval', target: 'Closed', approval: close.approval }
      : { kind: 'move', move: { to: 'Closed', requestedBy: 'playbook' }, queued: false };
  }
  return { kind: 'finish' };
}

/** The approval a target needs when a person asks for it: the gate of the playbook step with that status. */
export function gateFor(playbook: Playbook, target: CaseTarget): { approval?: ApprovalSpec; stepIndex?: number } {
  if (target === 'Closed') return { approval: playbook.close?.approval };
  const stepIndex = playbook.steps.findIndex((s) => s.status === target);
  return stepIndex < 0 ? {} : { approval: playbook.steps[stepIndex]!.approval, stepIndex };
}

export interface OpenApprovalInit {
  target: CaseTarget;
  approval: ApprovalSpec;
  requestedBy: string;
  stepIndex?: number;
  requestId?: string;
}

/** Opens a gate: the next approval number, its approvers, deadline and first reminder. */
export function openApproval(state: CaseState, init: OpenApprovalInit, nowMs: number): PendingApproval {
  const { approval } = init;
  const pending: PendingApproval = {
    approvalId: ++state.approvals,
    target: init.target,
    approvers: [...approval.approvers],
    requestedAt: new Date(nowMs).toISOString(),
    requestedBy: init.requestedBy,
    escalated: false,
    ...pendingOptions(approval),
    ...(approval.timeoutMs !== undefined && { deadline: new Date(nowMs + approval.timeoutMs).toISOString() }),
    ...(approval.remindEveryMs !== undefined && approval.notify?.length && { nextReminderAt: new Date(nowMs + approval.remindEveryMs).toISOString() }),
    ...(init.stepIndex !== undefined && { stepIndex: init.stepIndex }),
    ...(init.requestId !== undefined && { requestId: init.requestId }),
  };
  state.pendingApproval = pending;
  state.phase = 'awaiting-approval';
  return pending;
}

const TAKEN_REQUESTS_KEPT = 50;

/**
 * Takes a transition request the rules allowed: opens the target's gate, or queues the move. Runs in
 * the message handler, so the request is answered with what it did without waiting on SIR.
 */
export function takeRequest(playbook: Playbook, state: CaseState, request: TransitionRequest & { requestId: string }, nowMs: number): TakenRequest {
  const { approval, stepIndex } = gateFor(playbook, request.to);
  const at = new Date(nowMs).toISOString();
  let taken: TakenRequest;
  if (approval) {
    const pending = openApproval(state, { target: request.to, approval, requestedBy: request.by, stepIndex, requestId: request.requestId }, nowMs);
    taken = { requestId: request.requestId, to: request.to, by: request.by, at, result: 'awaiting-approval', approvalId: pending.approvalId };
  } else {
    state.queue = [...(state.queue ?? []), { to: request.to, requestedBy: request.by, requestId: request.requestId, ...(stepIndex !== undefined && { stepIndex }) }];
    taken = { requestId: request.requestId, to: request.to, by: request.by, at, result: 'moving' };
  }
  state.takenRequests = [...(state.takenRequests ?? []), taken].slice(-TAKEN_REQUESTS_KEPT);
  return taken;
}
