/**
 * Signals, queries and updates of the casePlaybook workflow (SPEC §3), defined once for the workflow,
 * the server and the CLI. Updates are the synchronous path (their validators refuse at once with a
 * reason); signals are fire-and-forget equivalents for tools that can only signal.
 * What they carry is in contract/message-payloads.ts.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionKind } from '../case/decision';
import type { CaseState } from '../case/state';
import type { CaseTarget } from '../case/status';
import type { ApprovalSignal, DecisionRequest, DuplicateAlert, RefusalReport, SirCaseChanged, TransitionRequest } from './message-payloads';

/** What a recorded decision did, answered at once: the move it allows runs (and retries) afterwards. */
export interface DecisionAnswer {
  approvalId: number;
  decision: DecisionKind;
  by: string;
  target: CaseTarget;
  /** `counted`: an approval toward a quorum that still needs more people. */
  result: 'approved' | 'rejected' | 'counted';
  /** Distinct approvals still needed (0 once decided). */
  approvalsNeeded: number;
  /** What the case does next: move (under way, see GET for progress), close, stay, or wait for more approvers. */
  next: 'moving' | 'closing' | 'staying' | 'waiting-for-approvals';
  state: CaseState;
}

/** What became of a transition request, answered once the case has taken it. */
export interface TransitionAnswer {
  requestId: string;
  to: CaseTarget;
  /** `moving`: under way now; `awaiting-approval`: the target's gate opened as `approvalId`. */
  result: 'moving' | 'awaiting-approval';
  approvalId?: number;
  /** True when this request id had been taken before: the earlier answer, nothing queued again. */
  duplicate: boolean;
  state: CaseState;
}

export const stateQuery = defineQuery<CaseState>('state');

export const approveSignal = defineSignal<[ApprovalSignal]>('approve');
export const rejectSignal = defineSignal<[ApprovalSignal]>('reject');
export const requestTransitionSignal = defineSignal<[TransitionRequest]>('requestTransition');
export const duplicateAlertSignal = defineSignal<[DuplicateAlert]>('duplicateAlert');
export const sirCaseChangedSignal = defineSignal<[SirCaseChanged]>('sirCaseChanged');
export const recordRefusalSignal = defineSignal<[RefusalReport]>('recordRefusal');

export const decideUpdate = defineUpdate<DecisionAnswer, [DecisionRequest]>('decide');
export const transitionUpdate = defineUpdate<TransitionAnswer, [TransitionRequest]>('transition');
