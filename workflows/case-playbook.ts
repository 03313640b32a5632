/**
 * casePlaybook: one SIR case driven through the status steps of its playbook, pausing where a human
 * must approve the next phase. Deterministic code only: `@temporalio/workflow` and pure `src/domain`.
 *
 * In the words of the playbook: open (or adopt) the case; then ask the planner what is next and do it:
 * move the case, open a gate and wait for its decision, or wait for a person to ask for a transition;
 * finally close the case. The rooms of a run, each taking the run (case-run.ts) as its argument:
 * - case-handlers.ts: decisions and requests, taken by the message handlers, which prove who is behind
 *   them (proveActor) and apply the gate's rules (src/domain/case/decision-rules.ts); they answer once the decision is
 *   recorded, and the move it allows runs, and retries, in the loop (since `local-sir-calls` the answer
 *   leaves with the workflow task, so after the move's local try when it runs in that task);
 * - case-loop.ts: the main line, which carries out what the planner decides;
 * - case-waits.ts: every wait, where the case continues as new and re-reads SIR;
 * - case-moves.ts and case-operations.ts: the SIR side (moves, adopted drift, the SIR calls);
 * - approval-gate.ts: a gate once it is open.
 * One word per thing: a *step* is one of the playbook's steps; the planner's answer is an *action*
 * (src/domain/case/planner.ts, NextAction); a *move* is a status change the case decided to make (a
 * queued move, or a step's), made by makeMove; the *SIR write* is the SIR call that makes it
 * (writeSirStatus; its activity keeps the name `moveCase` its histories record).
 *
 * Cases started before the `attested-decisions` patch run the frozen loop in legacy/. Cases started
 * since the `read-before-write` patch treat SIR as the source of truth (issue 12): every move reads the
 * case first, SIR events and a slow timer make a waiting case re-read it, and a change made outside
 * phasegate is adopted, never overwritten (src/domain/case/sir-drift.ts); repeated alerts are mentioned
 * once per window (src/domain/case/duplicate-window.ts). Cases since `local-sir-calls` (issue 14) make each
 * SIR call as a local activity first and send search attributes once per wait, so an alert's case
 * opens, moves and parks at its first gate in one workflow task (case-operations.ts, case-context.ts).
 * Cases since `verified-start` (issue 18) begin with the worker checking the start (case-start.ts):
 * whoever can start workflows cannot bring their own gates or adopt a SIR case without a reason.
 */
import { ApplicationFailure, patched, workflowInfo } from '@temporalio/workflow';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import type { CaseState } from '../src/domain/case/state';
import { startGroup } from '../src/domain/alert/group';
import { outcomesFromDecisions } from '../src/domain/case/decision-rules';
import { UNVERIFIED_START } from '../src/domain/case/start';
import { PROOF_IN_HISTORY, setCaseHandlers } from './case-handlers';
import { runCase } from './case-loop';
import type { CaseOutcome, CasePatches, CaseRun } from './case-run';
import { caseWait } from './case-waits';
import { SIR_RECHECK_DEFAULT_MS } from '../src/domain/playbook/playbook';
import { publishCodeVersion, publishedAtStart } from './case-context';
import { refuseMalformedStart } from './case-start';
import { casePlaybookV4 } from './legacy/case-playbook-v4';

export type { CaseOutcome } from './case-run';

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
  const patches = askPatches(input);
  // A run that continues an attested case is attested; a case started before the patch keeps its loop.
  if (!patches.readBeforeWrite && !input.carried?.attested && !patched('attested-decisions')) return casePlaybookV4(input);

  const state = initialState(input, patches);
  // Grouped and storm cases (issue 13) keep their member alerts. Asked only for such a case, so other
  // cases record no marker; a run continued as new carries `state.group` instead of asking again.
  if (!input.carried && input.group && patches.readBeforeWrite && (patches.localSirCalls || patched('grouped-alerts'))) state.group = startGroup(input.group.kind, input.group.first);
  const run = caseRun(input, state, patches);
  publishCodeVersion(run);
  const inherited = setCaseHandlers(run);
  return runCase(run, inherited);
}

/**
 * Asked once per case, newest patch first: a new case records only `code-version` (each marker
 * costs an event and a visibility write), which implies `verified-start` (for a first run),
 * `slack-messages`, `decision-outcomes`, `own-writes-only`, `proof-in-history`, `local-sir-calls`,
 * `read-before-write`, `grouped-alerts` and `attested-decisions`; a run continued as new carries the
 * answers. `verified-start` is asked only by a first run: a continued one was checked when the case began.
 */
function askPatches(input: CasePlaybookInput): CasePatches {
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
  return { codeVersion, verifiedStart, adoptFromStatus, slackMessages, decisionOutcomes, ownWritesOnly, proofInHistory, localSirCalls, readBeforeWrite };
}

/** A first run's state, or the state the run it continues carried over, marked with the patches it runs under. */
function initialState(input: CasePlaybookInput, patches: CasePatches): CaseState {
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
  if (patches.readBeforeWrite) state.readBeforeWrite = true;
  if (patches.localSirCalls) state.localSirCalls = true;
  if (patches.proofInHistory) state.proofInHistory = true;
  if (patches.ownWritesOnly) state.ownWritesOnly = true;
  if (patches.decisionOutcomes) state.decisionOutcomes = true;
  if (patches.slackMessages) state.slackMessages = true;
  if (patches.codeVersion) state.codeVersion = true;
  return state;
}

/** The run every room of the case takes (case-run.ts). */
function caseRun(input: CasePlaybookInput, state: CaseState, patches: CasePatches): CaseRun {
  const { localSirCalls, ownWritesOnly, slackMessages, readBeforeWrite } = patches;
  const running = new Set<Promise<void>>();
  const run: CaseRun = {
    input,
    state,
    published: publishedAtStart(),
    readBeforeWrite,
    ...(localSirCalls && { localSirCalls, unpublished: new Map(), localComments: [] }),
    ...(ownWritesOnly && { ownWritesOnly }),
    ...(slackMessages && { slackMessages, messageChains: new Map(), toldChannels: new Set<string>() }),
    // The newest code path this run takes (a newer patch goes first here), for the visibility query
    // that finds cases still on an older one (docs/workflow-history.md, "Retiring an old code path").
    ...(patches.codeVersion && { codeVersion: CODE_VERSION }),
    playbook: input.playbook,
    patches,
    recheckEveryMs: input.playbook.sirRecheckEveryMs ?? SIR_RECHECK_DEFAULT_MS,
    background: (work) => {
      const tracked = work.finally(() => running.delete(tracked));
      running.add(tracked);
    },
    // Comments tried locally are joined by the main line before it waits, so a waiting case has none.
    backgroundDone: () => running.size === 0 && (run.localComments?.length ?? 0) === 0,
    wait: (done, timeoutMs, summary) => caseWait(run, done, timeoutMs, summary),
  };
  return run;
}

/** Cases say which code path they run (search attribute PhasegateCodeVersion), so old paths can be retired on purpose (issue 20). */
const CODE_VERSION = 'code-version';
