/**
 * Human approvals on a real Temporal dev server with a real worker and the SIR sandbox: decisions by
 * update and by signal, each naming its approval; refusals, races, rejection, loops back, quorum and
 * four-eyes gates, repeated decisions and requests, AWS-supported cases, cancellation, continue-as-new
 * and visibility queries. The worker trusts Temporal access (as `phasegate dev` does) and takes groups
 * from its users file (TEST_GROUPS), never from the message.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { approveSignal, decideUpdate, duplicateAlertSignal, rejectSignal, requestTransitionSignal, stateQuery, transitionUpdate } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { casePlaybook } from '../../workflows';
import { decideOn, statusOf } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';

/** D&A freely, then a human gate before Containment, Post-incident and close. */
const GATED = testPlaybook(
  'gated',
  [
    DA,
    { status: CER, approval: { approvers: ['alice', 'bob'], onTimeout: 'reject' } },
    { status: PIA, approval: { approvers: ['group:ir-leads'], onTimeout: 'reject' } },
  ],
  { close: { approval: { approvers: ['alice'], onTimeout: 'reject' } } },
);

describe('casePlaybook approvals (real dev server, real sandbox)', { timeout: 300_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('approvals'));
  });
  after(() => close());

  async function start(playbook: Playbook, extra: Partial<CasePlaybookInput> = {}): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `approvals-${randomUUID()}`,
      playbook,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
      ...extra,
    };
    return env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
  }

  function pendingFor(handle: WorkflowHandle<typeof casePlaybook>, target: string): Promise<CaseState> {
    return waitFor(`an approval pending for "${target}"`, async () => {
      const state = await handle.query(stateQuery);
      return state.pendingApproval?.target === target ? state : undefined;
    });
  }

  function phase(handle: WorkflowHandle<typeof casePlaybook>, wanted: CaseState['phase']): Promise<CaseState> {
    return waitFor(`phase ${wanted}`, async () => {
      const state = await handle.query(stateQuery);
      return state.phase === wanted ? state : undefined;
    });
  }

  async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => assert.fail('the update should have been refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    return err.cause;
  }

  const comments = (caseId: string) =>
    fx.sandbox.calls
      .list({ operation: 'CreateCaseComment', caseId })
      .filter((c) => c.statusCode === 201)
      .map((c) => (c.requestBody as { body: string }).body);

  it('walks every phase with approvals by update and by signal, and audits each decision in SIR', async () => {
    const handle = await start(GATED);
    const waiting = await pendingFor(handle, CER);
    assert.equal(waiting.status, DA);
    assert.deepEqual(waiting.pendingApproval?.approvers, ['alice', 'bob']);
    assert.equal(waiting.pendingApproval?.approvalId, 1);

    // The answer comes once the decision is recorded; the move runs afterwards.
    const answer = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice', comment: 'isolate the instance' }] });
    assert.deepEqual([answer.approvalId, answer.result, answer.next, answer.target, answer.approvalsNeeded], [1, 'approved', 'moving', CER, 0]);
    await statusOf(handle, CER);

    const pia = await pendingFor(handle, PIA);
    // Groups come from the worker's users file: carol is in ir-leads there; the message asserts none.
    await handle.signal(approveSignal, { approvalId: pia.pendingApproval!.approvalId, by: 'carol', comment: 'eradicated' });

    const closing = await pendingFor(handle, 'Closed');
    const closed = await decideOn(handle, 'approve', 'alice');
    assert.deepEqual([closed.approvalId, closed.next], [closing.pendingApproval!.approvalId, 'closing']);

    const outcome = await handle.result();
    assert.equal(outcome.phase, 'closed');
    assert.deepEqual(outcome.transitions.map((t) => [t.to, t.approvedBy ?? null]), [
      [DA, null],
      [CER, 'alice'],
      [PIA, 'carol'],
      ['Closed', 'alice'],
    ]);
    assert.deepEqual(outcome.decisions.map((d) => [d.approvalId, d.by, d.decision, d.via, d.phase, d.target, d.proof]), [
      [1, 'alice', 'approve', 'update', DA, CER, 'trusted-temporal-access'],
      [2, 'carol', 'approve', 'signal', CER, PIA, 'trusted-temporal-access'],
      [3, 'alice', 'approve', 'update', PIA, 'Closed', 'trusted-temporal-access'],
    ]);
    const all = comments(outcome.caseId);
    assert.match(all.find((c) => c.includes('now drives this case'))!, new RegExp(`playbook "gated" now drives this case \\(Temporal workflow ${handle.workflowId}\\)`));
    const audit = all.filter((c) => /approval #\d+ (approved|rejected)/.test(c));
    assert.equal(audit.length, 3);
    assert.match(audit[0]!, /approval #1 approved moving case from "Detection and Analysis" to "Containment, Eradication and Recovery" by alice \(update.*isolate the instance/);
    assert.match(audit[1]!, /approval #2 approved .* by carol \(signal.*eradicated/);
    assert.equal(fx.sandbox.getCase(outcome.caseId)?.caseStatus, 'Closed');
  });

  it('refuses a decision from someone who is not an approver, whatever groups the message claims, and records it', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    await decideOn(handle, 'approve', 'alice');
    const { pendingApproval } = await pendingFor(handle, PIA);
    const approvalId = pendingApproval!.approvalId;

    const refused = await refusal(handle.executeUpdate(decideUpdate, { args: [{ approvalId, decision: 'approve', by: 'mallory', groups: ['ir-leads'] }] }));
    assert.equal(refused.type, 'NotAnApprover');
    assert.match(refused.message, /mallory is not an approver .* \(approvers: group:ir-leads\)/);

    await handle.signal(approveSignal, { approvalId, by: 'mallory', groups: ['ir-leads'] });
    const state = await waitFor('the refused signal on record', async () => {
      const s = await handle.query(stateQuery);
      return (s.refusalCount ?? 0) >= 2 ? s : undefined;
    });
    assert.equal(state.pendingApproval?.decidedBy, undefined);
    assert.equal(state.status, CER);
    assert.deepEqual(state.refusals?.map((r) => [r.by, r.type, r.what]), [
      ['mallory', 'NotAnApprover', `approve #${approvalId} (update)`],
      ['mallory', 'NotAnApprover', `approve #${approvalId} (signal)`],
    ]);
    assert.match(state.note ?? '', /refused approve signal from mallory/);
    await handle.terminate('test done');
  });

  it('refuses a signal that names no approval, and records why', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    await handle.signal(approveSignal, { by: 'alice' });
    const state = await waitFor('the refusal', async () => {
      const s = await handle.query(stateQuery);
      return s.refusalCount ? s : undefined;
    });
    assert.equal(state.refusals![0]!.type, 'InvalidRequest');
    assert.match(state.refusals![0]!.message, /must name the approval it decides/);
    assert.equal(state.pendingApproval?.decidedBy, undefined);
    await handle.terminate('test done');
  });

  it('lets exactly one of two racing approvers move the case', async () => {
    const handle = await start(GATED);
    const { caseId } = await pendingFor(handle, CER);

    const results = await Promise.allSettled([
      handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] }),
      handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'bob' }] }),
    ]);

    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    const cause = (loser.reason as WorkflowUpdateFailedError).cause as ApplicationFailure;
    assert.equal(cause.type, 'ApprovalNotPending');
    await statusOf(handle, CER);
    const moves = fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId: caseId! }).filter((c) => c.statusCode === 201);
    assert.deepEqual(moves.map((c) => (c.requestBody as { caseStatus: string }).caseStatus), [DA, CER]);
    await handle.terminate('test done');
  });

  it('answers a repeated decision with its first outcome and never lets it decide the next gate', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const updateId = 'decide-1-approve-alice';
    const first = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }], updateId });
    await pendingFor(handle, PIA);
    // The same update again (a retried HTTP call, a CLI run again after an error): the first answer.
    const again = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }], updateId });
    assert.deepEqual(again, first);
    // Under another update id (a later retry, or after continue-as-new) the case itself answers the repeat.
    const repeated = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] });
    assert.deepEqual([repeated.approvalId, repeated.result, repeated.by], [1, 'approved', 'alice']);
    // A different decision on it is refused, saying what became of it.
    const stale = await refusal(handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'reject', by: 'alice' }] }));
    assert.equal(stale.type, 'ApprovalNotPending');
    assert.match(stale.message, /approval #1 to move to "Containment, Eradication and Recovery" was approved by alice at .*; nothing was decided now/);
    const unknown = await refusal(handle.executeUpdate(decideUpdate, { args: [{ approvalId: 9, decision: 'approve', by: 'alice' }] }));
    assert.equal(unknown.type, 'UnknownApproval');
    assert.match(unknown.message, /has no approval #9; the pending one is #2/);

    const state = await handle.query(stateQuery);
    assert.equal(state.pendingApproval?.approvalId, 2);
    assert.equal(state.pendingApproval?.decidedBy, undefined, 'the Post-incident gate is still open');
    assert.equal(state.decisions.length, 1);
    await handle.terminate('test done');
  });

  it('keeps the status after a rejection and moves once the request is made and approved again', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);

    const rejected = await decideOn(handle, 'reject', 'bob', { comment: 'not enough evidence' });
    assert.deepEqual([rejected.result, rejected.next], ['rejected', 'staying']);
    const idle = await phase(handle, 'awaiting-request');
    assert.equal(idle.pendingApproval, undefined);
    assert.equal(idle.status, DA);

    const refused = await refusal(handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] }));
    assert.equal(refused.type, 'ApprovalNotPending');
    assert.match(refused.message, /was rejected by bob/);

    const requested = await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'dave', reason: 'new evidence', requestId: 'dave-1' }] });
    assert.deepEqual([requested.result, requested.approvalId, requested.duplicate], ['awaiting-approval', 2, false]);
    assert.equal(requested.state.pendingApproval?.requestedBy, 'dave');
    // The same request again is answered, not queued twice.
    const repeated = await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'dave', requestId: 'dave-1' }] });
    assert.deepEqual([repeated.result, repeated.approvalId, repeated.duplicate], ['awaiting-approval', 2, true]);

    await decideOn(handle, 'approve', 'alice');
    await statusOf(handle, CER);
    // Then the playbook's own next gate opens as #3.
    const moved = await pendingFor(handle, PIA);
    assert.deepEqual(moved.decisions.map((d) => [d.approvalId, d.decision]), [[1, 'reject'], [2, 'approve']]);
    assert.equal(moved.pendingApproval?.approvalId, 3);
    await waitFor('the rejection comment', async () => comments(moved.caseId!).find((c) => /approval #1 rejected .* by bob .*not enough evidence/.test(c)));
    await handle.terminate('test done');
  });

  it('loops back to Detection and Analysis and forward again', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    await decideOn(handle, 'approve', 'alice');
    await pendingFor(handle, PIA);
    await decideOn(handle, 'reject', 'erin', { comment: 'persistence found' });
    await phase(handle, 'awaiting-request');

    const illegal = await refusal(handle.executeUpdate(transitionUpdate, { args: [{ to: 'Submitted', by: 'erin' }] }));
    assert.equal(illegal.type, 'IllegalTransition');

    const back = await handle.executeUpdate(transitionUpdate, { args: [{ to: DA, by: 'erin', reason: 'persistence found' }] });
    assert.equal(back.result, 'moving');
    await statusOf(handle, DA);
    // Forward again: the playbook's Containment gate applies once more.
    const again = await pendingFor(handle, CER);
    assert.equal(again.stepIndex, 0);
    await decideOn(handle, 'approve', 'bob');
    const forward = await statusOf(handle, CER);
    assert.deepEqual(forward.transitions.map((t) => `${t.to}/${t.requestedBy}`), [
      `${DA}/playbook`,
      `${CER}/playbook`,
      `${DA}/erin`,
      `${CER}/playbook`,
    ]);
    await handle.terminate('test done');
  });

  it('needs minApprovers distinct people, lists them all, and keeps the requester out (four-eyes)', async () => {
    const playbook = testPlaybook('quorum', [
      DA,
      { status: CER, approval: { approvers: ['group:ir-leads', 'alice'], onTimeout: 'reject', minApprovers: 2, separateFrom: 'requester' } },
      PIA,
    ]);
    const handle = await start(playbook);
    await pendingFor(handle, CER);
    await decideOn(handle, 'reject', 'carol', { comment: 'not yet' });
    await phase(handle, 'awaiting-request');
    // carol asks again; she cannot approve what she asked for.
    const asked = await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'carol', reason: 'now' }] });
    const approvalId = asked.approvalId!;
    const own = await refusal(decideOn(handle, 'approve', 'carol', { approvalId }));
    assert.equal(own.type, 'SeparationOfDuties');
    assert.match(own.message, /carol asked for the move .* cannot also approve it \(separateFrom: requester\)/);

    const first = await decideOn(handle, 'approve', 'erin', { approvalId });
    assert.deepEqual([first.result, first.approvalsNeeded, first.next], ['counted', 1, 'waiting-for-approvals']);
    // erin again: answered as before, not counted twice; changing her mind is refused.
    const again = await decideOn(handle, 'approve', 'erin', { approvalId });
    assert.deepEqual([again.result, again.approvalsNeeded], ['counted', 1]);
    const twice = await refusal(decideOn(handle, 'reject', 'erin', { approvalId }));
    assert.equal(twice.type, 'DuplicateDecision');
    assert.match(twice.message, /erin already approved #2; 1 more distinct approver\(s\) needed/);
    assert.equal((await handle.query(stateQuery)).status, DA, 'one approval of two moves nothing');

    const second = await decideOn(handle, 'approve', 'alice', { approvalId });
    assert.deepEqual([second.result, second.approvalsNeeded, second.next], ['approved', 0, 'moving']);
    const outcome = await handle.result();
    assert.deepEqual(outcome.transitions.map((t) => [t.to, t.requestedBy, t.approvedBy ?? null]), [
      [DA, 'playbook', null],
      [CER, 'carol', 'erin, alice'],
      [PIA, 'playbook', null],
    ]);
    const audit = await waitFor('the quorum comment', async () => comments(outcome.caseId).find((c) => c.includes('approval #2 approved')));
    assert.match(audit, /by erin \(update, .*\); alice \(update/);
  });

  it('records a transition request by signal that the rules refuse', async () => {
    const open = await start(GATED);
    await pendingFor(open, CER);
    await open.signal(requestTransitionSignal, { to: PIA, by: 'dave' });
    const state = await waitFor('the refused request', async () => {
      const s = await open.query(stateQuery);
      return s.refusalCount ? s : undefined;
    });
    assert.equal(state.refusals![0]!.type, 'ApprovalPending');
    await open.terminate('test done');
  });

  it('never calls UpdateCaseStatus on an AWS-supported case and closes it only through CloseCase', async () => {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, resolverType: 'AWS', clientToken: randomUUID() });
    fx.sandbox.setCaseStatus(caseId, 'Acknowledged');
    const handle = await start(GATED, { caseId, newCase: undefined });

    const waiting = await pendingFor(handle, 'Closed');
    assert.equal(waiting.resolverType, 'AWS');
    assert.equal(waiting.status, 'Acknowledged');
    await decideOn(handle, 'approve', 'alice');
    const outcome = await handle.result();
    assert.equal(outcome.status, 'Closed');

    assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).length, 0);
    assert.equal(fx.sandbox.calls.list({ operation: 'CloseCase', caseId }).length, 1);
  });

  it('refuses a human status transition on an AWS-supported case', async () => {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, resolverType: 'AWS', clientToken: randomUUID() });
    const handle = await start(GATED, { caseId, newCase: undefined });
    await pendingFor(handle, 'Closed');
    await decideOn(handle, 'reject', 'alice', { comment: 'AWS still investigating' });
    await phase(handle, 'awaiting-request');

    const refused = await refusal(handle.executeUpdate(transitionUpdate, { args: [{ to: DA, by: 'alice' }] }));
    assert.equal(refused.type, 'IllegalTransition');
    assert.match(refused.message, /AWS-supported/);
    assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).length, 0);
    await handle.terminate('test done');
  });

  it('finds waiting cases by SirCaseStatus and AwaitingApproval in a visibility query', async () => {
    const handle = await start(GATED);
    const { caseId } = await pendingFor(handle, CER);
    const query = `SirCaseId = "${caseId}" AND SirCaseStatus = "${DA}" AND AwaitingApproval = true AND PlaybookName = "gated"`;
    const found = await waitFor('the case in visibility', async () => {
      const ids: string[] = [];
      for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.length > 0 ? ids : undefined;
    });
    assert.deepEqual(found, [handle.workflowId]);

    const description = await handle.describe();
    assert.equal(await description.staticSummary(), `new SIR case for alert ${handle.workflowId.slice('case-'.length)} · playbook gated`);
    assert.match((await description.staticDetails()) ?? '', /2\. Containment, Eradication and Recovery — approval by alice, bob/);
    await handle.terminate('test done');
  });

  it('records a cancellation on the case and leaves its status alone', async () => {
    const handle = await start(GATED);
    const { caseId } = await pendingFor(handle, CER);
    await handle.cancel();

    const err = await handle.result().then(
      () => assert.fail('a cancelled case must not complete'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
    assert.equal(fx.sandbox.getCase(caseId!)?.caseStatus, DA);
    assert.match(comments(caseId!).at(-1)!, /cancelled by an operator .* left in "Detection and Analysis"/);
  });

  it('continues as new while it waits at a gate, carrying the gate, and stays decidable', async () => {
    const handle = await start(GATED, { continueAsNewAfterEvents: 40 });
    const { caseId } = await pendingFor(handle, CER);
    const firstRunId = (await handle.describe()).runId;

    // Refused decisions and duplicate alerts grow the history while the gate waits.
    for (let i = 1; i <= 8; i++) {
      await handle.signal(approveSignal, { approvalId: 1, by: 'mallory' });
      await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    }
    const moved = await waitFor('a new run, still at the gate', async () => {
      const { runId } = await handle.describe();
      const s = await handle.query(stateQuery);
      return runId !== firstRunId && s.refusalCount === 8 && s.duplicateAlerts === 8 && s.pendingApproval?.approvalId === 1 ? s : undefined;
    }, 30_000);
    assert.equal(moved.caseId, caseId);
    await decideOn(handle, 'approve', 'bob');
    const after = await statusOf(handle, CER);
    assert.deepEqual(after.transitions.map((t) => t.to), [DA, CER]);
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(wf.runId);
    assert.ok(runs.length >= 2, `expected several runs, saw ${runs.length}`);
    await handle.terminate('test done');
  });

  it('continues as new on long histories and carries the whole state over', async () => {
    const handle = await start(GATED, { continueAsNewAfterEvents: 40 });
    const { caseId } = await pendingFor(handle, CER);
    const firstRunId = (await handle.describe()).runId;

    // Reject and re-request until the history passes the threshold a few times over.
    for (let round = 1; round <= 6; round++) {
      await decideOn(handle, 'reject', 'alice', { comment: `round ${round}` });
      await phase(handle, 'awaiting-request');
      await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'dave' }] });
    }
    await decideOn(handle, 'approve', 'bob');
    await statusOf(handle, CER);
    const moved = await pendingFor(handle, PIA);

    const latest = await handle.describe();
    assert.notEqual(latest.runId, firstRunId, 'the workflow should have continued as new');
    assert.equal(moved.caseId, caseId);
    assert.deepEqual(moved.decisions.map((d) => d.decision), [...Array(6).fill('reject'), 'approve']);
    assert.deepEqual(moved.transitions.map((t) => t.to), [DA, CER]);
    // Seven Containment approvals, then the Post-incident gate as #8.
    assert.equal(moved.approvals, 8);
    assert.equal(moved.pendingApproval?.approvalId, 8);
    await handle.terminate('test done');
  });

  it('answers a decision at once while the SIR move it allows is still being retried', async () => {
    const playbook = testPlaybook('slow-sir', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
    const handle = await start(playbook);
    const { caseId } = await pendingFor(handle, CER);
    // Each throttled attempt asks for 3 s: the move takes 6 s or more, the answer must not.
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 2, retryAfterSeconds: 3 });
    const answer = await decideOn(handle, 'approve', 'alice');
    assert.equal(answer.next, 'moving');
    // Answered before SIR took the move: the state it carries still stands in Detection and Analysis.
    assert.equal(answer.state.status, DA);
    assert.equal(fx.sandbox.getCase(caseId!)?.caseStatus, DA);
    const moving = await waitFor('the move under way with its SIR error', async () => {
      const s = await handle.query(stateQuery);
      return s.move?.target === CER ? s : undefined;
    });
    assert.equal(moving.move?.requestedBy, 'playbook');
    const done = await statusOf(handle, CER, 30_000);
    assert.equal(fx.sandbox.getCase(caseId!)?.caseStatus, CER);
    assert.equal(done.move, undefined);
    await handle.result();
  });

  it('refuses decisions with an invalid body and on a playbook that has finished', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const invalid = await refusal(handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'maybe' as never, by: 'alice' }] }));
    assert.equal(invalid.type, 'InvalidRequest');
    const nobody = await refusal(handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: '' }] }));
    assert.equal(nobody.type, 'InvalidRequest');
    const noApproval = await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' } as never] }));
    assert.equal(noApproval.type, 'InvalidRequest');
    await handle.signal(rejectSignal, { approvalId: 1, by: 'alice' });
    await phase(handle, 'awaiting-request');
    await handle.terminate('test done');
  });
});
