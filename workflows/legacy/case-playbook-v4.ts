/**
 * casePlaybook as it ran before the `attested-decisions` patch (histories v1–v4). Frozen: cases that
 * started under it replay and finish with exactly these commands; new behaviour goes into
 * ../case-playbook.ts. It imports nothing from the live loop (its own copies: case-context-v4.ts,
 * sir-calls-v4.ts; a lint rule in eslint.config.mjs keeps it so). Do not change what this file does,
 * except behind a patch: since
 * `v4-proven-groups` (issue 18) a decision counts only once the worker proved who sent it, and the
 * approver check takes the groups from the users file, never from the message (proven-deciders-v4.ts).
 *
 * casePlaybook: one SIR case driven through the status steps of its playbook, pausing where a human
 * must approve the next phase. Deterministic code only: `@temporalio/workflow` and pure `src/domain`.
 *
 * The loop, in the words of the playbook: open (or adopt) the case; then, step by step, wait for
 * approval where the step asks for one and move the case; a human may at any time between steps ask
 * for another legal transition (back to Detection and Analysis, say); finally close the case.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineUpdate,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { type Refusal, refuseDecision, refuseTransition } from '../../src/domain/case/rules';
import type { CaseState, TransitionRecord } from '../../src/domain/case/state';
import { checkTransition } from '../../src/domain/case/transitions';
import {
  approveSignal,
  duplicateAlertSignal,
  rejectSignal,
  requestTransitionSignal,
  stateQuery,
} from '../../src/domain/contract/messages';
import type { ApprovalSpec } from '../../src/domain/playbook/playbook';
import { awaitApproval } from './approval-gate-v4';
import { V4_PROVEN_GROUPS, withProvenGroups } from './proven-deciders-v4';
import { type CaseContextV4 as CaseContext, publish, publishedAtStart } from './case-context-v4';
import { applyTarget, commentOnCase, openOrAdoptCase } from './sir-calls-v4';
import { UpdateReplies } from './update-replies-v4';
import type { CaseTarget } from '../../src/domain/case/status';
import type { DecisionRecord } from '../../src/domain/case/decision';
import type { ApprovalSignal, DecisionRequest, TransitionRequest } from '../../src/domain/contract/message-payloads';

/** These cases answered the decide and transition updates with the whole case state. */
const decideUpdate = defineUpdate<CaseState, [Omit<DecisionRequest, 'approvalId'>]>('decide');
const transitionUpdate = defineUpdate<CaseState, [TransitionRequest]>('transition');

export interface CaseOutcome {
  caseId: string;
  status: CaseState['status'];
  phase: CaseState['phase'];
  transitions: TransitionRecord[];
  decisions: DecisionRecord[];
}

interface QueuedRequest extends TransitionRequest {
  seq: number;
}

export async function casePlaybookV4(input: CasePlaybookInput): Promise<CaseOutcome> {
  const state: CaseState = input.carried ?? {
    workflowId: workflowInfo().workflowId,
    playbook: input.playbook.name,
    phase: 'opening',
    stepIndex: -1,
    transitions: [],
    decisions: [],
    approvals: 0,
    duplicateAlerts: 0,
  };
  // Cases started before this patch upserted every search attribute on each publish and posted the
  // start comment before the first step; they keep doing so. Asked once per run, so a run never mixes
  // the two (a run an older case continues as new into is lean).
  const lean = patched('lean-steps');
  const ctx: CaseContext = { input, state, lean, published: lean ? publishedAtStart() : new Map<string, unknown>() };
  // SIR work that need not hold up the first step (the start comment of a lean case): it runs with
  // the first move, or is joined before the case first waits or ends, so its failure fails the case.
  // Cases without it await nothing extra, so their commands keep the order their histories have.
  let alongside: Promise<void> | undefined;
  const joinAlongside = (): Promise<void> => {
    const work = alongside!;
    alongside = undefined;
    return work;
  };
  const requests: QueuedRequest[] = [];
  const replies = new UpdateReplies();
  let requestSeq = 0;

  // ---- messages ---------------------------------------------------------------------------------
  setHandler(stateQuery, () => state);

  const recordDecision = (request: Omit<DecisionRequest, 'approvalId'>, via: DecisionRecord['via']): number => {
    const pending = state.pendingApproval!;
    pending.decidedBy = { decision: request.decision, by: request.by };
    state.decisions.push({
      approvalId: pending.approvalId,
      decision: request.decision,
      by: request.by,
      at: new Date().toISOString(),
      phase: state.status ?? 'Submitted',
      target: pending.target,
      comment: request.comment,
      via,
    });
    return pending.approvalId;
  };

  /** The request with proven groups, checked again on the state as it is once the proof is in. */
  const proven = async <R extends Omit<DecisionRequest, 'approvalId'>>(request: R): Promise<R> => {
    const decider = await withProvenGroups(request);
    refuse(refuseDecision(state, decider));
    return decider;
  };

  setHandler(
    decideUpdate,
    async (request) => {
      const decider = patched(V4_PROVEN_GROUPS) ? await proven(request) : request;
      const approvalId = recordDecision(decider, 'update');
      return replies.awaitReply(`approval-${approvalId}`);
    },
    {
      // Groups are proven by the handler (the validator cannot wait for the worker); before that patch
      // the handler took them from the message, and a replay does not run validators.
      validator: (request: Omit<DecisionRequest, 'approvalId'>) => refuse(refuseDecision(state, request, { groupsProvenLater: true })),
      description: 'approve or reject the pending phase change',
    },
  );

  const onDecisionSignal = (decision: DecisionRequest['decision']) => async (signal: ApprovalSignal) => {
    const request = { ...signal, decision };
    // A signal cannot be refused back to its sender; a refused one is ignored and the reason kept.
    if (!patched(V4_PROVEN_GROUPS)) {
      const refusal = refuseDecision(state, request);
      if (refusal) state.note = `ignored ${decision} signal from ${String(signal?.by)}: ${refusal.message}`;
      else recordDecision(request, 'signal');
      return;
    }
    const early = refuseDecision(state, request, { groupsProvenLater: true });
    if (early) {
      state.note = `ignored ${decision} signal from ${String(signal?.by)}: ${early.message}`;
      return;
    }
    try {
      recordDecision(await proven(request), 'signal');
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.note = `ignored ${decision} signal from ${String(signal?.by)}: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  setHandler(approveSignal, onDecisionSignal('approve'));
  setHandler(rejectSignal, onDecisionSignal('reject'));

  const enqueue = (request: TransitionRequest): number => {
    const seq = ++requestSeq;
    requests.push({ ...request, seq });
    // Refuse further requests until this one is taken, so two humans cannot queue contradictions.
    state.inFlight = request.to;
    return seq;
  };
  setHandler(
    transitionUpdate,
    async (request) => {
      const seq = enqueue(request);
      return replies.awaitReply(`request-${seq}`);
    },
    { validator: (request: TransitionRequest) => refuse(refuseTransition(state, request)), description: 'request a phase change' },
  );
  setHandler(requestTransitionSignal, (request) => {
    const refusal = refuseTransition(state, request);
    if (refusal) state.note = `ignored transition request from ${String(request?.by)}: ${refusal.message}`;
    else enqueue(request);
  });

  setHandler(duplicateAlertSignal, async (duplicate) => {
    state.duplicateAlerts += 1;
    const n = state.duplicateAlerts;
    await condition(() => state.caseId !== undefined);
    await commentOnCase(
      ctx,
      `duplicate-${n}`,
      `phasegate: the same alert arrived again at ${duplicate.receivedAt} (duplicate #${n}); it joined this case.`,
      `CreateCaseComment: duplicate alert #${n}`,
    );
  });

  // ---- the playbook -----------------------------------------------------------------------------
  try {
    if (!input.carried) {
      publish(ctx, `Opening the SIR case for alert ${input.fingerprint} (playbook ${input.playbook.name}).`);
      const opened = await openOrAdoptCase(ctx);
      state.caseId = opened.caseId;
      state.status = opened.caseStatus;
      state.resolverType = opened.resolverType;
      state.phase = 'running';
      publish(ctx, `Case ${state.caseId} is "${state.status}".`);
      // Added after v1: the SIR case itself says which playbook drives it. Cases started before the
      // change replay without the comment.
      const startComment = (): Promise<void> =>
        commentOnCase(
          ctx,
          'playbook-started',
          `phasegate: playbook "${input.playbook.name}" now drives this case (Temporal workflow ${state.workflowId}).`,
          'CreateCaseComment: playbook started',
        );
      if (lean) alongside = startComment();
      else if (patched('comment-when-playbook-starts')) await startComment();
    }

    for (;;) {
      replies.send(state);
      if (state.status === 'Closed') break;
      if (requests.length === 0 && shouldContinueAsNew(input)) {
        if (alongside) await joinAlongside();
        // A request that arrives while handlers finish is taken first: continuing as new would drop a
        // signalled one and wait forever on an update's. Older cases keep the wait their histories have.
        if (lean) {
          await condition(() => allHandlersFinished() || requests.length > 0);
          if (requests.length > 0) continue;
        } else {
          await condition(allHandlersFinished);
        }
        await continueAsNew<typeof casePlaybookV4>({ ...input, carried: state });
      }

      const request = requests.shift();
      let target: CaseTarget | undefined;
      let approval: ApprovalSpec | undefined;
      let stepIndex: number | undefined;

      if (request) {
        target = request.to;
        ({ approval, stepIndex } = gateFor(input, target));
      } else if (state.phase === 'awaiting-request') {
        if (alongside) await joinAlongside();
        await condition(() => requests.length > 0);
        continue;
      } else {
        const planned = nextPlannedStep(input, state);
        if (planned === 'done') break;
        if ('blocked' in planned) {
          state.phase = 'awaiting-request';
          publish(ctx, planned.blocked);
          continue;
        }
        ({ target, approval, stepIndex } = planned);
      }

      const requestedBy = request?.by ?? 'playbook';
      let approvedBy: string | undefined;
      if (approval && alongside) {
        // The start comment finishes before a gate opens; a request that arrives meanwhile is planned
        // afresh with this one, as at any step.
        if (request) requests.unshift(request);
        await joinAlongside();
        continue;
      }
      if (approval) {
        const approvalId = ++state.approvals;
        if (request) replies.answerLater(`request-${request.seq}`);
        state.inFlight = undefined;
        // Runs up to its first wait at once, so the request is answered with the approval it opened.
        const gate = awaitApproval(ctx, approvalId, target, approval, requestedBy);
        replies.send(state);
        const outcome = await gate;
        await commentOnCase(ctx, `approval-${approvalId}-decision`, decisionComment(state, approvalId), `CreateCaseComment: ${outcome.decision} by ${outcome.by}`);
        state.pendingApproval = undefined;
        if (outcome.decision === 'reject') {
          replies.answerLater(`approval-${approvalId}`);
          if (input.playbook.onReject === 'close') {
            await move(ctx, 'Closed', { requestedBy: outcome.by });
            break;
          }
          state.phase = 'awaiting-request';
          publish(ctx, `${outcome.by} rejected moving to "${target}"; case ${state.caseId} stays "${state.status}" until someone requests a transition.`);
          continue;
        }
        approvedBy = outcome.by;
        state.inFlight = target;
        await move(ctx, target, { requestedBy, approvedBy });
        replies.answerLater(`approval-${approvalId}`);
      } else {
        state.inFlight = target;
        await (alongside ? Promise.all([move(ctx, target, { requestedBy }), joinAlongside()]) : move(ctx, target, { requestedBy }));
        if (request) replies.answerLater(`request-${request.seq}`);
      }
      if (stepIndex !== undefined) state.stepIndex = stepIndex;
      state.phase = 'running';
    }

    if (alongside) await joinAlongside();
    state.phase = state.status === 'Closed' ? 'closed' : 'completed';
    publish(ctx, state.phase === 'closed' ? `Case ${state.caseId} is closed.` : `Playbook finished; case ${state.caseId} stays "${state.status}".`);
    replies.send(state);
    await condition(allHandlersFinished);
    return outcome(state);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => recordCancellation(ctx));
    }
    throw err;
  }
}

async function move(ctx: CaseContext, target: CaseTarget, who: { requestedBy: string; approvedBy?: string }): Promise<void> {
  publish(ctx, `Moving case ${ctx.state.caseId} to "${target}".`);
  await applyTarget(ctx, target, who);
  ctx.state.inFlight = undefined;
  publish(ctx, `Case ${ctx.state.caseId} is "${ctx.state.status}".`);
}

type PlannedStep = 'done' | { blocked: string } | { target: CaseTarget; approval?: ApprovalSpec; stepIndex?: number };

/**
 * The next thing the playbook wants. AWS-supported cases skip every status step (phasegate never calls
 * UpdateCaseStatus on them) and go straight to the close gate.
 */
function nextPlannedStep(input: CasePlaybookInput, state: CaseState): PlannedStep {
  const { steps, close } = input.playbook;
  if (state.resolverType !== 'AWS') {
    for (let i = state.stepIndex + 1; i < steps.length; i++) {
      const step = steps[i]!;
      // An adopted case may already stand where a step would take it.
      if (step.status === state.status) {
        state.stepIndex = i;
        continue;
      }
      const check = checkTransition(state.status ?? 'Submitted', step.status, { resolverType: state.resolverType });
      if (!check.ok) {
        return { blocked: `The playbook's next step "${step.status}" is not possible from "${state.status}" (${check.reason}); waiting for a transition request.` };
      }
      return { target: step.status, approval: step.approval, stepIndex: i };
    }
  }
  if (close && state.status !== 'Closed') return { target: 'Closed', approval: close.approval };
  return 'done';
}

/** The approval a human-requested target needs: the gate of the playbook step with that status. */
function gateFor(input: CasePlaybookInput, target: CaseTarget): { approval?: ApprovalSpec; stepIndex?: number } {
  if (target === 'Closed') return { approval: input.playbook.close?.approval };
  const stepIndex = input.playbook.steps.findIndex((s) => s.status === target);
  return stepIndex < 0 ? {} : { approval: input.playbook.steps[stepIndex]!.approval, stepIndex };
}

function decisionComment(state: CaseState, approvalId: number): string {
  const record = state.decisions.filter((d) => d.approvalId === approvalId).at(-1)!;
  const verb = record.decision === 'approve' ? 'approved' : 'rejected';
  return `phasegate: ${record.by} ${verb} moving case from "${record.phase}" to "${record.target}" (${record.via}, ${record.at})${record.comment ? `: ${record.comment}` : ''}`;
}

async function recordCancellation(ctx: CaseContext): Promise<void> {
  const { state } = ctx;
  state.phase = 'cancelled';
  state.pendingApproval = undefined;
  state.inFlight = undefined;
  publish(ctx, `Playbook cancelled by an operator; case ${state.caseId ?? '(not opened)'} left as "${state.status ?? 'not opened'}".`);
  await commentOnCase(
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

function outcome(state: CaseState): CaseOutcome {
  return { caseId: state.caseId!, status: state.status, phase: state.phase, transitions: state.transitions, decisions: state.decisions };
}
