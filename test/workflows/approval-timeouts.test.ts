/**
 * Approval deadlines measured in days, run in seconds on Temporal's Java time-skipping test server:
 * escalation after 72 h (a URL from the workflow input is not sent to), and the reject and approve
 * timeout actions (on a part-approved quorum gate the clock is the decider, `decision-outcomes`).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { decideUpdate, stateQuery } from '../../src/domain/contract/messages';
import type { ApprovalSpec } from '../../src/domain/playbook/playbook';
import { casePlaybook } from '../../workflows';
import { TIMEOUT_ACTOR } from '../../src/domain/case/decision-rules';
import { startReceiver } from '../helpers/http-receiver';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const HOUR = 3_600_000;
const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

describe('approval timeouts (time-skipping test server)', { concurrency: 1, timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('timeouts', 'time-skipping'));
  });
  after(() => close());

  async function start(approval: ApprovalSpec): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `timeouts-${randomUUID()}`,
      playbook: testPlaybook('timeouts', [DA, { status: CER, approval }]),
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    const handle = await env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
    await waitFor('the approval to open', async () => ((await handle.query(stateQuery)).pendingApproval ? true : undefined));
    return handle;
  }

  const comments = (caseId: string) =>
    fx.sandbox.calls.list({ operation: 'CreateCaseComment', caseId }).map((c) => (c.requestBody as { body: string }).body);

  it('escalates after 72 h (sending nothing to a URL in its input), then the escalation approver approves', async (t) => {
    const hook = await startReceiver(() => ({ status: 204 }));
    // Closed however the test ends: a listening server left behind would keep the test process alive.
    t.after(() => hook.close());
    // Cases started before playbooks lost the URL form of escalation.notify carry it in their input.
    const handle = await start({
      approvers: ['alice'],
      timeoutMs: 72 * HOUR,
      onTimeout: 'escalate',
      escalation: { approvers: ['group:ciso'], timeoutMs: 24 * HOUR, onTimeout: 'reject', notifyUrl: `${hook.url}/escalations` },
    });
    const before72 = await handle.query(stateQuery);
    assert.equal(before72.pendingApproval?.escalated, false);
    const firstDeadline = Date.parse(before72.pendingApproval.deadline!);

    await env.sleep('71 hours');
    assert.equal((await handle.query(stateQuery)).pendingApproval?.escalated, false, 'escalated too early');
    await env.sleep('2 hours');

    const escalated = await waitFor('the escalation', async () => {
      const state = await handle.query(stateQuery);
      return state.pendingApproval?.escalated ? state : undefined;
    });
    assert.deepEqual(escalated.pendingApproval?.approvers, ['group:ciso']);
    assert.equal(Date.parse(escalated.pendingApproval.deadline!) - firstDeadline, 24 * HOUR);
    const notes = await waitFor('the escalation comment', async () => {
      const all = comments(escalated.caseId!);
      return all.length >= 2 ? all : undefined;
    });
    assert.match(notes[0]!, /playbook "timeouts" now drives this case/);
    assert.match(notes[1]!, /no decision from alice within 3d; escalated to group:ciso/);
    // The case still asks for the older hook; the worker refuses it once, and the case goes on.
    const refusal = await waitFor('the refused escalation notice', async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return events.map((e) => e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).find((t) => t === 'EscalationUrlRefused');
    });
    assert.equal(refusal, 'EscalationUrlRefused');
    assert.equal(hook.requests.length, 0, 'nothing was POSTed to the URL from the workflow input');

    const refused = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] }).then(
      () => assert.fail('alice is no longer an approver after escalation'),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof WorkflowUpdateFailedError && refused.cause instanceof ApplicationFailure);
    assert.equal(refused.cause.type, 'NotAnApprover');

    // frank is in ciso in the worker's users file; the message asserts no group.
    const moved = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'frank' }] });
    assert.deepEqual([moved.result, moved.next], ['approved', 'moving']);
    const outcome = await handle.result();
    assert.equal(outcome.status, CER);
    assert.deepEqual(outcome.decisions.map((d) => [d.by, d.decision, d.via]), [['frank', 'approve', 'update']]);
  });

  it('rejects on timeout when the playbook says so, and keeps the status', async () => {
    const handle = await start({ approvers: ['alice'], timeoutMs: 4 * HOUR, onTimeout: 'reject' });
    await env.sleep('5 hours');
    const state = await waitFor('the timeout rejection', async () => {
      const s = await handle.query(stateQuery);
      return s.phase === 'awaiting-request' ? s : undefined;
    });
    assert.equal(state.status, DA);
    assert.deepEqual(state.decisions.map((d) => [d.by, d.decision, d.via]), [[TIMEOUT_ACTOR, 'reject', 'timeout']]);
    const rejection = await waitFor('the timeout comment', async () => comments(state.caseId!).find((c) => c.includes('approval #1 rejected')));
    assert.match(rejection, /by phasegate-timeout \(timeout/);
    await handle.terminate('test done');
  });

  it('records the clock as the decider when a part-approved quorum gate approves on timeout, keeping the approval it had as partial', async () => {
    const handle = await start({ approvers: ['alice', 'bob'], minApprovers: 2, timeoutMs: 4 * HOUR, onTimeout: 'approve' });
    const counted = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice', comment: 'contain' }] });
    assert.deepEqual([counted.result, counted.approvalsNeeded], ['counted', 1]);
    await env.sleep('5 hours');
    const outcome = await handle.result();
    assert.equal(outcome.status, CER);
    const moved = outcome.transitions.at(-1)!;
    assert.deepEqual([moved.to, moved.approvedBy, moved.partialApprovals], [CER, TIMEOUT_ACTOR, 'alice'], 'the timeout moved the case; alice alone did not');
    assert.deepEqual(outcome.decisions.map((d) => [d.by, d.decision, d.via]), [['alice', 'approve', 'update'], [TIMEOUT_ACTOR, 'approve', 'timeout']]);
    const state = await handle.query(stateQuery);
    assert.deepEqual(state.approvalOutcomes?.map((o) => [o.decision, o.by, o.partialApprovals]), [['approve', [TIMEOUT_ACTOR], ['alice']]]);
    const audit = await waitFor('the decision comment', async () => comments(state.caseId!).find((c) => c.includes('approval #1 approved')));
    assert.match(audit, /approved moving case from "Detection and Analysis" to "Containment, Eradication and Recovery" by phasegate-timeout \(timeout, .*\): no decision before the deadline.*; counted before the deadline: alice \(update, .*\): contain/);
  });

  it('approves on timeout when the playbook says so, and moves the case', async () => {
    const handle = await start({ approvers: ['alice'], timeoutMs: 72 * HOUR, onTimeout: 'approve' });
    await env.sleep('73 hours');
    const outcome = await handle.result();
    assert.equal(outcome.status, CER);
    assert.deepEqual(outcome.transitions.map((t) => [t.to, t.approvedBy ?? null]), [
      [DA, null],
      [CER, TIMEOUT_ACTOR],
    ]);
  });
});
