/**
 * Issue 12, SIR is the source of truth, on a real dev server with a real worker and the SIR sandbox
 * playing the analyst (changeCase: a change made in the console, outside the SIR API phasegate uses):
 * a move reads the case first and adopts what it finds instead of overwriting it; a SIR event
 * (sirCaseChanged) or the slow timer makes a waiting case re-read; a case closed in SIR ends as
 * "closed outside phasegate"; repeats of an alert are mentioned once per window.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { duplicateAlertSignal, sirCaseChangedSignal, stateQuery } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { casePlaybook } from '../../workflows';
import { decideOn } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const ANALYST = 'arn:aws:iam::123456789012:user/analyst';
const gate = { approvers: ['alice'], onTimeout: 'reject' as const };

/** D&A freely, then gates before Containment, Post-incident and close. */
const GATED = testPlaybook('drift', [DA, { status: CER, approval: gate }, { status: PIA, approval: gate }], { close: { approval: gate } });

describe('SIR is the source of truth (real dev server, sandbox as the analyst)', { timeout: 300_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('sir-drift'));
  });
  after(() => close());

  async function start(playbook: Playbook): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `drift-${randomUUID()}`,
      playbook,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    return env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
  }

  const until = (handle: WorkflowHandle<typeof casePlaybook>, what: string, test: (s: CaseState) => boolean, timeoutMs?: number): Promise<CaseState> =>
    waitFor(what, async () => {
      const state = await handle.query(stateQuery);
      return test(state) ? state : undefined;
    }, timeoutMs);

  const calls = (operation: 'UpdateCaseStatus' | 'CloseCase' | 'GetCase', caseId: string) => fx.sandbox.calls.list({ operation, caseId });
  const comments = (caseId: string) => fx.sandbox.getComments(caseId).map((c) => c.body);

  it('does not carry out an approval that lands after an analyst moved the case on: it adopts SIR\'s status and goes on from there', async () => {
    const handle = await start(GATED);
    const { caseId } = await until(handle, 'the Containment gate', (s) => s.pendingApproval?.target === CER);
    await fx.sandbox.changeCase(caseId!, { caseStatus: PIA, updatedBy: ANALYST });
    const updatesBefore = calls('UpdateCaseStatus', caseId!).length;

    const answer = await decideOn(handle, 'approve', 'alice');
    assert.equal(answer.next, 'moving');
    const state = await until(handle, 'the drift adopted and the close gate open', (s) => s.driftCount === 1 && s.pendingApproval?.target === 'Closed');

    assert.equal(state.status, PIA);
    assert.equal(calls('UpdateCaseStatus', caseId!).length, updatesBefore, 'nothing was written to SIR: the case was never moved back');
    assert.equal(fx.sandbox.getCase(caseId!)?.caseStatus, PIA);
    const drift = state.drifts![0]!;
    assert.deepEqual([drift.source, drift.believed.status, drift.found.status], ['move', DA, PIA]);
    assert.deepEqual(drift.dropped, [`the move to "${CER}" (not made: it was decided for "${DA}")`]);
    assert.deepEqual(state.transitions.map((t) => t.to), [DA]);
    await waitFor('the drift comment in SIR', async () =>
      comments(caseId!).find((c) => /SIR shows case \d+ as "Post-incident Activities".* where phasegate believed "Detection and Analysis".*will not move it back/.test(c)),
    );
    // SirCaseStatus follows SIR, so a visibility query finds the case where it really is.
    await waitFor('SirCaseStatus = Post-incident Activities in visibility', async () => {
      const { count } = await env.client.workflow.count(`WorkflowId = '${handle.workflowId}' AND SirCaseStatus = '${PIA}'`);
      return count === 1 ? true : undefined;
    });

    await decideOn(handle, 'approve', 'alice');
    const outcome = await handle.result();
    assert.equal(outcome.phase, 'closed');
    assert.deepEqual(outcome.transitions.map((t) => [t.from, t.to]), [['Submitted', DA], [PIA, 'Closed']]);
    assert.equal(outcome.closedOutsidePhasegate, undefined, 'phasegate closed this one itself');
  });

  it('re-reads on a SIR event while it waits, withdraws the approval the analyst made moot, and refuses a late decision on it', async () => {
    const handle = await start(GATED);
    const { caseId } = await until(handle, 'the Containment gate', (s) => s.pendingApproval?.target === CER);
    await fx.sandbox.changeCase(caseId!, { caseStatus: CER, updatedBy: ANALYST });
    await handle.signal(sirCaseChangedSignal, { detailType: 'Case Updated', updatedBy: ANALYST, receivedAt: new Date().toISOString() });

    const state = await until(handle, 'the Post-incident gate after the withdrawal', (s) => s.pendingApproval?.target === PIA);
    assert.equal(state.status, CER);
    assert.equal(state.sirEvents, 1);
    assert.deepEqual([state.drifts![0]!.source, state.drifts![0]!.event], ['event', `Case Updated by ${ANALYST}`]);
    assert.deepEqual(state.approvalOutcomes?.map((o) => [o.approvalId, o.decision]), [[1, 'withdrawn']]);
    assert.equal(state.pendingApproval?.approvalId, 2);

    const late = await decideOn(handle, 'approve', 'alice', { approvalId: 1 }).then(
      () => assert.fail('a decision on a withdrawn approval must be refused'),
      (err: unknown) => err,
    );
    assert.ok(late instanceof WorkflowUpdateFailedError && late.cause instanceof ApplicationFailure);
    assert.equal(late.cause.type, 'ApprovalNotPending');
    assert.match(late.cause.message, /approval #1 to move to "Containment, Eradication and Recovery" was withdrawn at .*: the case is already "Containment, Eradication and Recovery" in SIR/);
    assert.equal(calls('UpdateCaseStatus', caseId!).length, 1, 'only phasegate\'s own move to D&A');
    await handle.terminate('test done');
  });

  it('notices an AWS takeover on its slow timer without any event, and only closes the case from then on', async () => {
    const handle = await start({ ...GATED, sirRecheckEveryMs: 1_500 });
    const { caseId } = await until(handle, 'the Containment gate', (s) => s.pendingApproval?.target === CER);
    const changedAt = Date.now();
    await fx.sandbox.changeCase(caseId!, { resolverType: 'AWS', updatedBy: 'AWS Responder' });

    const state = await until(handle, 'the close gate after the takeover', (s) => s.pendingApproval?.target === 'Closed', 15_000);
    const knownAfterMs = Date.now() - changedAt;
    assert.ok(knownAfterMs < 10_000, `known after ${knownAfterMs} ms with a 1.5 s re-read timer`);
    assert.equal(state.resolverType, 'AWS');
    assert.equal(state.drifts![0]!.source, 'recheck');
    assert.match(state.approvalOutcomes![0]!.reason!, /AWS-supported/);

    await decideOn(handle, 'approve', 'alice');
    const outcome = await handle.result();
    assert.equal(outcome.phase, 'closed');
    assert.equal(calls('UpdateCaseStatus', caseId!).length, 1, 'no UpdateCaseStatus after AWS took the case over');
    assert.equal(calls('CloseCase', caseId!).length, 1);
  });

  it('ends as "closed outside phasegate" when the case is found Closed in SIR', async () => {
    const handle = await start(GATED);
    const { caseId } = await until(handle, 'the Containment gate', (s) => s.pendingApproval?.target === CER);
    await fx.sandbox.changeCase(caseId!, { caseStatus: 'Closed', updatedBy: ANALYST });
    await handle.signal(sirCaseChangedSignal, { detailType: 'Case Closed', updatedBy: ANALYST, receivedAt: new Date().toISOString() });

    const outcome = await handle.result();
    assert.deepEqual([outcome.phase, outcome.status, outcome.closedOutsidePhasegate], ['closed', 'Closed', true]);
    assert.deepEqual(outcome.transitions.map((t) => t.to), [DA], 'phasegate itself never closed it');
    assert.equal(calls('CloseCase', caseId!).length, 0);
    const state = await handle.query(stateQuery);
    assert.match(state.note ?? '', /was closed outside phasegate \(found Closed in SIR\)/);
    assert.equal(state.pendingApproval, undefined);
    assert.equal(state.approvalOutcomes?.[0]?.decision, 'withdrawn');
    assert.ok(comments(caseId!).some((c) => /The case is closed outside phasegate; phasegate stops driving it/.test(c)));
  });

  it('mentions repeats of the alert once per window with a count, and the rest as the case ends', async () => {
    const handle = await start(testPlaybook('drift-dups', [DA], { close: { approval: gate } }));
    const { caseId } = await until(handle, 'the close gate', (s) => s.pendingApproval?.target === 'Closed');
    for (let i = 0; i < 30; i++) await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    const state = await until(handle, '30 duplicates counted', (s) => s.duplicateAlerts === 30);
    assert.equal(state.duplicateWindow?.uncommented, 29);
    const repeats = (): string[] => comments(caseId!).filter((c) => /same alert arrived/.test(c));
    await waitFor('the first repeat commented', async () => (repeats().length === 1 ? true : undefined));
    assert.match(repeats()[0]!, /\(duplicate #1\)/);

    await decideOn(handle, 'approve', 'alice');
    await handle.result();
    assert.equal(repeats().length, 2, 'one comment for the first repeat, one for the 29 counted');
    assert.match(repeats()[1]!, /arrived 29 more times between .* \(duplicates #2–#30\); each joined this case/);
  });
});
