/**
 * Issue 18.1: a decision taken by a message handler must replay. A fresh-clone run stranded a case with
 * "[TMPRL1100] Nondeterminism error: No command scheduled for event TimerStarted" on the run that took
 * a decision signal held over from the run before (reproduced here about one run in six). Its history:
 * the first task started the gate's timer and recorded the proof check's local-activity marker; the
 * decision that check allowed reached the workflow only in the next task, which cancelled the timer.
 * Replayed, Core hands a local activity's result over in the task of its marker, so the decision came
 * at once, the timer was cancelled before it was ever sent, and the history no longer matched.
 *
 * Since `proof-in-history`, handlers prove through a queued activity (an event in the history, taken in
 * the same task live and replayed). These tests check that shape on a real server and replay every run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { approveSignal, duplicateAlertSignal, stateQuery } from '../../src/domain/contract/messages';
import { workflowSource } from '../../src/temporal/workflow-bundle';
import { casePlaybook } from '../../workflows';
import { decideOn, statusOf } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

type Events = temporal.api.history.v1.IHistoryEvent[];

/** Activity types of the local-activity markers in a history (Core keeps the type in the marker's data). */
function localActivityTypes(events: Events): string[] {
  return events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const data = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type ?? '?' : '?';
    });
}

const scheduledActivities = (events: Events): string[] =>
  events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => Boolean(n));

describe('decisions taken by message handlers (real dev server)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('handler-proof'));
  });
  after(() => close());

  const newInput = (name: string, extra: Partial<CasePlaybookInput> = {}): CasePlaybookInput => ({
    fingerprint: `${name}-${randomUUID()}`,
    playbook: testPlaybook(name, [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]),
    newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    ...extra,
  });

  async function runsOf(workflowId: string): Promise<Array<{ runId: string; events: Events }>> {
    const runs: Array<{ runId: string; events: Events }> = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push({ runId: wf.runId, events: (await env.client.workflow.getHandle(workflowId, wf.runId).fetchHistory()).events ?? [] });
    }
    return runs;
  }

  async function replayErrors(workflowId: string): Promise<string[]> {
    const histories = (await runsOf(workflowId)).map((r) => ({ workflowId, history: { events: r.events } }));
    const errors: string[] = [];
    for await (const result of Worker.runReplayHistories(workflowSource(), histories)) {
      if (result.error) errors.push(`${result.error.name}: ${result.error.message.split('\n')[0]}`);
    }
    return errors;
  }

  it('takes a decision signal held over from the run before in the next run, proven by a queued activity, and every run replays', async () => {
    // The first repeat's slow comment keeps a handler busy past the (test) threshold, so the approval is
    // held for the next run, which proves it first thing, in the task that starts the gate's timer.
    const input = newInput('proof-held', { continueAsNewAfterEvents: 25 });
    const handle = await env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
    await waitFor('the gate', async () => ((await handle.query(stateQuery)).pendingApproval?.target === CER ? true : undefined));
    const firstRunId = (await handle.describe()).runId;
    fx.sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 4_000, count: 1 });
    for (let i = 0; i < 12; i++) await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    await waitFor('the run past its threshold', async () => ((await handle.fetchHistory()).events!.length >= 25 ? true : undefined));
    await handle.signal(approveSignal, { approvalId: 1, by: 'alice', comment: 'held over' });

    const moved = await statusOf(handle, CER, 30_000);
    assert.deepEqual(moved.decisions.map((d) => [d.by, d.via, d.comment]), [['alice', 'signal', 'held over']]);
    assert.equal(moved.proofInHistory, true);
    await handle.result();

    const runs = await runsOf(handle.workflowId);
    const taker = runs.find((r) => r.runId !== firstRunId && scheduledActivities(r.events).includes('proveActor'));
    assert.ok(taker, `a later run proved alice by a queued activity (runs: ${runs.map((r) => scheduledActivities(r.events).join('+') || '-').join(' | ')})`);
    for (const run of runs) assert.ok(!localActivityTypes(run.events).includes('proveActor'), `run ${run.runId} proved nobody by a local activity`);
    assert.deepEqual(await replayErrors(handle.workflowId), [], 'every run of the case replays');
  });

  it('proves a decide update and a signal by queued activities, and the case replays', async () => {
    const input = newInput('proof-update', {});
    input.playbook.steps.push({ status: 'Post-incident Activities', approval: { approvers: ['alice'], onTimeout: 'reject' } });
    const handle = await env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
    await waitFor('the gate', async () => ((await handle.query(stateQuery)).pendingApproval?.target === CER ? true : undefined));
    const answer = await decideOn(handle, 'approve', 'alice');
    assert.equal(answer.result, 'approved');
    await waitFor('the second gate', async () => ((await handle.query(stateQuery)).pendingApproval?.approvalId === 2 ? true : undefined));
    await handle.signal(approveSignal, { approvalId: 2, by: 'alice' });
    const done = await statusOf(handle, 'Post-incident Activities', 30_000);
    assert.deepEqual(done.decisions.map((d) => d.via), ['update', 'signal']);
    await handle.result();
    const [run] = await runsOf(handle.workflowId);
    assert.equal(scheduledActivities(run!.events).filter((a) => a === 'proveActor').length, 2);
    assert.ok(!localActivityTypes(run!.events).includes('proveActor'));
    assert.deepEqual(await replayErrors(handle.workflowId), []);
  });
});
