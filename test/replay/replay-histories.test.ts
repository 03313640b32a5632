/**
 * Replays every recorded casePlaybook history (test/histories/) against today's workflow code. A change
 * that would break cases already running fails here with a DeterminismViolationError; make such
 * changes behind `patched()` and record a new set with scripts/record-histories.ts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowSource } from '../../src/temporal/workflow-bundle';

const HISTORIES = resolve(__dirname, '..', 'histories');

/** Readers of a recorded history, shared by the checks of each set below. */
type Events = temporal.api.history.v1.IHistoryEvent[];
const patches = (events: Events) =>
  events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
    .flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')));
const localTypes = (events: Events) =>
  events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => (JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString('utf8')) as { activity_type: string }).activity_type);
const queued = (events: Events) => events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
const signals = (events: Events) => events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);

describe('replay of recorded histories', { timeout: 120_000 }, () => {
  it('replays every recorded history without a determinism error', async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const files = (await readdir(HISTORIES)).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 5, `expected the recorded histories, found ${files.length}`);
    // v1 was recorded before the `comment-when-playbook-starts` patch, v2 after it: both must replay.
    assert.ok(files.some((f) => f.startsWith('v1-')) && files.some((f) => f.startsWith('v2-')), 'histories from before and after the patch');
    // v4 ran the loop now frozen in workflows/legacy/; v5 is the first set under `attested-decisions`.
    assert.ok(files.some((f) => f.startsWith('v4-')) && files.some((f) => f.startsWith('v5-')), 'histories from before and after attested-decisions');
    // v6 is the first set under `read-before-write` (SIR as the source of truth, issue 12).
    assert.ok(files.some((f) => f.startsWith('v6-')), 'histories from after read-before-write');
    // v8 is the first set under `local-sir-calls` (SIR calls as local activities first, issue 14).
    assert.ok(files.some((f) => f.startsWith('v8-')), 'histories from after local-sir-calls');

    const histories = await Promise.all(
      files.map(async (file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(await readFile(join(HISTORIES, file), 'utf8'))) })),
    );
    const results: Array<{ file: string; error?: string }> = [];
    for await (const result of Worker.runReplayHistories(workflowSource(), histories)) {
      results.push({ file: result.workflowId, error: result.error ? `${result.error.name}: ${result.error.message}` : undefined });
    }

    assert.deepEqual(results.map((r) => r.file).sort(), files);
    assert.deepEqual(results.filter((r) => r.error), [], 'histories that no longer replay');
  });

  it('v6 histories exercise what read-before-write changed: its marker, moveCase, SIR events, re-reads and drift comments', async () => {
    const read = async (name: string) => historyFromJSON(JSON.parse(await readFile(join(HISTORIES, `v6-${name}.json`), 'utf8'))).events ?? [];
    const activities = (events: Awaited<ReturnType<typeof read>>) => events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
    const signals = (events: Awaited<ReturnType<typeof read>>) => events.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
    const markers = (events: Awaited<ReturnType<typeof read>>) =>
      events.flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')));

    const drift = await read('drift-adopted');
    assert.ok(markers(drift).some((m) => m.includes('read-before-write')));
    assert.ok(activities(drift).includes('moveCase') && !activities(drift).includes('updateCaseStatus'));
    assert.deepEqual(signals(drift), ['sirCaseChanged', 'sirCaseChanged']);
    assert.ok(activities(drift).filter((a) => a === 'getCase').length >= 2, 'each event re-read the case');
    assert.ok(drift.at(-1)?.workflowExecutionCompletedEventAttributes, 'it ended (closed outside phasegate)');

    const recheck = await read('recheck-and-duplicates');
    assert.ok(activities(recheck).filter((a) => a === 'getCase').length >= 3, 'the timer re-read the case');
    assert.equal(signals(recheck).filter((n) => n === 'duplicateAlert').length, 5);
    assert.ok(recheck.at(-1)?.workflowExecutionCompletedEventAttributes);
  });

  it('v7 histories exercise grouped-alerts: its marker on a grouped case, member signals, and a limiter that records only granted slots', async () => {
    assert.ok((await readdir(HISTORIES)).some((f) => f.startsWith('v7-')), 'histories from after grouped-alerts');
    const read = async (name: string) => historyFromJSON(JSON.parse(await readFile(join(HISTORIES, `v7-${name}.json`), 'utf8'))).events ?? [];
    const markers = (events: Awaited<ReturnType<typeof read>>) =>
      events.flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')));

    const grouped = await read('grouped-members');
    assert.ok(markers(grouped).some((m) => m.includes('grouped-alerts')));
    assert.equal(grouped.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'duplicateAlert').length, 4);
    assert.ok(grouped.at(-1)?.workflowExecutionCompletedEventAttributes);
    // A case that is not grouped asks nothing about the patch.
    assert.ok(!markers(await read('happy-path')).some((m) => m.includes('grouped-alerts')));

    // Four asks, two granted: the repeat and the one over the limit were answered by the validator, unrecorded.
    const limiter = await read('case-rate-limiter');
    assert.equal(limiter.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 2);
  });

  it('v8 histories exercise local-sir-calls: its marker alone, SIR calls as local activities, a failed local call going on queued', async () => {
    assert.ok((await readdir(HISTORIES)).some((f) => f.startsWith('v8-')), 'histories from after local-sir-calls');
    const read = async (name: string) => historyFromJSON(JSON.parse(await readFile(join(HISTORIES, `v8-${name}.json`), 'utf8'))).events ?? [];

    const happy = await read('happy-path');
    assert.equal(patches(happy).length, 1);
    assert.match(patches(happy)[0]!, /local-sir-calls/);
    assert.deepEqual(queued(happy), [], 'no queued activity on the happy path');
    for (const name of ['createCase', 'addCaseComment', 'moveCase', 'proveActor']) assert.ok(localTypes(happy).includes(name), `local ${name}`);
    // A grouped case asks no second patch: local-sir-calls implies grouped-alerts.
    const grouped = await read('grouped-members');
    assert.deepEqual(patches(grouped).map((p) => p.includes('local-sir-calls')), [true]);

    // The throttled move and the slow comment: a backoff timer, then each as a queued activity.
    const fallback = await read('local-call-falls-back');
    assert.deepEqual(queued(fallback).sort(), ['addCaseComment', 'moveCase']);
    const firstQueued = fallback.findIndex((e) => e.activityTaskScheduledEventAttributes);
    assert.ok(fallback.slice(0, firstQueued).some((e) => e.timerStartedEventAttributes), 'backed off on a timer first');

    // The move made at once, the start comment's local try timed out while the case parked: the main
    // line sent it queued after a backoff (and the whole history replays above, however the results came).
    const slow = await read('slow-start-comment');
    assert.deepEqual(queued(slow), ['addCaseComment']);
    const failedLocal = slow.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && e.markerRecordedEventAttributes.failure);
    assert.equal(failedLocal.length, 1);
    assert.ok(failedLocal[0]!.markerRecordedEventAttributes!.failure!.timeoutFailureInfo, 'the comment\'s local try timed out');
  });

  it('v9 histories exercise issues 18 and 19: one verified-start marker, the start checked first, proofs as queued activities, a decision held over, adoption from status, the group window, Slack messages, a refused start, an attested adoption', async () => {
    const files = await readdir(HISTORIES);
    assert.ok(files.some((f) => f.startsWith('v9-')), 'histories from after proof-in-history, slack-messages and verified-start');
    const read = async (name: string) => historyFromJSON(JSON.parse(await readFile(join(HISTORIES, `v9-${name}.json`), 'utf8'))).events ?? [];

    // A new case asks one patch, the newest; decisions are proven by queued activities, never local ones.
    const happy = await read('happy-path');
    assert.equal(patches(happy).length, 1);
    assert.match(patches(happy)[0]!, /verified-start/);
    assert.ok(queued(happy).includes('proveActor') && !localTypes(happy).includes('proveActor'));
    // The worker checks the start before the first SIR call.
    assert.deepEqual(localTypes(happy).slice(0, 2), ['verifyStart', 'createCase']);

    // A gate-free edit of a known playbook: refused by the check, with no SIR call at all.
    const refused = await read('start-refused');
    assert.deepEqual(localTypes(refused), ['verifyStart']);
    assert.deepEqual(queued(refused), []);
    assert.equal(refused.at(-1)?.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type, 'UnverifiedStart');
    // An adoption the server attested: checked, then the case read (GetCase), never created.
    const attested = await read('adopted-with-attestation');
    assert.deepEqual(localTypes(attested).slice(0, 2), ['verifyStart', 'getCase']);
    assert.ok(!localTypes(attested).includes('createCase'));

    // The shape that stranded a case: a decision held over by continue-as-new, proven by the next run.
    const heldRuns = files.filter((f) => f.startsWith('v9-decision-held-over-run')).sort();
    assert.ok(heldRuns.length >= 2, `the held-over case continued as new (${heldRuns.length} runs)`);
    const later = await Promise.all(heldRuns.slice(1).map((f) => read(f.slice(3, -5))));
    assert.ok(later.some((events) => queued(events).includes('proveActor')), 'a later run proved the held decision by a queued activity');
    assert.ok(later.every((events) => !localTypes(events).includes('proveActor')));

    // A transition request during a slow local SIR call, and a decision during a re-read.
    const duringCall = await read('decision-during-local-call');
    assert.ok(signals(duringCall).includes('requestTransition') && localTypes(duringCall).includes('moveCase') && queued(duringCall).includes('proveActor'));
    const duringRead = await read('decision-during-re-read');
    assert.ok(signals(duringRead).includes('approve') && localTypes(duringRead).filter((t) => t === 'getCase').length >= 1 && queued(duringRead).includes('proveActor'));

    // Adoption goes on from the case's status (its own marker, asked only when adopting).
    const adopted = await read('adopt-from-status');
    assert.ok(patches(adopted).some((p) => p.includes('adopt-from-status')));
    assert.ok(!patches(happy).some((p) => p.includes('adopt-from-status')));

    // The group window is a workflow of its own; the Slack gate keeps and edits its messages.
    const window = await read('alert-group-window');
    assert.equal(window[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name, 'alertGroupWindow');
    const slack = await read('slack-gate');
    assert.ok(queued(slack).includes('notifyChannel') && queued(slack).includes('updateChannelMessage'));
    assert.ok(signals(slack).includes('recordRefusal'));
  });

  // Recorded by the integrator after issue 20 (scripts/record-histories.ts v10); until then there is nothing to read.
  const v10 = existsSync(join(HISTORIES, 'v10-happy-path.json'));
  it('v10 histories exercise code-version: its marker alone, PhasegateCodeVersion in the first upsert, carried by a continued run', { skip: !v10 && 'v10 not recorded yet' }, async () => {
    const read = async (name: string) => historyFromJSON(JSON.parse(await readFile(join(HISTORIES, `v10-${name}.json`), 'utf8'))).events ?? [];
    const upserts = (events: Events) => events.map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields).filter((f) => f != null);
    const codeVersions = (events: Events) => upserts(events).flatMap((f) => (f.PhasegateCodeVersion ? [Buffer.from(f.PhasegateCodeVersion.data ?? []).toString('utf8')] : []));

    const happy = await read('happy-path');
    assert.equal(patches(happy).length, 1);
    assert.match(patches(happy)[0]!, /code-version/);
    // Sent once, with the first upsert of where the case stands (no upsert of its own).
    assert.deepEqual(codeVersions(happy), ['"code-version"']);
    assert.ok(upserts(happy).find((f) => f.SirCaseId)?.PhasegateCodeVersion, 'in the upsert that first sends SirCaseId');

    const runs = (await readdir(HISTORIES)).filter((f) => f.startsWith('v10-code-version-carried-run')).sort();
    assert.ok(runs.length >= 2, `the case continued as new (${runs.length} runs)`);
    const [first, ...later] = await Promise.all(runs.map((f) => read(f.slice(4, -5))));
    assert.deepEqual(codeVersions(first!), ['"code-version"']);
    for (const events of later) {
      assert.deepEqual(patches(events), [], 'a continued run carries the answer and asks no patch');
      assert.deepEqual(codeVersions(events), [], 'and keeps the attribute its predecessor set');
    }
  });

  it('detects a v8 history whose local activity differs from the code (the check can fail for local activities too)', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(join(HISTORIES, 'v8-happy-path.json'), 'utf8')));
    const marker = history.events?.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')?.markerRecordedEventAttributes;
    const payload = marker!.details!.data!.payloads![0]!;
    const data = Buffer.from(payload.data!).toString('utf8');
    assert.match(data, /"activity_type":"createCase"/);
    payload.data = Buffer.from(data.replace('"createCase"', '"closeCase"'));
    await assert.rejects(Worker.runReplayHistory(workflowSource(), history, 'v8-happy-path (mutated)'), (err: Error) => {
      assert.equal(err.name, 'DeterminismViolationError');
      return true;
    });
  });

  it('detects a history whose commands differ from the code (the check can fail)', async () => {
    const file = (await readdir(HISTORIES)).find((f) => f.endsWith('happy-path.json'))!;
    const history = historyFromJSON(JSON.parse(await readFile(join(HISTORIES, file), 'utf8')));
    // As if an older workflow had called closeCase where today's code calls createCase.
    const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    assert.equal(scheduled?.activityType?.name, 'createCase');
    scheduled.activityType.name = 'closeCase';
    await assert.rejects(Worker.runReplayHistory(workflowSource(), history, file), (err: Error) => {
      assert.equal(err.name, 'DeterminismViolationError');
      return true;
    });
  });
});
