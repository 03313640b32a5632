/**
 * Who may decide what, and when: the checks behind the `decide` and `transition` update validators.
 * Pure functions of the case state, so they run inside the workflow and can be unit-tested alone.
 */
import type { CaseState } from './state';
import type { ApproverRef } from '../playbook/playbook';
import { checkTransition } from './transitions';
import type { Actor, DecisionRequest, TransitionRequest } from '../contract/message-payloads';

/** Failure types the server maps to HTTP codes (403, 409…) and the CLI prints as reasons. */
export const REFUSAL_TYPES = {
  caseClosed: 'CaseClosed',
  notOpenYet: 'CaseNotOpenYet',
  noApprovalPending: 'NoApprovalPending',
  notAnApprover: 'NotAnApprover',
  duplicateDecision: 'DuplicateDecision',
  approvalPending: 'ApprovalPending',
  transitionInProgress: 'TransitionInProgress',
  illegalTransition: 'IllegalTransition',
  invalidRequest: 'InvalidRequest',
  /** The named approval was decided (or superseded) before this decision arrived. */
  approvalNotPending: 'ApprovalNotPending',
  unknownApproval: 'UnknownApproval',
  separationOfDuties: 'SeparationOfDuties',
  /** Nothing proved that phasegate authenticated the person (no attestation, Temporal access not trusted). */
  unprovenIdentity: 'UnprovenIdentity',
  /** The check of who sent it failed (not a refusal of the person): send it again. */
  proofUnavailable: 'ProofUnavailable',
  /** A Slack user the users file maps to no phasegate user (neither `slack: {team, user}` nor a verified email). */
  unmappedSlackUser: 'UnmappedSlackUser',
} as const;

export type RefusalType = (typeof REFUSAL_TYPES)[keyof typeof REFUSAL_TYPES];

export interface Refusal {
  type: RefusalType;
  message: string;
}

const ACTOR_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

export function isApprover(approvers: readonly ApproverRef[], actor: Actor): boolean {
  return approvers.some((ref) =>
    ref.startsWith('group:') ? (actor.groups ?? []).includes(ref.slice('group:'.length)) : ref === actor.by,
  );
}

export function describeApprovers(approvers: readonly ApproverRef[]): string {
  return approvers.join(', ');
}

export function refuseActor(actor: Actor): Refusal | undefined {
  if (typeof actor?.by !== 'string' || !ACTOR_PATTERN.test(actor.by)) {
    return { type: REFUSAL_TYPES.invalidRequest, message: 'the request must name who makes it (by: a user name)' };
  }
  return undefined;
}

export function refuseFinished(state: CaseState): Refusal | undefined {
  if (state.status === 'Closed' || state.phase === 'closed') {
    return { type: REFUSAL_TYPES.caseClosed, message: `case ${state.caseId ?? '(never opened)'} is closed` };
  }
  if (state.phase === 'completed' || state.phase === 'cancelled') {
    return { type: REFUSAL_TYPES.caseClosed, message: `the playbook for case ${state.caseId} has ${state.phase === 'completed' ? 'finished' : 'been cancelled'}` };
  }
  if (state.phase === 'opening' || !state.caseId) {
    return { type: REFUSAL_TYPES.notOpenYet, message: 'the SIR case is still being opened; try again in a moment' };
  }
  return undefined;
}

/**
 * `groupsProvenLater`: the caller knows who decides only by name yet (the v4 update validator, before
 * the worker proves the person and their groups); a `group:` approver then cannot refuse them here.
 */
export function refuseDecision(state: CaseState, request: Omit<DecisionRequest, 'approvalId'>, options: { groupsProvenLater?: boolean } = {}): Refusal | undefined {
  const invalid = refuseActor(request);
  if (invalid) return invalid;
  if (request.decision !== 'approve' && request.decision !== 'reject') {
    return { type: REFUSAL_TYPES.invalidRequest, message: `decision must be "approve" or "reject", not ${JSON.stringify(request.decision)}` };
  }
  const finished = refuseFinished(state);
  if (finished) return finished;
  const pending = state.pendingApproval;
  if (!pending) {
    return { type: REFUSAL_TYPES.noApprovalPending, message: `no approval is pending on case ${state.caseId} (status "${state.status}")` };
  }
  if (pending.decidedBy) {
    return {
      type: REFUSAL_TYPES.duplicateDecision,
      message: `approval #${pending.approvalId} to move to "${pending.target}" was already decided (${pending.decidedBy.decision} by ${pending.decidedBy.by})`,
    };
  }
  const approver = options.groupsProvenLater ? pending.approvers.some((ref) => ref.startsWith('group:') || ref === request.by) : isApprover(pending.approvers, request);
  if (!approver) {
    return {
      type: REFUSAL_TYPES.notAnApprover,
      message: `${request.by} is not an approver for moving case ${state.caseId} to "${pending.target}" (approvers: ${describeApprovers(pending.approvers)})`,
    };
  }
  return undefined;
}

export function refuseTransition(state: CaseState, request: TransitionRequest): Refusal | undefined {
  const invalid = refuseActor(request);
  if (invalid) return invalid;
  const finished = refuseFinished(state);
  if (finished) return finished;
  if (state.pendingApproval) {
    return {
      type: REFUSAL_TYPES.approvalPending,
      message: `an approval to move to "${state.pendingApproval.target}" is pending on case ${state.caseId}; decide it first`,
    };
  }
  if (state.inFlight) {
    return { type: REFUSAL_TYPES.transitionInProgress, message: `case ${state.caseId} is already moving to "${state.inFlight}"` };
  }
  const check = checkTransition(state.status ?? 'Submitted', request.to, { resolverType: state.resolverType });
  if (!check.ok) return { type: REFUSAL_TYPES.illegalTransition, message: check.reason };
  return undefined;
}
