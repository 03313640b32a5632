/**
 * The decisions API and case inspection against a real server and worker on the shared dev server:
 * 200 with the new state, 403 not an approver, 404 unknown case, 409 nothing pending or finished; the
 * approver is always the token's user.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaseState } from '../../src/domain/case-state';
import { stateQuery } from '../../src/domain/messages';
import { startServerFixture, type ServerFixture, type UserName } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

describe('decisions API and case inspection', { timeout: 240_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture();
  });
  after(() => fx.close());

  /** Opens a case on the NIST default playbook and waits until it asks ir-leads about Containment. */
  async function waitingCase(): Promise<{ workflowId: string; caseId: string }> {
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

  function post(ref: string, user: UserName | undefined, body: unknown): Promise<Response> {
    return fetch(`${fx.url}/v1/cases/${ref}/decisions`, {
      method: 'POST',
      headers: user ? fx.as(user) : { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it('approves as the token user (200, new state) by SIR case id', async () => {
    const { caseId, workflowId } = await waitingCase();
    const response = await post(caseId, 'alice', { decision: 'approve', comment: 'contain now' });
    assert.equal(response.status, 200, await response.clone().text());
    const state = (await response.json()) as CaseState;
    assert.equal(state.status, CER);
    assert.deepEqual(state.decisions.map((d) => [d.by, d.decision, d.comment]), [['alice', 'approve', 'contain now']]);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('refuses a user who is not an approver with 403, naming the approvers', async () => {
    const { caseId, workflowId } = await waitingCase();
    const response = await post(caseId, 'bob', { decision: 'approve' });
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error: string; details: Array<{ message: string }> };
    assert.match(body.error, /bob is not an approver .*group:ir-leads/);
    assert.equal(body.details[0]!.message, 'NotAnApprover');
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('ignores any approver name in the body: the token decides who approves', async () => {
    const { caseId, workflowId } = await waitingCase();
    const forged = await post(caseId, 'bob', { decision: 'approve', by: 'alice' });
    assert.equal(forged.status, 400);
    assert.match(JSON.stringify(await forged.json()), /by/);
    const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
    assert.equal(state.decisions.length, 0);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('answers 409 when no approval is pending', async () => {
    const { caseId, workflowId } = await waitingCase();
    assert.equal((await post(caseId, 'alice', { decision: 'reject', comment: 'false positive?' })).status, 200);
    const again = await post(caseId, 'alice', { decision: 'approve' });
    assert.equal(again.status, 409);
    assert.match(((await again.json()) as { error: string }).error, /no approval is pending/);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('answers 409 once the case has finished', async () => {
    const { workflowId } = await waitingCase();
    await fx.env.client.workflow.getHandle(workflowId).terminate('finished for the test');
    const response = await post(workflowId, 'alice', { decision: 'approve' });
    assert.equal(response.status, 409);
  });

  it('answers 404 for an unknown case, by SIR id and by workflow id', async () => {
    assert.equal((await post('9999999999', 'alice', { decision: 'approve' })).status, 404);
    assert.equal((await post('case-does-not-exist', 'alice', { decision: 'approve' })).status, 404);
  });

  it('requires a valid bearer token', async () => {
    const none = await post('9999999999', undefined, { decision: 'approve' });
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="phasegate"');
    const wrong = await fetch(`${fx.url}/v1/cases/9999999999/decisions`, {
      method: 'POST',
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      body: '{"decision":"approve"}',
    });
    assert.equal(wrong.status, 401);
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
