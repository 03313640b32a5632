/**
 * Where PHASEGATE_KEYS is set, a worker takes only payloads sealed with the key ring: a case started
 * with a plain input (any client without the codec, `temporal workflow start` without
 * --codec-endpoint) never runs and makes no SIR call. What Temporal itself keeps unencrypted (search
 * attributes, headers, patch and local-activity markers) still works: a whole case replayed through
 * the codec at every task, and its history replayed afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { approveSignal, decideUpdate, sirCaseChangedSignal, stateQuery } from '../../src/domain/contract/messages';
import { workerDataConverterFromEnv } from '../../src/temporal/data-converter';
import { ENCRYPTED_ENCODING, EncryptionCodec, PLAINTEXT_REFUSED, generateKey, parseKeyRing } from '../../src/temporal/payload-encryption';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { workflowSource } from '../../src/temporal/workflow-bundle';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { registerTestKeyRing } from '../helpers/replay-server';
import { SAMPLE_CASE, startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';
import { TEST_IDENTITY, TEST_PLAYBOOKS, connectToTestServer, testCaseOptions, uniqueTaskQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const KEYS = `plain-test:${generateKey()}`;
// The suite replays every history afterwards; these cases' are sealed with this ring.
registerTestKeyRing(KEYS);

describe('the payload codec of a worker with PHASEGATE_KEYS', () => {
  const codec = new EncryptionCodec(parseKeyRing(KEYS));
  const plain = defaultPayloadConverter.toPayload({ playbook: 'anything' });

  it('refuses to decode a payload that is not encrypted, saying so', async () => {
    await assert.rejects(codec.decode([plain]), (err: Error) => {
      assert.ok(err.message.startsWith(PLAINTEXT_REFUSED), err.message);
      assert.match(err.message, /encoding "json\/plain"/);
      return true;
    });
    // The environment's worker codec is that one.
    const fromEnv = workerDataConverterFromEnv({ PHASEGATE_KEYS: KEYS })?.payloadCodecs?.[0];
    await assert.rejects(fromEnv!.decode([plain]), new RegExp(PLAINTEXT_REFUSED));
  });

  it('lets clients read a plain payload as it is, and opens sealed ones either way', async () => {
    const reader = codec.acceptingPlaintext();
    assert.deepEqual(await reader.decode([plain]), [plain]);
    const sealed = await codec.encode([plain]);
    assert.equal(Buffer.from(sealed[0]!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    for (const c of [codec, reader]) assert.deepEqual(defaultPayloadConverter.fromPayload((await c.decode(sealed))[0]!), { playbook: 'anything' });
  });
});

describe('an encrypting worker on a real dev server', { timeout: 180_000 }, () => {
  const codec = new EncryptionCodec(parseKeyRing(KEYS));
  const taskQueue = uniqueTaskQueue('plaintext-refused');
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    env = await connectToTestServer();
    fx = await startSandboxFixture();
    // No workflow cache: every task replays the case's history through the codec, markers included.
    worker = await createPhasegateWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      sir: fx.sir,
      taskQueue,
      identity: TEST_IDENTITY,
      playbooks: TEST_PLAYBOOKS,
      dataConverter: { payloadCodecs: [codec] },
      tuning: { maxCachedWorkflows: 0 },
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await fx.sandbox.close();
    await env.teardown();
  });

  const sealedClient = (): Client => new Client({ connection: env.connection, namespace: env.namespace, dataConverter: { payloadCodecs: [codec.acceptingPlaintext()] } });
  const plainClient = (): Client => new Client({ connection: env.connection, namespace: env.namespace });

  const input = (extra: Partial<CasePlaybookInput> = {}): CasePlaybookInput => ({
    fingerprint: `plaintext-${randomUUID()}`,
    severity: 6,
    newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    playbook: testPlaybook('plaintext', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }, { status: PIA, approval: { approvers: ['group:ir-leads'], onTimeout: 'reject' } }]),
    ...extra,
  });

  it('never runs a case started with a plain input, and makes no SIR call', async () => {
    const before = fx.sandbox.calls.list().length;
    // The playbook is the worker's own: only the missing encryption stops it.
    const handle = await plainClient().workflow.start(casePlaybook, testCaseOptions(input(), taskQueue));
    const failure = await waitFor('the worker to refuse the first workflow task', async () => {
      const { events } = await handle.fetchHistory();
      return events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined;
    });
    assert.match(failure, new RegExp(`${PLAINTEXT_REFUSED} \\(encoding "json/plain"\\) but PHASEGATE_KEYS is set`));
    // Give it the time it would need to open, comment on and move a case.
    await new Promise((r) => setTimeout(r, 3_000));
    const { events } = await handle.fetchHistory();
    assert.deepEqual(events?.filter((e) => e.markerRecordedEventAttributes || e.activityTaskScheduledEventAttributes || e.workflowTaskCompletedEventAttributes), [], 'no task of the case ever completed');
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'left for an operator to terminate; it never ran');
    assert.equal(fx.sandbox.calls.list().length, before, 'no SIR call');
    await handle.terminate('test done');
  });

  it('runs a whole case through the codec, replaying it at every task: patch and local-activity markers, search attributes, signals, updates, queries, continue-as-new', async () => {
    const client = sealedClient();
    const handle = await client.workflow.start(casePlaybook, testCaseOptions(input({ continueAsNewAfterEvents: 10 }), taskQueue));
    const gate = async (target: string) => waitFor(`the gate before "${target}"`, async () => {
      const s = await handle.query(stateQuery);
      return s.pendingApproval?.target === target ? s : undefined;
    });
    const first = await gate(CER);
    // Wakes the parked case past its history limit: it continues as new, carrying the gate.
    await handle.signal(sirCaseChangedSignal, { detailType: 'Case Updated', receivedAt: new Date().toISOString() });
    await waitFor('a second run', async () => ((await handle.describe()).runId !== handle.firstExecutionRunId ? true : undefined));
    await handle.executeUpdate(decideUpdate, { args: [{ approvalId: first.pendingApproval!.approvalId, decision: 'approve', by: 'alice' }] });
    const second = await gate(PIA);
    await handle.signal(approveSignal, { approvalId: second.pendingApproval!.approvalId, by: 'carol' });
    const outcome = await handle.result();
    assert.equal(outcome.status, PIA);

    const described = await handle.describe();
    assert.equal(described.typedSearchAttributes.getAll().find((p) => p.key.name === 'SirCaseStatus')?.value, PIA);
    // Each run's history, read raw, replays with the worker's own (refusing) codec.
    for (const runId of [handle.firstExecutionRunId, described.runId]) {
      const history = await plainClient().workflow.getHandle(handle.workflowId, runId).fetchHistory();
      const kinds = new Set((history.events ?? []).map((e) => e.markerRecordedEventAttributes?.markerName).filter(Boolean));
      if (runId === handle.firstExecutionRunId) assert.deepEqual([...kinds].sort(), ['core_local_activity', 'core_patch']);
      await Worker.runReplayHistory({ ...workflowSource(), dataConverter: { payloadCodecs: [codec] } }, history, `${handle.workflowId}/${runId}`);
    }
  });
});
