/**
 * Human approvals on a real Temporal dev server with a real worker and the SIR sandbox: decisions by
 * update and by signal, refusals, races, rejection, loops back, AWS-supported cases, cancellation,
 * continue-as-new and visibility queries.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case-playbook-input';
import type { CaseState } from '../../src/domain/case-state';
import { approveSignal, decideUpdate, duplicateAlertSignal, rejectSignal, stateQuery, transitionUpdate } from '../../src/domain/messages';
import type { Playbook } from '../../src/domain/playbook';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture } from '../helpers/temporal';
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
    return env.client.workflow.start(casePlaybook, caseWorkflowOptions(input, taskQueue));
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

    const afterContainment = await handle.executeUpdate(decideUpdate, {
      args: [{ decision: 'approve', by: 'alice', comment: 'isolate the instance' }],
    });
    assert.equal(afterContainment.status, CER);

    await pendingFor(handle, PIA);
    await handle.signal(approveSignal, { by: 'carol', groups: ['ir-leads'], comment: 'eradicated' });

    await pendingFor(handle, 'Closed');
    const closed = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    assert.equal(closed.status, 'Closed');

    const outcome = await handle.result();
    assert.equal(outcome.phase, 'closed');
    assert.deepEqual(outcome.transitions.map((t) => [t.to, t.approvedBy ?? null]), [
      [DA, null],
      [CER, 'alice'],
      [PIA, 'carol'],
      ['Closed', 'alice'],
    ]);
    assert.deepEqual(outcome.decisions.map((d) => [d.by, d.decision, d.via, d.phase, d.target]), [
      ['alice', 'approve', 'update', DA, CER],
      ['carol', 'approve', 'signal', CER, PIA],
      ['alice', 'approve', 'update', PIA, 'Closed'],
    ]);
    const [started, ...audit] = comments(outcome.caseId);
    assert.match(started!, new RegExp(`playbook "gated" now drives this case \\(Temporal workflow ${handle.workflowId}\\)`));
    assert.equal(audit.length, 3);
    assert.match(audit[0]!, /alice approved moving case from "Detection and Analysis" to "Containment, Eradication and Recovery".*isolate the instance/);
    assert.match(audit[1]!, /carol approved .*signal.*eradicated/);
    assert.equal(fx.sandbox.getCase(outcome.caseId)?.caseStatus, 'Closed');
  });

  it('refuses a decision from someone who is not an approver, and changes nothing', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);

    const refused = await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'mallory', groups: ['dev'] }] }));
    assert.equal(refused.type, 'NotAnApprover');
    assert.match(refused.message, /mallory is not an approver .* \(approvers: alice, bob\)/);

    const ignored = await handle.signal(approveSignal, { by: 'mallory' }).then(() => handle.query(stateQuery));
    assert.equal(ignored.pendingApproval?.decidedBy, undefined);
    assert.equal(ignored.status, DA);
    assert.equal(ignored.decisions.length, 0);
    await handle.terminate('test done');
  });

  it('lets exactly one of two racing approvers move the case', async () => {
    const handle = await start(GATED);
    const { caseId } = await pendingFor(handle, CER);

    const results = await Promise.allSettled([
      handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] }),
      handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bob' }] }),
    ]);

    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    const cause = (loser.reason as WorkflowUpdateFailedError).cause as ApplicationFailure;
    assert.ok(['DuplicateDecision', 'NoApprovalPending'].includes(cause.type!), `unexpected refusal ${cause.type}`);
    const moves = fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId: caseId! }).filter((c) => c.statusCode === 201);
    assert.deepEqual(moves.map((c) => (c.requestBody as { caseStatus: string }).caseStatus), [DA, CER]);
    await handle.terminate('test done');
  });

  it('keeps the status after a rejection and moves once the request is made and approved again', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);

    const rejected = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', by: 'bob', comment: 'not enough evidence' }] });
    assert.equal(rejected.status, DA);
    const idle = await phase(handle, 'awaiting-request');
    assert.equal(idle.pendingApproval, undefined);

    const refused = await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] }));
    assert.equal(refused.type, 'NoApprovalPending');

    const requested = await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'dave', reason: 'new evidence' }] });
    assert.equal(requested.pendingApproval?.target, CER);
    assert.equal(requested.pendingApproval?.requestedBy, 'dave');

    const moved = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    assert.equal(moved.status, CER);
    assert.deepEqual(moved.decisions.map((d) => d.decision), ['reject', 'approve']);
    assert.match(comments(moved.caseId!)[1]!, /bob rejected .*not enough evidence/);
    await handle.terminate('test done');
  });

  it('loops back to Detection and Analysis and forward again', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    await pendingFor(handle, PIA);
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', by: 'erin', groups: ['ir-leads'], comment: 'persistence found' }] });
    await phase(handle, 'awaiting-request');

    const illegal = await refusal(handle.executeUpdate(transitionUpdate, { args: [{ to: 'Submitted', by: 'erin' }] }));
    assert.equal(illegal.type, 'IllegalTransition');

    const back = await handle.executeUpdate(transitionUpdate, { args: [{ to: DA, by: 'erin', reason: 'persistence found' }] });
    assert.equal(back.status, DA);
    // Forward again: the playbook's Containment gate applies once more.
    const again = await pendingFor(handle, CER);
    assert.equal(again.stepIndex, 0);
    const forward = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bob' }] });
    assert.equal(forward.status, CER);
    assert.deepEqual(forward.transitions.map((t) => `${t.to}/${t.requestedBy}`), [
      `${DA}/playbook`,
      `${CER}/playbook`,
      `${DA}/erin`,
      `${CER}/playbook`,
    ]);
    await handle.terminate('test done');
  });

  it('never calls UpdateCaseStatus on an AWS-supported case and closes it only through CloseCase', async () => {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, resolverType: 'AWS', clientToken: randomUUID() });
    fx.sandbox.setCaseStatus(caseId, 'Acknowledged');
    const handle = await start(GATED, { caseId, newCase: undefined });

    const waiting = await pendingFor(handle, 'Closed');
    assert.equal(waiting.resolverType, 'AWS');
    assert.equal(waiting.status, 'Acknowledged');
    const closed = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    assert.equal(closed.status, 'Closed');
    await handle.result();

    assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).length, 0);
    assert.equal(fx.sandbox.calls.list({ operation: 'CloseCase', caseId }).length, 1);
  });

  it('refuses a human status transition on an AWS-supported case', async () => {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, resolverType: 'AWS', clientToken: randomUUID() });
    const handle = await start(GATED, { caseId, newCase: undefined });
    await pendingFor(handle, 'Closed');
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', by: 'alice', comment: 'AWS still investigating' }] });
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

  it('continues as new on long histories and carries the whole state over', async () => {
    const handle = await start(GATED, { continueAsNewAfterEvents: 40 });
    const { caseId } = await pendingFor(handle, CER);
    const firstRunId = (await handle.describe()).runId;

    // Reject and re-request until the history passes the threshold a few times over.
    for (let round = 1; round <= 6; round++) {
      await handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', by: 'alice', comment: `round ${round}` }] });
      await phase(handle, 'awaiting-request');
      await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'dave' }] });
    }
    const moved = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bob' }] });
    assert.equal(moved.status, CER);

    const latest = await handle.describe();
    assert.notEqual(latest.runId, firstRunId, 'the workflow should have continued as new');
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(wf.runId);
    assert.ok(runs.length >= 2, `expected several runs, saw ${runs.length}`);
    // The new run knows everything the old ones did.
    assert.equal(moved.caseId, caseId);
    assert.deepEqual(moved.decisions.map((d) => d.decision), [...Array(6).fill('reject'), 'approve']);
    assert.deepEqual(moved.transitions.map((t) => t.to), [DA, CER]);
    assert.equal(moved.approvals, 7);
    await handle.terminate('test done');
  });

  it('takes a transition request that arrives while it waits to continue as new', async () => {
    const playbook = testPlaybook('can-wait', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
    // Due after the approved move to Containment, not before the gate opens.
    const handle = await start(playbook, { continueAsNewAfterEvents: 35 });
    await pendingFor(handle, CER);
    const firstRunId = (await handle.describe()).runId;

    // A duplicate alert whose SIR comment is held for 6 s keeps a handler busy, so the continue-as-new
    // after the approval has to wait for it.
    fx.sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 6_000, count: 1 });
    await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    const heldCommentArmed = (): boolean => fx.sandbox.faults.list().some((a) => a.operation === 'CreateCaseComment' && a.fault.kind === 'latency');
    await waitFor('the duplicate comment to reach SIR', async () => (heldCommentArmed() ? undefined : true));
    const approved = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'alice' }] });
    assert.equal(approved.status, CER);
    assert.equal((await handle.describe()).runId, firstRunId, 'still the first run, waiting for the duplicate handler');

    // Before the fix this request was queued and never answered (the wait for handlers included its own).
    const moved = await handle.executeUpdate(transitionUpdate, { args: [{ to: DA, by: 'dave', reason: 'new evidence' }] });
    assert.equal(moved.status, DA);
    assert.deepEqual(moved.transitions.map((t) => t.to), [DA, CER, DA]);

    // Then it continues as new with everything, and the playbook's gate opens again in the new run.
    const next = await waitFor('a new run waiting at the Containment gate', async () => {
      const state = await handle.query(stateQuery);
      const { runId } = await handle.describe();
      return runId !== firstRunId && state.pendingApproval?.target === CER ? state : undefined;
    }, 30_000);
    assert.equal(next.duplicateAlerts, 1);
    assert.deepEqual(next.transitions.map((t) => t.to), [DA, CER, DA]);
    await handle.terminate('test done');
  });

  it('refuses decisions with an invalid body and on a playbook that has finished', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const invalid = await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'maybe' as never, by: 'alice' }] }));
    assert.equal(invalid.type, 'InvalidRequest');
    const nobody = await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: '' }] }));
    assert.equal(nobody.type, 'InvalidRequest');
    await handle.signal(rejectSignal, { by: 'alice' });
    await phase(handle, 'awaiting-request');
    await handle.terminate('test done');
  });
});
