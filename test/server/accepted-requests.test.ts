/**
 * The replay cache of POST /v1/alerts (src/server/accepted-requests.ts): a signed request already
 * accepted is answered with its first answer; a concurrent copy waits for it; entries expire with the
 * signature and the cache stays bounded. Real Node HTTP responses stand in for the requests' replies.
 */
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { AcceptedRequests } from '../../src/server/accepted-requests';
import { signWebhook } from '../../src/server/webhook-signature';

const response = (): ServerResponse => new ServerResponse(new IncomingMessage(new Socket()));
const body = (n: number): Buffer => Buffer.from(JSON.stringify({ alert: n }));

describe('accepted signed requests', () => {
  const t = Math.floor(Date.now() / 1000);

  it('answers a replay with the first answer, and a different body or timestamp as new', async () => {
    const cache = new AcceptedRequests();
    const header = signWebhook('s', body(1), t);
    assert.equal(await cache.replayOf(header, body(1), response()), undefined);
    cache.remember(header, body(1), { caseWorkflowId: 'case-1', duplicate: false });
    assert.deepEqual(await cache.replayOf(header, body(1), response()), { caseWorkflowId: 'case-1', duplicate: false });
    // A second signature value for the same timestamp and body (a rotated secret) is the same request.
    assert.deepEqual(await cache.replayOf(`${header},v1=${'0'.repeat(64)}`, body(1), response()), { caseWorkflowId: 'case-1', duplicate: false });
    assert.equal(await cache.replayOf(signWebhook('s', body(2), t), body(2), response()), undefined);
    assert.equal(await cache.replayOf(signWebhook('s', body(1), t + 1), body(1), response()), undefined);
  });

  it('with oneRepeat, lets the first copy after the answer run as a repeat, once, and keeps the first answer', async () => {
    const cache = new AcceptedRequests();
    const header = signWebhook('s', body(7), t);
    assert.equal(await cache.replayOf(header, body(7), response(), { oneRepeat: true }), undefined);
    cache.remember(header, body(7), { caseWorkflowId: 'case-7', duplicate: false });
    assert.equal(await cache.replayOf(header, body(7), response(), { oneRepeat: true }), undefined, 'the first copy runs');
    // The repeat's own answer does not replace the first one.
    cache.remember(header, body(7), { caseWorkflowId: 'case-7', duplicate: true });
    assert.deepEqual(await cache.replayOf(header, body(7), response(), { oneRepeat: true }), { caseWorkflowId: 'case-7', duplicate: false });
    assert.deepEqual(await cache.replayOf(header, body(7), response(), { oneRepeat: true }), { caseWorkflowId: 'case-7', duplicate: false });
  });

  it('with oneRepeat, gives a copy that waited on the first while it ran (an over-eager retry) the first answer', async () => {
    const cache = new AcceptedRequests();
    const header = signWebhook('s', body(8), t);
    assert.equal(await cache.replayOf(header, body(8), response(), { oneRepeat: true }), undefined);
    const copy = cache.replayOf(header, body(8), response(), { oneRepeat: true });
    cache.remember(header, body(8), { caseWorkflowId: 'case-8', duplicate: false });
    assert.deepEqual(await copy, { caseWorkflowId: 'case-8', duplicate: false });
    // The copy that waited did not use up the one repeat.
    assert.equal(await cache.replayOf(header, body(8), response(), { oneRepeat: true }), undefined);
  });

  it('makes a concurrent copy wait for the first: the first answer if it was accepted', async () => {
    const cache = new AcceptedRequests();
    const header = signWebhook('s', body(3), t);
    assert.equal(await cache.replayOf(header, body(3), response()), undefined);
    let settled = false;
    const copy = cache.replayOf(header, body(3), response()).then((answer) => {
      settled = true;
      return answer;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(settled, false, 'the copy waits while the first is in flight');
    cache.remember(header, body(3), { ok: 1 });
    assert.deepEqual(await copy, { ok: 1 });
  });

  it('lets the copy run itself when the first was not accepted (its response ended without an answer to remember)', async () => {
    const cache = new AcceptedRequests();
    const header = signWebhook('s', body(4), t);
    const first = response();
    assert.equal(await cache.replayOf(header, body(4), first), undefined);
    const copy = cache.replayOf(header, body(4), response());
    first.emit('close');
    assert.equal(await copy, undefined);
  });

  it('forgets a request once its signature has expired, and keeps at most the bound', async () => {
    let now = t * 1000;
    const cache = new AcceptedRequests(3, () => now);
    for (let n = 0; n < 5; n++) cache.remember(signWebhook('s', body(n), t), body(n), { n });
    assert.equal(cache.size, 3);
    assert.equal(await cache.replayOf(signWebhook('s', body(0), t), body(0), response()), undefined, 'the oldest went first');
    now = (t + 301) * 1000;
    cache.remember(signWebhook('s', body(9), t + 301), body(9), { n: 9 });
    assert.equal(cache.size, 1, 'expired entries are swept');
  });
});
