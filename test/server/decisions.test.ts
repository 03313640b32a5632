/**
 * The decisions and transitions API and case inspection against a real server and worker on the shared
 * dev server, in the production trust model: the server attests who decided, the worker checks it and
 * does not trust Temporal access. 200 once recorded, 403 not an approver or unproven, 404 unknown case
 * or approval, 409 no longer pending or finished; the approver is always the token's user.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CaseState } from '../../src/domain/case/state';
import { type DecisionAnswer, type TransitionAnswer, approveSignal, decideUpdate, stateQuery } from '../../src/domain/contract/messages';
import { decisionUpdateId } from '../../src/temporal/case-commands';
import type { casePlaybook } from '../../workflows';
import { DECISION_KEYS, startServerFixture, type ServerFixture, type UserName } from '../helpers/server';
import { createTestWorker } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

/** Opens a case on the NIST default playbook and waits until it asks ir-leads about Containment. */
async function waitingCaseOn(fx: ServerFixture): Promise<{ workflowId: string; caseId: string }> {
  const alert = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'generic-alert.json'), 'utf8')) as Record<string, unknown>;
  alert.id = `${String(alert.id)}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const response = await fx.postAlert(alert);
  assert.equal(response.status, 202);
  const { caseWorkflowId } = (await response.json()) as { caseWorkflowId: string };
  const state = await waitFor('the Containment approval', async () => {
    const s = await fx.env.client.workflow.getHandle(caseWorkflowId).query(stateQuery);
    return s.pendingApproval?.target === CER ? s : undefined;
  });
  return { workflowId: caseWorkflowId, caseId: state.caseId! };
}

function postDecision(fx: ServerFixture, ref: string, user: UserName | undefined, body: unknown): Promise<Response> {
  return fetch(`${fx.url}/v1/cases/${ref}/decisions`, {
    method: 'POST',
    headers: user ? fx.as(user) : { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('decisions API and case inspection', { timeout: 240_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture();
  });
  after(() => fx.close());

  const waitingCase = (): Promise<{ workflowId: string; caseId: string }> => waitingCaseOn(fx);
  const post = (ref: string, user: UserName | undefined, body: unknown): Promise<Response> => postDecision(fx, ref, user, body);

  async function pendingId(workflowId: string): Promise<number> {
    return (await fx.env.client.workflow.getHandle(workflowId).query(stateQuery)).pendingApproval!.approvalId;
  }

  it('records an approval as the token user (200 at once: the move is under way) by SIR case id', async () => {
    const { caseId, workflowId } = await waitingCase();
    const approvalId = await pendingId(workflowId);
    const response = await post(caseId, 'alice', { approvalId, decision: 'approve', comment: 'contain now' });
    assert.equal(response.status, 200, await response.clone().text());
    const answer = (await response.json()) as DecisionAnswer;
    assert.deepEqual([answer.approvalId, answer.result, answer.next, answer.by, answer.target], [approvalId, 'approved', 'moving', 'alice', CER]);
    assert.deepEqual(answer.state.decisions.map((d) => [d.by, d.decision, d.comment, d.proof]), [['alice', 'approve', 'contain now', 'attested']]);
    const moved = await waitFor('the move', async () => {
      const state = (await (await fetch(`${fx.url}/v1/cases/${caseId}`, { headers: fx.as('bob') })).json()) as CaseState;
      return state.status === CER ? state : undefined;
    });
    assert.equal(moved.transitions.at(-1)?.approvedBy, 'alice');
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('answers the same decision repeated by the same user with its first outcome, and never decides the next gate', async () => {
    const { caseId, workflowId } = await waitingCase();
    const approvalId = await pendingId(workflowId);
    const first = (await (await post(caseId, 'alice', { approvalId, decision: 'approve' })).json()) as DecisionAnswer;
    await waitFor('the next gate', async () => ((await pendingId(workflowId).catch(() => 0)) > approvalId ? true : undefined));
    const repeated = await post(caseId, 'alice', { approvalId, decision: 'approve' });
    assert.equal(repeated.status, 200);
    assert.deepEqual(await repeated.json(), first);
    const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
    assert.equal(state.pendingApproval?.decidedBy, undefined, 'the next gate is still open');
    assert.equal(state.decisions.length, 1);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('refuses a user who is not an approver with 403, naming the approvers', async () => {
    const { caseId, workflowId } = await waitingCase();
    const response = await post(caseId, 'bob', { approvalId: await pendingId(workflowId), decision: 'approve' });
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error: string; details: Array<{ message: string }> };
    assert.match(body.error, /bob is not an approver .*group:ir-leads/);
    assert.equal(body.details[0]!.message, 'NotAnApprover');
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('ignores any approver name in the body: the token decides who approves', async () => {
    const { caseId, workflowId } = await waitingCase();
    const forged = await post(caseId, 'bob', { approvalId: await pendingId(workflowId), decision: 'approve', by: 'alice' });
    assert.equal(forged.status, 400);
    assert.match(JSON.stringify(await forged.json()), /by/);
    const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
    assert.equal(state.decisions.length, 0);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('answers 409 saying what became of an approval that is no longer pending', async () => {
    const { caseId, workflowId } = await waitingCase();
    const approvalId = await pendingId(workflowId);
    assert.equal((await post(caseId, 'alice', { approvalId, decision: 'reject', comment: 'false positive?' })).status, 200);
    const again = await post(caseId, 'alice', { approvalId, decision: 'approve' });
    assert.equal(again.status, 409);
    const body = (await again.json()) as { error: string; details: Array<{ message: string }> };
    assert.match(body.error, new RegExp(`approval #${approvalId} to move to "${CER}" was rejected by alice`));
    assert.equal(body.details[0]!.message, 'ApprovalNotPending');
    const unknown = await post(caseId, 'alice', { approvalId: approvalId + 40, decision: 'approve' });
    assert.equal(unknown.status, 404);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('refuses a raw Temporal decision without proof (403 UnprovenIdentity) and records the refusal on the case', async () => {
    const { workflowId } = await waitingCase();
    const handle = fx.env.client.workflow.getHandle<typeof casePlaybook>(workflowId);
    const approvalId = await pendingId(workflowId);
    // Anyone with write access to the namespace, claiming a real approver and group: not proven.
    const err = await handle.executeUpdate(decideUpdate, { args: [{ approvalId, decision: 'approve', by: 'alice', groups: ['ir-leads'] }] }).then(
      () => assert.fail('an unattested decision must be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'UnprovenIdentity');
    await handle.signal(approveSignal, { approvalId, by: 'alice', groups: ['ir-leads'] });
    const state = await waitFor('both refusals on record', async () => {
      const s = await handle.query(stateQuery);
      return s.refusalCount === 2 ? s : undefined;
    });
    assert.deepEqual(state.refusals?.map((r) => [r.by, r.type]), [['alice', 'UnprovenIdentity'], ['alice', 'UnprovenIdentity']]);
    assert.equal(state.pendingApproval?.decidedBy, undefined);
    // A forged attestation is no better.
    const forged = DECISION_KEYS.attest({ kind: 'decide', namespace: fx.env.namespace ?? 'default', workflowId, approvalId, decision: 'reject' }, 'alice', ['ir-leads']);
    await handle.signal(approveSignal, { approvalId, by: 'alice', attestation: forged });
    const after = await waitFor('the forged one refused', async () => {
      const s = await handle.query(stateQuery);
      return s.refusalCount === 3 ? s : undefined;
    });
    assert.match(after.refusals!.at(-1)!.message, /does not match this decision by alice/);
    assert.equal(after.decisions.length, 0);
    await handle.terminate('test done');
  });

  it('takes a transition request from the token user, answers a retry of it, and refuses a second one while it waits', async () => {
    const { caseId, workflowId } = await waitingCase();
    const approvalId = await pendingId(workflowId);
    await post(caseId, 'alice', { approvalId, decision: 'reject' });
    await waitFor('the case to wait for a request', async () => ((await fx.env.client.workflow.getHandle(workflowId).query(stateQuery)).phase === 'awaiting-request' ? true : undefined));
    const ask = (user: UserName, body: unknown): Promise<Response> =>
      fetch(`${fx.url}/v1/cases/${caseId}/transitions`, { method: 'POST', headers: fx.as(user), body: JSON.stringify(body) });
    const first = await ask('bob', { to: CER, reason: 'new evidence', requestId: 'bob-req-1' });
    assert.equal(first.status, 200, await first.clone().text());
    const answer = (await first.json()) as TransitionAnswer;
    assert.deepEqual([answer.result, answer.approvalId, answer.duplicate], ['awaiting-approval', approvalId + 1, false]);
    assert.equal(answer.state.pendingApproval?.requestedBy, 'bob');
    // The same request id is the same Temporal update: the first answer, nothing queued again.
    const retried = (await (await ask('bob', { to: CER, reason: 'new evidence', requestId: 'bob-req-1' })).json()) as TransitionAnswer;
    assert.deepEqual(retried, answer);
    assert.equal((await fx.env.client.workflow.getHandle(workflowId).query(stateQuery)).approvals, approvalId + 1);
    const other = await ask('carol', { to: 'Post-incident Activities' });
    assert.equal(other.status, 409);
    assert.match(((await other.json()) as { error: string }).error, /is pending .* decide it first/);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('answers a decision while SIR throttles the move, and GET shows the move, its attempt and last SIR error', async () => {
    const { caseId, workflowId } = await waitingCase();
    const approvalId = await pendingId(workflowId);
    // Each throttled attempt asks for 4 s: the move takes twelve seconds or more, the answer must not wait for it.
    fx.sandbox.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 3, retryAfterSeconds: 4 });
    const response = await post(caseId, 'alice', { approvalId, decision: 'approve' });
    assert.equal(response.status, 200);
    const answer = (await response.json()) as DecisionAnswer;
    assert.equal(answer.next, 'moving');
    assert.equal(answer.state.status, 'Detection and Analysis', 'answered before SIR took the move');
    const moving = await waitFor('the move with its SIR error', async () => {
      const state = (await (await fetch(`${fx.url}/v1/cases/${caseId}`, { headers: fx.as('bob') })).json()) as CaseState;
      return state.move?.lastError && (state.move.attempt ?? 0) >= 2 ? state : undefined;
    }, 30_000);
    assert.equal(moving.move?.target, CER);
    assert.match(moving.move.lastError!, /Throttling/);
    await waitFor('the move made', async () => {
      const state = (await (await fetch(`${fx.url}/v1/cases/${caseId}`, { headers: fx.as('bob') })).json()) as CaseState;
      return state.status === CER && !state.move ? true : undefined;
    }, 30_000);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('tells the token user who they are (GET /v1/me)', async () => {
    const me = await fetch(`${fx.url}/v1/me`, { headers: fx.as('alice') });
    assert.deepEqual(await me.json(), { name: 'alice', groups: ['ir-leads'] });
  });

  it('answers 409 once the case has finished', async () => {
    const { workflowId } = await waitingCase();
    await fx.env.client.workflow.getHandle(workflowId).terminate('finished for the test');
    const response = await post(workflowId, 'alice', { approvalId: 1, decision: 'approve' });
    assert.equal(response.status, 409);
  });

  it('answers 404 for an unknown case, by SIR id and by workflow id', async () => {
    assert.equal((await post('9999999999', 'alice', { approvalId: 1, decision: 'approve' })).status, 404);
    assert.equal((await post('case-does-not-exist', 'alice', { approvalId: 1, decision: 'approve' })).status, 404);
  });

  it('requires a valid bearer token', async () => {
    const none = await post('9999999999', undefined, { approvalId: 1, decision: 'approve' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="phasegate"');
    const wrong = await fetch(`${fx.url}/v1/cases/9999999999/decisions`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      body: '{"approvalId":1,"decision":"approve"}',
    });
    assert.equal(wrong.status, 401);
    for (const path of ['/v1/cases/9999999999', '/v1/cases', '/v1/me']) {
      assert.equal((await fetch(`${fx.url}${path}`)).status, 401, `GET ${path} needs a token`);
    }
  });

  it('shows a case (GET /v1/cases/:id) and lists waiting cases by status and approval', async () => {
    const { caseId, workflowId } = await waitingCase();
    const one = await fetch(`${fx.url}/v1/cases/${caseId}`, { headers: fx.as('bob') });
    assert.equal(one.status, 200);
    const state = (await one.json()) as CaseState;
    assert.equal(state.workflowId, workflowId);
    assert.equal(state.pendingApproval?.target, CER);

    const listed = await waitFor('the case in the list', async () => {
      const r = await fetch(`${fx.url}/v1/cases?status=${encodeURIComponent(DA)}&awaitingApproval=true`, { headers: fx.as('bob') });
      const body = (await r.json()) as { cases: Array<{ workflowId: string; caseId: string; awaitingApproval: boolean; playbook: string }> };
      return body.cases.find((c) => c.workflowId === workflowId);
    });
    assert.deepEqual([listed.caseId, listed.awaitingApproval, listed.playbook], [caseId, true, 'nist-800-61-default']);

    const notWaiting = await fetch(`${fx.url}/v1/cases?awaitingApproval=false`, { headers: fx.as('bob') });
    const body = (await notWaiting.json()) as { cases: Array<{ workflowId: string }> };
    assert.ok(!body.cases.some((c) => c.workflowId === workflowId));
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('reports health and Prometheus metrics for requests, alerts and decisions', async () => {
    const health = await fetch(`${fx.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', temporal: 'ok' });

    const metrics = await (await fetch(`${fx.url}/metrics`)).text();
    assert.match(metrics, /phasegate_http_requests_total\{route="\/v1\/alerts",method="POST",code="202"\} \d+/);
    assert.match(metrics, /phasegate_http_request_duration_seconds_bucket\{le="0.1",route="\/v1\/cases\/:caseId\/decisions",method="POST"\} \d+/);
    assert.match(metrics, /phasegate_alerts_total\{outcome="accepted"\} [1-9]/);
    assert.match(metrics, /phasegate_decisions_total\{decision="approve",result="refused"\} [1-9]/);
  });

  it('reports the cases waiting for a decision as phasegate_approvals_pending', async () => {
    const { workflowId } = await waitingCase();
    const pending = await waitFor('a pending approval in the gauge', async () => {
      const text = await (await fetch(`${fx.url}/metrics`)).text();
      const value = Number(/^phasegate_approvals_pending (\d+)$/m.exec(text)?.[1] ?? 0);
      return value >= 1 ? value : undefined;
    });
    assert.ok(pending >= 1);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });
});

describe('one person\'s decision arriving as a signal and as an update (SPEC §3)', { timeout: 120_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture({ worker: false });
  });
  after(() => fx.close());

  /** The production worker (attested decisions only), stopped and started by the test. */
  async function startWorker(): Promise<() => Promise<void>> {
    // As the fixture's own worker: the server's playbooks (verified-start checks each start against them).
    const worker = await createTestWorker(fx.env, fx.sandbox.sir, fx.taskQueue, { decisionKeys: DECISION_KEYS, trustTemporalAccess: false }, undefined, undefined, fx.workerPlaybooks);
    const running = worker.run();
    return async () => {
      worker.shutdown();
      await running;
    };
  }

  it('answers the update with the first outcome (200, never 409) when both reach the case together, and records one decision and no refusal', async () => {
    let stopWorker = await startWorker();
    // A worker left running would keep the file's process alive after a failure: stop it whatever happens.
    let waiting: Awaited<ReturnType<typeof waitingCaseOn>>;
    try {
      waiting = await waitingCaseOn(fx);
    } catch (err) {
      await stopWorker();
      throw err;
    }
    const { workflowId } = waiting;
    const handle = fx.env.client.workflow.getHandle<typeof casePlaybook>(workflowId);
    const approvalId = (await handle.query(stateQuery)).pendingApproval!.approvalId;
    // With no worker both wait for the case's next workflow task, so each one's proof is checked while the other's is.
    await stopWorker();
    const attestation = DECISION_KEYS.attest({ kind: 'decide', namespace: fx.env.namespace ?? 'default', workflowId, approvalId, decision: 'approve' }, 'alice', ['ir-leads']);
    await handle.signal(approveSignal, { approvalId, by: 'alice', attestation });
    const response = postDecision(fx, workflowId, 'alice', { approvalId, decision: 'approve' });
    const updateId = decisionUpdateId({ approvalId, by: 'alice', decision: 'approve' });
    await waitFor('the update admitted by Temporal', async () =>
      fx.env.client.workflowService
        .pollWorkflowExecutionUpdate({
          namespace: fx.env.namespace ?? 'default',
          updateRef: { workflowExecution: { workflowId }, updateId },
          waitPolicy: { lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        })
        .then(
          () => true,
          () => undefined,
        ),
    );
    stopWorker = await startWorker();
    try {
      const answered = await response;
      assert.equal(answered.status, 200, await answered.clone().text());
      const answer = (await answered.json()) as DecisionAnswer;
      assert.deepEqual([answer.approvalId, answer.by, answer.result, answer.next], [approvalId, 'alice', 'approved', 'moving']);
      const state = await waitFor('the signal taken too', async () => {
        const s = await handle.query(stateQuery);
        return s.pendingApproval?.approvalId !== approvalId || s.status === CER ? s : undefined;
      });
      assert.deepEqual(state.decisions.map((d) => [d.approvalId, d.by, d.decision]), [[approvalId, 'alice', 'approve']], 'one decision, taken once');
      assert.equal(state.refusalCount ?? 0, 0, `no refusal: ${JSON.stringify(state.refusals)}`);
      assert.doesNotMatch(state.note ?? '', /refused/);
      // And again by HTTP, later: the same first outcome.
      const again = await postDecision(fx, workflowId, 'alice', { approvalId, decision: 'approve' });
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as DecisionAnswer).result, 'approved');
      await handle.terminate('test done');
    } finally {
      await stopWorker();
    }
  });
});
