/**
 * Bad input never reaches Temporal and never yields a 500: every row is one request, the status it must
 * get, and the field its `{error, details}` body must name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_BODY_BYTES, buildServer } from '../../src/server/app';
import { signWebhook } from '../../src/server/webhook-signature';
import { injectSignedAlert, startServerFixture, type ServerFixture, USERS, WEBHOOK_SECRET } from '../helpers/server';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as Record<string, unknown>;
const generic = fixture('generic-alert.json');
const guardduty = fixture('guardduty-finding-event.json');
const securityhub = fixture('securityhub-findings-imported.json');
const gdDetail = guardduty.detail as Record<string, unknown>;
const shFinding = (securityhub.detail as { findings: Array<Record<string, unknown>> }).findings[0]!;

interface Row {
  name: string;
  method?: 'GET' | 'POST';
  url?: string;
  /** A JSON value to send, or a raw string. */
  body?: unknown;
  raw?: string;
  contentType?: string | null;
  /** Signed with the webhook secret unless false (alerts only). */
  sign?: boolean;
  auth?: 'alice' | 'none' | 'bogus';
  status: number;
  field: string | RegExp;
}

const bearer = (who: Row['auth']): Record<string, string> =>
  who === 'none' ? {} : { authorization: `Bearer ${who === 'bogus' ? 'not-a-real-token' : USERS.alice.token}` };

const ROWS: Row[] = [
  // POST /v1/alerts: transport
  { name: 'text/plain alert', raw: 'hello', contentType: 'text/plain', status: 415, field: 'Content-Type' },
  { name: 'XML alert', raw: '<alert/>', contentType: 'application/xml', status: 415, field: 'Content-Type' },
  { name: 'alert without a content type', raw: '{}', contentType: null, status: 415, field: 'Content-Type' },
  { name: 'alert over 256 KiB', raw: JSON.stringify({ ...generic, description: 'x'.repeat(MAX_BODY_BYTES) }), status: 413, field: '(body)' },
  { name: 'empty alert body', raw: '', status: 400, field: '(body)' },
  { name: 'malformed JSON', raw: '{"id": "a",', status: 400, field: '(body)' },
  { name: 'JSON null', body: null, status: 400, field: '(body)' },
  { name: 'JSON array', body: [generic], status: 400, field: '(body)' },
  { name: 'JSON string', body: 'alert', status: 400, field: '(body)' },
  { name: 'JSON number', body: 42, status: 400, field: '(body)' },
  // generic alert schema
  { name: 'generic alert without id', body: { ...generic, id: undefined }, status: 400, field: 'id' },
  { name: 'generic alert with a numeric id', body: { ...generic, id: 5 }, status: 400, field: 'id' },
  { name: 'generic alert with an id full of spaces', body: { ...generic, id: 'a b c' }, status: 400, field: 'id' },
  { name: 'generic alert without type', body: { ...generic, type: undefined }, status: 400, field: 'type' },
  { name: 'generic alert with an empty title', body: { ...generic, title: '' }, status: 400, field: 'title' },
  { name: 'generic alert with severity 11', body: { ...generic, severity: 11 }, status: 400, field: 'severity' },
  { name: 'generic alert with severity -1', body: { ...generic, severity: -1 }, status: 400, field: 'severity' },
  { name: 'generic alert with a string severity', body: { ...generic, severity: 'high' }, status: 400, field: 'severity' },
  { name: 'generic alert with an unknown field', body: { ...generic, priority: 'P1' }, status: 400, field: 'priority' },
  { name: 'generic alert with a short account id', body: { ...generic, accountId: '12345' }, status: 400, field: 'accountId' },
  { name: 'generic alert with a bad observedAt', body: { ...generic, observedAt: 'yesterday' }, status: 400, field: 'observedAt' },
  { name: 'generic alert with a bad caseId', body: { ...generic, caseId: 'case-1' }, status: 400, field: 'caseId' },
  { name: 'generic alert with a description over 8000', body: { ...generic, description: 'd'.repeat(8001) }, status: 400, field: 'description' },
  // GuardDuty and Security Hub events
  { name: 'GuardDuty event without a finding id', body: { ...guardduty, detail: { ...gdDetail, id: undefined } }, status: 400, field: 'detail.id' },
  { name: 'GuardDuty event with a string severity', body: { ...guardduty, detail: { ...gdDetail, severity: 'HIGH' } }, status: 400, field: 'detail.severity' },
  { name: 'GuardDuty event with a bad account', body: { ...guardduty, detail: { ...gdDetail, accountId: 'x' } }, status: 400, field: 'detail.accountId' },
  { name: 'Security Hub event with no findings', body: { ...securityhub, detail: { findings: [] } }, status: 400, field: 'detail.findings' },
  {
    name: 'Security Hub finding without Id',
    body: { ...securityhub, detail: { findings: [{ ...shFinding, Id: undefined }] } },
    status: 400,
    field: 'detail.findings[0].Id',
  },
  // authentication of the webhook
  { name: 'unsigned alert', body: generic, sign: false, status: 401, field: 'X-Phasegate-Signature' },
  // POST /v1/cases/:id/decisions
  { name: 'decision without a token', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, decision: 'approve' }, auth: 'none', status: 401, field: 'Authorization' },
  { name: 'decision with an unknown token', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, decision: 'approve' }, auth: 'bogus', status: 401, field: 'Authorization' },
  { name: 'decision without decision', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, comment: 'ok' }, status: 400, field: 'decision' },
  { name: 'decision "maybe"', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, decision: 'maybe' }, status: 400, field: 'decision' },
  { name: 'decision naming an approver in the body', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, decision: 'approve', by: 'alice' }, status: 400, field: /^\(body\)$|^by$/ },
  { name: 'decision with a numeric comment', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, decision: 'approve', comment: 5 }, status: 400, field: 'comment' },
  { name: 'decision with a 2001-character comment', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1, decision: 'approve', comment: 'c'.repeat(2001) }, status: 400, field: 'comment' },
  { name: 'decision on a malformed case id', url: '/v1/cases/abc/decisions', body: { approvalId: 1, decision: 'approve' }, status: 400, field: 'caseId' },
  { name: 'decision with malformed JSON', url: '/v1/cases/1234567890/decisions', raw: '{"decision":', status: 400, field: '(body)' },
  { name: 'decision as text/plain', url: '/v1/cases/1234567890/decisions', raw: 'approve', contentType: 'text/plain', status: 415, field: 'Content-Type' },
  { name: 'decision naming no approval', url: '/v1/cases/1234567890/decisions', body: { decision: 'approve' }, status: 400, field: 'approvalId' },
  { name: 'decision with approvalId "1" (a string)', url: '/v1/cases/1234567890/decisions', body: { approvalId: '1', decision: 'approve' }, status: 400, field: 'approvalId' },
  { name: 'decision with approvalId 0', url: '/v1/cases/1234567890/decisions', body: { approvalId: 0, decision: 'approve' }, status: 400, field: 'approvalId' },
  { name: 'decision with approvalId 1.5', url: '/v1/cases/1234567890/decisions', body: { approvalId: 1.5, decision: 'approve' }, status: 400, field: 'approvalId' },
  // POST /v1/cases/:id/transitions
  { name: 'transition without a token', url: '/v1/cases/1234567890/transitions', body: { to: 'Detection and Analysis' }, auth: 'none', status: 401, field: 'Authorization' },
  { name: 'transition to an unknown status', url: '/v1/cases/1234567890/transitions', body: { to: 'Open' }, status: 400, field: 'to' },
  { name: 'transition to Acknowledged (set by AWS)', url: '/v1/cases/1234567890/transitions', body: { to: 'Acknowledged' }, status: 400, field: 'to' },
  { name: 'transition naming who asks in the body', url: '/v1/cases/1234567890/transitions', body: { to: 'Detection and Analysis', by: 'alice' }, status: 400, field: /^\(body\)$|^by$/ },
  { name: 'transition with a bad requestId', url: '/v1/cases/1234567890/transitions', body: { to: 'Detection and Analysis', requestId: 'a b' }, status: 400, field: 'requestId' },
  // GET /v1/me
  { name: 'who-am-I without a token', method: 'GET', url: '/v1/me', auth: 'none', status: 401, field: 'Authorization' },
  // GET /v1/cases
  { name: 'list with an unknown status', method: 'GET', url: '/v1/cases?status=Open', status: 400, field: 'status' },
  { name: 'list with awaitingApproval=maybe', method: 'GET', url: '/v1/cases?awaitingApproval=maybe', status: 400, field: 'awaitingApproval' },
  { name: 'list with an unknown parameter', method: 'GET', url: '/v1/cases?owner=alice', status: 400, field: /^\(body\)$|owner/ },
  { name: 'list with limit=0', method: 'GET', url: '/v1/cases?limit=0', status: 400, field: 'limit' },
  { name: 'case with a malformed id', method: 'GET', url: '/v1/cases/12', status: 400, field: 'caseId' },
  { name: 'an unknown route', method: 'GET', url: '/v1/nothing-here', status: 404, field: '/v1/nothing-here' },
];

describe('bad input', { timeout: 120_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture({ worker: false });
  });
  after(() => fx.close());

  it(`has at least 30 rows (${ROWS.length})`, () => assert.ok(ROWS.length >= 30));

  for (const row of ROWS) {
    it(`${row.name} → ${row.status}, naming ${String(row.field)}`, async () => {
      const url = row.url ?? '/v1/alerts';
      const raw = row.raw ?? (row.body === undefined ? undefined : JSON.stringify(row.body));
      const isAlert = url === '/v1/alerts';
      const headers: Record<string, string> = {
        ...(row.contentType === null ? {} : { 'content-type': row.contentType ?? 'application/json' }),
        ...(isAlert && row.sign !== false && raw !== undefined ? { 'x-phasegate-signature': signWebhook(WEBHOOK_SECRET, raw) } : {}),
        ...(isAlert ? {} : bearer(row.auth ?? 'alice')),
      };
      const response = await fetch(`${fx.url}${url}`, { method: row.method ?? 'POST', headers, body: row.method === 'GET' ? undefined : raw });

      assert.equal(response.status, row.status, await response.clone().text());
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const body = (await response.json()) as { error: string; details: Array<{ path: string; message: string }> };
      assert.equal(typeof body.error, 'string');
      assert.ok(body.error.length > 0);
      const paths = body.details.map((d) => d.path);
      assert.ok(
        paths.some((p) => (typeof row.field === 'string' ? p === row.field : row.field.test(p))),
        `expected a detail for ${String(row.field)}, got ${JSON.stringify(body.details)}`,
      );
    });
  }

  it('started no workflow for any of them', async () => {
    const started: string[] = [];
    for await (const wf of fx.env.client.workflow.list({ query: `TaskQueue = '${fx.taskQueue}'` })) started.push(wf.workflowId);
    assert.deepEqual(started, []);
  });

  it('answers 422 naming why when no playbook takes the alert', async () => {
    const onlyGuardDuty = fx.playbooks.filter((p) => p.name === 'guardduty-high-severity');
    const app = await buildServer({ client: fx.env.client, playbooks: onlyGuardDuty, webhookSecrets: [WEBHOOK_SECRET] });
    try {
      const response = await injectSignedAlert(app, generic);
      assert.equal(response.statusCode, 422);
      const body = response.json<{ error: string; details: Array<{ message: string }> }>();
      assert.match(body.details[0]!.message, /guardduty-high-severity/);
    } finally {
      await app.close();
    }
  });
});
