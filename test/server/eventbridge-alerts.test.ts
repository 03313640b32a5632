/**
 * POST /v1/alerts as an EventBridge API destination calls it: the Connection's API key header or Basic
 * credentials from PHASEGATE_ALERT_KEYS, against a real server, the shared dev server, a worker and the
 * sandbox. Key rotation, key scope (403), refusals by reason in /metrics, keys kept out of the logs,
 * and the HMAC scheme still working beside them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { alertFingerprint } from '../../src/domain/alert/fingerprint';
import { stateQuery } from '../../src/domain/contract/messages';
import { createLogger } from '../../src/cli/logger';
import { AlertKeyring } from '../../src/server/alert-keys';
import { sha256Hex } from '../../src/config/users';
import { startServerFixture, type ServerFixture } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const OLD_KEY = `pgk-${randomBytes(24).toString('hex')}`;
const NEW_KEY = `pgk-${randomBytes(24).toString('hex')}`;
const SIR_KEY = `pgk-${randomBytes(24).toString('hex')}`;
const GENERIC_KEY = `pgk-${randomBytes(24).toString('hex')}`;

const keys = new AlertKeyring([
  { name: 'eb-findings-2026-10', keySha256: sha256Hex(OLD_KEY), sources: ['guardduty', 'securityhub'] },
  { name: 'eb-findings-2026-11', keySha256: sha256Hex(NEW_KEY), sources: ['guardduty', 'securityhub'] },
  { name: 'eb-sir', keySha256: sha256Hex(SIR_KEY), sources: ['sir-events'] },
  { name: 'siem', keySha256: sha256Hex(GENERIC_KEY), sources: ['generic'] },
]);

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as Record<string, unknown>;

function guardduty(suffix: string): Record<string, unknown> {
  const body = structuredClone(fixture('guardduty-finding-event.json'));
  const detail = body.detail as Record<string, unknown>;
  detail.id = `${String(detail.id)}${suffix}`;
  return body;
}

function securityhub(suffix: string): Record<string, unknown> {
  const body = structuredClone(fixture('securityhub-findings-imported.json'));
  const finding = (body.detail as { findings: Array<Record<string, unknown>> }).findings[0]!;
  finding.Id = `${String(finding.Id)}-${suffix}`;
  return body;
}

function generic(suffix: string): Record<string, unknown> {
  return { ...fixture('generic-alert.json'), id: `eb-generic-${suffix}` };
}

/** An event as AWS Security Incident Response publishes it to EventBridge. */
const sirEvent = {
  version: '0',
  id: 'b5d6e7f8-1a2b-4c3d-9e8f-0a1b2c3d4e5f',
  'detail-type': 'Case Updated',
  source: 'aws.security-ir',
  account: '111122223333',
  time: '2026-11-20T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { caseId: '1234567890', updatedBy: 'arn:aws:sts::111122223333:assumed-role/Analyst/alice' },
};

const basic = (name: string, key: string): string => `Basic ${Buffer.from(`${name}:${key}`).toString('base64')}`;

interface ErrorBody {
  error: string;
  details: Array<{ path: string; message: string }>;
}

describe('POST /v1/alerts from EventBridge API destinations (API key, Basic)', { timeout: 240_000 }, () => {
  let fx: ServerFixture;
  const logs: string[] = [];
  const started: string[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    // Debug level: whatever the server would ever log about a request is in `logs`.
    const logger = createLogger({ PHASEGATE_LOG_LEVEL: 'debug' }, sink);
    fx = await startServerFixture({ alertKeys: keys, logger });
  });
  after(async () => {
    for (const id of started) await fx.env.client.workflow.getHandle(id).terminate('test done').catch(() => undefined);
    await fx.close();
  });

  function post(body: unknown, headers: Record<string, string>): Promise<Response> {
    return fetch(`${fx.url}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  async function accepted(response: Response): Promise<string> {
    assert.equal(response.status, 202, await response.clone().text());
    const body = (await response.json()) as { caseWorkflowId: string; duplicate: boolean };
    started.push(body.caseWorkflowId);
    return body.caseWorkflowId;
  }

  async function metric(name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${fx.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('opens the case for a GuardDuty finding sent with the API key header', async () => {
    const workflowId = await accepted(await post(guardduty(`-apikey-${Date.now()}`), { 'x-phasegate-api-key': NEW_KEY }));
    const state = await waitFor('the case to open', async () => {
      const s = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
      return s.caseId ? s : undefined;
    });
    assert.equal(state.playbook, 'guardduty-high-severity');
    assert.ok(fx.sandbox.sandbox.getCase(state.caseId!), 'the SIR case exists in the sandbox');
  });

  it('opens the case for a Security Hub finding sent with Basic credentials', async () => {
    const workflowId = await accepted(await post(securityhub(`basic-${Date.now()}`), { authorization: basic('eb-findings-2026-11', NEW_KEY) }));
    const description = await fx.env.client.workflow.getHandle(workflowId).describe();
    assert.equal(description.type, 'casePlaybook');
  });

  it('takes the old and the new key during a rotation, and /metrics says which key each request used', async () => {
    const oldBefore = await metric('phasegate_alert_senders_total', 'scheme="api-key",key="eb-findings-2026-10"');
    const newBefore = await metric('phasegate_alert_senders_total', 'scheme="api-key",key="eb-findings-2026-11"');
    await accepted(await post(guardduty(`-rot-old-${Date.now()}`), { 'x-phasegate-api-key': OLD_KEY }));
    await accepted(await post(guardduty(`-rot-new-${Date.now()}`), { 'x-phasegate-api-key': NEW_KEY }));
    await accepted(await post(guardduty(`-rot-new2-${Date.now()}`), { 'x-phasegate-api-key': NEW_KEY }));
    assert.equal(await metric('phasegate_alert_senders_total', 'scheme="api-key",key="eb-findings-2026-10"'), oldBefore + 1);
    assert.equal(await metric('phasegate_alert_senders_total', 'scheme="api-key",key="eb-findings-2026-11"'), newBefore + 2);
  });

  it('answers 403 when a key sends a source it may not, naming the key and the source, and starts nothing', async () => {
    const before403 = await metric('phasegate_alert_refusals_total', 'reason="source_not_allowed"');
    const alert = generic(`scope-${Date.now()}`);
    const response = await post(alert, { 'x-phasegate-api-key': NEW_KEY });
    assert.equal(response.status, 403);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error, 'this key may not send this alert source');
    assert.deepEqual(body.details, [{ path: '(body)', message: 'key "eb-findings-2026-11" may send guardduty, securityhub; this is a generic alert (generic)' }]);

    const sirRefused = await post(sirEvent, { authorization: basic('siem', GENERIC_KEY) });
    assert.equal(sirRefused.status, 403);
    assert.match(((await sirRefused.json()) as ErrorBody).details[0]!.message, /key "siem" may send generic; this is an AWS Security Incident Response event \(sir-events\)/);

    assert.equal(await metric('phasegate_alert_refusals_total', 'reason="source_not_allowed"'), before403 + 2);
    const workflowId = `case-${alertFingerprint({ source: 'generic', id: String(alert.id) })}`;
    await assert.rejects(fx.env.client.workflow.getHandle(workflowId).describe(), /not found/i, 'no workflow was started');
    // The same alert with a key allowed to send it goes through, to the workflow the 403 did not start.
    assert.equal(await accepted(await post(alert, { 'x-phasegate-api-key': GENERIC_KEY })), workflowId);
  });

  it('lets the sir-events key past authentication and scope with an aws.security-ir event', async () => {
    const response = await post(sirEvent, { 'x-phasegate-api-key': SIR_KEY });
    assert.notEqual(response.status, 401, await response.clone().text());
    assert.notEqual(response.status, 403, await response.clone().text());
    if (response.status === 202) started.push(((await response.json()) as { caseWorkflowId: string }).caseWorkflowId);
    const refused = await post(sirEvent, { 'x-phasegate-api-key': NEW_KEY });
    assert.equal(refused.status, 403);
  });

  const unauthenticated: Array<[string, () => Record<string, string>, string, string]> = [
    ['no credentials', () => ({}), 'missing_credentials', 'X-Phasegate-Api-Key'],
    ['an unknown API key', () => ({ 'x-phasegate-api-key': `pgk-${randomBytes(24).toString('hex')}` }), 'unknown_key', 'X-Phasegate-Api-Key'],
    ['a right key under another Basic name', () => ({ authorization: basic('eb-sir', NEW_KEY) }), 'unknown_key', 'Authorization'],
    ['a user bearer token', () => ({ authorization: 'Bearer not-for-alerts' }), 'malformed_authorization', 'Authorization'],
    ['a key and Basic at once', () => ({ 'x-phasegate-api-key': NEW_KEY, authorization: basic('eb-findings-2026-11', NEW_KEY) }), 'ambiguous_credentials', 'Authorization'],
  ];
  for (const [what, headers, reason, path] of unauthenticated) {
    it(`refuses ${what} with 401 {error, details}, counted as ${reason}`, async () => {
      const before401 = await metric('phasegate_alert_refusals_total', `reason="${reason}"`);
      const response = await post(guardduty(`-unauth-${Date.now()}`), headers());
      assert.equal(response.status, 401);
      const body = (await response.json()) as ErrorBody;
      assert.ok(body.error.length > 0);
      assert.ok(body.details.some((d) => d.path === path), JSON.stringify(body.details));
      assert.equal(await metric('phasegate_alert_refusals_total', `reason="${reason}"`), before401 + 1);
    });
  }

  it('still takes HMAC-signed alerts beside the keys', async () => {
    await accepted(await fx.postAlert(generic(`hmac-${Date.now()}`)));
  });

  it('never writes a key or a Basic credential to the logs', async () => {
    await post(guardduty(`-logcheck-${Date.now()}`), { 'x-phasegate-api-key': OLD_KEY }).then(accepted);
    const all = logs.join('');
    assert.ok(all.includes('case started'), 'the server logged (the check below looks at real output)');
    for (const secret of [OLD_KEY, NEW_KEY, SIR_KEY, GENERIC_KEY]) {
      assert.equal(all.includes(secret), false, 'a key appears in the logs');
      assert.equal(all.includes(Buffer.from(secret).toString('base64').slice(0, 24)), false, 'a Basic credential appears in the logs');
    }
  });
});
