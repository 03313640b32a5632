/**
 * Replays every recorded casePlaybook history (test/histories/) against today's workflow code. A change
 * that would break cases already running fails here with a DeterminismViolationError; make such
 * changes behind `patched()` and record a new set with scripts/record-histories.ts.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowSource } from '../../src/temporal/workflow-bundle';

const HISTORIES = resolve(__dirname, '..', 'histories');

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
