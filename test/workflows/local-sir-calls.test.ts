/**
 * SIR calls as local activities first (cases since `local-sir-calls`, issue 14), on the real dev
 * server and sandbox: a local attempt that SIR answered but whose answer came too late (or came as a
 * 500) is recognised by the queued call that takes over (no drift, no second write), while an
 * analyst's move to the very target is drift, not phasegate's move (`own-writes-only`, issue 18); and
 * a worker with a task-queue-wide SIR rate limit makes every call queued, so the limit holds for every
 * SIR call.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { stateQuery } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { createPhasegateWorker } from '../../src/temporal/worker';
import { casePlaybook } from '../../workflows';
import { decideOn } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { TEST_IDENTITY, TEST_PLAYBOOKS, startWorkerFixture, uniqueTaskQueue, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const ANALYST = 'arn:aws:iam::123456789012:user/analyst';
const GATED = testPlaybook('local-sir-calls', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('SIR calls as local activities first (real dev server, real sandbox)', { timeout: 120_000 }, () => {
  let fixture: Awaited<ReturnType<typeof startWorkerFixture>>;
  let fx: SandboxFixture;

  before(async () => {
    fixture = await startWorkerFixture('local-sir-calls');
    fx = fixture.fx;
  });
  after(() => fixture.close());

  function start(playbook: Playbook, taskQueue = fixture.taskQueue): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `local-sir-calls-${randomUUID()}`,
      playbook,
      severity: 5,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    return fixture.env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
  }

  const parkedAt = (handle: WorkflowHandle<typeof casePlaybook>, target: string): Promise<CaseState> =>
    waitFor(`an approval pending for "${target}"`, async () => {
      const state = await handle.query(stateQuery);
      return state.pendingApproval?.target === target ? state : undefined;
    }, 30_000);

  const scheduled = (history: HistoryEvent[]): string[] =>
    history.flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
  const statusWrites = (caseId: string): string[] =>
    fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).map((c) => (c.requestBody as { caseStatus: string }).caseStatus);
  /** Local activities that are SIR calls (the worker's check of the start, verifyStart, is not one). */
  const localMarkers = (history: HistoryEvent[]): number =>
    history.filter(
      (e) =>
        e.markerRecordedEventAttributes?.markerName === 'core_local_activity' &&
        !Buffer.from(e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data ?? []).toString().includes('"verifyStart"'),
    ).length;

  it('takes a move SIR made for a local attempt that timed out as made: no second write, no drift', async () => {
    // SIR applies the status, then answers after 6 s: past the 5 s local try.
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'latency', ms: 6_000, count: 1 });
    const handle = await start(GATED);
    const parked = await parkedAt(handle, CER);

    assert.equal(parked.status, DA);
    assert.equal(parked.driftCount ?? 0, 0, `no drift: ${JSON.stringify(parked.drifts)}`);
    assert.equal(parked.transitions.length, 1);
    assert.equal(parked.transitions[0]!.to, DA);
    assert.equal(parked.transitions[0]!.alreadyApplied, true, 'the queued call found the local attempt\'s write');
    const writes = fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId: parked.caseId! });
    assert.equal(writes.length, 1, 'UpdateCaseStatus reached SIR once');
    const history = (await handle.fetchHistory()).events ?? [];
    assert.ok(scheduled(history).includes('moveCase'), 'the move went on as a queued activity');
    const firstQueued = history.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'moveCase');
    assert.ok(history.slice(0, firstQueued).some((e) => e.timerStartedEventAttributes != null), 'a backoff timer before the queued call');
    await handle.terminate('test done');
  });

  it('takes a move SIR applied before answering 500 as made: one write, its own, no drift', async () => {
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'internal', count: 1, afterApply: true, retryAfterSeconds: 1 });
    const handle = await start(GATED);
    const parked = await parkedAt(handle, CER);
    assert.equal(parked.driftCount ?? 0, 0, `no drift: ${JSON.stringify(parked.drifts)}`);
    assert.deepEqual(parked.transitions.map((t) => [t.to, t.alreadyApplied]), [[DA, true]]);
    assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId: parked.caseId! }).length, 1);
    await handle.terminate('test done');
  });

  // Issue 18 point 7: the audit trail says who moved the case. Only a try that may have written counts as phasegate's.
  it('records an analyst\'s move to the very target its approved move was for as drift, not as its own transition', async () => {
    const handle = await start(GATED);
    const { caseId } = await parkedAt(handle, CER);
    await fx.sandbox.changeCase(caseId!, { caseStatus: CER, updatedBy: ANALYST });
    await decideOn(handle, 'approve', 'alice');
    await handle.result();
    const state = await handle.query(stateQuery);
    assert.deepEqual(state.transitions.map((t) => [t.to, t.approvedBy ?? null]), [[DA, null]], 'phasegate moved the case once, to D&A');
    assert.equal(state.driftCount, 1);
    assert.deepEqual([state.drifts![0]!.source, state.drifts![0]!.believed.status, state.drifts![0]!.found.status], ['move', DA, CER]);
    assert.equal(state.status, CER);
    assert.deepEqual(statusWrites(caseId!), [DA], 'phasegate never wrote Containment');
  });

  it('records drift when, while its move waits out a 429, an analyst moves the case to that target', async () => {
    const handle = await start(GATED);
    const { caseId } = await parkedAt(handle, CER);
    fx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 1, retryAfterSeconds: 4 });
    await decideOn(handle, 'approve', 'alice');
    // The local try was throttled: the case waits 4 s on a timer before its queued call.
    await waitFor('the throttled try', async () => (fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId: caseId! }).some((c) => c.statusCode === 429) ? true : undefined));
    await fx.sandbox.changeCase(caseId!, { caseStatus: CER, updatedBy: ANALYST });
    await handle.result();
    const state = await handle.query(stateQuery);
    assert.deepEqual(state.transitions.map((t) => t.to), [DA]);
    assert.equal(state.driftCount, 1, `transitions: ${JSON.stringify(state.transitions)}`);
    assert.equal(state.drifts![0]!.found.status, CER);
    const history = (await handle.fetchHistory()).events ?? [];
    assert.ok(scheduled(history).includes('moveCase'), 'the queued call found the analyst\'s move');
    assert.deepEqual(statusWrites(caseId!), [DA, CER], 'the throttled try reached SIR but was not applied');
    assert.equal(fx.sandbox.getCase(caseId!)?.caseStatus, CER);
  });

  describe('a worker with a global SIR rate limit (PHASEGATE_SIR_MAX_RPS)', () => {
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = uniqueTaskQueue('local-sir-calls-limited');

    before(async () => {
      worker = await createPhasegateWorker({
        connection: fixture.env.nativeConnection,
        namespace: fixture.env.namespace ?? 'default',
        sir: fx.sir,
        taskQueue,
        identity: TEST_IDENTITY,
        playbooks: TEST_PLAYBOOKS,
        tuning: { maxTaskQueueActivitiesPerSecond: 50 },
      });
      running = worker.run();
    });
    after(async () => {
      worker.shutdown();
      await running;
    });

    it('makes every SIR call a queued activity, so the task queue\'s limit covers them all', async () => {
      const handle = await start(GATED, taskQueue);
      const parked = await parkedAt(handle, CER);
      assert.equal(parked.status, DA);
      assert.equal(parked.sirCallsQueued, true);
      const history = (await handle.fetchHistory()).events ?? [];
      assert.deepEqual(scheduled(history).sort(), ['addCaseComment', 'createCase', 'moveCase']);
      // Only the first call was tried locally, and refused before it reached SIR.
      assert.equal(localMarkers(history), 1);
      assert.equal(fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId: parked.caseId! }).length, 1);
      assert.equal(fx.sandbox.getComments(parked.caseId!).length, 1, 'the start comment, once');
      await handle.terminate('test done');
    });
  });
});
