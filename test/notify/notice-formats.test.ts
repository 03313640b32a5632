/**
 * The pure parts of a notification: the Slack rendering of each event, the webhook body and
 * signature, and how a Retry-After answer is read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/notify/http-delivery';
import { slackMessage } from '../../src/notify/slack-message';
import { webhookMessage } from '../../src/notify/webhook-message';
import { verifyWebhookSignature } from '../../src/server/webhook-signature';
import { sampleNotice } from '../helpers/notices';

describe('Slack message', () => {
  it('heads each event with what happened', () => {
    const headers = (['approval-opened', 'approval-reminder', 'approval-escalated', 'approval-timed-out'] as const).map(
      (event) => (slackMessage(sampleNotice({ event })).blocks[0] as { text: { text: string } }).text.text,
    );
    assert.deepEqual(headers, [
      'Approval needed on case 1234567890',
      'Reminder: approval still needed on case 1234567890',
      'Escalated: approval needed on case 1234567890',
      'Approval timed out on case 1234567890',
    ]);
  });

  it('keeps how to decide when a timeout escalated, since the new approvers must decide', () => {
    const message = slackMessage(sampleNotice({ event: 'approval-timed-out', outcome: 'escalate', approvers: ['group:ciso'] }));
    assert.deepEqual(message.blocks.map((b) => b.type), ['header', 'section', 'section', 'context']);
    assert.match(message.text, /Outcome: escalated\. Decide: phasegate approve 1234567890 --approval 3$/);
  });

  it('names the case when there is no title, and leaves out what the notice does not carry', () => {
    const { title: _t, severity: _s, deadline: _d, ...bare } = sampleNotice();
    const message = slackMessage({ ...bare, approvalsNeeded: 1 });
    const summary = message.blocks[1] as { text: { text: string }; fields: Array<{ text: string }> };
    assert.equal(summary.text.text, '*Case 1234567890*');
    assert.deepEqual(summary.fields.map((f) => f.text.split('\n')[0]), ['*Case*', '*Move*', '*Approvers*', '*Approvals still needed*']);
    assert.equal(summary.fields[0]!.text, '*Case*\n1234567890');
    assert.match(message.text, /1 approval still needed\./);
    assert.doesNotMatch(message.text, /Deadline/);
  });

  it('stays within Block Kit limits for a long title and a long approver list', () => {
    const message = slackMessage(sampleNotice({ title: 'x'.repeat(5_000), approvers: Array.from({ length: 400 }, (_, i) => `approver-${i}`) }));
    const summary = message.blocks[1] as { text: { text: string }; fields: Array<{ text: string }> };
    assert.ok(summary.text.text.length <= 3_000);
    assert.ok(summary.fields.every((f) => f.text.length <= 2_000));
    assert.ok(message.text.length <= 3_000);
  });
});

describe('webhook message', () => {
  it('signs exactly the bytes it sends, at the given time', () => {
    const notice = sampleNotice();
    const { body, headers } = webhookMessage(notice, 'whsec_a', 1_700_000_000);
    assert.equal(body, JSON.stringify(notice));
    assert.match(headers['x-phasegate-signature']!, /^t=1700000000,v1=[0-9a-f]{64}$/);
    assert.deepEqual(verifyWebhookSignature(headers['x-phasegate-signature'], Buffer.from(body), ['whsec_a'], 1_700_000_010), { ok: true });
    // Our verifier's 5-minute window applies to notifications too: a replay is refused.
    assert.equal(verifyWebhookSignature(headers['x-phasegate-signature'], Buffer.from(body), ['whsec_a'], 1_700_000_000 + 301).ok, false);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    assert.equal(parseRetryAfter('7', now), 7_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Fri, 20 Nov 2026 10:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Fri, 20 Nov 2026 09:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('caps a very long wait: the gate reminds again before then', () => {
    assert.equal(parseRetryAfter('86400', now), MAX_RETRY_AFTER_MS);
  });
});
