/**
 * Signals, queries and updates of the casePlaybook workflow (SPEC §3), defined once for the workflow,
 * the server and the CLI. Updates are the synchronous path (their validators refuse at once with a
 * reason); signals are fire-and-forget equivalents for tools that can only signal.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseState, CaseTarget, DecisionKind } from './case-state';

/** The caller establishes who decides: the server from a bearer token, the CLI from `--by`. */
export interface Actor {
  by: string;
  /** Groups of `by`, resolved by the trusted caller from the users file, for `group:<name>` approvers. */
  groups?: string[];
}

export interface DecisionRequest extends Actor {
  decision: DecisionKind;
  comment?: string;
}

export interface ApprovalSignal extends Actor {
  comment?: string;
}

export interface TransitionRequest extends Actor {
  to: CaseTarget;
  reason?: string;
}

export interface DuplicateAlert {
  receivedAt: string;
  source?: string;
}

export const stateQuery = defineQuery<CaseState>('state');

export const approveSignal = defineSignal<[ApprovalSignal]>('approve');
export const rejectSignal = defineSignal<[ApprovalSignal]>('reject');
export const requestTransitionSignal = defineSignal<[TransitionRequest]>('requestTransition');
export const duplicateAlertSignal = defineSignal<[DuplicateAlert]>('duplicateAlert');

export const decideUpdate = defineUpdate<CaseState, [DecisionRequest]>('decide');
export const transitionUpdate = defineUpdate<CaseState, [TransitionRequest]>('transition');
