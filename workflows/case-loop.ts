/**
 * The playbook's main line: open (or adopt) the case; then ask the planner what is next and carry it
 * out (make a move, open a gate and wait for its decision, wait for a person to ask for a transition)
 * until it says the playbook is finished. Every decision is the planner's (src/domain/case/planner.ts);
 * this file only carries the answers out, in the order the case's commands have always come in.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { planAdoption } from '../src/domain/case/adoption';
import type { CaseSnapshot } from '../activities';
import { type NextAction, newApproval, planNext } from '../src/domain/case/planner';
import type { DecisionRecord } from '../src/domain/case/decision';
import type { CaseState, DeferredSignal } from '../src/domain/case/state';
import { flushDuplicates } from '../src/domain/case/duplicate-window';
import type { StartVerdict } from '../src/domain/case/start';
import { runGate } from './approval-gate';
import { openGate } from './case-changes';
import { flushPublished, publish } from './case-context';
import { commentBestEffort, openOrAdoptCase } from './case-operations';
import { makeMove } from './case-moves';
import type { CaseOutcome, CaseRun } from './case-run';
import { verifyStart } from './case-start';
import { takeInherited } from './case-handlers';
import { settleBackground } from './case-waits';

const OPEN_ENDED_MS = 10 * 365 * 24 * 3_600_000;

/** The main line of a run, from opening the case (a first run) to its end, or to its cancellation. */
export async function runCase(run: CaseRun, inherited: readonly DeferredSignal[]): Promise<CaseOutcome> {
  const { input, state, playbook } = run;
  try {
    if (!input.carried) {
      // Before any SIR call: the worker runs only its own playbook, and adopts a case only for a reason it can check.
      if (run.patches.verifiedStart) recordVerifiedStart(state, await verifyStart(input));
      publish(run, `Opening the SIR case for alert ${input.fingerprint} (playbook ${playbook.name}).`);
      caseOpened(run, await openOrAdoptCase(run));
    }

    if (inherited.length > 0) run.background(takeInherited(run, inherited));

    for (;;) {
      const action: NextAction = planNext(playbook, state);
      if ('reached' in action && action.reached !== undefined) state.stepIndex = action.reached;
      if (action.kind === 'finish') break;
      switch (action.kind) {
        case 'wait-for-request':
          state.phase = 'awaiting-request';
          if (action.why) publish(run, action.why);
          await run.wait(() => (state.queue?.length ?? 0) > 0 || state.pendingApproval !== undefined, OPEN_ENDED_MS, 'Waiting for a transition request');
          break;
        case 'open-approval':
          openGate(state, newApproval(state, { target: action.target, approval: action.approval, requestedBy: 'playbook', stepIndex: action.stepIndex }, Date.now()));
          break;
        case 'wait-for-decision':
          state.phase = 'awaiting-approval';
          await runGate(run, action.pending, run.wait, run.background);
          break;
        case 'approved':
          takeApproved(run, action);
          break;
        case 'rejected':
          takeRejected(run, action);
          break;
        case 'make-move':
          state.phase = 'running';
          await makeMove(run, action.move, action.queued);
          break;
      }
    }

    finishCase(run);
    await settleBackground(run);
    return outcome(state);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await recordCancellation(run);
        // Its comment, and any still tried locally, are sent before the run ends (cases since local-sir-calls).
        if (run.localComments) await settleBackground(run);
      });
    }
    // A failed or cancelled case shows where it stopped.
    flushPublished(run);
    throw err;
  }
}

function recordVerifiedStart(state: CaseState, verdict: Extract<StartVerdict, { ok: true }>): void {
  state.verifiedStart = { playbookSha256: verdict.playbookSha256, ...(verdict.caseIdProof && { caseIdProof: verdict.caseIdProof }) };
}

/** The case is open (or adopted): where the playbook goes on from, said in the details and the start comment. */
function caseOpened(run: CaseRun, opened: CaseSnapshot): void {
  const { state, playbook } = run;
  state.caseId = opened.caseId;
  state.status = opened.caseStatus;
  state.resolverType = opened.resolverType;
  state.phase = 'running';
  if (run.readBeforeWrite) {
    state.sirReadAt = new Date().toISOString();
    state.nextSirCheckAt = new Date(Date.now() + run.recheckEveryMs).toISOString();
  }
  // An adopted case goes on from its status, never back to an earlier step (asked only when adopting).
  const adopted = run.patches.adoptFromStatus ? planAdoption(playbook, { status: state.status, resolverType: state.resolverType }) : undefined;
  if (adopted) {
    state.stepIndex = adopted.stepIndex;
    if (adopted.closedOutsidePhasegate) state.closedOutsidePhasegate = true;
  }
  publish(run, `Case ${state.caseId} is "${state.status}".${adopted ? ` ${adopted.why}` : ''}`);
  run.background(
    commentBestEffort(
      run,
      'playbook-started',
      `phasegate: playbook "${playbook.name}" now drives this case (Temporal workflow ${state.workflowId}).${adoptionNote(state)}${adopted ? ` ${adopted.why}` : ''}`,
      'CreateCaseComment: playbook started',
    ),
  );
}

/** An approved gate: its decision said on the case, and its move first in the queue. */
function takeApproved(run: CaseRun, action: Extract<NextAction, { kind: 'approved' }>): void {
  const { state } = run;
  const { pending } = action;
  run.background(commentBestEffort(run, `approval-${pending.approvalId}-decision`, decisionComment(state, pending.approvalId), `CreateCaseComment: approved by ${pending.decidedBy!.by}`));
  state.pendingApproval = undefined;
  state.queue = [action.move, ...(state.queue ?? [])];
}

/** A rejected gate: its decision said on the case; then the case stays, or its queue becomes the close. */
function takeRejected(run: CaseRun, action: Extract<NextAction, { kind: 'rejected' }>): void {
  const { state } = run;
  const { pending, by } = action;
  run.background(commentBestEffort(run, `approval-${pending.approvalId}-decision`, decisionComment(state, pending.approvalId), `CreateCaseComment: rejected by ${by}`));
  state.pendingApproval = undefined;
  if (action.then === 'close') {
    state.queue = [action.move];
  } else {
    state.phase = 'awaiting-request';
    publish(run, `${by} rejected moving to "${pending.target}"; case ${state.caseId} stays "${state.status}" until someone requests a transition.`);
  }
}

function finishCase(run: CaseRun): void {
  const { state } = run;
  state.phase = state.status === 'Closed' ? 'closed' : 'completed';
  if (state.closedOutsidePhasegate && state.phase === 'closed') {
    publish(run, `Case ${state.caseId} was closed outside phasegate (found Closed in SIR); the playbook ends without moving it.`);
  } else {
    publish(run, state.phase === 'closed' ? `Case ${state.caseId} is closed.` : `Playbook finished; case ${state.caseId} stays "${state.status}".`);
  }
  if (run.readBeforeWrite) {
    const mention = flushDuplicates(state, Date.now(), { force: true });
    if (mention) run.background(commentBestEffort(run, mention.key, mention.body, mention.summary));
  }
}

/** An adopted case says so in its first comment, and on whose authority; a case phasegate opened says nothing more. */
function adoptionNote(state: CaseState): string {
  if (!state.adoption) return '';
  return ` The case existed before: an alert naming it adopted it on the authority of ${state.adoption.by} (allowed at ${state.adoption.at}).`;
}

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

async function recordCancellation(run: CaseRun): Promise<void> {
  const { state } = run;
  state.phase = 'cancelled';
  state.pendingApproval = undefined;
  state.move = undefined;
  publish(run, `Playbook cancelled by an operator; case ${state.caseId ?? '(not opened)'} left as "${state.status ?? 'not opened'}".`);
  await commentBestEffort(
    run,
    'cancelled',
    `phasegate: the playbook "${state.playbook}" was cancelled by an operator in Temporal; the case is left in "${state.status}" and is no longer driven by phasegate.`,
    'CreateCaseComment: playbook cancelled',
  );
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
