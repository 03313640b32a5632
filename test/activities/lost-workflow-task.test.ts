/**
 * Issue 18 point 7, on the real dev server and sandbox: a local try of a move that finds the case
 * already at its target counts it as its own write only when an earlier try may have made it. Such a
 * try leaves no trace in the history when its workflow task is lost, so the activity asks Temporal
 * whether the task it runs in is a retry; on a first try the case was moved by someone else.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createSirActivities, type MoveCaseRequest } from '../../activities';
import { SAMPLE_CASE, type SandboxFixture, startSandboxFixture } from '../helpers/sir-sandbox';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal';
import type { localMove } from './workflows/local-move';

const DA = 'Detection and Analysis';
const ANALYST = 'arn:aws:iam::123456789012:user/analyst';

describe('a local move whose workflow task is lost (real dev server, real sandbox)', { timeout: 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('lost-workflow-task');

  before(async () => {
    env = await connectToTestServer();
    fx = await startSandboxFixture();
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: require.resolve('./workflows/local-move'),
      activities: createSirActivities(fx.sir),
    });
    running = worker.run();
  });

  after(async () => {
    worker.shutdown();
    await running;
    await fx.sandbox.close();
    await env.teardown();
  });

  async function newCase(): Promise<{ caseId: string; move: MoveCaseRequest }> {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
    return { caseId, move: { caseId, expected: { status: 'Submitted', resolverType: 'Self' }, to: DA } };
  }

  const writes = (caseId: string) => fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).length;

  it('counts the move a lost task made as its own when the task runs it again: one write, no drift', async () => {
    const { caseId, move } = await newCase();
    const handle = await env.client.workflow.start<typeof localMove>('localMove', { taskQueue, workflowId: `lost-${randomUUID()}`, args: [move, true] });
    assert.deepEqual(await handle.result(), { outcome: 'already-applied', caseStatus: DA });
    assert.equal(writes(caseId), 1);
    const events = (await handle.fetchHistory()).events ?? [];
    assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes != null).length, 1, 'the first task was lost once');
  });

  it('reports a case an analyst already moved to the target as drifted on a first try, and writes nothing', async () => {
    const { caseId, move } = await newCase();
    await fx.sandbox.changeCase(caseId, { caseStatus: DA, updatedBy: ANALYST });
    const result = await env.client.workflow.execute<typeof localMove>('localMove', { taskQueue, workflowId: `first-${randomUUID()}`, args: [move, false] });
    assert.deepEqual(result, { outcome: 'drifted', actual: { status: DA, resolverType: 'Self' } });
    assert.equal(writes(caseId), 0);
  });
});
