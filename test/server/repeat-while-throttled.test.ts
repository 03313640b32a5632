/**
 * Issue 21: the first repeat of an alert is mentioned on the SIR case at once, even when SIR is slow to
 * take the case's first move (UpdateCaseStatus answers 429 with Retry-After 2, 429, 500, then 201), and
 * a second repeat inside the window is counted without a comment. The whole chain: a signed alert on
 * the real server, the shared dev server, a worker, the SIR sandbox throttling as a busy SIR does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stateQuery } from '../../src/domain/contract/messages';
import { startServerFixture, type ServerFixture } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';

function genericAlert(id: string): Record<string, unknown> {
  const body = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'generic-alert.json'), 'utf8')) as Record<string, unknown>;
  return { ...body, id };
}

describe('a repeated alert while SIR throttles the first move (issue 21)', { timeout: 180_000 }, () => {
  let fx: ServerFixture;
  before(async () => {
    fx = await startServerFixture();
  });
  after(() => fx.close());

  it('comments the first repeat once, counts the second without a comment, and the case still moves', async () => {
    const sandbox = fx.sandbox.sandbox;
    sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 2, retryAfterSeconds: 2 });
    sandbox.faults.inject('UpdateCaseStatus', { kind: 'internal', count: 1 });
    const alert = genericAlert(`throttled-repeat-${Date.now()}`);

    // Sent again at once: within the same second the signature (t=<seconds>) and the body are the same,
    // so the resend is byte for byte the first request; it must still count as a repeat of the alert.
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await fx.postAlert(alert, { timestamp });
    assert.equal(first.status, 202);
    const opened = (await first.json()) as { caseWorkflowId: string; runId: string; duplicate: boolean };
    const again = await fx.postAlert(alert, { timestamp });
    assert.equal(again.status, 202);
    const repeat = (await again.json()) as { caseWorkflowId: string; duplicate: boolean; replayed?: boolean };
    assert.deepEqual([opened.duplicate, repeat.duplicate, repeat.caseWorkflowId, repeat.replayed], [false, true, opened.caseWorkflowId, undefined]);
    const handle = fx.env.client.workflow.getHandle(opened.caseWorkflowId);
    const moved = await waitFor(`the case in ${DA} after SIR's retries`, async () => {
      const s = await handle.query(stateQuery);
      return s.status === DA ? s : undefined;
    }, 60_000);
    assert.equal(moved.duplicateAlerts, 1, 'the repeat is counted');
    const caseId = moved.caseId!;
    const updates = sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId });
    assert.ok(updates.length >= 4, `SIR was asked through its throttling (${updates.length} UpdateCaseStatus calls)`);

    const repeatComments = (): number => sandbox.getComments(caseId).filter((c) => /same alert arrived again/.test(c.body)).length;
    await waitFor('the comment for the first repeat', async () => (repeatComments() === 1 ? true : undefined), 30_000);
    assert.equal(sandbox.getComments(caseId).filter((c) => /now drives this case/.test(c.body)).length, 1);

    // Another copy of those same bytes is a replay: answered from memory, not counted again.
    const copy = (await (await fx.postAlert(alert, { timestamp })).json()) as { duplicate: boolean; replayed?: boolean };
    assert.deepEqual([copy.duplicate, copy.replayed], [true, true]);
    // A second repeat inside the 10-minute window (signed a second later): counted, no comment.
    const third = await fx.postAlert(alert, { timestamp: timestamp + 1 });
    assert.deepEqual((await third.json()), { caseWorkflowId: opened.caseWorkflowId, runId: opened.runId, duplicate: true });
    const counted = await waitFor('the second repeat counted', async () => {
      const s = await handle.query(stateQuery);
      return s.duplicateAlerts === 2 ? s : undefined;
    });
    assert.equal(counted.duplicateWindow?.uncommented, 1, "held for the window");
    // The case has nothing of its own to do meanwhile (it waits at its gate): give a stray comment time to land.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(repeatComments(), 1, 'the second repeat made no comment');
    await handle.terminate('test done');
  });
});
