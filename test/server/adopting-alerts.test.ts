/**
 * An alert that names its SIR case, through the whole production chain: POST /v1/alerts, the server
 * attesting the start with its decision keys, and a worker that does not trust Temporal access
 * adopting the case only because the attestation checks out (issue 18: Temporal write access does
 * not let anyone adopt a case; phasegate's own doors do).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { stateQuery } from '../../src/domain/contract/messages';
import { playbookSha256 } from '../../src/domain/playbook/hash';
import { startServerFixture, type ServerFixture } from '../helpers/server';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { waitFor } from '../helpers/wait';

/** A signature with this secret may adopt an existing SIR case (PHASEGATE_WEBHOOK_ADOPT_SECRET). */
const ADOPT_SECRET = `whsec-adopt-${randomBytes(16).toString('hex')}`;
const GENERIC = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'generic-alert.json'), 'utf8')) as Record<string, unknown>;

describe('an alert adopting its SIR case (server attests, worker checks)', { timeout: 120_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture({ adoptSecrets: [ADOPT_SECRET] });
  });
  after(() => fx.close());

  it('adopts the case named by the alert, with the server\'s start attestation as the reason', async () => {
    const { caseId } = await fx.sandbox.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
    const response = await fx.postAlert({ ...GENERIC, id: `adopt-${randomUUID()}`, caseId }, { secret: ADOPT_SECRET });
    assert.equal(response.status, 202, await response.clone().text());
    const { caseWorkflowId } = (await response.json()) as { caseWorkflowId: string };
    const handle = fx.env.client.workflow.getHandle(caseWorkflowId);

    const state = await waitFor('the case to be adopted', async () => {
      const s = await handle.query(stateQuery);
      return s.caseId ? s : undefined;
    });
    assert.equal(state.caseId, caseId);
    const playbook = fx.playbooks.find((p) => p.name === state.playbook)!;
    assert.deepEqual(state.verifiedStart, { playbookSha256: playbookSha256(playbook), caseIdProof: 'attested' });
    assert.equal(state.adoption?.by, 'signature:adopt-secret-1');

    // What the server sent: the playbook's hash, and an attestation that carries no key.
    const { events } = await handle.fetchHistory();
    const started = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = JSON.parse(Buffer.from(started!.data!).toString()) as CasePlaybookInput;
    assert.equal(input.playbookSha256, playbookSha256(playbook));
    assert.deepEqual(Object.keys(input.startAttestation ?? {}).sort(), ['issuedAt', 'keyId', 'mac']);
    // The attestation covers who allowed the adoption: the worker checked it over the same record.
    assert.deepEqual(input.adoption, state.adoption);
    await handle.terminate('test done');
  });

  it('starts a new case (no case to adopt) without an attestation', async () => {
    const response = await fx.postAlert({ ...GENERIC, id: `new-${randomUUID()}` });
    assert.equal(response.status, 202, await response.clone().text());
    const { caseWorkflowId } = (await response.json()) as { caseWorkflowId: string };
    const handle = fx.env.client.workflow.getHandle(caseWorkflowId);
    const state = await waitFor('the case to open', async () => {
      const s = await handle.query(stateQuery);
      return s.caseId ? s : undefined;
    });
    assert.equal(state.verifiedStart?.caseIdProof, undefined);
    const { events } = await handle.fetchHistory();
    const input = JSON.parse(Buffer.from(events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!).toString()) as CasePlaybookInput;
    assert.equal(input.startAttestation, undefined);
    await handle.terminate('test done');
  });
});
