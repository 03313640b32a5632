/**
 * casePlaybook: one SIR case driven through the status steps of its playbook, pausing where a human
 * must approve the next phase. Deterministic code only: `@temporalio/workflow` and pure `src/domain`.
 *
 * In the words of the playbook: open (or adopt) the case; then ask the planner what is next and do it:
 * move the case, open a gate and wait for its decision, or wait for a person to ask for a transition;
 * finally close the case. Decisions and requests are taken by the message handlers, which prove who
 * is behind them (proveActor) and apply the gate's rules (case/decision-rules.ts); they answer once the
 * decision is recorded, and the move it allows runs, and retries, in the loop (since `local-sir-calls`
 * the answer leaves with the workflow task, so after the move's local try when it runs in that task).
 *
 * Cases started before the `attested-decisions` patch run the frozen loop in legacy/. Cases started
 * since the `read-before-write` patch treat SIR as the source of truth (issue 12): every move reads the
 * case first, SIR events and a slow timer make a waiting case re-read it, and a change made outside
 * phasegate is adopted, never overwritten (src/domain/case/sir-drift.ts); repeated alerts are mentioned
 * once per window (src/domain/case/duplicate-window.ts). Cases since `local-sir-calls` (issue 14) make each
 * SIR call as a local activity first and send search attributes once per wait, so an alert's case
 * opens, moves and parks at its first gate in one workflow task (case-operations.ts, case-context.ts).
 * Cases since `verified-start` (issue 18) begin with the worker checking the start (workflows/case-start.ts):
 * whoever can start workflows cannot bring their own gates or adopt a SIR case without a reason.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import { type NextStep, planNext, openApproval, takeRequest } from '../src/domain/case/planner';
import type { CaseState, DeferredSignal, DriftSource, QueuedMove, RefusalRecord, SirReading, TransitionRecord } from '../src/domain/case/state';
import { addMember, startGroup } from '../src/domain/alert/group';
import { duplicatesDueAt, flushDuplicates, noteDuplicate } from '../src/domain/case/duplicate-window';
import { SIR_RECHECK_DEFAULT_MS } from '../src/domain/playbook/playbook';
import { formatDuration } from '../src/domain/playbook/duration';
import { adoptSirCase, describeDrift, driftsFrom } from '../src/domain/case/sir-drift';
import { planAdoption } from '../src/domain/case/adoption';
import type { ActorVerdict, AttestedAct } from '../src/domain/case/decision-attestation';
import {
  REFUSAL_TYPES,
  type Refusal,
  approvedMove,
  describeOutcome,
  recordDecision,
  refuseDecisionBy,
  refuseDecisionRequest,
  outcomesFromDecisions,
  refuseTransitionRequest,
  repeatedDecision,
} from '../src/domain/case/decision-rules';
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
import { runGate, type CaseWait } from './approval-gate';
import { type CaseContext, flushPublished, publish, publishCodeVersion, publishedAtStart } from './case-context';
import { applyTarget, commentBestEffort, joinLocalComments, moveSirCase, openOrAdoptCase, proveActor, readSirCase } from './case-operations';
import { refuseMalformedStart, verifyStart } from './case-start';
import { UNVERIFIED_START } from '../src/domain/case/start';
import { casePlaybookV4 } from './legacy/case-playbook-v4';
import type { CaseTarget } from '../src/domain/case/status';
import type { DecisionRecord } from '../src/domain/case/decision';
import type { Actor, ApprovalSignal, DecisionRequest, TransitionRequest } from '../src/domain/contract/message-payloads';

export interface CaseOutcome {
  caseId: string;
  status: CaseState['status'];
  phase: CaseState['phase'];
  transitions: TransitionRecord[];
  decisions: DecisionRecord[];
  /** The case was found Closed in SIR (cases since `read-before-write`). */
  closedOutsidePhasegate?: boolean;
}

const REFUSALS_KEPT = 20;

export async function casePlaybook(input: CasePlaybookInput): Promise<CaseOutcome> {
  // State carried over is trusted only from the run this one continues (Temporal sets that, not the
  // caller): a start with state of its own (a case id, a step, approvals) would skip every gate.
  if (input?.carried && !workflowInfo().continuedFromExecutionRunId) {
    throw ApplicationFailure.create({
      type: UNVERIFIED_START,
      nonRetryable: true,
      message: 'a case cannot be started with carried state: only a run that continues a case as new takes its state over',
    });
  }
  // Asked once per case, newest patch first: a new case records only `code-version` (each marker
  // costs an event and a visibility write), which implies `verified-start` (for a first run),
  // `slack-messages`, `decision-outcomes`, `own-writes-only`, `proof-in-history`, `local-sir-calls`,
  // `read-before-write`, `grouped-alerts` and `attested-decisions`; a run continued as new carries the
  // answers. `verified-start` is asked only by a first run: a continued one was checked when the case began.
  const codeVersion = input?.carried?.codeVersion === true || patched(CODE_VERSION);
  const verifiedStart = !workflowInfo().continuedFromExecutionRunId && (codeVersion || patched('verified-start'));
  if (verifiedStart) refuseMalformedStart(input);
  // Asked here, before any local activity, and only when adopting: a patch asked after a local
  // activity's result may be asked, on replay, before Core has told the workflow that its marker is in
  // the history (the result can arrive a task earlier replayed than live), and the case strands.
  const adoptFromStatus = input?.caseId !== undefined && !input.carried && patched('adopt-from-status');
  const slackMessages = codeVersion || verifiedStart || input.carried?.slackMessages === true || patched('slack-messages');
  const decisionOutcomes = slackMessages || input.carried?.decisionOutcomes === true || patched('decision-outcomes');
  const ownWritesOnly = decisionOutcomes || input.carried?.ownWritesOnly === true || patched('own-writes-only');
  const proofInHistory = ownWritesOnly || input.carried?.proofInHistory === true || patched(PROOF_IN_HISTORY);
  const localSirCalls = proofInHistory || input.carried?.localSirCalls === true || patched('local-sir-calls');
  const readBeforeWrite = localSirCalls || input.carried?.readBeforeWrite === true || patched('read-before-write');
  // A run that continues an attested case is attested; a case started before the patch keeps its loop.
  if (!readBeforeWrite && !input.carried?.attested && !patched('attested-decisions')) return casePlaybookV4(input);

  const state: CaseState = {
    ...(input.carried ?? {
      workflowId: workflowInfo().workflowId,
      // Who let the alert take over this existing case: kept for the record (no command, no patch).
      ...(input.caseId && input.adoption && { adoption: { by: input.adoption.by, at: input.adoption.at } }),
      playbook: input.playbook.name,
      phase: 'opening',
      stepIndex: -1,
      transitions: [],
      decisions: [],
      approvals: 0,
      duplicateAlerts: 0,
    }),
    attested: true,
  };
  if (input.carried && !input.carried.attested) {
    // A case the frozen loop ran continues here: it kept no approval outcomes, and a request it was
    // taking when it continued as new was not carried over.
    state.approvalOutcomes ??= outcomesFromDecisions(state.decisions);
    state.inFlight = undefined;
  }
  if (readBeforeWrite) state.readBeforeWrite = true;
  if (localSirCalls) state.localSirCalls = true;
  if (proofInHistory) state.proofInHistory = true;
  if (ownWritesOnly) state.ownWritesOnly = true;
  if (decisionOutcomes) state.decisionOutcomes = true;
  if (slackMessages) state.slackMessages = true;
  if (codeVersion) state.codeVersion = true;
  // Grouped and storm cases (issue 13) keep their member alerts. Asked only for such a case, so other
  // cases record no marker; a run continued as new carries `state.group` instead of asking again.
  if (!input.carried && input.group && readBeforeWrite && (localSirCalls || patched('grouped-alerts'))) state.group = startGroup(input.group.kind, input.group.first);
  const ctx: CaseContext = {
    input,
    state,
    lean: true,
    published: publishedAtStart(),
    readBeforeWrite,
    ...(localSirCalls && { localSirCalls, unpublished: new Map(), localComments: [] }),
    ...(ownWritesOnly && { ownWritesOnly }),
    ...(slackMessages && { slackMessages, messageChains: new Map(), toldChannels: new Set<string>() }),
    // The newest code path this run takes (a newer patch goes first here), for the visibility query
    // that finds cases still on an older one (docs/workflow-history.md, "Retiring an old code path").
    ...(codeVersion && { codeVersion: CODE_VERSION }),
  };
  publishCodeVersion(ctx);
  const { playbook } = input;
  const recheckEveryMs = playbook.sirRecheckEveryMs ?? SIR_RECHECK_DEFAULT_MS;

  // Comments and notifications run beside the playbook and never fail it; they are joined before the
  // case continues as new or ends.
  const running = new Set<Promise<void>>();
  const background = (work: Promise<void>): void => {
    const tracked = work.finally(() => running.delete(tracked));
    running.add(tracked);
  };
  // Comments tried locally are joined by the main line before it waits, so a waiting case has none.
  const backgroundDone = (): boolean => running.size === 0 && (ctx.localComments?.length ?? 0) === 0;
  /** Main line: joins the comments tried locally, then waits until everything beside the playbook is done. */
  const settleBackground = async (): Promise<void> => {
    await joinLocalComments(ctx, background);
    flushPublished(ctx);
    await condition(() => backgroundDone() && allHandlersFinished());
  };

  // ---- messages ---------------------------------------------------------------------------------
  setHandler(stateQuery, () => state);

  const refuseAndRecord = (actor: Partial<Actor>, what: string, refusal: Refusal): ApplicationFailure => {
    const record: RefusalRecord = { at: new Date().toISOString(), by: String(actor?.by ?? '(nobody)').slice(0, 128), what, type: refusal.type, message: refusal.message };
    state.refusals = [...(state.refusals ?? []), record].slice(-REFUSALS_KEPT);
    state.refusalCount = (state.refusalCount ?? 0) + 1;
    return ApplicationFailure.create({ type: refusal.type, message: refusal.message, nonRetryable: true });
  };

  /** Who is behind a decision or request, proven by the worker; anything short of proof is a refusal on record. */
  const proveOrRefuse = async (request: Actor, what: string, act: AttestedAct): Promise<Extract<ActorVerdict, { ok: true }>> => {
    // A case started before the patch asks here, the first time it proves anyone after the upgrade: live,
    // the answer is yes (and is recorded); replaying a proof it made before, no, as it was then.
    if (!state.proofInHistory && patched(PROOF_IN_HISTORY)) state.proofInHistory = true;
    const verdict = await proveActor({ act, by: request.by, attestation: request.attestation }, { queued: state.proofInHistory === true }).catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      throw refuseAndRecord(request, what, proofUnavailable(err));
    });
    if (!verdict.ok) throw refuseAndRecord(request, what, { type: REFUSAL_TYPES.unprovenIdentity, message: verdict.message });
    return verdict;
  };

  /** Proves the person, applies the gate's rules with their proven groups, records the decision. */
  const takeDecision = async (request: DecisionRequest, via: 'update' | 'signal'): Promise<DecisionAnswer> => {
    const what = `${request.decision} #${request.approvalId} (${via})`;
    // The same decision by the same person again (a retry, in this run or an earlier one) gets its first answer.
    const repeat = repeatedDecision(state, request);
    if (repeat) return { ...repeat, state: snapshot(state) };
    const early = refuseDecisionRequest(state, request);
    if (early) throw refuseAndRecord(request, what, early);
    const { workflowId, namespace } = workflowInfo();
    const verdict = await proveOrRefuse(request, what, { kind: 'decide', namespace, workflowId, approvalId: request.approvalId, decision: request.decision, comment: request.comment });
    // The same decision may have been taken while this one's proof was checked (a signal racing its update).
    const takenMeanwhile = state.decisionOutcomes ? repeatedDecision(state, request) : undefined;
    if (takenMeanwhile) return { ...takenMeanwhile, state: snapshot(state) };
    // The world may have moved while the proof was checked: the rules run again on today's state.
    const refusal = refuseDecisionBy(state, request, verdict.groups);
    if (refusal) throw refuseAndRecord(request, what, refusal);
    const answer = recordDecision(state, request, { at: new Date().toISOString(), via, proof: verdict.proof });
    if (answer.result === 'rejected' && playbook.onReject === 'close') answer.next = 'closing';
    return { ...answer, state: snapshot(state) };
  };

  setHandler(decideUpdate, (request) => takeDecision(request, 'update'), {
    validator: (request: DecisionRequest) => {
      if (repeatedDecision(state, request)) return;
      refuse(refuseDecisionRequest(state, request));
    },
    description: 'approve or reject the pending approval it names (approvalId)',
  });

  /**
   * Once Temporal suggests continuing as new, the run can end only when no handler is busy; a signal
   * that must prove who sent it (a local activity) keeps its handler busy, so under a steady stream
   * of them the run would never end and its history would grow without bound. From then on such
   * signals are held for the next run (in state, bounded) and answered there.
   */
  const deferred = (item: DeferredSignal): boolean => {
    if (!readBeforeWrite || !shouldContinueAsNew(input) || (state.deferredSignals?.length ?? 0) >= DEFERRED_SIGNALS_MAX) return false;
    state.deferredSignals = [...(state.deferredSignals ?? []), item];
    return true;
  };

  const onDecisionSignal = (decision: DecisionRequest['decision']) => async (signal: ApprovalSignal) => {
    if (deferred({ signal: decision, args: signal })) return;
    // A signal cannot be refused back to its sender; a refused one is recorded on the case instead.
    await takeDecision({ ...signal, approvalId: signal?.approvalId as number, decision }, 'signal').catch((err: unknown) => {
      // Whatever went wrong (a refusal, the proof check failing), a signal must not fail the case.
      if (isCancellation(err)) throw err;
      state.note = `refused ${decision} signal from ${String(signal?.by)}: ${messageOf(err)}`;
    });
  };
  setHandler(approveSignal, onDecisionSignal('approve'));
  setHandler(rejectSignal, onDecisionSignal('reject'));

  const takeTransition = async (request: TransitionRequest, via: 'update' | 'signal'): Promise<TransitionAnswer> => {
    const what = `transition to "${request?.to}" (${via})`;
    const earlier = request.requestId ? state.takenRequests?.find((t) => t.requestId === request.requestId) : undefined;
    if (earlier) return { requestId: earlier.requestId, to: earlier.to, result: earlier.result, ...(earlier.approvalId && { approvalId: earlier.approvalId }), duplicate: true, state: snapshot(state) };
    const early = refuseTransitionRequest(state, request);
    if (early) throw refuseAndRecord(request, what, early);
    const requestId = request.requestId ?? uuid4();
    const { workflowId, namespace } = workflowInfo();
    await proveOrRefuse(request, what, { kind: 'transition', namespace, workflowId, to: request.to, requestId: request.requestId, reason: request.reason });
    // The same request may have been taken while this one's proof was checked (a signal racing its update).
    const takenMeanwhile = request.requestId ? state.takenRequests?.find((t) => t.requestId === request.requestId) : undefined;
    if (takenMeanwhile) return { requestId: takenMeanwhile.requestId, to: takenMeanwhile.to, result: takenMeanwhile.result, ...(takenMeanwhile.approvalId && { approvalId: takenMeanwhile.approvalId }), duplicate: true, state: snapshot(state) };
    const refusal = refuseTransitionRequest(state, request);
    if (refusal) throw refuseAndRecord(request, what, refusal);
    const taken = takeRequest(playbook, state, { ...request, requestId }, Date.now());
    return { requestId, to: taken.to, result: taken.result, ...(taken.approvalId && { approvalId: taken.approvalId }), duplicate: false, state: snapshot(state) };
  };

  setHandler(transitionUpdate, (request) => takeTransition(request, 'update'), {
    validator: (request: TransitionRequest) => {
      if (request?.requestId && state.takenRequests?.some((t) => t.requestId === request.requestId)) return;
      refuse(refuseTransitionRequest(state, request));
    },
    description: 'request a phase change',
  });
  const onTransitionSignal = async (request: TransitionRequest): Promise<void> => {
    if (deferred({ signal: 'requestTransition', args: request })) return;
    await takeTransition(request, 'signal').catch((err: unknown) => {
      if (isCancellation(err)) throw err;
      state.note = `refused transition request from ${String(request?.by)}: ${messageOf(err)}`;
    });
  };
  setHandler(requestTransitionSignal, onTransitionSignal);

  // Signals the previous run held back as it continued as new, in the order they arrived.
  const inherited = state.deferredSignals ?? [];
  state.deferredSignals = undefined;
  const takeInherited = async (): Promise<void> => {
    for (const item of inherited) {
      if (item.signal === 'requestTransition') await onTransitionSignal(item.args);
      else await onDecisionSignal(item.signal)(item.args);
    }
  };

  setHandler(duplicateAlertSignal, async (duplicate) => {
    if (readBeforeWrite) {
      // A member of a grouped or storm case is added to its group (an exact repeat is recognised as such).
      if (state.group && duplicate?.member) addMember(state.group, duplicate.member);
      // Counted at once; mentioned on the SIR case once per window (the wait makes the later comment).
      const comment = noteDuplicate(state, String(duplicate?.receivedAt), Date.now());
      if (!comment) return;
      await condition(() => state.caseId !== undefined);
      await commentBestEffort(ctx, comment.key, comment.body, comment.summary, { from: 'handler' });
      return;
    }
    state.duplicateAlerts += 1;
    const n = state.duplicateAlerts;
    await condition(() => state.caseId !== undefined);
    await commentBestEffort(
      ctx,
      `duplicate-${n}`,
      `phasegate: the same alert arrived again at ${duplicate.receivedAt} (duplicate #${n}); it joined this case.`,
      `CreateCaseComment: duplicate alert #${n}`,
    );
  });

  // A refusal made outside the case (an unmapped Slack user's click) is kept with the case's own refusals.
  setHandler(recordRefusalSignal, (report) => {
    if (!slackMessages) return;
    const text = (value: unknown, max: number): string => (typeof value === 'string' ? value.slice(0, max) : '');
    const record: RefusalRecord = { at: new Date().toISOString(), by: text(report?.by, 128) || '(nobody)', what: text(report?.what, 128), type: text(report?.type, 64), message: text(report?.message, 500) };
    state.refusals = [...(state.refusals ?? []), record].slice(-REFUSALS_KEPT);
    state.refusalCount = (state.refusalCount ?? 0) + 1;
  });

  // SIR told us the case changed: the loop re-reads it at its next wait (any number of events, one read).
  setHandler(sirCaseChangedSignal, (event) => {
    if (!readBeforeWrite) return;
    state.sirEvents = (state.sirEvents ?? 0) + 1;
    state.sirEventPending = `${String(event?.detailType ?? 'an event').slice(0, 64)}${event?.updatedBy ? ` by ${String(event.updatedBy).slice(0, 256)}` : ''}`;
  });

  /** Every wait of the case: it continues as new here when its history is long, carrying all state. */
  const wait: CaseWait = async (done, timeoutMs, summary) => {
    const due = (): boolean => shouldContinueAsNew(input) && backgroundDone() && allHandlersFinished();
    if (!readBeforeWrite) {
      await condition(() => done() || due(), timeoutMs, { summary });
      if (done()) return true;
      if (due()) await continueAsNew<typeof casePlaybook>({ ...input, carried: state });
      return false;
    }
    // Meanwhile: re-read SIR after an event or on the slow timer, and mention counted duplicate alerts.
    const until = Date.now() + timeoutMs;
    for (;;) {
      state.nextSirCheckAt ??= new Date(Date.now() + recheckEveryMs).toISOString();
      const wake = Math.min(until, Date.parse(state.nextSirCheckAt), duplicatesDueAt(state) ?? Infinity);
      await joinLocalComments(ctx, background);
      flushPublished(ctx);
      await condition(() => done() || due() || state.sirEventPending !== undefined, Math.max(wake - Date.now(), 1), { summary });
      if (done()) return true;
      if (due()) await continueAsNew<typeof casePlaybook>({ ...input, carried: state });
      const now = Date.now();
      const mention = flushDuplicates(state, now);
      if (mention) background(commentBestEffort(ctx, mention.key, mention.body, mention.summary));
      if (state.sirEventPending !== undefined || now >= Date.parse(state.nextSirCheckAt)) {
        const changed = await recheckSir();
        if (done()) return true;
        if (changed) return false;
      }
      if (Date.now() >= until) return false;
    }
  };

  /** Re-reads the SIR case; true when it had changed outside phasegate (and was adopted). */
  const recheckSir = async (): Promise<boolean> => {
    const event = state.sirEventPending;
    state.sirEventPending = undefined;
    const why = event ? `re-read after ${event}` : `re-read every ${formatDuration(recheckEveryMs)}`;
    const found = await readSirCase(ctx, `GetCase ${state.caseId}: ${why}`);
    const now = Date.now();
    state.nextSirCheckAt = new Date(now + recheckEveryMs).toISOString();
    if (!found) return false;
    state.sirReadAt = new Date(now).toISOString();
    const reading: SirReading = { ...(found.caseStatus && { status: found.caseStatus }), ...(found.resolverType && { resolverType: found.resolverType }) };
    if (!driftsFrom(state, reading)) return false;
    adopt(reading, event ? 'event' : 'recheck', { ...(event && { event }) });
    return true;
  };

  /** SIR says otherwise: adopt it, say so (state, SirCaseStatus, details, a SIR comment), and plan again. */
  const adopt = (found: SirReading, source: DriftSource, extra: { event?: string; moving?: { to: CaseTarget; queued: boolean } } = {}): void => {
    const record = adoptSirCase(playbook, state, found, { at: new Date().toISOString(), source, ...extra });
    const words = describeDrift(record, state.caseId);
    const next =
      state.status === 'Closed'
        ? 'The case is closed outside phasegate; phasegate stops driving it.'
        : `phasegate will not move it back: the playbook goes on from "${state.status}" where its steps allow, else it waits for a person to request a transition.`;
    log.info('SIR case changed outside phasegate; adopted', { caseId: state.caseId, source, believed: record.believed, found: record.found });
    publish(ctx, `${words} ${next}`);
    background(commentBestEffort(ctx, `drift-${state.driftCount}`, `phasegate: ${words} ${next}`, `CreateCaseComment: changed outside phasegate (${found.status ?? found.resolverType})`));
  };

  /** One move of the SIR case. Since `read-before-write` it reads first and adopts what it finds instead of overwriting it. */
  const moveCase = async (move: QueuedMove, queued: boolean): Promise<void> => {
    const target = move.to;
    const who = { requestedBy: move.requestedBy, ...(move.approvedBy?.length && { approvedBy: move.approvedBy.join(', ') }) };
    state.move = { target, since: new Date().toISOString(), ...who };
    publish(ctx, `Moving case ${state.caseId} to "${target}".`);
    if (!readBeforeWrite) {
      await applyTarget(ctx, target, who);
      state.move = undefined;
      publish(ctx, `Case ${state.caseId} is "${state.status}".`);
      if (queued) state.queue = state.queue!.slice(1);
      if (move.stepIndex !== undefined) state.stepIndex = move.stepIndex;
      return;
    }
    // This read answers the SIR events received so far.
    const event = state.sirEventPending;
    state.sirEventPending = undefined;
    const from = state.status ?? 'Submitted';
    const result = await moveSirCase(ctx, target);
    state.move = undefined;
    const now = Date.now();
    state.sirReadAt = new Date(now).toISOString();
    state.nextSirCheckAt = new Date(now + recheckEveryMs).toISOString();
    if (result.outcome === 'drifted') {
      adopt(result.actual, 'move', { moving: { to: target, queued }, ...(event && { event }) });
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
    publish(ctx, `Case ${state.caseId} is "${state.status}".`);
  };

  // ---- the playbook -----------------------------------------------------------------------------
  try {
    if (!input.carried) {
      // Before any SIR call: the worker runs only its own playbook, and adopts a case only for a reason it can check.
      if (verifiedStart) {
        const verdict = await verifyStart(input);
        state.verifiedStart = { playbookSha256: verdict.playbookSha256, ...(verdict.caseIdProof && { caseIdProof: verdict.caseIdProof }) };
      }
      publish(ctx, `Opening the SIR case for alert ${input.fingerprint} (playbook ${playbook.name}).`);
      const opened = await openOrAdoptCase(ctx);
      state.caseId = opened.caseId;
      state.status = opened.caseStatus;
      state.resolverType = opened.resolverType;
      state.phase = 'running';
      if (readBeforeWrite) {
        state.sirReadAt = new Date().toISOString();
        state.nextSirCheckAt = new Date(Date.now() + recheckEveryMs).toISOString();
      }
      // An adopted case goes on from its status, never back to an earlier step (asked only when adopting).
      const adopted = adoptFromStatus ? planAdoption(playbook, { status: state.status, resolverType: state.resolverType }) : undefined;
      if (adopted) {
        state.stepIndex = adopted.stepIndex;
        if (adopted.closedOutsidePhasegate) state.closedOutsidePhasegate = true;
      }
      publish(ctx, `Case ${state.caseId} is "${state.status}".${adopted ? ` ${adopted.why}` : ''}`);
      background(
        commentBestEffort(
          ctx,
          'playbook-started',
          `phasegate: playbook "${playbook.name}" now drives this case (Temporal workflow ${state.workflowId}).${adoptionNote(state)}${adopted ? ` ${adopted.why}` : ''}`,
          'CreateCaseComment: playbook started',
        ),
      );
    }

    if (inherited.length > 0) background(takeInherited());

    for (;;) {
      const step: NextStep = planNext(playbook, state);
      if (step.kind === 'finish') break;
      switch (step.kind) {
        case 'wait-for-request':
          state.phase = 'awaiting-request';
          if (step.why) publish(ctx, step.why);
          await wait(() => (state.queue?.length ?? 0) > 0 || state.pendingApproval !== undefined, OPEN_ENDED_MS, 'Waiting for a transition request');
          break;
        case 'open-approval':
          openApproval(state, { target: step.target, approval: step.approval, requestedBy: 'playbook', stepIndex: step.stepIndex }, Date.now());
          break;
        case 'wait-for-decision':
          state.phase = 'awaiting-approval';
          await runGate(ctx, step.pending, wait, background);
          break;
        case 'approved': {
          const { pending } = step;
          background(commentBestEffort(ctx, `approval-${pending.approvalId}-decision`, decisionComment(state, pending.approvalId), `CreateCaseComment: approved by ${pending.decidedBy!.by}`));
          state.pendingApproval = undefined;
          state.queue = [approvedMove(pending), ...(state.queue ?? [])];
          break;
        }
        case 'rejected': {
          const { pending } = step;
          const by = pending.decidedBy!.by;
          background(commentBestEffort(ctx, `approval-${pending.approvalId}-decision`, decisionComment(state, pending.approvalId), `CreateCaseComment: rejected by ${by}`));
          state.pendingApproval = undefined;
          if (step.then === 'close') {
            state.queue = [{ to: 'Closed', requestedBy: by }];
          } else {
            state.phase = 'awaiting-request';
            publish(ctx, `${by} rejected moving to "${pending.target}"; case ${state.caseId} stays "${state.status}" until someone requests a transition.`);
          }
          break;
        }
        case 'move': {
          const { move, queued } = step;
          state.phase = 'running';
          await moveCase(move, queued);
          break;
        }
      }
    }

    state.phase = state.status === 'Closed' ? 'closed' : 'completed';
    if (state.closedOutsidePhasegate && state.phase === 'closed') {
      publish(ctx, `Case ${state.caseId} was closed outside phasegate (found Closed in SIR); the playbook ends without moving it.`);
    } else {
      publish(ctx, state.phase === 'closed' ? `Case ${state.caseId} is closed.` : `Playbook finished; case ${state.caseId} stays "${state.status}".`);
    }
    if (readBeforeWrite) {
      const mention = flushDuplicates(state, Date.now(), { force: true });
      if (mention) background(commentBestEffort(ctx, mention.key, mention.body, mention.summary));
    }
    await settleBackground();
    return outcome(state);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await recordCancellation(ctx);
        // Its comment, and any still tried locally, are sent before the run ends (cases since local-sir-calls).
        if (ctx.localComments) await settleBackground();
      });
    }
    // A failed or cancelled case shows where it stopped.
    flushPublished(ctx);
    throw err;
  }
}

const OPEN_ENDED_MS = 10 * 365 * 24 * 3_600_000;

/** Cases say which code path they run (search attribute PhasegateCodeVersion), so old paths can be retired on purpose (issue 20). */
const CODE_VERSION = 'code-version';

/** Handlers prove who decided through a queued activity (issue 18; workflows/case-operations.ts proveActor). */
const PROOF_IN_HISTORY = 'proof-in-history';

/** An adopted case says so in its first comment, and on whose authority; a case phasegate opened says nothing more. */
function adoptionNote(state: CaseState): string {
  if (!state.adoption) return '';
  return ` The case existed before: an alert naming it adopted it on the authority of ${state.adoption.by} (allowed at ${state.adoption.at}).`;
}

/** Signals one run holds for the next while it continues as new; beyond this they are taken as usual. */
const DEFERRED_SIGNALS_MAX = 500;

function decisionComment(state: CaseState, approvalId: number): string {
  const outcome = state.approvalOutcomes!.find((o) => o.approvalId === approvalId)!;
  const records = state.decisions.filter((d) => d.approvalId === approvalId && d.decision === outcome.decision);
  // The deciders, then the approvals a timeout decided without (cases since `decision-outcomes`).
  const decided = records.filter((r) => outcome.by.includes(r.by));
  const partial = records.filter((r) => outcome.partialApprovals?.includes(r.by));
  const from = records[0]?.phase ?? state.status;
  const verb = outcome.decision === 'approve' ? 'approved' : 'rejected';
  const who = (list: DecisionRecord[]): string => list.map((r) => `${r.by} (${r.via}, ${r.at})${r.comment ? `: ${r.comment}` : ''}`).join('; ');
  return `phasegate: approval #${approvalId} ${verb} moving case from "${from}" to "${outcome.target}" by ${who(decided)}${partial.length > 0 ? `; counted before the deadline: ${who(partial)}` : ''}`;
}

async function recordCancellation(ctx: CaseContext): Promise<void> {
  const { state } = ctx;
  state.phase = 'cancelled';
  state.pendingApproval = undefined;
  state.move = undefined;
  publish(ctx, `Playbook cancelled by an operator; case ${state.caseId ?? '(not opened)'} left as "${state.status ?? 'not opened'}".`);
  await commentBestEffort(
    ctx,
    'cancelled',
    `phasegate: the playbook "${state.playbook}" was cancelled by an operator in Temporal; the case is left in "${state.status}" and is no longer driven by phasegate.`,
    'CreateCaseComment: playbook cancelled',
  );
}

function shouldContinueAsNew(input: CasePlaybookInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || (input.continueAsNewAfterEvents !== undefined && info.historyLength >= input.continueAsNewAfterEvents);
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

function outcome(state: CaseState): CaseOutcome {
  return {
    caseId: state.caseId!,
    status: state.status,
    phase: state.phase,
    transitions: state.transitions,
    decisions: state.decisions,
    ...(state.closedOutsidePhasegate && { closedOutsidePhasegate: true }),
  };
}

export { describeOutcome };
