/**
 * Starting a case (SPEC §3): whoever can start workflows in the namespace can start casePlaybook with
 * an input of their own making, and the worker drives the case with its IAM role. Since the
 * `verified-start` patch the worker checks the start before any SIR call: the playbook must be its own
 * (name and content hash), a SIR case may be adopted only with the API server's start attestation or
 * under trusted Temporal access, and the workflow must be the alert's (state carried into a first run
 * is refused by every case: carried-state.test.ts). Real dev server, real workers,
 * the SIR sandbox's call log as the witness that a refused start wrote nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { DecisionKeys } from '../../src/attestation/decision-keys';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { decideUpdate, sirCaseChangedSignal, stateQuery } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { PlaybookCatalog } from '../../src/domain/playbook/catalog';
import { playbookSha256 } from '../../src/domain/playbook/hash';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import { testGroupsOf } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture, startSandboxFixture } from '../helpers/sir-sandbox';
import { connectToTestServer, createTestWorker, uniqueTaskQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

/** The worker's own playbook: a human gate before Containment. */
const GATED = testPlaybook('verified', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
/** The same name with the gate taken out: what an attacker with Temporal access would start. */
const GATE_FREE: Playbook = { ...GATED, steps: GATED.steps.map(({ status }) => ({ status })) };

const KEYS = new DecisionKeys([randomBytes(32).toString('hex')]);

describe('verified start (real dev server, real workers, SIR sandbox)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  const strictQueue = uniqueTaskQueue('verified-start');
  const trustingQueue = uniqueTaskQueue('verified-start-trusting');
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];

  before(async () => {
    env = await connectToTestServer();
    fx = await startSandboxFixture();
    const playbooks = new PlaybookCatalog([GATED]);
    // Production: the server's attestations are the only way to adopt a case. `phasegate dev`: Temporal access is trusted.
    for (const [queue, trustTemporalAccess] of [[strictQueue, false], [trustingQueue, true]] as const) {
      const worker = await createTestWorker(env, fx.sir, queue, { decisionKeys: KEYS, trustTemporalAccess, groupsOf: testGroupsOf }, undefined, undefined, playbooks);
      workers.push({ worker, running: worker.run() });
    }
  });
  after(async () => {
    for (const { worker } of workers) worker.shutdown();
    for (const { running } of workers) await running;
    await fx.sandbox.close();
    await env.teardown();
  });

  const newCase = (extra: Partial<CasePlaybookInput> = {}): CasePlaybookInput => ({
    fingerprint: `verified-${randomUUID()}`,
    playbook: GATED,
    severity: 7,
    newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    ...extra,
  });

  async function openSirCase(): Promise<string> {
    return (await fx.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() })).caseId;
  }

  const sirCalls = (): number => fx.sandbox.calls.list().length;

  /** The workflow's failure, once it failed: it must be UnverifiedStart. */
  async function refusal(handle: WorkflowHandle): Promise<ApplicationFailure> {
    // A start that is not refused runs, and may park at a gate for ever.
    const stillRunning = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the start was not refused: the case still runs')), 15_000).unref());
    const err = await Promise.race([handle.result(), stillRunning]).then(
      () => assert.fail('the start should have been refused'),
      (e: unknown) => e,
    );
    await handle.terminate('test done').catch(() => undefined);
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
    assert.equal(err.cause.type, 'UnverifiedStart');
    assert.equal(err.cause.nonRetryable, true);
    return err.cause;
  }

  /** Starts as `temporal workflow start` or any SDK client could: the options phasegate uses, or bare ones. */
  async function refusedBeforeAnySirCall(start: () => Promise<WorkflowHandle>, message: RegExp): Promise<void> {
    const before = sirCalls();
    const handle = await start();
    const failure = await refusal(handle);
    assert.match(failure.message, message);
    assert.equal(sirCalls(), before, 'a refused start makes no SIR call');
    const state = await handle.query(stateQuery).catch(() => undefined);
    assert.ok(state === undefined || state.caseId === undefined, 'no SIR case was opened or adopted');
  }

  it('refuses a gate-free edit of the worker\'s playbook under its name, before any SIR call', async () => {
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, caseWorkflowOptions(newCase({ playbook: GATE_FREE }), strictQueue)),
      /playbook "verified" \(content sha256 [0-9a-f]{64}\) is not this worker's playbook "verified"/,
    );
  });

  it('refuses the gate-free edit even when the start names the hash of the real playbook', async () => {
    const input = newCase({ playbook: GATE_FREE, playbookSha256: playbookSha256(GATED) });
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, { taskQueue: strictQueue, workflowId: `case-${input.fingerprint}`, args: [input] }),
      /the playbook "verified" the start carries has content sha256 [0-9a-f]{64}, not the [0-9a-f]{64} it names/,
    );
  });

  it('refuses a playbook name the worker does not have', async () => {
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, caseWorkflowOptions(newCase({ playbook: { ...GATE_FREE, name: 'no-gates-at-all' } }), strictQueue)),
      /this worker has no playbook "no-gates-at-all" \(its playbook directory has: verified\)/,
    );
  });

  it('refuses a workflow id that is not the alert\'s (CreateCase\'s token would reach the alert\'s case)', async () => {
    const input = newCase();
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, { ...caseWorkflowOptions(input, strictQueue), workflowId: `other-${randomUUID()}` }),
      /the workflow id "other-[^"]+" is not the one of the alert it names \(case-verified-/,
    );
  });

  it('refuses to adopt a SIR case without the server\'s attestation where Temporal access is not trusted', async () => {
    const caseId = await openSirCase();
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, caseWorkflowOptions(newCase({ caseId, newCase: undefined }), strictQueue)),
      new RegExp(`the start adopts SIR case ${caseId}, but nothing proves the phasegate server allowed it`),
    );
    assert.deepEqual(fx.sandbox.calls.list({ caseId }), [], 'no call named the case');
  });

  it('refuses an attestation made for another SIR case', async () => {
    const [attestedFor, target] = [await openSirCase(), await openSirCase()];
    const input = newCase({ caseId: attestedFor, newCase: undefined });
    const options = caseWorkflowOptions(input, strictQueue, { namespace: env.namespace ?? 'default', keys: KEYS });
    const [signed] = options.args;
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, { ...options, args: [{ ...signed, caseId: target }] }),
      /the start attestation does not match this start/,
    );
    assert.equal(fx.sandbox.calls.list({ caseId: target, operation: 'GetCase' }).length, 0);
  });

  it('adopts a SIR case with the server\'s attestation and runs the worker\'s own gates', async () => {
    const caseId = await openSirCase();
    const options = caseWorkflowOptions(newCase({ caseId, newCase: undefined }), strictQueue, { namespace: env.namespace ?? 'default', keys: KEYS });
    const handle = await env.client.workflow.start(casePlaybook, options);
    const state = await waitFor('the gate before Containment', async () => {
      const s = await handle.query(stateQuery);
      return s.pendingApproval?.target === CER ? s : undefined;
    });
    assert.equal(state.caseId, caseId);
    assert.deepEqual(state.verifiedStart, { playbookSha256: playbookSha256(GATED), caseIdProof: 'attested' });
    await handle.executeUpdate(decideUpdate, { args: [{ approvalId: state.pendingApproval!.approvalId, decision: 'approve', by: 'alice', attestation: KEYS.attest({ kind: 'decide', namespace: env.namespace ?? 'default', workflowId: handle.workflowId, approvalId: state.pendingApproval!.approvalId, decision: 'approve' }, 'alice', []) }] });
    assert.equal((await handle.result()).status, CER);
  });

  it('adopts a SIR case without an attestation where the deployment trusts Temporal access', async () => {
    const caseId = await openSirCase();
    const handle = await env.client.workflow.start(casePlaybook, caseWorkflowOptions(newCase({ caseId, newCase: undefined }), trustingQueue));
    const state = await waitFor('the gate before Containment', async () => {
      const s = await handle.query(stateQuery);
      return s.pendingApproval?.target === CER ? s : undefined;
    });
    assert.equal(state.caseId, caseId);
    assert.deepEqual(state.verifiedStart, { playbookSha256: playbookSha256(GATED), caseIdProof: 'trusted-temporal-access' });
    await handle.terminate('test done');
  });

  it('still refuses a gate-free playbook where Temporal access is trusted', async () => {
    await refusedBeforeAnySirCall(
      () => env.client.workflow.start(casePlaybook, caseWorkflowOptions(newCase({ playbook: GATE_FREE }), trustingQueue)),
      /is not this worker's playbook "verified"/,
    );
  });

  it('checks the start once: a run continued as new is not checked again', async () => {
    const handle = await env.client.workflow.start(casePlaybook, caseWorkflowOptions(newCase({ continueAsNewAfterEvents: 10 }), strictQueue));
    const first = handle.workflowId;
    await waitFor('the gate', async () => ((await handle.query(stateQuery)).pendingApproval ? true : undefined));
    // A parked case continues as new when it next wakes with a long history: an event from SIR wakes it.
    await handle.signal(sirCaseChangedSignal, { detailType: 'Case Updated', receivedAt: new Date().toISOString() });
    await waitFor('a second run', async () => {
      const { runId } = await env.client.workflow.getHandle(first).describe();
      return runId !== handle.firstExecutionRunId ? runId : undefined;
    });
    const checks = async (runId: string): Promise<number> => {
      const { events } = await env.client.workflow.getHandle(first, runId).fetchHistory();
      return (events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && Buffer.from(e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data ?? []).toString().includes('"verifyStart"')).length;
    };
    assert.equal(await checks(handle.firstExecutionRunId), 1, 'the first run checked its start');
    const { runId: latest } = await env.client.workflow.getHandle(first).describe();
    assert.equal(await checks(latest), 0, 'the continued run did not');
    await env.client.workflow.getHandle(first).terminate('test done');
  });
});
