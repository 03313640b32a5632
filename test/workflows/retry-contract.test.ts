/**
 * The UpdateCaseStatus retry contract (SPEC §2) end to end: Temporal dev server → worker → activity →
 * SIR client → sandbox over loopback, with faults injected in the sandbox.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { SelfManagedStatus } from '../../src/domain/case/status';
import { stateQuery } from '../../src/domain/contract/messages';
import { SirCaseId, SirCaseStatus } from '../../src/domain/contract/search-attributes';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { TEST_PLAYBOOKS, startWorkerFixture } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

describe('casePlaybook retry contract (real dev server, real sandbox)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('retry-contract'));
  });
  after(() => close());

  async function openCase(): Promise<string> {
    return (await fx.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() })).caseId;
  }

  /** Started with bare options (no summary, no search attributes); the worker holds the playbook. */
  function adopt(caseId: string, steps: SelfManagedStatus[], close = false): CasePlaybookInput {
    const playbook = testPlaybook('test', steps, { close });
    TEST_PLAYBOOKS.add(playbook);
    return { fingerprint: `test-${randomUUID()}`, caseId, playbook };
  }

  function run(input: CasePlaybookInput) {
    return env.client.workflow.execute(casePlaybook, { taskQueue, workflowId: `case-${input.fingerprint}`, args: [input] });
  }

  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => assert.fail('the workflow should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure cause, got ${String(err.cause)}`);
    return err.cause;
  }

  const updates = (caseId: string) => fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId });

  for (const fault of [
    { kind: 'throttle' as const, type: 'ThrottlingException', status: 429 },
    { kind: 'internal' as const, type: 'InternalServerException', status: 500 },
  ]) {
    it(`retries ${fault.type} twice, honouring Retry-After, then completes`, async () => {
      const caseId = await openCase();
      fx.sandbox.faults.inject('UpdateCaseStatus', { kind: fault.kind, count: 2, retryAfterSeconds: 3 });

      const outcome = await run(adopt(caseId, ['Detection and Analysis']));

      assert.equal(outcome.status, 'Detection and Analysis');
      assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
      const calls = updates(caseId);
      assert.deepEqual(calls.map((c) => c.statusCode), [fault.status, fault.status, 201]);
      assert.deepEqual(calls.map((c) => c.errorType), [fault.type, fault.type, undefined]);
      // Our own backoff would wait 1 s then 2 s; Retry-After: 3 must win both times.
      const gaps = [calls[1]!.at - calls[0]!.at, calls[2]!.at - calls[1]!.at];
      for (const gap of gaps) assert.ok(gap >= 2_900, `retry came after ${gap} ms, before Retry-After (3 s)`);
    });
  }

  it('fails the workflow with ConflictException after exactly one UpdateCaseStatus call', async () => {
    const caseId = await openCase();
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'conflict', caseIds: [caseId] });

    const failure = await failureOf(run(adopt(caseId, ['Detection and Analysis'])));

    assert.equal(failure.type, 'ConflictException');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /UpdateCaseStatus → Detection and Analysis failed: ConflictException/);
    assert.match(failure.message, /RequestId [0-9a-f-]{36}/);
    assert.equal(updates(caseId).length, 1);
    assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    fx.sandbox.faults.clear();
  });

  it('fails the workflow with ValidationException after exactly one UpdateCaseStatus call', async () => {
    const caseId = await openCase();
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'error', name: 'ValidationException', count: 1 });

    const failure = await failureOf(run(adopt(caseId, ['Detection and Analysis'])));

    assert.equal(failure.type, 'ValidationException');
    assert.equal(failure.nonRetryable, true);
    assert.equal(updates(caseId).length, 1);
  });

  it('completes when an earlier attempt already applied the status and its answer was lost', async () => {
    const caseId = await openCase();
    // The first attempt changes the case but its answer is lost (500). Since `read-before-write` the
    // retry reads the case before writing, finds the status it wanted, and writes nothing (before, it
    // wrote again, met the transition table's X → X refusal, and only then read the case).
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'internal', count: 1, afterApply: true });

    const outcome = await run(adopt(caseId, ['Detection and Analysis']));

    assert.equal(outcome.status, 'Detection and Analysis');
    assert.deepEqual(updates(caseId).map((c) => c.errorType), ['InternalServerException']);
    assert.equal(outcome.transitions.length, 1);
    assert.equal(outcome.transitions[0]!.alreadyApplied, true);
    assert.equal(fx.sandbox.calls.list({ operation: 'GetCase', caseId }).length, 3); // adopt + one read per attempt
  });

  it('does not attempt a step the transition table forbids: it waits for a human, with no HTTP call', async () => {
    const caseId = await openCase();
    const input = adopt(caseId, ['Post-incident Activities']);
    const handle = await env.client.workflow.start(casePlaybook, { taskQueue, workflowId: `case-${input.fingerprint}`, args: [input] });

    const state = await waitFor('the case to wait for a request', async () => {
      const s = await handle.query(stateQuery);
      return s.phase === 'awaiting-request' ? s : undefined;
    });
    assert.match(state.note ?? '', /"Submitted" → "Post-incident Activities" is not an allowed UpdateCaseStatus transition/);
    assert.equal(updates(caseId).length, 0);
    await handle.terminate('test done');
  });

  it('opens a case with CreateCase and walks it through every phase to Closed', async () => {
    const fingerprint = `walk-${randomUUID()}`;
    const input: CasePlaybookInput = {
      fingerprint,
      severity: 8.5,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
      playbook: testPlaybook(
        'walk-all',
        ['Detection and Analysis', 'Containment, Eradication and Recovery', 'Post-incident Activities'],
        { close: true },
      ),
    };
    TEST_PLAYBOOKS.add(input.playbook);
    const handle = await env.client.workflow.start(casePlaybook, { taskQueue, workflowId: `case-${fingerprint}`, args: [input] });
    const outcome = await handle.result();

    assert.equal(outcome.status, 'Closed');
    assert.deepEqual(
      outcome.transitions.map((t) => `${t.via}:${t.to}`),
      [
        'UpdateCaseStatus:Detection and Analysis',
        'UpdateCaseStatus:Containment, Eradication and Recovery',
        'UpdateCaseStatus:Post-incident Activities',
        'CloseCase:Closed',
      ],
    );
    const stored = fx.sandbox.getCase(outcome.caseId);
    assert.equal(stored?.caseStatus, 'Closed');
    const creates = fx.sandbox.calls
      .list({ operation: 'CreateCase' })
      .filter((c) => (c.requestBody as { clientToken?: string }).clientToken === `phasegate:${fingerprint}`);
    assert.equal(creates.length, 1, 'one CreateCase carrying the token derived from the fingerprint');
    assert.equal(creates[0]!.statusCode, 201);

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(SirCaseId), outcome.caseId);
    assert.equal(description.typedSearchAttributes.get(SirCaseStatus), 'Closed');
  });
});
