/**
 * Slack's v0 request signature: the server's verifier against the example in Slack's own
 * documentation (an independent oracle), against the fake's separate signer, and every way a request
 * is refused (stale, from the future, another secret, a changed body, malformed headers), with
 * rotation across several secrets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signSlackRequest, verifySlackSignature } from '../../src/server/slack-signature';
import { slackSignedHeaders } from '../../src/slack-fake';

// From api.slack.com/authentication/verifying-requests-from-slack ("Validating a request").
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

describe("Slack's v0 request signature", () => {
  it("accepts Slack's documented example and signs it the same way (server and fake)", () => {
    assert.equal(signSlackRequest(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY), DOC_SIGNATURE);
    assert.equal(slackSignedHeaders(DOC_SECRET, DOC_BODY, DOC_TIMESTAMP)['x-slack-signature'], DOC_SIGNATURE);
    assert.deepEqual(verifySlackSignature({ signature: DOC_SIGNATURE, timestamp: String(DOC_TIMESTAMP) }, Buffer.from(DOC_BODY), [DOC_SECRET], DOC_TIMESTAMP + 10), { ok: true });
  });

  it('refuses the same request five minutes and a second later, or as far in the future', () => {
    const headers = { signature: DOC_SIGNATURE, timestamp: String(DOC_TIMESTAMP) };
    assert.equal(verifySlackSignature(headers, Buffer.from(DOC_BODY), [DOC_SECRET], DOC_TIMESTAMP + 300).ok, true);
    assert.deepEqual(verifySlackSignature(headers, Buffer.from(DOC_BODY), [DOC_SECRET], DOC_TIMESTAMP + 301), { ok: false, code: 'stale_signature', reason: 'request timestamp is 301 s old (limit 300 s)' });
    assert.deepEqual(verifySlackSignature(headers, Buffer.from(DOC_BODY), [DOC_SECRET], DOC_TIMESTAMP - 301), { ok: false, code: 'stale_signature', reason: 'request timestamp is 301 s in the future' });
  });

  it('refuses another secret, a changed body and malformed or missing headers', () => {
    const now = DOC_TIMESTAMP;
    const headers = { signature: DOC_SIGNATURE, timestamp: String(DOC_TIMESTAMP) };
    assert.equal(verifySlackSignature(headers, Buffer.from(DOC_BODY), ['another-secret'], now).ok, false);
    const changed = verifySlackSignature(headers, Buffer.from(DOC_BODY.replace('roadrunner', 'coyote')), [DOC_SECRET], now);
    assert.deepEqual(changed, { ok: false, code: 'bad_signature', reason: "signature does not match the body with the app's signing secret" });
    assert.equal(verifySlackSignature({ ...headers, signature: DOC_SIGNATURE.replace('v0=', 'v1=') }, Buffer.from(DOC_BODY), [DOC_SECRET], now).ok, false);
    assert.equal(verifySlackSignature({ ...headers, signature: `${DOC_SIGNATURE}00` }, Buffer.from(DOC_BODY), [DOC_SECRET], now).ok, false);
    assert.equal(verifySlackSignature({ ...headers, timestamp: '1531420618.5' }, Buffer.from(DOC_BODY), [DOC_SECRET], now).ok, false);
    assert.deepEqual(verifySlackSignature({ timestamp: String(now) }, Buffer.from(DOC_BODY), [DOC_SECRET], now), { ok: false, code: 'missing_signature', reason: 'missing x-slack-signature header' });
    assert.deepEqual(verifySlackSignature({ signature: DOC_SIGNATURE }, Buffer.from(DOC_BODY), [DOC_SECRET], now), { ok: false, code: 'missing_signature', reason: 'missing x-slack-request-timestamp header' });
  });

  it('takes any of several secrets during a rotation', () => {
    assert.equal(verifySlackSignature({ signature: DOC_SIGNATURE, timestamp: String(DOC_TIMESTAMP) }, Buffer.from(DOC_BODY), ['new-secret', DOC_SECRET], DOC_TIMESTAMP).ok, true);
  });
});
