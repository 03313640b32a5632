/**
 * The planner's answers, written into the case state. Each function here carries out a decision made
 * in src/domain (what it is, and why, is decided there); nothing here decides. No Temporal calls.
 */
import type { GateChange } from '../src/domain/case/decision-rules';
import type { RequestPlan } from '../src/domain/case/planner';
import type { CaseState, PendingApproval } from '../src/domain/case/state';
import type { DriftAdoption } from '../src/domain/case/sir-drift';

/** Opens the gate the planner made: it becomes the case's pending approval. */
export function openGate(state: CaseState, pending: PendingApproval): PendingApproval {
  state.approvals = pending.approvalId;
  state.pendingApproval = pending;
  state.phase = 'awaiting-approval';
  return pending;
}

/** A transition request taken: its gate opened or its move queued, and the request kept for a retry. */
export function takeRequest(state: CaseState, plan: RequestPlan): void {
  if ('opens' in plan) openGate(state, plan.opens);
  else state.queue = [...(state.queue ?? []), plan.queues];
  state.takenRequests = plan.takenRequests;
}

/** A decision (a person's, or the clock's) on the pending gate, recorded. */
export function recordGateChange(state: CaseState, change: GateChange): void {
  const pending = state.pendingApproval!;
  state.decisions.push(change.record);
  if (change.approvedBy) pending.approvedBy = change.approvedBy;
  if (change.decided) {
    pending.decidedBy = change.decided.decidedBy;
    state.approvalOutcomes = [...(state.approvalOutcomes ?? []), change.decided.outcome];
  }
}

/** SIR's reading adopted: what the case believes, where its playbook stands, what it dropped or withdrew. */
export function adoptReading(state: CaseState, adoption: DriftAdoption): void {
  if (adoption.status !== undefined) state.status = adoption.status;
  if (adoption.resolverType !== undefined) state.resolverType = adoption.resolverType;
  state.queue = undefined;
  state.stepIndex = adoption.stepIndex;
  if (adoption.withdrawn) state.approvalOutcomes = [...(state.approvalOutcomes ?? []), adoption.withdrawn];
  if (adoption.dropGate) state.pendingApproval = undefined;
  if (adoption.planAgain) state.phase = 'running';
  if (adoption.closedOutsidePhasegate) state.closedOutsidePhasegate = true;
  state.drifts = adoption.drifts;
  state.driftCount = adoption.driftCount;
}
