/**
 * What a case does next, decided in one place: pure functions of the playbook and the case state that
 * return what to do and change nothing. The workflow loop carries the answer out (wait, open a gate,
 * make a move, finish) and asks again; a request a person makes is planned here too (planRequest).
 * Keeping every decision here means the rules for requested moves, playbook steps, approved and
 * rejected gates and AWS-supported cases can be read, and tested, without Temporal. Where a decision
 * is taken elsewhere in src/domain/case: a gate's deadline (gate-deadline.ts), a person's decision
 * and the clock's (decision-rules.ts), adopting a case on open (adoption.ts), adopting a change
 * found in SIR (sir-drift.ts) and what a SIR write finds when it reads the case (sir-write-check.ts).
 */
import type { CaseState, PendingApproval, QueuedMove, TakenRequest } from './state';
import { approvedMove, pendingOptions } from './decision-rules';
import type { TransitionRequest } from '../contract/message-payloads';
import type { ApprovalSpec, Playbook } from '../playbook/playbook';
import { checkTransition } from './transitions';
import type { CaseTarget } from './status';

/**
 * What the loop does next. `reached`: the last playbook step the case already stands at (an adopted
 * case may stand where a step would take it); the loop records it before carrying the action out.
 */
export type NextAction =
  | { kind: 'finish'; reached?: number }
  | { kind: 'wait-for-request'; why?: string; reached?: number }
  | { kind: 'wait-for-decision'; pending: PendingApproval }
  /** The gate was approved: its move goes first in the queue. */
  | { kind: 'approved'; pending: PendingApproval; move: QueuedMove }
  /** The gate was rejected: the case stays where it is, or (`onReject: close`) its queue becomes the close. */
  | { kind: 'rejected'; pending: PendingApproval; by: string; then: 'stay' }
  | { kind: 'rejected'; pending: PendingApproval; by: string; then: 'close'; move: QueuedMove }
  | { kind: 'open-approval'; target: CaseTarget; approval: ApprovalSpec; stepIndex?: number; reached?: number }
  | { kind: 'make-move'; move: QueuedMove; queued: boolean; reached?: number };

export function planNext(playbook: Playbook, state: Readonly<CaseState>): NextAction {
  if (state.status === 'Closed') return { kind: 'finish' };
  const pending = state.pendingApproval;
  if (pending) {
    if (!pending.decidedBy) return { kind: 'wait-for-decision', pending };
    if (pending.decidedBy.decision === 'approve') return { kind: 'approved', pending, move: approvedMove(pending) };
    const by = pending.decidedBy.by;
    return whenRejected(playbook) === 'close' ? { kind: 'rejected', pending, by, then: 'close', move: { to: 'Closed', requestedBy: by } } : { kind: 'rejected', pending, by, then: 'stay' };
  }
  const queued = state.queue?.[0];
  if (queued) return { kind: 'make-move', move: queued, queued: true };
  if (state.phase === 'awaiting-request') return { kind: 'wait-for-request' };
  return nextPlannedStep(playbook, state);
}

/** What a rejected gate leads to: the playbook's `onReject` (the case stays, unless it says close). */
export function whenRejected(playbook: Pick<Playbook, 'onReject'>): 'stay' | 'close' {
  return playbook.onReject === 'close' ? 'close' : 'stay';
}

/**
 * The next step of the playbook itself. AWS-supported cases skip every status step (phasegate never
 * calls UpdateCaseStatus on them) and go straight to the close gate.
 */
function nextPlannedStep(playbook: Playbook, state: Readonly<CaseState>): NextAction {
  const { steps, close } = playbook;
  // An adopted case may already stand where a step would take it: that step counts as reached.
  let reached: number | undefined;
  const withReached = (action: Extract<NextAction, { reached?: number }>): NextAction => (reached === undefined ? action : { ...action, reached });
  if (state.resolverType !== 'AWS') {
    for (let i = state.stepIndex + 1; i < steps.length; i++) {
      const step = steps[i]!;
      if (step.status === state.status) {
        reached = i;
        continue;
      }
      const check = checkTransition(state.status ?? 'Submitted', step.status, { resolverType: state.resolverType });
      if (!check.ok) {
        return withReached({ kind: 'wait-for-request', why: `The playbook's next step "${step.status}" is not possible from "${state.status}" (${check.reason}); waiting for a transition request.` });
      }
      return withReached(
        step.approval
          ? { kind: 'open-approval', target: step.status, approval: step.approval, stepIndex: i }
          : { kind: 'make-move', move: { to: step.status, requestedBy: 'playbook', stepIndex: i }, queued: false },
      );
    }
  }
  if (close && state.status !== 'Closed') {
    return withReached(
      close.approval
        ? { kind: 'open-approval', target: 'Closed', approval: close.approval }
        : { kind: 'make-move', move: { to: 'Closed', requestedBy: 'playbook' }, queued: false },
    );
  }
  return withReached({ kind: 'finish' });
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

/** A gate to open: the next approval number, its approvers, deadline and first reminder. */
export function newApproval(state: Pick<CaseState, 'approvals'>, init: OpenApprovalInit, nowMs: number): PendingApproval {
  const { approval } = init;
  return {
    approvalId: state.approvals + 1,
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
}

const TAKEN_REQUESTS_KEPT = 50;

/**
 * What a transition request the rules allowed does: open the target's gate, or queue its move; and
 * the requests kept so a retry is answered with it. Planned in the message handler, so the request is
 * answered with what it did without waiting on SIR.
 */
export type RequestPlan = { taken: TakenRequest; takenRequests: TakenRequest[] } & ({ opens: PendingApproval } | { queues: QueuedMove });

export function planRequest(playbook: Playbook, state: Readonly<CaseState>, request: TransitionRequest & { requestId: string }, nowMs: number): RequestPlan {
  const { approval, stepIndex } = gateFor(playbook, request.to);
  const at = new Date(nowMs).toISOString();
  const keep = (taken: TakenRequest): TakenRequest[] => [...(state.takenRequests ?? []), taken].slice(-TAKEN_REQUESTS_KEPT);
  if (approval) {
    const opens = newApproval(state, { target: request.to, approval, requestedBy: request.by, stepIndex, requestId: request.requestId }, nowMs);
    const taken: TakenRequest = { requestId: request.requestId, to: request.to, by: request.by, at, result: 'awaiting-approval', approvalId: opens.approvalId };
    return { opens, taken, takenRequests: keep(taken) };
  }
  const queues: QueuedMove = { to: request.to, requestedBy: request.by, requestId: request.requestId, ...(stepIndex !== undefined && { stepIndex }) };
  const taken: TakenRequest = { requestId: request.requestId, to: request.to, by: request.by, at, result: 'moving' };
  return { queues, taken, takenRequests: keep(taken) };
}
