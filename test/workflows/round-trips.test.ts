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
import type { CasePlaybookInput } from '../../src/domain/case-playbook-input';
import type { CaseState } from '../../src/domain/case-state';
import { decideUpdate, stateQuery, transitionUpdate } from '../../src/domain/messages';
import type { Playbook } from '../../src/domain/playbook';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture } from '../helpers/temporal';
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
    return env.client.workflow.start(casePlaybook, caseWorkflowOptions(input, taskQueue));
  }

  const pendingFor = (handle: WorkflowHandle<typeof casePlaybook>, target: string): Promise<CaseState> =>
    waitFor(`an approval pending for "${target}"`, async () => {
      const state = await handle.query(stateQuery);
      return state.pendingApproval?.target === target ? state : undefined;
    });

  const events = async (handle: WorkflowHandle): Promise<HistoryEvent[]> => (await handle.fetchHistory()).events ?? [];
  const scheduledName = (e: HistoryEvent): string | undefined => e.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined;
  const isTaskCompleted = (e: HistoryEvent): boolean => e.workflowTaskCompletedEventAttributes != null;

  it('reaches Detection and Analysis in the workflow task after CreateCase, the start comment alongside', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const history = await events(handle);

    const scheduled = history.map(scheduledName).filter(Boolean);
    // Since `read-before-write` a move is one activity that reads the case, then writes (moveCase).
    assert.deepEqual(scheduled.slice(0, 3), ['createCase', 'addCaseComment', 'moveCase']);
    const tasksBefore = (name: string): number =>
      history.slice(0, history.findIndex((e) => scheduledName(e) === name)).filter(isTaskCompleted).length;
    // Task 1 schedules CreateCase; task 2, on its result, both the comment and the move.
    assert.equal(tasksBefore('createCase'), 1);
    assert.equal(tasksBefore('addCaseComment'), 2);
    assert.equal(tasksBefore('moveCase'), 2);

    const { caseId } = await handle.query(stateQuery);
    const comments = fx.sandbox.calls.list({ operation: 'CreateCaseComment', caseId }).map((c) => (c.requestBody as { body: string }).body);
    assert.equal(comments.filter((body) => body.includes('now drives this case')).length, 1, 'the start comment reached SIR once');
  });

  it('upserts a search attribute only when its value changes', async () => {
    const handle = await start(GATED);
    await pendingFor(handle, CER);
    const history = await events(handle);

    // The search-attribute converter reads every value back as a list; these are all single values.
    const decode = (payload: temporal.api.common.v1.IPayload): unknown => searchAttributePayloadConverter.fromPayload<unknown[]>(payload)[0];
    const started = history[0]!.workflowExecutionStartedEventAttributes!.searchAttributes!.indexedFields!;
    const current = new Map<string, unknown>(Object.entries(started).map(([k, v]) => [k, decode(v)]));
    const upserts = history.flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
      return fields ? [fields] : [];
    });
    const sent: string[] = [];
    for (const fields of upserts) {
      for (const [key, payload] of Object.entries(fields)) {
        if (key === 'TemporalChangeVersion') continue; // the SDK's own record of patches
        const value = decode(payload);
        assert.notDeepEqual(value, current.get(key), `${key} upserted again with the same value ${JSON.stringify(value)}`);
        current.set(key, value);
        sent.push(`${key}=${JSON.stringify(value)}`);
      }
    }
    // The case id and status once the case exists, the new status, then the open gate.
    assert.deepEqual(sent.filter((s) => !s.startsWith('SirCaseId')), [
      'SirCaseStatus="Submitted"',
      `SirCaseStatus="${DA}"`,
      'AwaitingApproval=true',
    ]);
    // One patch marker (read-before-write, which implies attested-decisions) however many patches
    // older cases check; each costs an event.
    const markers = history.filter((e) => e.markerRecordedEventAttributes != null);
    assert.equal(markers.length, 1);
    const markerData = Object.values(markers[0]!.markerRecordedEventAttributes!.details ?? {})
      .flatMap((p) => p.payloads ?? [])
      .map((p) => Buffer.from(p.data ?? []).toString('utf8'))
      .join(' ');
    assert.match(markerData, /read-before-write/);
    assert.equal(current.get('PlaybookName'), 'round-trips');
    assert.equal(current.get('AlertSeverity'), 8);
  });

  it('opens the first gate while a slow start comment is still on its way (comments never hold the playbook)', async () => {
    const gatedFirst = testPlaybook('round-trips-gated-first', [{ status: DA, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
    fx.sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 3_000, count: 1 });
    const handle = await start(gatedFirst);
    const waiting = await pendingFor(handle, DA);
    const comments = fx.sandbox.calls.list({ operation: 'CreateCaseComment', caseId: waiting.caseId! });
    assert.equal(comments.length, 0, 'the gate opened before the start comment reached SIR');
    assert.equal(waiting.pendingApproval?.requestedBy, 'playbook');
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
