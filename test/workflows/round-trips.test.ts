/**
 * What a case costs Temporal, read from its real history on the dev server: how many workflow tasks
 * and search-attribute upserts it takes to reach a phase. These are the figures the burst and latency
 * benches (bench/) depend on; a change that adds a round trip to every case shows up here first.
 * Also: the decide update answers with the state where the playbook stopped, not wherever its loop was.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { searchAttributePayloadConverter } from '@temporalio/common/lib/converter/payload-search-attributes';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { decideUpdate, stateQuery, transitionUpdate } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';

const GATED = testPlaybook('round-trips', [
  DA,
  { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } },
  { status: PIA, approval: { approvers: ['alice'], onTimeout: 'reject' } },
]);

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

describe('casePlaybook round trips (real dev server, real sandbox)', { timeout: 120_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('round-trips'));
  });
  after(() => close());

  async function start(playbook: Playbook): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `round-trips-${randomUUID()}`,
      playbook,
      severity: 8,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    return env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
  }

  const pendingFor = (handle: WorkflowHandle<typeof casePlaybook>, target: string): Promise<CaseState> =>
    waitFor(`an approval pending for "${target}"`, async () => {
      const state = await handle.query(stateQuery);
      return state.pendingApproval?.target === target ? state : undefined;
    });

  const events = async (handle: WorkflowHandle): Promise<HistoryEvent[]> => (await handle.fetchHistory()).events ?? [];
  const scheduledName = (e: HistoryEvent): string | undefined => e.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined;
  const isTaskCompleted = (e: HistoryEvent): boolean => e.workflowTaskCompletedEventAttributes != null;

  const markerName = (e: HistoryEvent): string | undefined => e.markerRecordedEventAttributes?.markerName ?? undefined;
  const markerText = (e: HistoryEvent): string =>
    Object.values(e.markerRecordedEventAttributes?.details ?? {})
      .flatMap((p) => p.payloads ?? [])
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join(' ');

  it('opens the case, comments and reaches Detection and Analysis in its first workflow task, with no activity task', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const history = await events(handle);
    const gateTimer = history.findIndex((e) => e.timerStartedEventAttributes != null);
    const upToGate = history.slice(0, gateTimer + 1);

    // Since `local-sir-calls` every SIR call runs as a local activity inside the task: one marker each;
    // since `verified-start` the worker's check of the start comes first, also a local activity.
    assert.deepEqual(upToGate.map(scheduledName).filter(Boolean), [], 'no queued activity before the first gate');
    const localCalls = upToGate.filter((e) => markerName(e) === 'core_local_activity').map(markerText);
    assert.equal(localCalls.length, 4, `the start check, CreateCase, the start comment and the move: ${localCalls.length} local activities`);
    assert.ok(localCalls[0]!.includes('"verifyStart"'), 'the start is checked before any SIR call');
    for (const name of ['createCase', 'addCaseComment', 'moveCase']) assert.ok(localCalls.some((t) => t.includes(`"${name}"`)), `local ${name} recorded`);
    // One workflow task from the alert to the parked gate (a task that ran past its heartbeat would show a second).
    assert.equal(upToGate.filter(isTaskCompleted).length, 1, 'one workflow task until the gate waits');
    assert.ok(upToGate.length <= 13, `${upToGate.length} events until the gate waits`);

    const { caseId } = await handle.query(stateQuery);
    const comments = fx.sandbox.calls.list({ operation: 'CreateCaseComment', caseId }).map((c) => (c.requestBody as { body: string }).body);
    assert.equal(comments.filter((body) => body.includes('now drives this case')).length, 1, 'the start comment reached SIR once');
    const updates = fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId });
    assert.deepEqual(updates.map((c) => c.statusCode), [201], 'one UpdateCaseStatus');
  });

  it('upserts the search attributes a task changed once, when the case waits', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const history = await events(handle);

    // The search-attribute converter reads every value back as a list; these are all single values.
    const decode = (payload: temporal.api.common.v1.IPayload): unknown => searchAttributePayloadConverter.fromPayload<unknown[]>(payload)[0];
    const started = history[0]!.workflowExecutionStartedEventAttributes!.searchAttributes!.indexedFields!;
    const current = new Map<string, unknown>(Object.entries(started).map(([k, v]) => [k, decode(v)]));
    const upserts = history.flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      return fields ? [Object.entries(fields).filter(([key]) => key !== 'TemporalChangeVersion')] : []; // the SDK's own record of patches
    });
    const sent = upserts.filter((fields) => fields.length > 0).map((fields) => {
      return fields.map(([key, payload]) => {
        const value = decode(payload);
        assert.notDeepEqual(value, current.get(key), `${key} upserted again with the same value ${JSON.stringify(value)}`);
        current.set(key, value);
        return key === 'SirCaseId' ? key : `${key}=${JSON.stringify(value)}`;
      }).sort();
    });
    // Opened (Submitted), moved and parked in one task: one upsert with where the case stands when it
    // waits; Submitted is never sent, since nobody could have seen it.
    // The code path it runs (since code-version) goes with that upsert, not in one of its own.
    assert.deepEqual(sent, [['AwaitingApproval=true', 'PhasegateCodeVersion="code-version"', 'SirCaseId', `SirCaseStatus="${DA}"`]]);
    // One patch marker (code-version, which implies every older patch) however many patches
    // older cases check; each costs an event and a visibility write.
    const patches = history.filter((e) => markerName(e) === 'core_patch');
    assert.equal(patches.length, 1);
    assert.match(markerText(patches[0]!), /code-version/);
    assert.equal(current.get('PlaybookName'), 'round-trips');
    assert.equal(current.get('AlertSeverity'), 8);
    assert.equal(current.get('SirCaseId'), (await handle.query(stateQuery)).caseId);
  });

  it('holds the first gate at most for the local try of a slow start comment (2 s), then sends the comment queued', async () => {
    const gatedFirst = testPlaybook('round-trips-gated-first', [{ status: DA, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
    fx.sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 5_000, count: 1 });
    const startedAt = Date.now();
    const handle = await start(gatedFirst);
    const waiting = await pendingFor(handle, DA);
    const openedAfterMs = Date.now() - startedAt;
    assert.ok(openedAfterMs < 4_500, `the gate opened ${openedAfterMs} ms after the start, while the comment took 5 s`);
    const answered = fx.sandbox.calls.list({ operation: 'CreateCaseComment', caseId: waiting.caseId! });
    assert.equal(answered.length, 0, 'the gate opened before SIR answered the start comment');
    assert.equal(waiting.pendingApproval?.requestedBy, 'playbook');
    // The local try timed out; after a backoff the comment goes on as a queued activity, and its client
    // token leaves exactly one comment however many tries reached SIR.
    await waitFor('the comment queued', async () => ((await events(handle)).some((e) => scheduledName(e) === 'addCaseComment') ? true : undefined), 10_000);
    const startNotes = (): number => fx.sandbox.getComments(waiting.caseId!).filter((c) => c.body.includes('now drives this case')).length;
    await waitFor('the start comment in SIR', async () => (startNotes() > 0 ? true : undefined), 20_000);
    assert.equal(startNotes(), 1);
    await handle.terminate('test done');
  });

  it('answers an approval as soon as it is recorded, before the step is made', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const answer = await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'approve', by: 'alice' }] });
    assert.deepEqual([answer.result, answer.next], ['approved', 'moving']);
    assert.equal(answer.state.status, DA);
    assert.equal(answer.state.pendingApproval?.decidedBy?.by, 'alice');
    // The playbook makes the step, then goes straight on to its next gate; the query shows that.
    const next = await pendingFor(handle, PIA);
    assert.equal(next.status, CER);
    assert.equal(next.approvals, 2);
    await handle.terminate('test done');
  });

  it('answers a transition request with the gate it opened', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    await handle.executeUpdate(decideUpdate, { args: [{ approvalId: 1, decision: 'reject', by: 'alice' }] });
    await waitFor('the case to wait for a request', async () => ((await handle.query(stateQuery)).phase === 'awaiting-request' ? true : undefined));
    const answer = await handle.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'dave', reason: 'triage now' }] });
    assert.deepEqual([answer.result, answer.approvalId, answer.to], ['awaiting-approval', 2, CER]);
    assert.equal(answer.state.pendingApproval?.requestedBy, 'dave');
    await handle.terminate('test done');
  });
});
