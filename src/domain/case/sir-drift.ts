/**
 * SIR is the source of truth (issue 12): when phasegate reads its SIR case and finds another status or
 * resolver type than it believes (an analyst in the console, AWS on a case it supports), it adopts what
 * SIR says instead of overwriting it, and works out what that does to the plan. Pure functions of the
 * playbook and the case state, so the rules can be read and tested without Temporal; the workflow
 * makes the SIR calls, comments and search-attribute updates.
 *
 * The rules:
 * - The move in hand, and every queued move, is dropped: each was decided for the status phasegate
 *   believed, and carrying one out now could undo what a person just did (the issue's example: an
 *   approval landing after an analyst moved the case to Post-incident moved it back to Containment).
 * - An approved gate whose move has not run yet is such a move, and is dropped too.
 * - An undecided gate stays open when its move is still allowed and still ahead of the playbook, so the
 *   approvers decide knowing the new status; it is withdrawn, with an outcome saying why, when its move
 *   became moot (the case is already there), impossible (transition table, AWS-supported, closed), or
 *   the case now stands at or past the playbook step the gate was for.
 * - The playbook goes on from the adopted status: the step with that status becomes the last one
 *   reached (a later one when the case went forward, an earlier one when it went back), so the planner
 *   goes on where the table allows, and waits for a person where it does not.
 */
import type { ApprovalOutcome, CaseState, DriftRecord, DriftSource, PendingApproval, SirReading } from './state';
import { CLOSED, type CaseStatus, type CaseTarget, type ResolverType } from './status';
import type { Playbook } from '../playbook/playbook';
import { checkTransition } from './transitions';

const DRIFTS_KEPT = 20;

/** Who a withdrawal is recorded as by. */
export const WITHDRAWN_BY = 'phasegate';

export function driftsFrom(state: Pick<CaseState, 'status' | 'resolverType'>, found: SirReading): boolean {
  return (found.status !== undefined && found.status !== state.status) || (found.resolverType !== undefined && found.resolverType !== state.resolverType);
}

export interface AdoptOptions {
  at: string;
  source: DriftSource;
  /** The move phasegate was about to make when it read the case (source `move`), and whether it came from the queue. */
  moving?: { to: CaseTarget; queued: boolean };
  /** The SIR event that led to the re-read, in words (detail-type, by whom). */
  event?: string;
}

/**
 * What adopting SIR's reading does to the case (see the rules above): every queued move is dropped;
 * and what it now believes, the step
 * it stands at, the gate it drops or withdraws, whether it plans again, and the drift on record. The
 * workflow carries it out (workflows/case-changes.ts, adoptReading); nothing here changes the state.
 */
export interface DriftAdoption {
  /** SIR's status and resolver type, as the case now believes them. */
  status?: CaseStatus;
  resolverType?: ResolverType;
  stepIndex: number;
  /** The gate is dropped (an approved one whose move has not run) or withdrawn (`withdrawn`: its outcome). */
  dropGate: boolean;
  withdrawn?: ApprovalOutcome;
  /** The case was waiting for a request (or for a gate now gone): it plans again from the adopted status. */
  planAgain: boolean;
  closedOutsidePhasegate: boolean;
  record: DriftRecord;
  /** The drifts kept on the case with this one (the last 20), and how many in all. */
  drifts: DriftRecord[];
  driftCount: number;
}

export function planDriftAdoption(playbook: Playbook, state: Readonly<CaseState>, found: SirReading, options: AdoptOptions): DriftAdoption {
  const believed: SirReading = { ...(state.status && { status: state.status }), ...(state.resolverType && { resolverType: state.resolverType }) };
  const status = found.status ?? state.status ?? 'Submitted';
  const resolverType = found.resolverType ?? state.resolverType;
  const dropped: string[] = [];

  if (options.moving) dropped.push(`the move to "${options.moving.to}" (not made: it was decided for "${believed.status}")`);
  for (const [index, queued] of (state.queue ?? []).entries()) {
    if (index === 0 && options.moving?.queued) continue;
    const who = queued.approvedBy?.length ? `approved by ${queued.approvedBy.join(', ')}` : `requested by ${queued.requestedBy}`;
    dropped.push(`the queued move to "${queued.to}" (${who})`);
  }

  const stepIndex = stepIndexFor(playbook, state.stepIndex, status);

  const pending = state.pendingApproval;
  let dropGate = false;
  let withdrawn: ApprovalOutcome | undefined;
  if (pending?.decidedBy?.decision === 'approve') {
    dropped.push(`the approved move to "${pending.target}" of approval #${pending.approvalId} (not made: it was approved from "${believed.status}")`);
    dropGate = true;
  } else if (pending && !pending.decidedBy) {
    const why = withdrawalReason({ ...(resolverType && { resolverType }), stepIndex }, pending, status);
    if (why) {
      withdrawn = { approvalId: pending.approvalId, target: pending.target, decision: 'withdrawn', by: [WITHDRAWN_BY], at: options.at, reason: why };
      dropGate = true;
      dropped.push(`approval #${pending.approvalId} to move to "${pending.target}" (withdrawn: ${why})`);
    }
  }

  // Plans again from the adopted status: a case that waited for a request goes on with its playbook.
  const gateLeft = pending !== undefined && !dropGate;
  const planAgain = state.phase === 'awaiting-request' || (state.phase === 'awaiting-approval' && !gateLeft);
  const record: DriftRecord = { at: options.at, source: options.source, believed, found: { ...found }, dropped, ...(options.event && { event: options.event }) };
  return {
    ...(found.status !== undefined && { status: found.status }),
    ...(found.resolverType !== undefined && { resolverType: found.resolverType }),
    stepIndex,
    dropGate,
    ...(withdrawn && { withdrawn }),
    planAgain,
    closedOutsidePhasegate: status === CLOSED,
    record,
    drifts: [...(state.drifts ?? []), record].slice(-DRIFTS_KEPT),
    driftCount: (state.driftCount ?? 0) + 1,
  };
}

/** Why an undecided gate no longer makes sense from `status`, or undefined when it still does. */
export function withdrawalReason(state: Pick<CaseState, 'resolverType' | 'stepIndex'>, pending: PendingApproval, status: CaseStatus): string | undefined {
  if (pending.target === status) return `the case is already "${status}" in SIR`;
  const check = checkTransition(status, pending.target, { resolverType: state.resolverType });
  if (!check.ok) return `the move is no longer possible from "${status}": ${check.reason}`;
  if (pending.stepIndex !== undefined && pending.stepIndex <= state.stepIndex) {
    return `the case is now "${status}" in SIR, at or past the playbook step this approval was for`;
  }
  return undefined;
}

/**
 * The last playbook step reached once the case stands in `status`: the first step with that status
 * after the current one (the case went forward), else the last one before it (it went back), else the
 * start of the playbook for Submitted, else unchanged (a status no step names: Acknowledged…).
 */
export function stepIndexFor(playbook: Playbook, current: number, status: CaseStatus): number {
  const steps = playbook.steps;
  for (let i = current + 1; i < steps.length; i++) if (steps[i]!.status === status) return i;
  for (let i = Math.min(current, steps.length - 1); i >= 0; i--) if (steps[i]!.status === status) return i;
  return status === 'Submitted' ? -1 : current;
}

/** The drift in words, for the current details, logs and the SIR comment. */
export function describeDrift(record: DriftRecord, caseId: string | undefined): string {
  const found = describeReading(record.found);
  const believed = describeReading(record.believed);
  const how =
    record.source === 'move'
      ? 'when it read the case before moving it'
      : record.source === 'event'
        ? `when it re-read the case after a SIR event${record.event ? ` (${record.event})` : ''}`
        : 'when it re-read the case on its timer';
  const dropped = record.dropped.length > 0 ? ` Dropped: ${record.dropped.join('; ')}.` : '';
  return `SIR shows case ${caseId ?? '(unknown)'} as ${found} where phasegate believed ${believed} (found ${how}); phasegate adopted what SIR says.${dropped}`;
}

function describeReading(reading: SirReading): string {
  const status = reading.status ? `"${reading.status}"` : 'no status';
  return reading.resolverType ? `${status} (resolver ${reading.resolverType})` : status;
}
