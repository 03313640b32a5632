/**
 * The case's message handlers. Decisions and requests are taken here: each proves who is behind it
 * (proveActor) and applies the gate's rules (src/domain/case/decision-rules.ts), then answers once
 * the decision is recorded; what it allows runs, and retries, in the loop (case-loop.ts). Handlers run beside the main
 * line, so they never issue a command on a local activity's result (see case-operations.ts).
 */
import { ApplicationFailure, condition, isCancellation, patched, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { planRequest, whenRejected } from '../src/domain/case/planner';
import type { CaseState, DeferredSignal, RefusalRecord } from '../src/domain/case/state';
import { addMember } from '../src/domain/alert/group';
import { noteDuplicate } from '../src/domain/case/duplicate-window';
import type { ActorVerdict, AttestedAct } from '../src/domain/case/decision-attestation';
import { REFUSAL_TYPES, type Refusal, judgeDecision, refuseDecisionBy, refuseDecisionRequest, refuseTransitionRequest, repeatedDecision } from '../src/domain/case/decision-rules';
import type { Actor, ApprovalSignal, DecisionRequest, DuplicateAlert, RefusalReport, SirCaseChanged, TransitionRequest } from '../src/domain/contract/message-payloads';
import {
  type DecisionAnswer,
  type TransitionAnswer,
  approveSignal,
  decideUpdate,
  duplicateAlertSignal,
  recordRefusalSignal,
  rejectSignal,
  requestTransitionSignal,
  sirCaseChangedSignal,
  stateQuery,
  transitionUpdate,
} from '../src/domain/contract/messages';
import { recordGateChange, takeRequest } from './case-changes';
import { commentBestEffort, proveActor } from './case-operations';
import type { CaseRun } from './case-run';
import { shouldContinueAsNew } from './case-waits';

const REFUSALS_KEPT = 20;

/** Signals one run holds for the next while it continues as new; beyond this they are taken as usual. */
const DEFERRED_SIGNALS_MAX = 500;

/** Handlers prove who decided through a queued activity (issue 18; workflows/case-operations.ts proveActor). */
export const PROOF_IN_HISTORY = 'proof-in-history';

/**
 * Sets every handler of the case, in the order the case has always set them (a signal buffered before
 * the run started is handled as its handler is set). Answers the signals the previous run held back.
 */
export function setCaseHandlers(run: CaseRun): DeferredSignal[] {
  const { state } = run;
  setHandler(stateQuery, () => state);
  setHandler(decideUpdate, (request) => takeDecision(run, request, 'update'), {
    validator: (request: DecisionRequest) => {
      if (repeatedDecision(state, request)) return;
      refuse(refuseDecisionRequest(state, request));
    },
    description: 'approve or reject the pending approval it names (approvalId)',
  });
  setHandler(approveSignal, onDecisionSignal(run, 'approve'));
  setHandler(rejectSignal, onDecisionSignal(run, 'reject'));
  setHandler(transitionUpdate, (request) => takeTransition(run, request, 'update'), {
    validator: (request: TransitionRequest) => {
      if (request?.requestId && state.takenRequests?.some((t) => t.requestId === request.requestId)) return;
      refuse(refuseTransitionRequest(state, request));
    },
    description: 'request a phase change',
  });
  setHandler(requestTransitionSignal, (request) => onTransitionSignal(run, request));
  // Signals the previous run held back as it continued as new, in the order they arrived.
  const inherited = state.deferredSignals ?? [];
  state.deferredSignals = undefined;
  setHandler(duplicateAlertSignal, (duplicate) => onDuplicateAlert(run, duplicate));
  setHandler(recordRefusalSignal, (report) => onRefusalReport(run, report));
  setHandler(sirCaseChangedSignal, (event) => onSirCaseChanged(run, event));
  return inherited;
}

/** Takes the signals the previous run held back, one after the other, as their handlers would have. */
export async function takeInherited(run: CaseRun, inherited: readonly DeferredSignal[]): Promise<void> {
  for (const item of inherited) {
    if (item.signal === 'requestTransition') await onTransitionSignal(run, item.args);
    else await onDecisionSignal(run, item.signal)(item.args);
  }
}

function refuseAndRecord(state: CaseState, actor: Partial<Actor>, what: string, refusal: Refusal): ApplicationFailure {
  const record: RefusalRecord = { at: new Date().toISOString(), by: String(actor?.by ?? '(nobody)').slice(0, 128), what, type: refusal.type, message: refusal.message };
  state.refusals = [...(state.refusals ?? []), record].slice(-REFUSALS_KEPT);
  state.refusalCount = (state.refusalCount ?? 0) + 1;
  return ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
}

/** Who is behind a decision or request, proven by the worker; anything short of proof is a refusal on record. */
async function proveOrRefuse(state: CaseState, request: Actor, what: string, act: AttestedAct): Promise<Extract<ActorVerdict, { ok: true }>> {
  // A case started before the patch asks here, the first time it proves anyone after the upgrade: live,
  // the answer is yes (and is recorded); replaying a proof it made before, no, as it was then.
  if (!state.proofInHistory && patched(PROOF_IN_HISTORY)) state.proofInHistory = true;
  const verdict = await proveActor({ act, by: request.by, attestation: request.attestation }, { queued: state.proofInHistory === true }).catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    throw refuseAndRecord(state, request, what, proofUnavailable(err));
  });
  if (!verdict.ok) throw refuseAndRecord(state, request, what, { type: REFUSAL_TYPES.unprovenIdentity, message: verdict.message });
  return verdict;
}

/** Proves the person, applies the gate's rules with their proven groups, records the decision. */
async function takeDecision(run: CaseRun, request: DecisionRequest, via: 'update' | 'signal'): Promise<DecisionAnswer> {
  const { state } = run;
  const what = `${request.decision} #${request.approvalId} (${via})`;
  // The same decision by the same person again (a retry, in this run or an earlier one) gets its first answer.
  const repeat = repeatedDecision(state, request);
  if (repeat) return { ...repeat, state: snapshot(state) };
  const early = refuseDecisionRequest(state, request);
  if (early) throw refuseAndRecord(state, request, what, early);
  const { workflowId, namespace } = workflowInfo();
  const verdict = await proveOrRefuse(state, request, what, { kind: 'decide', namespace, workflowId, approvalId: request.approvalId, decision: request.decision, comment: request.comment });
  // The same decision may have been taken while this one's proof was checked (a signal racing its update).
  const takenMeanwhile = state.decisionOutcomes ? repeatedDecision(state, request) : undefined;
  if (takenMeanwhile) return { ...takenMeanwhile, state: snapshot(state) };
  // The world may have moved while the proof was checked: the rules run again on today's state.
  const refusal = refuseDecisionBy(state, request, verdict.groups);
  if (refusal) throw refuseAndRecord(state, request, what, refusal);
  const { change, answer } = judgeDecision(state, request, { at: new Date().toISOString(), via, proof: verdict.proof });
  recordGateChange(state, change);
  if (answer.result === 'rejected' && whenRejected(run.playbook) === 'close') answer.next = 'closing';
  return { ...answer, state: snapshot(state) };
}

/**
 * Once Temporal suggests continuing as new, the run can end only when no handler is busy; a signal
 * that must prove who sent it (a local activity) keeps its handler busy, so under a steady stream
 * of them the run would never end and its history would grow without bound. From then on such
 * signals are held for the next run (in state, bounded) and answered there.
 */
function deferred(run: CaseRun, item: DeferredSignal): boolean {
  const { state } = run;
  if (!run.readBeforeWrite || !shouldContinueAsNew(run.input) || (state.deferredSignals?.length ?? 0) >= DEFERRED_SIGNALS_MAX) return false;
  state.deferredSignals = [...(state.deferredSignals ?? []), item];
  return true;
}

function onDecisionSignal(run: CaseRun, decision: DecisionRequest['decision']) {
  return async (signal: ApprovalSignal): Promise<void> => {
    if (deferred(run, { signal: decision, args: signal })) return;
    // A signal cannot be refused back to its sender; a refused one is recorded on the case instead.
    await takeDecision(run, { ...signal, approvalId: signal?.approvalId as number, decision }, 'signal').catch((err: unknown) => {
      // Whatever went wrong (a refusal, the proof check failing), a signal must not fail the case.
      if (isCancellation(err)) throw err;
      run.state.note = `refused ${decision} signal from ${String(signal?.by)}: ${messageOf(err)}`;
    });
  };
}

async function takeTransition(run: CaseRun, request: TransitionRequest, via: 'update' | 'signal'): Promise<TransitionAnswer> {
  const { state } = run;
  const what = `transition to "${request?.to}" (${via})`;
  const earlier = request.requestId ? state.takenRequests?.find((t) => t.requestId === request.requestId) : undefined;
  if (earlier) return { requestId: earlier.requestId, to: earlier.to, result: earlier.result, ...(earlier.approvalId && { approvalId: earlier.approvalId }), duplicate: true, state: snapshot(state) };
  const early = refuseTransitionRequest(state, request);
  if (early) throw refuseAndRecord(state, request, what, early);
  const requestId = request.requestId ?? uuid4();
  const { workflowId, namespace } = workflowInfo();
  await proveOrRefuse(state, request, what, { kind: 'transition', namespace, workflowId, to: request.to, requestId: request.requestId, reason: request.reason });
  // The same request may have been taken while this one's proof was checked (a signal racing its update).
  const takenMeanwhile = request.requestId ? state.takenRequests?.find((t) => t.requestId === request.requestId) : undefined;
  if (takenMeanwhile) return { requestId: takenMeanwhile.requestId, to: takenMeanwhile.to, result: takenMeanwhile.result, ...(takenMeanwhile.approvalId && { approvalId: takenMeanwhile.approvalId }), duplicate: true, state: snapshot(state) };
  const refusal = refuseTransitionRequest(state, request);
  if (refusal) throw refuseAndRecord(state, request, what, refusal);
  const plan = planRequest(run.playbook, state, { ...request, requestId }, Date.now());
  takeRequest(state, plan);
  const { taken } = plan;
  return { requestId, to: taken.to, result: taken.result, ...(taken.approvalId && { approvalId: taken.approvalId }), duplicate: false, state: snapshot(state) };
}

async function onTransitionSignal(run: CaseRun, request: TransitionRequest): Promise<void> {
  if (deferred(run, { signal: 'requestTransition', args: request })) return;
  await takeTransition(run, request, 'signal').catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    run.state.note = `refused transition request from ${String(request?.by)}: ${messageOf(err)}`;
  });
}

async function onDuplicateAlert(run: CaseRun, duplicate: DuplicateAlert): Promise<void> {
  const { state } = run;
  if (run.readBeforeWrite) {
    // A member of a grouped or storm case is added to its group (an exact repeat is recognised as such).
    if (state.group && duplicate?.member) addMember(state.group, duplicate.member);
    // Counted at once; mentioned on the SIR case once per window (the wait makes the later comment).
    const comment = noteDuplicate(state, String(duplicate?.receivedAt), Date.now());
    if (!comment) return;
    await condition(() => state.caseId !== undefined);
    await commentBestEffort(run, comment.key, comment.body, comment.summary, { from: 'handler' });
    return;
  }
  state.duplicateAlerts += 1;
  const n = state.duplicateAlerts;
  await condition(() => state.caseId !== undefined);
  await commentBestEffort(
    run,
    `duplicate-${n}`,
    `phasegate: the same alert arrived again at ${duplicate.receivedAt} (duplicate #${n}); it joined this case.`,
    `CreateCaseComment: duplicate alert #${n}`,
  );
}

/** A refusal made outside the case (an unmapped Slack user's click) is kept with the case's own refusals. */
function onRefusalReport(run: CaseRun, report: RefusalReport): void {
  if (!run.patches.slackMessages) return;
  const { state } = run;
  const text = (value: unknown, max: number): string => (typeof value === 'string' ? value.slice(0, max) : '');
  const record: RefusalRecord = { at: new Date().toISOString(), by: text(report?.by, 128) || '(nobody)', what: text(report?.what, 128), type: text(report?.type, 64), message: text(report?.message, 500) };
  state.refusals = [...(state.refusals ?? []), record].slice(-REFUSALS_KEPT);
  state.refusalCount = (state.refusalCount ?? 0) + 1;
}

/** SIR told us the case changed: the loop re-reads it at its next wait (any number of events, one read). */
function onSirCaseChanged(run: CaseRun, event: SirCaseChanged): void {
  if (!run.readBeforeWrite) return;
  const { state } = run;
  state.sirEvents = (state.sirEvents ?? 0) + 1;
  state.sirEventPending = `${String(event?.detailType ?? 'an event').slice(0, 64)}${event?.updatedBy ? ` by ${String(event.updatedBy).slice(0, 256)}` : ''}`;
}

function refuse(refusal: Refusal | undefined): void {
  if (refusal) throw ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
}

/** A failure that is not a refusal (the proof check itself failed): the decision or request is not taken. */
function proofUnavailable(err: unknown): Refusal {
  return { type: REFUSAL_TYPES.proofUnavailable, message: `who sent it could not be checked (${messageOf(err)}); send it again` };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
}

function snapshot(state: CaseState): CaseState {
  return JSON.parse(JSON.stringify(state)) as CaseState;
}
