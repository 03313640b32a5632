/**
 * The loop's SIR side: making a move the planner chose (the SIR write, then its record) and adopting
 * what SIR says when it says otherwise (src/domain/case/sir-drift.ts decides what that does to the plan).
 */
import { log } from '@temporalio/workflow';
import type { DriftSource, QueuedMove, SirReading, TransitionRecord } from '../src/domain/case/state';
import type { CaseTarget } from '../src/domain/case/status';
import { describeDrift, planDriftAdoption } from '../src/domain/case/sir-drift';
import { adoptReading } from './case-changes';
import { publish } from './case-context';
import { applyTarget, commentBestEffort, writeSirStatus } from './case-operations';
import type { CaseRun } from './case-run';

/**
 * Makes a move the planner chose (a queued move, or a playbook step's): the SIR write, then its record.
 * Since `read-before-write` the write reads first and adopts what it finds instead of overwriting it.
 */
export async function makeMove(run: CaseRun, move: QueuedMove, queued: boolean): Promise<void> {
  const { state } = run;
  const target = move.to;
  const who = { requestedBy: move.requestedBy, ...(move.approvedBy?.length && { approvedBy: move.approvedBy.join(', ') }) };
  state.move = { target, since: new Date().toISOString(), ...who };
  publish(run, `Moving case ${state.caseId} to "${target}".`);
  if (!run.readBeforeWrite) {
    await applyTarget(run, target, who);
    state.move = undefined;
    publish(run, `Case ${state.caseId} is "${state.status}".`);
    if (queued) state.queue = state.queue!.slice(1);
    if (move.stepIndex !== undefined) state.stepIndex = move.stepIndex;
    return;
  }
  // This read answers the SIR events received so far.
  const event = state.sirEventPending;
  state.sirEventPending = undefined;
  const from = state.status ?? 'Submitted';
  const result = await writeSirStatus(run, target);
  state.move = undefined;
  const now = Date.now();
  state.sirReadAt = new Date(now).toISOString();
  state.nextSirCheckAt = new Date(now + run.recheckEveryMs).toISOString();
  if (result.outcome === 'drifted') {
    adoptDrift(run, result.actual, 'move', { moving: { to: target, queued }, ...(event && { event }) });
    return;
  }
  const record: TransitionRecord = {
    from,
    to: result.caseStatus,
    via: target === 'Closed' ? 'CloseCase' : 'UpdateCaseStatus',
    alreadyApplied: result.outcome === 'already-applied',
    at: new Date(now).toISOString(),
    ...who,
    ...(move.partialApprovals?.length && { partialApprovals: move.partialApprovals.join(', ') }),
  };
  state.transitions.push(record);
  state.status = record.to;
  if (queued) state.queue = state.queue!.slice(1);
  if (move.stepIndex !== undefined) state.stepIndex = move.stepIndex;
  publish(run, `Case ${state.caseId} is "${state.status}".`);
}

/** SIR says otherwise: adopt it, say so (state, SirCaseStatus, details, a SIR comment), and plan again. */
export function adoptDrift(run: CaseRun, found: SirReading, source: DriftSource, extra: { event?: string; moving?: { to: CaseTarget; queued: boolean } } = {}): void {
  const { state } = run;
  const adoption = planDriftAdoption(run.playbook, state, found, { at: new Date().toISOString(), source, ...extra });
  adoptReading(state, adoption);
  const { record } = adoption;
  const words = describeDrift(record, state.caseId);
  const next =
    state.status === 'Closed'
      ? 'The case is closed outside phasegate; phasegate stops driving it.'
      : `phasegate will not move it back: the playbook goes on from "${state.status}" where its steps allow, else it waits for a person to request a transition.`;
  log.info('SIR case changed outside phasegate; adopted', { caseId: state.caseId, source, believed: record.believed, found: record.found });
  publish(run, `${words} ${next}`);
  run.background(commentBestEffort(run, `drift-${state.driftCount}`, `phasegate: ${words} ${next}`, `CreateCaseComment: changed outside phasegate (${found.status ?? found.resolverType})`));
}
