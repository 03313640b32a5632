/**
 * POST /v1/alerts against a real server, the shared dev server, a worker and the sandbox: the three
 * sample payloads, duplicates under concurrency, authentication, and Temporal being unreachable.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { stateQuery } from '../../src/domain/contract/messages';
import { buildServer } from '../../src/server/app';
import { signWebhook } from '../../src/server/webhook-signature';
import { OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, injectSignedAlert, startServerFixture, type ServerFixture } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as Record<string, unknown>;

/** A copy of a sample with a fresh identity, so each test opens its own case. */
function fresh(name: string, suffix: string): Record<string, unknown> {
  const body = structuredClone(fixture(name));
  if (body.detail && typeof body.detail === 'object') {
    const detail = body.detail as Record<string, unknown>;
    if (Array.isArray(detail.findings)) {
      const finding = detail.findings[0] as Record<string, unknown>;
      finding.Id = `${String(finding.Id)}-${suffix}`;
    }
    else detail.id = `${String(detail.id)}${suffix}`;
  } else {
    body.id = `${String(body.id)}-${suffix}`;
  }
  return body;
}

describe('POST /v1/alerts', { timeout: 240_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture();
  });
  after(() => fx.close());

  const samples: Array<[string, string, string]> = [
    ['guardduty-finding-event.json', 'guardduty-high-severity', 'GuardDuty high severity'],
    ['guardduty-finding-low.json', 'nist-800-61-default', 'GuardDuty low severity'],
    ['securityhub-findings-imported.json', 'nist-800-61-default', 'Security Hub ASFF'],
    ['generic-alert.json', 'nist-800-61-default', 'generic alert'],
  ];
  for (const [file, playbook, what] of samples) {
    it(`routes a ${what} to ${playbook} and opens its case`, async () => {
      const response = await fx.postAlert(fresh(file, `${Date.now()}`));
      assert.equal(response.status, 202, await response.clone().text());
      const body = (await response.json()) as { caseWorkflowId: string; runId: string; duplicate: boolean };
      assert.equal(body.duplicate, false);
      assert.match(body.caseWorkflowId, /^case-[A-Za-z0-9._:-]+$/);
      assert.ok(body.runId);

      const handle = fx.env.client.workflow.getHandle(body.caseWorkflowId);
      const state = await waitFor('the case to open', async () => {
        const s = await handle.query(stateQuery);
        return s.caseId ? s : undefined;
      });
      assert.equal(state.playbook, playbook);
      const stored = fx.sandbox.sandbox.getCase(state.caseId!);
      assert.ok(stored, 'the SIR case exists in the sandbox');
      await handle.terminate('test done');
    });
  }

  it('starts exactly one workflow for 50 identical alerts posted at once', async () => {
    const alert = fresh('guardduty-finding-event.json', `burst-${Date.now()}`);
    // Fifty deliveries of one alert, each its own signed request (as separate senders or a sender that
    // re-serialises would make them): byte-identical copies within a second are replays of one request,
    // answered from memory (see the replay test in test/integration/sir-events-chain.test.ts).
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => fx.postAlert(alert, { raw: JSON.stringify(alert, null, i % 10) + ' '.repeat(Math.floor(i / 10)) })));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ caseWorkflowId: string; runId: string; duplicate: boolean }>;

    assert.deepEqual([...new Set(responses.map((r) => r.status))], [202]);
    assert.equal(new Set(bodies.map((b) => b.caseWorkflowId)).size, 1);
    assert.equal(new Set(bodies.map((b) => b.runId)).size, 1);
    assert.equal(bodies.filter((b) => !b.duplicate).length, 1);

    const workflowId = bodies[0]!.caseWorkflowId;
    const runs: string[] = [];
    for await (const wf of fx.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf.runId);
    assert.ok(runs.length <= 1, `expected one run, found ${runs.length}`);
    const handle = fx.env.client.workflow.getHandle(workflowId);
    const state = await waitFor('49 duplicates recorded', async () => {
      const s = await handle.query(stateQuery);
      return s.duplicateAlerts === 49 ? s : undefined;
    });
    const creates = fx.sandbox.sandbox.calls.list({ operation: 'CreateCase' }).filter((c) => c.statusCode === 201);
    assert.equal(creates.filter((c) => (c.requestBody as { clientToken: string }).clientToken === `phasegate:${workflowId.slice(5)}`).length, 1);
    // Repeats are mentioned once per window: the first at once, the other 48 counted for one later comment.
    assert.equal(state.duplicateWindow?.uncommented, 48);
    await waitFor('the first duplicate comment', async () =>
      fx.sandbox.sandbox.getComments(state.caseId!).filter((c) => /same alert arrived again/.test(c.body)).length === 1 ? true : undefined,
    );
    await handle.terminate('test done');
  });

  it('answers a resent alert with duplicate: true and the same workflow', async () => {
    const alert = fresh('generic-alert.json', `resend-${Date.now()}`);
    const first = (await (await fx.postAlert(alert)).json()) as { caseWorkflowId: string; duplicate: boolean };
    const again = await fx.postAlert(alert);
    assert.equal(again.status, 202);
    const second = (await again.json()) as { caseWorkflowId: string; duplicate: boolean };
    assert.deepEqual([first.duplicate, second.duplicate], [false, true]);
    assert.equal(second.caseWorkflowId, first.caseWorkflowId);
    await fx.env.client.workflow.getHandle(first.caseWorkflowId).terminate('test done');
  });

  it('accepts the previous secret during a rotation', async () => {
    const response = await fx.postAlert(fresh('generic-alert.json', `rotated-${Date.now()}`), { secret: OLD_WEBHOOK_SECRET });
    assert.equal(response.status, 202);
    const { caseWorkflowId } = (await response.json()) as { caseWorkflowId: string };
    await fx.env.client.workflow.getHandle(caseWorkflowId).terminate('test done');
  });

  const authFailures: Array<[string, (raw: string) => Record<string, string>, RegExp]> = [
    ['a missing signature', () => ({}), /missing x-phasegate-signature/],
    ['a malformed signature', () => ({ 'x-phasegate-signature': 'sha256=abc' }), /malformed/],
    ['a wrong secret', (raw) => ({ 'x-phasegate-signature': signWebhook('not-the-secret', raw) }), /does not match/],
    ['a stale signature', (raw) => ({ 'x-phasegate-signature': signWebhook(WEBHOOK_SECRET, raw, now() - 600) }), /s old/],
    ['a future-dated signature', (raw) => ({ 'x-phasegate-signature': signWebhook(WEBHOOK_SECRET, raw, now() + 600) }), /in the future/],
    [
      'a replayed old signature',
      (raw) => ({ 'x-phasegate-signature': signWebhook(WEBHOOK_SECRET, raw, now() - 3600) }),
      /s old/,
    ],
    ['a signature of another body', () => ({ 'x-phasegate-signature': signWebhook(WEBHOOK_SECRET, '{"other":true}') }), /does not match/],
  ];
  for (const [name, headers, reason] of authFailures) {
    it(`refuses ${name} with 401 and a JSON reason, starting nothing`, async () => {
      const alert = fresh('generic-alert.json', `auth-${Date.now()}`);
      const raw = JSON.stringify(alert);
      const response = await fetch(`${fx.url}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers(raw) }, body: raw });
      assert.equal(response.status, 401);
      const body = (await response.json()) as { error: string; details: Array<{ path: string; message: string }> };
      assert.equal(body.error, 'invalid signature');
      assert.equal(body.details[0]!.path, 'X-Phasegate-Signature');
      assert.match(body.details[0]!.message, reason);
    });
  }

  it('answers 503 with Retry-After when Temporal is unreachable, and starts nothing', async () => {
    const deadTemporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const app = await buildServer({ client: deadTemporal, playbooks: fx.playbooks, webhookSecrets: [WEBHOOK_SECRET] });
    try {
      const response = await injectSignedAlert(app, fresh('generic-alert.json', `dead-${Date.now()}`));
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '5');
      assert.match(response.json<{ error: string }>().error, /Temporal is unreachable/);
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 503);
    } finally {
      await app.close();
    }
  });
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}
