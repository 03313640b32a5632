/**
 * Case data in Temporal is unreadable without the key ring: a real case on the dev server, its raw
 * history read by a client without the codec, and the same history decoded with it; key rotation
 * mid-case; the codec on its own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { decideUpdate, stateQuery } from '../../src/domain/contract/messages';
import { ENCRYPTED_ENCODING, EncryptionCodec, generateKey, parseKeyRing } from '../../src/temporal/payload-encryption';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { workflowSource } from '../../src/temporal/workflow-bundle';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';
import { connectToTestServer, uniqueTaskQueue, TEST_IDENTITY, TEST_PLAYBOOKS, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { registerTestKeyRing } from '../helpers/replay-server';

const KEY_A = `key-a:${generateKey()}`;
const KEY_B = `key-b:${generateKey()}`;
// The suite replays every history after the tests (test/helpers/replay-server.ts): it needs these keys.
registerTestKeyRing(KEY_A);
registerTestKeyRing(KEY_B);
const ringA = parseKeyRing(KEY_A);
const ringBA = parseKeyRing(`*${KEY_B},${KEY_A}`);

const SECRET_IP = '203.0.113.77';
const SECRET_ACCOUNT = '444455556666';
const SECRET_TITLE = 'Exfiltration from finance-reports by jdoe';

describe('payload encryption', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  const taskQueue = uniqueTaskQueue('encrypted');

  before(async () => {
    env = await connectToTestServer();
    fx = await startSandboxFixture();
  });
  after(async () => {
    await fx.sandbox.close();
    await env.teardown();
  });

  const clientWith = (codec?: EncryptionCodec) =>
    new Client({ connection: env.connection, namespace: env.namespace, dataConverter: codec ? { payloadCodecs: [codec] } : undefined });

  const workerWith = (codec: EncryptionCodec): Promise<Worker> =>
    createPhasegateWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', sir: fx.sir, taskQueue, identity: TEST_IDENTITY, playbooks: TEST_PLAYBOOKS, dataConverter: { payloadCodecs: [codec] } });

  function input(): CasePlaybookInput {
    return {
      fingerprint: `encrypted-${randomUUID()}`,
      severity: 8,
      newCase: {
        title: SECRET_TITLE,
        description: `Bulk GetObject from ${SECRET_IP}`,
        engagementType: 'Security Incident',
        resolverType: 'Self',
        reportedIncidentStartDate: '2026-11-20T10:00:00.000Z',
        impactedAccounts: [SECRET_ACCOUNT],
        watchers: [],
        threatActorIpAddresses: [{ ipAddress: SECRET_IP }],
      },
      playbook: testPlaybook('encrypted', [
        'Detection and Analysis',
        { status: 'Containment, Eradication and Recovery', approval: { approvers: ['alice'], onTimeout: 'reject' } },
      ]),
    };
  }

  it('keeps every field of the alert out of the raw history, and decodes it with the key ring', async () => {
    const codec = new EncryptionCodec(ringA);
    const worker = await workerWith(codec);
    const handle = await worker.runUntil(async () => {
      const h = await clientWith(codec).workflow.start(casePlaybook, testCaseOptions(input(), taskQueue));
      await waitFor('the approval', async () => ((await h.query(stateQuery)).pendingApproval ? true : undefined));
      await h.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice', comment: `isolate ${SECRET_IP}` }] });
      await h.result();
      return h;
    });

    const raw = await clientWith().workflow.getHandle(handle.workflowId).fetchHistory();
    const text = JSON.stringify(raw, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    for (const secret of [SECRET_IP, SECRET_ACCOUNT, SECRET_TITLE, 'finance-reports', 'jdoe']) {
      assert.ok(!text.includes(secret), `"${secret}" is readable in the raw history`);
    }
    const started = raw.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    assert.equal(Buffer.from(started?.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING);

    const [decoded] = await codec.decode([started!]);
    const workflowInput = defaultPayloadConverter.fromPayload<CasePlaybookInput>(decoded!);
    assert.equal(workflowInput.newCase?.title, SECRET_TITLE);
    assert.deepEqual(workflowInput.newCase?.impactedAccounts, [SECRET_ACCOUNT]);
    // Search attributes are never encrypted: they hold only ids, statuses, the playbook, severity and code version.
    const attrs = (await clientWith().workflow.getHandle(handle.workflowId).describe()).typedSearchAttributes;
    assert.deepEqual(
      attrs.getAll().map((p) => p.key.name).filter((n) => !['BuildIds', 'TemporalChangeVersion'].includes(n)).sort(),
      ['AlertSeverity', 'AwaitingApproval', 'PhasegateCodeVersion', 'PlaybookName', 'SirCaseId', 'SirCaseStatus'],
    );
  });

  it('replays the encrypted history with the codec', async () => {
    const codec = new EncryptionCodec(ringA);
    const worker = await workerWith(codec);
    const workflowId = await worker.runUntil(async () => {
      const h = await clientWith(codec).workflow.start(casePlaybook, testCaseOptions(input(), taskQueue));
      await waitFor('the approval', async () => ((await h.query(stateQuery)).pendingApproval ? true : undefined));
      await h.terminate('replay test');
      return h.workflowId;
    });
    const history = await clientWith().workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory({ ...workflowSource(), dataConverter: { payloadCodecs: [codec] } }, history, workflowId);
  });

  it('completes a case started under key A after key B becomes current, and decodes both', async () => {
    const codecA = new EncryptionCodec(ringA);
    const started = await (await workerWith(codecA)).runUntil(async () => {
      const h = await clientWith(codecA).workflow.start(casePlaybook, testCaseOptions(input(), taskQueue));
      await waitFor('the approval', async () => ((await h.query(stateQuery)).pendingApproval ? true : undefined));
      return h.workflowId;
    });

    // Rotation: every process now encrypts with B and still reads A.
    const codecBA = new EncryptionCodec(ringBA);
    const outcome = await (await workerWith(codecBA)).runUntil(async () => {
      const h = clientWith(codecBA).workflow.getHandle<typeof casePlaybook>(started);
      await h.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] });
      return h.result();
    });
    assert.equal(outcome.status, 'Containment, Eradication and Recovery');

    const history = await clientWith().workflow.getHandle(started).fetchHistory();
    const keyIds = new Set<string>();
    for (const event of history.events ?? []) {
      const payloads = [
        ...(event.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
        ...(event.activityTaskCompletedEventAttributes?.result?.payloads ?? []),
        ...(event.workflowExecutionCompletedEventAttributes?.result?.payloads ?? []),
      ];
      for (const p of payloads) keyIds.add(Buffer.from(p.metadata?.['encryption-key-id'] ?? []).toString());
      const decoded = await codecBA.decode(payloads);
      for (const p of decoded) assert.notEqual(Buffer.from(p.metadata?.encoding ?? []).toString(), ENCRYPTED_ENCODING);
    }
    assert.deepEqual([...keyIds].sort(), ['key-a', 'key-b']);
    await assert.rejects(new EncryptionCodec(parseKeyRing(KEY_B)).decode(
      (history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
    ), /encrypted with key "key-a", which is not in PHASEGATE_KEYS/);
  });
});

describe('key ring (PHASEGATE_KEYS)', () => {
  const k = generateKey();
  const cases: Array<[string, string, RegExp]> = [
    ['empty', ' , ', /empty/],
    ['no id', `:${k}`, /entry 1 must be <id>:<base64 key>/],
    ['short key', 'a:c2hvcnQ=', /"a" must be 32 bytes/],
    ['not base64', `a:${'!'.repeat(44)}`, /"a" must be 32 bytes/],
    ['two current', `*a:${k},*b:${k}`, /more than one key as current/],
    ['no current among several', `a:${k},b:${k}`, /mark the current one/],
    ['duplicate id', `*a:${k},a:${k}`, /lists key "a" twice/],
  ];
  for (const [name, value, message] of cases) {
    it(`refuses ${name}, without echoing key material`, () => {
      assert.throws(() => parseKeyRing(value), (err: Error) => {
        assert.match(err.message, message);
        assert.ok(!err.message.includes(k));
        return true;
      });
    });
  }

  it('takes a single key as current and a marked one among several', () => {
    assert.equal(parseKeyRing(`only:${k}`).currentId, 'only');
    assert.equal(parseKeyRing(`old:${k}, *new:${generateKey()}`).currentId, 'new');
  });

  it('detects tampering (GCM authentication)', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`a:${k}`));
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ secret: 1 })]);
    const data = Buffer.from(sealed!.data!);
    data.writeUInt8(data.readUInt8(data.length - 20) ^ 1, data.length - 20);
    await assert.rejects(codec.decode([{ ...sealed!, data }]));
  });
});

