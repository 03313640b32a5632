/**
 * notifyChannel through a real worker on the shared Temporal dev server, scheduled with the options
 * recommended to the case workflow, against real receivers on loopback: Temporal retries a 5xx (and
 * waits as long as Retry-After says), never retries a 4xx, and the workflow history holds the
 * channel name but neither the URL nor the signing secret. The older notifyEscalation, scheduled as
 * a running case still does, sends nothing to the URL in its input and is not retried.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ChannelDelivery } from '../../src/domain/case/approval-notice';
import { parseChannelsFile } from '../../src/notify/channels-file';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/server/webhook-signature';
import { SirClient } from '../../src/sir';
import { type HttpReceiver, startReceiver } from '../helpers/http-receiver';
import { sampleNotice } from '../helpers/notices';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal';
import { escalateToUrl, notifyOnce } from './fixtures/notify-workflow';

const SIGNING_SECRET = 'whsec_history_probe_51c2';
const INBOUND_SECRET = 'whsec_inbound_history_probe_9d04';
const SLACK_PATH = '/services/T0000/B0000/history-probe-credential';

describe('notifyChannel on a real worker (dev server, loopback receivers)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let slack: HttpReceiver;
  let hook: HttpReceiver;
  let taskQueue: string;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    env = await connectToTestServer();
    slack = await startReceiver();
    hook = await startReceiver();
    const channels = parseChannelsFile(
      `channels:
  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }
  - { name: soc-pager, type: webhook, url: "${hook.url}/phasegate" }
`,
      'channels.yaml',
      { PHASEGATE_SLACK_IR_LEADS: `${slack.url}${SLACK_PATH}`, PHASEGATE_NOTIFY_SECRET: SIGNING_SECRET, PHASEGATE_WEBHOOK_SECRET: INBOUND_SECRET },
    );
    // The SIR client is never called here; notifyChannel is registered next to the SIR activities.
    const sir = new SirClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' } });
    taskQueue = uniqueTaskQueue('notify-channel');
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowsPath: require.resolve('./fixtures/notify-workflow'),
      activities: createActivities(sir, { notifications: { channels } }),
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await slack?.close();
    await hook?.close();
    await env?.teardown();
  });

  function start(delivery: ChannelDelivery) {
    return env.client.workflow.start(notifyOnce, { taskQueue, workflowId: `notify-${randomUUID()}`, args: [delivery] });
  }

  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => assert.fail('the workflow should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof ActivityFailure, `expected an ActivityFailure, got ${String(err.cause)}`);
    assert.ok(err.cause.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause.cause)}`);
    return err.cause.cause;
  }

  /** The whole history as the server stores it, as bytes: whatever is in there, a search finds it. */
  async function historyBytes(workflowId: string): Promise<Buffer> {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  }

  function assertNoSecrets(bytes: Buffer): void {
    for (const secret of [slack.url, hook.url, SLACK_PATH, 'history-probe-credential', SIGNING_SECRET, INBOUND_SECRET]) {
      assert.equal(bytes.indexOf(secret), -1, `${secret} is in the workflow history`);
    }
  }

  it('retries a 500 from Slack with the recommended backoff, then delivers', async () => {
    slack.requests.length = 0;
    slack.answer((_req, index) => (index === 0 ? { status: 500, body: 'internal_error' } : { status: 200, body: 'ok' }));
    const handle = await start({ channel: 'ir-leads-slack', notice: sampleNotice() });
    assert.deepEqual(await handle.result(), { channel: 'ir-leads-slack', status: 200 });
    assert.equal(slack.requests.length, 2);
    const gap = slack.requests[1]!.at - slack.requests[0]!.at;
    assert.ok(gap >= 1_900, `the retry came after ${gap} ms, before the 2 s initial interval`);

    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    assert.equal(scheduled.length, 1, 'one activity, retried by the server');
    const attrs = scheduled[0]!.activityTaskScheduledEventAttributes!;
    assert.equal(attrs.activityType?.name, 'notifyChannel');
    const input = attrs.input!.payloads!.map((p) => defaultPayloadConverter.fromPayload(p));
    assert.deepEqual(input, [{ channel: 'ir-leads-slack', notice: sampleNotice() }]);
    assertNoSecrets(await historyBytes(handle.workflowId));
  });

  it('waits as long as a 503 Retry-After says, longer than its own backoff, and signs each attempt', async () => {
    hook.requests.length = 0;
    hook.answer((_req, index) => (index === 0 ? { status: 503, headers: { 'retry-after': '4' } } : { status: 202 }));
    const handle = await start({ channel: 'soc-pager', notice: sampleNotice({ event: 'approval-reminder' }) });
    assert.deepEqual(await handle.result(), { channel: 'soc-pager', status: 202 });
    assert.equal(hook.requests.length, 2);
    const gap = hook.requests[1]!.at - hook.requests[0]!.at;
    assert.ok(gap >= 3_900, `the retry came after ${gap} ms, before Retry-After (4 s)`);
    for (const request of hook.requests) {
      assert.deepEqual(verifyWebhookSignature(request.headers[SIGNATURE_HEADER] as string, request.rawBody, [SIGNING_SECRET]), { ok: true });
    }
    assertNoSecrets(await historyBytes(handle.workflowId));
  });

  it('does not retry a 400: the workflow sees NotificationRefused after one request', async () => {
    slack.requests.length = 0;
    slack.answer(() => ({ status: 400, body: 'invalid_payload' }));
    const handle = await start({ channel: 'ir-leads-slack', notice: sampleNotice() });
    const f = await failureOf(handle.result());
    assert.equal(f.type, 'NotificationRefused');
    assert.match(f.message, /HTTP 400: invalid_payload/);
    assert.equal(slack.requests.length, 1);
    assertNoSecrets(await historyBytes(handle.workflowId));
  });

  it('notifyEscalation, as a running case schedules it with its URL, sends nothing there and is not retried', async () => {
    hook.requests.length = 0;
    hook.answer(() => ({ status: 204 }));
    const payload = { event: 'approval-escalated', caseId: '1234567890', workflowId: 'case-old', target: 'Containment, Eradication and Recovery', approvers: ['group:ciso'], approvalId: 1 };
    const handle = await env.client.workflow.start(escalateToUrl, { taskQueue, workflowId: `escalate-${randomUUID()}`, args: [`${hook.url}/escalations`, payload] });
    // The case's helper swallows the refusal: a notification never fails the case.
    assert.equal(await handle.result(), 'done');
    assert.equal(hook.requests.length, 0, 'nothing was POSTed to the URL from the input');

    const events = (await handle.fetchHistory()).events ?? [];
    assert.equal(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyEscalation').length, 1);
    const failed = events.map((e) => e.activityTaskFailedEventAttributes).filter((a) => a !== null && a !== undefined);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.retryState, temporal.api.enums.v1.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE, 'one attempt, not retried');
    const cause = failed[0]!.failure!;
    assert.equal(cause.applicationFailureInfo?.type, 'EscalationUrlRefused');
    assert.ok(!(cause.message ?? '').includes(hook.url), 'the failure does not repeat the URL');
  });

  it('fails an unknown channel at once with UnknownChannel', async () => {
    const handle = await start({ channel: 'ciso-pager', notice: sampleNotice() });
    const f = await failureOf(handle.result());
    assert.equal(f.type, 'UnknownChannel');
    assert.match(f.message, /"ciso-pager" is not in channels\.yaml/);
  });
});
