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
import type { CaseState, DriftRecord, DriftSource, PendingApproval, SirReading } from './state';
import { CLOSED, type CaseStatus } from './status';
import type { Playbook } from '../playbook/playbook';
import { checkTransition } from './transitions';
import type { CaseTarget } from './status';

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
 * Adopts SIR's status and resolver type, records the drift, and drops or withdraws what no longer fits
 * (see the rules above). Returns the record it added to `state.drifts`.
 */
export function adoptSirCase(playbook: Playbook, state: CaseState, found: SirReading, options: AdoptOptions): DriftRecord {
  const believed: SirReading = { ...(state.status && { status: state.status }), ...(state.resolverType && { resolverType: state.resolverType }) };
  if (found.status !== undefined) state.status = found.status;
  if (found.resolverType !== undefined) state.resolverType = found.resolverType;
  const status = state.status ?? 'Submitted';
  const dropped: string[] = [];

  if (options.moving) dropped.push(`the move to "${options.moving.to}" (not made: it was decided for "${believed.status}")`);
  for (const [index, queued] of (state.queue ?? []).entries()) {
    if (index === 0 && options.moving?.queued) continue;
    const who = queued.approvedBy?.length ? `approved by ${queued.approvedBy.join(', ')}` : `requested by ${queued.requestedBy}`;
    dropped.push(`the queued move to "${queued.to}" (${who})`);
  }
  state.queue = undefined;

  state.stepIndex = stepIndexFor(playbook, state.stepIndex, status);

  const pending = state.pendingApproval;
  if (pending?.decidedBy?.decision === 'approve') {
    dropped.push(`the approved move to "${pending.target}" of approval #${pending.approvalId} (not made: it was approved from "${believed.status}")`);
    state.pendingApproval = undefined;
  } else if (pending && !pending.decidedBy) {
    const why = withdrawalReason(state, pending, status);
    if (why) {
      withdraw(state, pending, why, options.at);
      dropped.push(`approval #${pending.approvalId} to move to "${pending.target}" (withdrawn: ${why})`);
    }
  }

  // Plans again from the adopted status: a case that waited for a request goes on with its playbook.
  if (state.phase === 'awaiting-request' || (state.phase === 'awaiting-approval' && !state.pendingApproval)) state.phase = 'running';
  if (status === CLOSED) state.closedOutsidePhasegate = true;

  const record: DriftRecord = { at: options.at, source: options.source, believed, found: { ...found }, dropped, ...(options.event && { event: options.event }) };
  state.drifts = [...(state.drifts ?? []), record].slice(-DRIFTS_KEPT);
  state.driftCount = (state.driftCount ?? 0) + 1;
  return record;
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

function withdraw(state: CaseState, pending: PendingApproval, reason: string, at: string): void {
  state.approvalOutcomes = [
    ...(state.approvalOutcomes ?? []),
    { approvalId: pending.approvalId, target: pending.target, decision: 'withdrawn', by: [WITHDRAWN_BY], at, reason },
  ];
  state.pendingApproval = undefined;
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
