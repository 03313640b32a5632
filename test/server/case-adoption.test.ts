/**
 * Issue 18 point 3, "an alert cannot take over an arbitrary case": a generic alert naming an existing
 * SIR case (`caseId`) is a request to adopt it, which only a credential scoped for it may make (an
 * alert key with mayAdoptCases, a signature with a PHASEGATE_WEBHOOK_ADOPT_SECRET). Against a real
 * server, the shared dev server, a worker and the sandbox: refusals are 403 {error, details} naming
 * the missing permission, start no workflow and touch no SIR case; an allowed adopt is recorded in
 * the case state and in the case's first SIR comment under the credential's name, never a secret.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaseState } from '../../src/domain/case/state';
import { alertFingerprint } from '../../src/domain/alert/fingerprint';
import { stateQuery } from '../../src/domain/contract/messages';
import { caseWorkflowId } from '../../src/domain/contract/temporal-names';
import { AlertKeyring } from '../../src/server/alert-keys';
import { sha256Hex } from '../../src/config/users';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, startServerFixture, type ServerFixture } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const ADOPTER_KEY = `pgk-${randomBytes(24).toString('hex')}`;
const SIEM_KEY = `pgk-${randomBytes(24).toString('hex')}`;
const ADOPT_SECRET = `whsec-adopt-${randomBytes(16).toString('hex')}`;
const OLD_ADOPT_SECRET = `whsec-adopt-old-${randomBytes(16).toString('hex')}`;

const keys = new AlertKeyring([
  { name: 'soc-adopter', keySha256: sha256Hex(ADOPTER_KEY), sources: ['generic'], mayAdoptCases: true },
  { name: 'siem', keySha256: sha256Hex(SIEM_KEY), sources: ['generic'] },
]);

const GENERIC = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'generic-alert.json'), 'utf8')) as Record<string, unknown>;

interface ErrorBody {
  error: string;
  details: Array<{ path: string; message: string }>;
}

describe('adopting an existing SIR case is a permission (POST /v1/alerts)', { timeout: 240_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture({ alertKeys: keys, adoptSecrets: [OLD_ADOPT_SECRET, ADOPT_SECRET] });
  });
  after(() => fx.close());

  /** A SIR case someone else opened: what an alert's caseId points at. */
  async function existingCase(): Promise<string> {
    const { caseId } = await fx.sandbox.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
    return caseId;
  }

  const alertNaming = (caseId: string, suffix: string): Record<string, unknown> => ({ ...GENERIC, id: `adopt-${suffix}-${randomUUID()}`, caseId });
  const workflowIdOf = (alert: Record<string, unknown>): string => caseWorkflowId(alertFingerprint({ source: 'generic', id: String(alert.id) }));

  const withKey = (body: unknown, key: string): Promise<Response> =>
    fetch(`${fx.url}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-phasegate-api-key': key }, body: JSON.stringify(body) });

  const refusalsMetric = async (): Promise<number> => {
    const text = await (await fetch(`${fx.url}/metrics`)).text();
    return Number(/^phasegate_alert_refusals_total\{reason="adoption_not_allowed"\} (\d+)/m.exec(text)?.[1] ?? NaN);
  };

  async function assertNothingStarted(alert: Record<string, unknown>, caseId: string): Promise<void> {
    await assert.rejects(fx.env.client.workflow.getHandle(workflowIdOf(alert)).describe(), /not found/i, 'no workflow started');
    // Only the test's own CreateCase touched the SIR case: no GetCase, no move, no comment.
    assert.deepEqual(fx.sandbox.sandbox.calls.list({ caseId }).map((c) => c.operation), []);
    assert.equal(fx.sandbox.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    assert.equal(fx.sandbox.sandbox.getComments(caseId).length, 0);
  }

  async function adoptedState(workflowId: string): Promise<CaseState> {
    return waitFor('the adopted case driven by its playbook', async () => {
      const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
      return state.caseId && state.phase !== 'opening' ? state : undefined;
    });
  }

  async function startComment(caseId: string): Promise<string> {
    return waitFor('the start comment on the SIR case', async () => fx.sandbox.sandbox.getComments(caseId).find((c) => c.body.includes('now drives this case'))?.body);
  }

  it('refuses a key without mayAdoptCases: 403 naming the key and the missing permission; no workflow, no SIR call', async () => {
    const caseId = await existingCase();
    const before = await refusalsMetric();
    const alert = alertNaming(caseId, 'siem');
    const response = await withKey(alert, SIEM_KEY);
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), {
      error: 'this sender may not adopt an existing SIR case',
      details: [
        {
          path: 'caseId',
          message:
            'key "siem" lacks the permission to adopt existing SIR cases: set mayAdoptCases: true on its entry in PHASEGATE_ALERT_KEYS; or leave caseId out to open a new case',
        },
      ],
    });
    assert.equal(await refusalsMetric(), before + 1);
    await assertNothingStarted(alert, caseId);

    // The same key may still open new cases: only the adopt is refused.
    const { caseId: _, ...fresh } = alertNaming(caseId, 'siem-new');
    assert.equal((await withKey(fresh, SIEM_KEY)).status, 202);
  });

  it('refuses the plain webhook secret (old and new): 403 saying to sign with an adopt secret; no workflow, no SIR call', async () => {
    const caseId = await existingCase();
    const before = await refusalsMetric();
    for (const secret of [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET]) {
      const alert = alertNaming(caseId, 'signed');
      const response = await fx.postAlert(alert, { secret });
      assert.equal(response.status, 403);
      const body = (await response.json()) as ErrorBody;
      assert.equal(body.error, 'this sender may not adopt an existing SIR case');
      assert.deepEqual(body.details.map((d) => d.path), ['caseId']);
      assert.match(body.details[0]!.message, /^a signature with PHASEGATE_WEBHOOK_SECRET lacks the permission to adopt existing SIR cases: sign alerts that adopt a case with a secret from PHASEGATE_WEBHOOK_ADOPT_SECRET instead/);
      await assertNothingStarted(alert, caseId);
    }
    assert.equal(await refusalsMetric(), before + 2);
  });

  it('a key with mayAdoptCases adopts the case; the state and the SIR start comment name the key', async () => {
    const caseId = await existingCase();
    const alert = alertNaming(caseId, 'adopter');
    const sentAt = Date.now();
    const response = await withKey(alert, ADOPTER_KEY);
    assert.equal(response.status, 202, await response.clone().text());
    const { caseWorkflowId: workflowId, duplicate } = (await response.json()) as { caseWorkflowId: string; duplicate: boolean };
    assert.deepEqual([workflowId, duplicate], [workflowIdOf(alert), false]);

    const state = await adoptedState(workflowId);
    assert.equal(state.caseId, caseId, 'the named case, not a new one');
    assert.equal(state.adoption?.by, 'key:soc-adopter');
    assert.ok(Math.abs(Date.parse(state.adoption.at) - sentAt) < 60_000, state.adoption.at);

    const comment = await startComment(caseId);
    assert.match(comment, new RegExp(`now drives this case \\(Temporal workflow ${workflowId}\\)\\. The case existed before: an alert naming it adopted it on the authority of key:soc-adopter \\(allowed at ${state.adoption.at.replace(/\./g, '\\.')}\\)\\. Adopted "Submitted": the playbook goes on from the start`));
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('a signature with a PHASEGATE_WEBHOOK_ADOPT_SECRET adopts, recorded by the secret\'s place in the list and never the secret', async () => {
    const caseId = await existingCase();
    const alert = alertNaming(caseId, 'adopt-secret');
    const response = await fx.postAlert(alert, { secret: ADOPT_SECRET });
    assert.equal(response.status, 202, await response.clone().text());
    const { caseWorkflowId: workflowId } = (await response.json()) as { caseWorkflowId: string };

    const state = await adoptedState(workflowId);
    assert.deepEqual([state.caseId, state.adoption?.by], [caseId, 'signature:adopt-secret-2']);
    assert.match(await startComment(caseId), /adopted it on the authority of signature:adopt-secret-2 /);

    const history = payloadTexts(await fx.env.client.workflow.getHandle(workflowId).fetchHistory()).join('\n');
    assert.ok(history.includes('signature:adopt-secret-2'), 'the start input carries who allowed the adopt');
    for (const secret of [ADOPT_SECRET, OLD_ADOPT_SECRET, WEBHOOK_SECRET]) assert.equal(history.includes(secret), false, 'no secret in the history');
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });
});

/** Every payload in a history as text (they are JSON, unencrypted in this test), to look for what it carries. */
function payloadTexts(value: unknown, found: string[] = []): string[] {
  if (value instanceof Uint8Array) return found;
  if (Array.isArray(value)) {
    for (const item of value) payloadTexts(item, found);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && typeof record.metadata === 'object') found.push(Buffer.from(record.data).toString('utf8'));
    for (const item of Object.values(record)) payloadTexts(item, found);
  }
  return found;
}
