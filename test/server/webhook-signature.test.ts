import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebhookSecrets, signWebhook, verifyWebhookSignature } from '../../src/server/webhook-signature';

const body = Buffer.from('{"id":"a-1"}');
const now = 1_790_000_000;

describe('webhook signature', () => {
  it('accepts a fresh signature made with the secret', () => {
    assert.deepEqual(verifyWebhookSignature(signWebhook('s3cret', body, now), body, ['s3cret'], now), { ok: true });
  });

  it('accepts either secret during a rotation, and several v1 values in one header', () => {
    assert.equal(verifyWebhookSignature(signWebhook('old', body, now), body, ['new', 'old'], now).ok, true);
    const both = `${signWebhook('new', body, now)},v1=${'0'.repeat(64)}`;
    assert.equal(verifyWebhookSignature(both, body, ['new'], now).ok, true);
  });

  const refusals: Array<[string, string | undefined, RegExp]> = [
    ['missing', undefined, /missing x-phasegate-signature/],
    ['empty', '', /missing/],
    ['no timestamp', `v1=${'a'.repeat(64)}`, /malformed/],
    ['no v1', `t=${now}`, /malformed/],
    ['two timestamps', `t=${now},t=${now},v1=${'a'.repeat(64)}`, /malformed/],
    ['non-numeric timestamp', `t=soon,v1=${'a'.repeat(64)}`, /malformed/],
    ['wrong secret', signWebhook('other', body, now), /does not match/],
    ['short hex', `t=${now},v1=abcd`, /does not match/],
    ['stale (5 min + 1 s)', signWebhook('s3cret', body, now - 301), /301 s old/],
    ['future-dated (5 min + 1 s)', signWebhook('s3cret', body, now + 301), /301 s in the future/],
    ['signature of another body', signWebhook('s3cret', '{"id":"a-2"}', now), /does not match/],
    ['signature with a shifted timestamp', signWebhook('s3cret', body, now).replace(`t=${now}`, `t=${now - 1}`), /does not match/],
  ];
  for (const [name, header, reason] of refusals) {
    it(`refuses a ${name} signature`, () => {
      const check = verifyWebhookSignature(header, body, ['s3cret'], now);
      assert.equal(check.ok, false);
      assert.match(check.ok ? '' : check.reason, reason);
    });
  }

  it('accepts the edge of the window and nothing past it', () => {
    assert.equal(verifyWebhookSignature(signWebhook('s3cret', body, now - 300), body, ['s3cret'], now).ok, true);
    assert.equal(verifyWebhookSignature(signWebhook('s3cret', body, now - 300), body, ['s3cret'], now + 1).ok, false);
  });

  it('reads comma-separated secrets, ignoring blanks', () => {
    assert.deepEqual(parseWebhookSecrets(' new , old,,'), ['new', 'old']);
    assert.deepEqual(parseWebhookSecrets(undefined), []);
  });
});
