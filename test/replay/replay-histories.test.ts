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
