/**
 * Issue 12, "bounded histories": a case parked at a gate with no deadline takes 20,000 signals — 10,000
 * repeats of its alert and 10,000 decisions it refuses (someone who is not an approver) — on the shared
 * dev server. It must continue as new when Temporal suggests it (no test threshold: the server's own
 * suggestion), keep every count and its gate across runs, stay decidable (a decide update works
 * after), and no run's history may pass 10,000 events (Temporal terminates a workflow at 51,200).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { DUPLICATE_COMMENT_WINDOW_MS } from '../../src/domain/case/duplicate-window';
import { approveSignal, duplicateAlertSignal, stateQuery } from '../../src/domain/contract/messages';
import { casePlaybook } from '../../workflows';
import { decideOn, statusOf } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
/**
 * Half of each; PHASEGATE_STORM_SIGNALS runs another size while investigating (the figure is for
 * 20,000; below about 5,000 Temporal never suggests continuing as new, so the test fails by design).
 */
const SIGNALS = Number(process.env.PHASEGATE_STORM_SIGNALS ?? 20_000);
const DUPLICATES = SIGNALS / 2;
const REFUSED = SIGNALS / 2;
const MAX_EVENTS_PER_RUN = 10_000;
/** Signals in flight at once: enough to keep the dev server busy, few enough to leave it to others. */
const CONCURRENCY = 64;
/** Signals per burst. */
const BATCH = 1_000;

describe('a parked case under a storm of signals (real dev server)', { timeout: 900_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('parked-storm'));
  });
  after(() => close());

  it('takes 20,000 duplicates and refused signals, continues as new, stays decidable, and no run passes 10,000 events', async (t) => {
    // Parked: a gate with no deadline, so only the signals grow its history.
    const playbook = testPlaybook('parked', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
    const input: CasePlaybookInput = {
      fingerprint: `storm-${randomUUID()}`,
      playbook,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    const handle = await env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
    const parked = await waitFor('the gate', async () => {
      const s = await handle.query(stateQuery);
      return s.pendingApproval?.target === CER ? s : undefined;
    });
    const firstRunId = (await handle.describe()).runId;

    // Interleaved: a repeat of the alert, then a decision from mallory (not an approver: refused and
    // recorded). In batches: Temporal accepts a run's continue-as-new only in a workflow task that no
    // new signal arrived during, so under an unbroken stream the run cannot end until the stream
    // pauses (and Temporal refuses a run's signals beyond 10,000); a batch is a burst of a recurring
    // finding, and each batch is sent once the case has taken the previous one.
    const started = Date.now();
    const signals = SIGNALS;
    const taken = async (): Promise<number> => {
      const s = await handle.query(stateQuery);
      return s.duplicateAlerts + (s.refusalCount ?? 0) + (s.deferredSignals?.length ?? 0);
    };
    for (let from = 0; from < signals; from += BATCH) {
      let next = from;
      const end = Math.min(from + BATCH, signals);
      const send = async (): Promise<void> => {
        for (let i = next++; i < end; i = next++) {
          if (i % 2 === 0) await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
          else await handle.signal(approveSignal, { approvalId: 1, by: 'mallory', comment: `storm ${i}` });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, send));
      // Generous: on a loaded 2-core machine a query can fail for a while as a busy run continues as new.
      await waitFor(`the case to take signals up to ${end}`, async () => ((await taken()) >= end ? true : undefined), 300_000, { intervalMs: 50 });
    }
    const sentS = (Date.now() - started) / 1000;

    const drained = await waitFor(
      'every signal taken',
      async () => {
        const s = await handle.query(stateQuery);
        return s.duplicateAlerts === DUPLICATES && s.refusalCount === REFUSED ? s : undefined;
      },
      600_000,
      { intervalMs: 1_000 },
    );
    const drainedS = (Date.now() - started) / 1000;

    // Every run of the case, with its history length as Temporal counts it.
    const runs: Array<{ runId: string; events: number; status: string }> = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
      runs.push({ runId: wf.runId, events: wf.historyLength, status: wf.status.name });
    }
    const current = runs.find((r) => r.status === 'RUNNING');
    // Visibility may trail the running run's length: count its events from the history itself.
    if (current) current.events = (await env.client.workflow.getHandle(handle.workflowId, current.runId).fetchHistory()).events?.length ?? current.events;
    const total = runs.reduce((sum, r) => sum + r.events, 0);
    t.diagnostic(
      `${signals} signals sent in ${signals / BATCH} bursts of ${BATCH} in ${sentS.toFixed(1)} s (${Math.round(signals / sentS)}/s), all taken after ${drainedS.toFixed(1)} s; ` +
        `${runs.length} runs, events per run: ${runs.map((r) => r.events).join(', ')} (total ${total}, ${(total / signals).toFixed(2)} per signal)`,
    );

    assert.ok(runs.length >= 2, `the case should have continued as new (runs: ${runs.length})`);
    assert.notEqual((await handle.describe()).runId, firstRunId);
    for (const run of runs) assert.ok(run.events <= MAX_EVENTS_PER_RUN, `run ${run.runId} has ${run.events} events`);

    // Everything carried: the gate, the counts, the last refusals; the repeats coalesced into few comments.
    assert.equal(drained.caseId, parked.caseId);
    assert.equal(drained.pendingApproval?.approvalId, 1);
    assert.equal(drained.refusals?.length, 20);
    assert.ok(drained.refusals.every((r) => r.type === 'NotAnApprover'));
    // One comment at once, then one per window that passed while the repeats kept coming (a loaded
    // machine may take longer than one window to send them all).
    const repeatComments = fx.sandbox.getComments(parked.caseId!).filter((c) => /same alert arrived/.test(c.body));
    const windows = Math.ceil((Date.now() - started) / DUPLICATE_COMMENT_WINDOW_MS);
    assert.ok(repeatComments.length <= 1 + windows, `repeats coalesced (${repeatComments.length} comments over ${windows} window(s) of 10 minutes)`);

    // Some run handed signals to the next one as it continued as new (and every one was taken: the counts above).
    const carried: number[] = [];
    for (const run of runs) {
      const first = (await env.client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory()).events?.[0];
      const payload = first?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const started = JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as CasePlaybookInput;
      carried.push(started.carried?.deferredSignals?.length ?? 0);
    }
    t.diagnostic(`signals handed to the next run at each continue-as-new: ${carried.join(', ')}`);

    // Still decidable: the decide update reaches the current run and the case moves.
    const decidedAt = Date.now();
    const answer = await decideOn(handle, 'approve', 'alice');
    assert.deepEqual([answer.approvalId, answer.result], [1, 'approved']);
    const moved = await statusOf(handle, CER);
    t.diagnostic(`decide update answered and the move made ${Date.now() - decidedAt} ms after the storm`);
    assert.deepEqual(moved.transitions.map((tr) => tr.to), [DA, CER]);
  });

  it('takes a decision signal that arrived while the run was ending in the next run', async () => {
    // A case over its (test) history threshold whose run cannot end yet: a handler waits on a slow SIR
    // comment (the first repeat of the alert). An approval signal that arrives then is held for the next run.
    const playbook = testPlaybook('parked-held', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]);
    const input: CasePlaybookInput = {
      fingerprint: `held-${randomUUID()}`,
      playbook,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
      // Past it while the first repeat's slow comment keeps a handler busy: a case parks in about a
      // dozen events (local SIR calls), and the twelve repeats below take it past 25 at once.
      continueAsNewAfterEvents: 25,
    };
    const handle = await env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
    const parked = await waitFor('the gate', async () => {
      const s = await handle.query(stateQuery);
      return s.pendingApproval?.target === CER ? s : undefined;
    });
    const firstRunId = (await handle.describe()).runId;
    fx.sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 4_000, count: 1 });
    for (let i = 0; i < 12; i++) await handle.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    await waitFor('the run past its threshold', async () => ((await handle.fetchHistory()).events!.length >= 25 ? true : undefined));
    await handle.signal(approveSignal, { approvalId: 1, by: 'alice', comment: 'held over' });

    const moved = await statusOf(handle, CER, 30_000);
    assert.notEqual((await handle.describe()).runId, firstRunId);
    assert.deepEqual(moved.decisions.map((d) => [d.approvalId, d.by, d.via, d.comment]), [[1, 'alice', 'signal', 'held over']]);
    assert.equal(moved.duplicateAlerts, 12);
    assert.equal(moved.caseId, parked.caseId);
    assert.equal(moved.deferredSignals, undefined, 'nothing left held');
    // The run that ended handed the approval over (its continuation's input carries it).
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(wf.runId);
    const handedOver: number[] = [];
    for (const runId of runs) {
      const first = (await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events?.[0];
      const started = JSON.parse(Buffer.from(first?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data ?? []).toString('utf8')) as CasePlaybookInput;
      handedOver.push(started.carried?.deferredSignals?.length ?? 0);
    }
    assert.ok(handedOver.includes(1), `one run started with the held approval (held per run: ${handedOver.join(', ')})`);
    assert.equal((await handle.result()).phase, 'completed', 'Containment was the playbook\'s last step');
  });
});
