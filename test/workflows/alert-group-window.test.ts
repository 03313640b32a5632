/**
 * An alert group's window (src/domain/alert/group-window.ts) on the shared dev server: intakes that
 * race to open it get one run; it is Temporal's clock that opens and ends it, with a worker or
 * without one; and a closed run is followed by a new one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AlertGroupWindowInput } from '../../src/domain/alert/group-window';
import { closeGroupWindow, openGroupWindow } from '../../src/temporal/alert-group-window-client';
import { connectToTestServer, startWorkerFixture, uniqueTaskQueue, type WorkerFixture } from '../helpers/temporal';

const WINDOW_MS = 1_500;
const input = (): AlertGroupWindowInput => ({
  playbook: 'pb',
  group: `group-pb-${randomBytes(16).toString('hex')}`,
  by: ['accountId', 'type', 'resourceId'],
  windowMs: WINDOW_MS,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('alert group windows', { timeout: 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: WorkerFixture;
  before(async () => {
    env = await connectToTestServer();
    fx = await startWorkerFixture('group-window');
  });
  after(async () => {
    await fx.close();
    await env.teardown();
  });

  it('is one run for every intake that opens it at once, named by when Temporal opened it', async () => {
    const taskQueue = uniqueTaskQueue('no-worker'); // nobody polls it: the window needs no worker
    const one = input();
    const windows = await Promise.all(Array.from({ length: 10 }, () => openGroupWindow(env.client, taskQueue, one)));
    assert.equal(new Set(windows.map((w) => w.runId)).size, 1);
    const [window] = windows;
    const description = await env.client.workflow.getHandle(one.group).describe();
    assert.deepEqual([description.runId, description.status.name, description.type], [window!.runId, 'RUNNING', 'alertGroupWindow']);
    assert.deepEqual(window!.openedAt, description.startTime);
    assert.equal(window!.endsAt.getTime() - window!.openedAt.getTime(), WINDOW_MS);
    assert.equal(window!.caseFingerprint, `${one.group}-${description.startTime.toISOString().replace(/[-:.]/g, '')}`);
    // The window is its start delay: one event, no task, until it ends.
    assert.equal(description.historyLength, 1);
    await closeGroupWindow(env.client, window!, 'test done');
  });

  it('ends on its own when a worker is there, and the next open starts the next window', async () => {
    const one = input();
    const first = await openGroupWindow(fx.env.client, fx.taskQueue, one);
    const handle = fx.env.client.workflow.getHandle(one.group, first.runId);
    assert.deepEqual(await handle.result(), { group: one.group });
    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.ok(description.closeTime!.getTime() >= first.endsAt.getTime());
    assert.equal(description.historyLength, 5);
    const second = await openGroupWindow(fx.env.client, fx.taskQueue, one);
    assert.notEqual(second.runId, first.runId);
    assert.notEqual(second.caseFingerprint, first.caseFingerprint);
    assert.ok(second.openedAt.getTime() >= first.endsAt.getTime());
    await closeGroupWindow(fx.env.client, second, 'test done');
  });

  it('is over at its end even when no worker has closed it: the next open closes it and opens another', async () => {
    const taskQueue = uniqueTaskQueue('no-worker');
    const one = input();
    const first = await openGroupWindow(env.client, taskQueue, one);
    await sleep(Math.max(0, first.endsAt.getTime() - Date.now()) + 200);
    assert.equal((await env.client.workflow.getHandle(one.group, first.runId).describe()).status.name, 'RUNNING');
    const second = await openGroupWindow(env.client, taskQueue, one);
    assert.notEqual(second.runId, first.runId);
    assert.equal((await env.client.workflow.getHandle(one.group, first.runId).describe()).status.name, 'TERMINATED');
    // Closing a run that is already closed is not an error, and leaves the newer run alone.
    await closeGroupWindow(env.client, first, 'again');
    assert.equal((await env.client.workflow.getHandle(one.group).describe()).runId, second.runId);
    await closeGroupWindow(env.client, second, 'test done');
  });
});
