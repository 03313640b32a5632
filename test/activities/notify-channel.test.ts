/**
 * notifyChannel on its own (MockActivityEnvironment) against real HTTP receivers on loopback: what a
 * webhook and a Slack endpoint receive, how each kind of answer maps to a Temporal failure (a redirect
 * is never followed), that webhooks are signed with notifications' own secret and never with the
 * inbound webhook secret, and that neither the URLs nor the signing secret reach a log line or a
 * failure. And the older notifyEscalation, which never sends to the URL in its input.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createNotificationActivities, type EscalationNotice } from '../../activities';
import { createLogger } from '../../src/cli/logger';
import type { ApprovalNotice, ChannelDelivery } from '../../src/domain/case/approval-notice';
import { parseChannelsFile } from '../../src/notify/channels-file';
import { DELIVERY_ID_HEADER } from '../../src/notify/webhook-message';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/server/webhook-signature';
import { type HttpReceiver, startReceiver } from '../helpers/http-receiver';
import { sampleNotice } from '../helpers/notices';

const SIGNING_SECRET = 'whsec_notify_test_7f3a9c';
/** What POST /v1/alerts accepts: set in the worker's environment too, and never used to sign a notice. */
const INBOUND_SECRET = 'whsec_inbound_alerts_2b8e';

/** What a Slack receiver parses: deliberately loose, so the assertions say what must be there. */
interface PostedText {
  type: string;
  text: string;
  emoji?: boolean;
}
interface PostedSlackMessage {
  text: string;
  blocks: Array<{ type: string; text?: PostedText; fields?: PostedText[]; elements?: PostedText[] }>;
}
const postedSlack = (raw: Buffer): PostedSlackMessage => JSON.parse(raw.toString('utf8')) as PostedSlackMessage;
const SLACK_PATH = '/services/T0000/B0000/slack-url-is-a-credential';

describe('notifyChannel (real receivers on loopback)', { timeout: 60_000 }, () => {
  let slack: HttpReceiver;
  let hook: HttpReceiver;
  let closedPort: HttpReceiver;
  /** Where the receivers' redirects point: it must never be asked anything. */
  let elsewhere: HttpReceiver;
  let logLines: string[];
  let acts: ReturnType<typeof createNotificationActivities>;
  let mock: MockActivityEnvironment;

  before(async () => {
    slack = await startReceiver();
    hook = await startReceiver();
    elsewhere = await startReceiver();
    // A port that was listening a moment ago and is now closed: connection refused.
    closedPort = await startReceiver();
    await closedPort.close();
    const env = {
      PHASEGATE_SLACK_IR_LEADS: `${slack.url}${SLACK_PATH}`,
      PHASEGATE_NOTIFY_SECRET: `${SIGNING_SECRET},whsec_older`,
      PHASEGATE_WEBHOOK_SECRET: INBOUND_SECRET,
      PHASEGATE_DEAD_HOOK: `${closedPort.url}/gone`,
    };
    const channels = parseChannelsFile(
      `channels:
  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }
  - { name: soc-pager, type: webhook, url: "${hook.url}/phasegate/hook" }
  - { name: dead-pager, type: webhook, urlEnv: PHASEGATE_DEAD_HOOK }
`,
      'channels.yaml',
      env,
    );
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    acts = createNotificationActivities({ channels, logger: createLogger({ PHASEGATE_LOG_LEVEL: 'info' }, sink), timeoutMs: 500 });
  });
  after(async () => {
    await slack.close();
    await hook.close();
    await elsewhere.close();
  });
  beforeEach(() => {
    slack.requests.length = 0;
    hook.requests.length = 0;
    elsewhere.requests.length = 0;
    slack.answer(() => ({ status: 200, body: 'ok' }));
    hook.answer(() => ({ status: 204 }));
    mock = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  });

  const notify = (delivery: ChannelDelivery) =>
    mock.run<[ChannelDelivery], { channel: string; status: number }, typeof acts.notifyChannel>(acts.notifyChannel, delivery);

  async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => assert.fail('the activity should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    return err;
  }

  describe('webhook channel', () => {
    it('POSTs {event, ...notice} signed the way our own inbound webhook verifies it', async () => {
      const notice = sampleNotice();
      const result = await notify({ channel: 'soc-pager', notice });
      assert.deepEqual(result, { channel: 'soc-pager', status: 204 });

      const [request] = hook.requests;
      assert.ok(request);
      assert.equal(request.method, 'POST');
      assert.equal(request.path, '/phasegate/hook');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers['x-phasegate-event'], 'approval-opened');
      const body = JSON.parse(request.rawBody.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(body, { ...notice });
      assert.equal(Object.keys(body)[0], 'event');

      const header = request.headers[SIGNATURE_HEADER] as string;
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.deepEqual(verifyWebhookSignature(header, request.rawBody, [SIGNING_SECRET]), { ok: true });
      // The verifier of a receiver configured with another secret refuses it.
      const wrong = verifyWebhookSignature(header, request.rawBody, ['whsec_older']);
      assert.equal(wrong.ok, false);
      // So does POST /v1/alerts' own check: a receiver cannot turn what it got into an alert.
      assert.equal(verifyWebhookSignature(header, request.rawBody, [INBOUND_SECRET]).ok, false);
      // A body changed in transit does not verify either.
      assert.equal(verifyWebhookSignature(header, Buffer.from(request.rawBody.toString().replace('"severity":8', '"severity":1')), [SIGNING_SECRET]).ok, false);
    });

    it('a receiver that verifies with another secret answers 401, which is not retried', async () => {
      hook.answer((request) =>
        verifyWebhookSignature(request.headers[SIGNATURE_HEADER] as string, request.rawBody, ['whsec_the_receivers_own']).ok
          ? { status: 200 }
          : { status: 401, body: 'bad signature' },
      );
      const f = await failure(notify({ channel: 'soc-pager', notice: sampleNotice() }));
      assert.equal(f.type, 'NotificationRefused');
      assert.equal(f.nonRetryable, true);
      assert.match(f.message, /^channel "soc-pager" \(webhook\): HTTP 401: bad signature$/);
      assert.equal(hook.requests.length, 1);
    });

    it('names the notice with the same delivery id on every attempt, and a new one for a new event', async () => {
      const notice = sampleNotice();
      await notify({ channel: 'soc-pager', notice });
      await notify({ channel: 'soc-pager', notice });
      await notify({ channel: 'soc-pager', notice: { ...notice, event: 'approval-reminder', at: '2026-11-20T10:30:00.000Z' } });
      const ids = hook.requests.map((r) => r.headers[DELIVERY_ID_HEADER]);
      assert.match(String(ids[0]), /^[0-9a-f]{32}$/);
      assert.equal(ids[1], ids[0]);
      assert.notEqual(ids[2], ids[0]);
    });
  });

  describe('Slack channel', () => {
    it('posts text and header/section/context blocks naming the case, the move, the approvers and how to decide', async () => {
      const notice = sampleNotice();
      const result = await notify({ channel: 'ir-leads-slack', notice });
      assert.deepEqual(result, { channel: 'ir-leads-slack', status: 200 });
      const [request] = slack.requests;
      assert.ok(request);
      assert.equal(request.path, SLACK_PATH);
      assert.equal(request.headers[SIGNATURE_HEADER], undefined, 'Slack gets no phasegate signature');
      const message = postedSlack(request.rawBody);
      assert.deepEqual(Object.keys(message).sort(), ['blocks', 'text']);

      assert.match(message.text, /^Approval needed on case 1234567890 \(GuardDuty UnauthorizedAccess:EC2\/SSHBruteForce in 111122223333 \(eu-west-1\)\): Detection and Analysis → Containment, Eradication and Recovery\./);
      assert.match(message.text, /Approvers: group:ir-leads, alice; 2 approvals still needed\. Deadline 2026-11-20T11:00:00\.000Z\./);
      assert.match(message.text, /phasegate approve 1234567890 --approval 3$/);

      assert.deepEqual(message.blocks.map((b) => b.type), ['header', 'section', 'section', 'context']);
      const [header, summary, decide, context] = message.blocks;
      assert.deepEqual(header!.text, { type: 'plain_text', text: 'Approval needed on case 1234567890', emoji: false });
      assert.equal(summary!.text!.text, '*GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in 111122223333 (eu-west-1)*');
      const fields = summary!.fields!.map((f) => f.text);
      assert.ok(summary!.fields!.every((f) => f.type === 'mrkdwn'));
      assert.deepEqual(fields.slice(0, 4), [
        '*Case*\n1234567890 · severity 8',
        '*Move*\nDetection and Analysis → Containment, Eradication and Recovery',
        '*Approvers*\ngroup:ir-leads, alice',
        '*Approvals still needed*\n2',
      ]);
      assert.equal(fields[4], `*Deadline*\n<!date^${Date.parse('2026-11-20T11:00:00.000Z') / 1000}^{date_short_pretty} {time}|2026-11-20T11:00:00.000Z>`);
      assert.match(decide!.text!.text, /`phasegate approve 1234567890 --approval 3`/);
      assert.match(decide!.text!.text, /`POST \/v1\/cases\/1234567890\/decisions \{"approvalId":3,"decision":"approve"\}`/);
      assert.match(context!.elements![0]!.text, /playbook guardduty-high-severity · approval #3 · approval-opened /);
    });

    it('says what a timeout did and leaves out how to decide once nothing is left to decide', async () => {
      await notify({ channel: 'ir-leads-slack', notice: sampleNotice({ event: 'approval-timed-out', outcome: 'reject', approvalsNeeded: 0 }) });
      const message = postedSlack(slack.requests[0]!.rawBody);
      assert.equal(message.blocks[0]!.text!.text, 'Approval timed out on case 1234567890');
      assert.ok(message.blocks[1]!.fields!.some((f) => f.text === '*Outcome*\nrejected by the timeout'));
      assert.deepEqual(message.blocks.map((b) => b.type), ['header', 'section', 'context']);
      assert.doesNotMatch(message.text, /phasegate approve/);
      assert.match(message.text, /Outcome: rejected by the timeout\./);
    });

    it('escapes alert text, so a title cannot mention @channel or forge a link', async () => {
      await notify({ channel: 'ir-leads-slack', notice: sampleNotice({ title: 'host <!channel> & <https://evil.example|click>' }) });
      const raw = slack.requests[0]!.rawBody.toString('utf8');
      assert.ok(!raw.includes('<!channel>') && !raw.includes('<https://evil'), raw);
      const message = postedSlack(Buffer.from(raw));
      assert.equal(message.blocks[1]!.text!.text, '*host &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;*');
    });
  });

  describe('failures', () => {
    it('500 is retryable and leaves the delay to the retry policy', async () => {
      slack.answer(() => ({ status: 500, body: 'internal' }));
      const f = await failure(notify({ channel: 'ir-leads-slack', notice: sampleNotice() }));
      assert.equal(f.type, 'NotificationFailed');
      assert.equal(f.nonRetryable, false);
      assert.equal(f.nextRetryDelay, undefined);
      assert.match(f.message, /HTTP 500: internal/);
    });

    it('429 and 503 are retryable with Retry-After (seconds or a date) as the next delay', async () => {
      slack.answer(() => ({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } }));
      const throttled = await failure(notify({ channel: 'ir-leads-slack', notice: sampleNotice() }));
      assert.deepEqual([throttled.type, throttled.nonRetryable, throttled.nextRetryDelay], ['NotificationFailed', false, 7_000]);

      const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
      hook.answer(() => ({ status: 503, headers: { 'retry-after': inTwoMinutes } }));
      const unavailable = await failure(notify({ channel: 'soc-pager', notice: sampleNotice() }));
      assert.equal(unavailable.nonRetryable, false);
      const delay = Number(unavailable.nextRetryDelay);
      assert.ok(delay > 100_000 && delay <= 120_000, `delay ${delay} ms from an HTTP-date Retry-After`);
    });

    for (const [status, answer] of [
      [400, 'invalid_payload'],
      [403, 'invalid_token'],
      [404, 'no_service'],
      [410, 'channel_is_archived'],
    ] as const) {
      it(`${status} is refused without a retry`, async () => {
        slack.answer(() => ({ status, body: answer }));
        const f = await failure(notify({ channel: 'ir-leads-slack', notice: sampleNotice() }));
        assert.equal(f.type, 'NotificationRefused');
        assert.equal(f.nonRetryable, true);
        assert.equal(f.message, `channel "ir-leads-slack" (slack): HTTP ${status}: ${answer}`);
      });
    }

    for (const status of [301, 302, 303, 307, 308]) {
      it(`a ${status} redirect from either kind of channel fails the delivery, and its target hears nothing`, async () => {
        const redirect = () => ({ status, headers: { location: `${elsewhere.url}/collect` } });
        hook.answer(redirect);
        slack.answer(redirect);
        for (const [channel, receiver, type] of [['soc-pager', hook, 'webhook'], ['ir-leads-slack', slack, 'slack']] as const) {
          const f = await failure(notify({ channel, notice: sampleNotice() }));
          assert.deepEqual([f.type, f.nonRetryable], ['NotificationRefused', true], channel);
          assert.equal(f.message, `channel "${channel}" (${type}): HTTP ${status}: a redirect; configure the URL it points to`);
          assert.equal(receiver.requests.length, 1, `${channel} was asked once`);
        }
        assert.equal(elsewhere.requests.length, 0, 'the redirect target received nothing');
        assert.ok(!logLines.join('\n').includes(elsewhere.url), 'the redirect target is not logged');
      });
    }

    it('no answer within the timeout is retryable', async () => {
      hook.answer(() => ({ status: 0, hang: true }));
      const started = Date.now();
      const f = await failure(notify({ channel: 'soc-pager', notice: sampleNotice() }));
      assert.deepEqual([f.type, f.nonRetryable], ['NotificationFailed', false]);
      assert.match(f.message, /no answer within 0\.5 s/);
      assert.ok(Date.now() - started < 5_000);
    });

    it('a refused connection is retryable', async () => {
      const f = await failure(notify({ channel: 'dead-pager', notice: sampleNotice() }));
      assert.deepEqual([f.type, f.nonRetryable], ['NotificationFailed', false]);
      assert.equal(f.message, 'channel "dead-pager" (webhook): network error (ECONNREFUSED)');
    });

    it('a channel the file does not define fails at once with UnknownChannel', async () => {
      const f = await failure(notify({ channel: 'ciso-pager', notice: sampleNotice() }));
      assert.deepEqual([f.type, f.nonRetryable], ['UnknownChannel', true]);
      assert.equal(f.message, 'channel "ciso-pager" is not in channels.yaml; it has "ir-leads-slack", "soc-pager", "dead-pager"');
    });

    it('without a channels file every channel is unknown', async () => {
      const bare = createNotificationActivities();
      const f = await failure(mock.run(bare.notifyChannel, { channel: 'ir-leads-slack', notice: sampleNotice() }));
      assert.deepEqual([f.type, f.nonRetryable], ['UnknownChannel', true]);
      assert.match(f.message, /this worker has no channels file \(PHASEGATE_CHANNELS\)/);
    });

    it('refuses an input that is not a channel delivery, such as one carrying a URL', async () => {
      const withUrl = { channel: 'soc-pager', url: `${hook.url}/x`, notice: sampleNotice() } as unknown as ChannelDelivery;
      const f = await failure(notify(withUrl));
      assert.deepEqual([f.type, f.nonRetryable], ['InvalidNotice', true]);
      assert.match(f.message, /Unrecognized key: "url"/);
      const broken = { channel: 'soc-pager', notice: { ...sampleNotice(), approvers: 'alice', event: 'approval-closed' } } as unknown as ChannelDelivery;
      const g = await failure(notify(broken));
      assert.match(g.message, /notice\.event: .*; notice\.approvers: /);
      assert.equal(hook.requests.length, 0, 'nothing was sent');
    });
  });

  describe('notifyEscalation (the older hook, with a URL in its input)', () => {
    const escalate = (notice: EscalationNotice) => mock.run<[EscalationNotice], void, typeof acts.notifyEscalation>(acts.notifyEscalation, notice);
    const payload = { event: 'approval-escalated', caseId: '1234567890', workflowId: 'case-old', target: 'Containment, Eradication and Recovery', approvers: ['group:ciso'], approvalId: 1 };

    it('sends nothing to the URL and fails without a retry, naming neither the URL nor a secret', async () => {
      const f = await failure(escalate({ url: `${elsewhere.url}/escalations?token=t0k3n`, payload }));
      assert.deepEqual([f.type, f.nonRetryable], ['EscalationUrlRefused', true]);
      assert.match(f.message, /^not sent: phasegate no longer POSTs to a URL taken from workflow input .* name channels from the worker's channels file \(PHASEGATE_CHANNELS\) in escalation\.notify instead$/);
      assert.ok(!f.message.includes(elsewhere.url) && !f.message.includes('t0k3n'), f.message);
      assert.equal(elsewhere.requests.length, 0);
    });

    it("sends nothing even to a configured channel's own URL: the input would still choose what is sent there", async () => {
      for (const url of [`${hook.url}/phasegate/hook`, `${slack.url}${SLACK_PATH}`]) {
        const f = await failure(escalate({ url, payload }));
        assert.equal(f.type, 'EscalationUrlRefused');
      }
      assert.equal(hook.requests.length + slack.requests.length, 0);
    });
  });

  describe('logs', () => {
    it('record each delivery by channel, event, case and status, and never a URL or the secret', async () => {
      logLines.length = 0;
      const notice: ApprovalNotice = sampleNotice();
      await notify({ channel: 'ir-leads-slack', notice });
      hook.answer(() => ({ status: 500 }));
      await failure(notify({ channel: 'soc-pager', notice }));
      await failure(notify({ channel: 'dead-pager', notice }));
      await failure(notify({ channel: 'nowhere', notice }));
      await failure(
        mock.run<[EscalationNotice], void, typeof acts.notifyEscalation>(acts.notifyEscalation, {
          url: `${hook.url}/escalations?token=t0k3n`,
          payload: { caseId: '1234567890', approvalId: 3 },
        }),
      );

      const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((l) => [l.msg, l.channel, l.status]),
        [
          ['notification delivered', 'ir-leads-slack', 200],
          ['notification not delivered', 'soc-pager', 500],
          ['notification not delivered', 'dead-pager', undefined],
          ['notification for an unknown channel', 'nowhere', undefined],
          ["escalation notice to a URL from workflow input refused: nothing was sent; name channels in the playbook's escalation.notify", undefined, undefined],
        ],
      );
      assert.deepEqual([lines[4]!.caseId, lines[4]!.approvalId, lines[4]!.level], ['1234567890', 3, 40]);
      assert.deepEqual([lines[0]!.event, lines[0]!.caseId, lines[0]!.approvalId, lines[0]!.channelType], ['approval-opened', '1234567890', 3, 'slack']);
      assert.equal(lines[1]!.retryable, true);
      const all = logLines.join('\n');
      for (const secret of [slack.url, hook.url, closedPort.url, SLACK_PATH, 'slack-url-is-a-credential', SIGNING_SECRET, INBOUND_SECRET, 't0k3n', '127.0.0.1']) {
        assert.ok(!all.includes(secret), `${secret} appears in the logs:\n${all}`);
      }
    });
  });
});
