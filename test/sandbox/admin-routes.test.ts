/**
 * The unsigned /__sandbox routes: what a human (or docker-compose) can do with curl, and the 400s
 * they get for bad input.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { admin, sendRaw, startTestSandbox, type SandboxTestContext } from './signed-http';

describe('sandbox admin routes', () => {
  let ctx: SandboxTestContext;
  const call = (method: string, path: string, body?: unknown) => admin(ctx.sandbox.url, method, path, body);

  before(async () => {
    ctx = await startTestSandbox();
  });
  after(() => ctx.sandbox.close());
  beforeEach(() => ctx.sandbox.reset());

  it('GET /healthz answers ok without a signature', async () => {
    const res = await call('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok' });
  });

  describe('faults', () => {
    it('POST arms a fault the SIR API then applies; GET lists it; DELETE disarms', async () => {
      const caseId = await ctx.http.newCase();
      const armed = await call('POST', '/faults', { operation: 'GetCase', kind: 'throttle', count: 2, retryAfterSeconds: 3 });
      assert.equal(armed.status, 201);
      assert.deepEqual(armed.json, { operation: 'GetCase', fault: { kind: 'throttle', count: 2, retryAfterSeconds: 3 } });

      const throttled = await ctx.http.getCase(caseId);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers['retry-after'], '3');
      const listed = await call('GET', '/faults');
      assert.deepEqual(listed.json.faults, [{ operation: 'GetCase', fault: { kind: 'throttle', count: 2, retryAfterSeconds: 3 }, remaining: 1 }]);

      assert.equal((await call('DELETE', '/faults')).status, 204);
      assert.equal((await ctx.http.getCase(caseId)).status, 200);
    });

    it('accepts every fault kind the API does', async () => {
      for (const fault of [
        { operation: '*', kind: 'latency', ms: 10 },
        { operation: 'UpdateCaseStatus', kind: 'internal', count: 1, afterApply: true },
        { operation: 'CloseCase', kind: 'conflict', caseIds: ['1234567890'] },
        { operation: 'CreateCaseComment', kind: 'error', name: 'ServiceQuotaExceededException', count: 1 },
      ]) {
        const res = await call('POST', '/faults', fault);
        assert.equal(res.status, 201, res.text);
      }
      assert.equal(ctx.sandbox.faults.list().length, 4);
    });

    for (const [label, body, expected] of [
      ['an unknown kind', { operation: 'GetCase', kind: 'explode', count: 1 }, /"path":"kind"/],
      ['a zero count', { operation: 'GetCase', kind: 'throttle', count: 0 }, /"path":"count"/],
      ['a missing count', { operation: 'GetCase', kind: 'internal' }, /"path":"count"/],
      ['a negative latency', { operation: 'GetCase', kind: 'latency', ms: -1 }, /"path":"ms"/],
      ['an unknown error name', { operation: 'GetCase', kind: 'error', name: 'TeapotException', count: 1 }, /"path":"name"/],
      ['an unknown operation', { operation: 'DeleteCase', kind: 'throttle', count: 1 }, /"path":"operation"/],
      ['a missing operation', { kind: 'throttle', count: 1 }, /"path":"operation"/],
      ['a misspelt member', { operation: 'GetCase', kind: 'throttle', count: 1, retryAfter: 5 }, /retryAfter/],
    ] as const) {
      it(`POST refuses ${label} with 400 {error, details}`, async () => {
        const res = await call('POST', '/faults', body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.error, 'invalid fault');
        assert.ok(Array.isArray(res.json.details) && res.json.details.length > 0);
        assert.match(JSON.stringify(res.json.details), expected);
        assert.deepEqual(ctx.sandbox.faults.list(), []);
      });
    }

    it('POST refuses malformed JSON with a 400 JSON error', async () => {
      const res = await call('POST', '/faults', '{"operation": ');
      assert.equal(res.status, 400);
      assert.equal(typeof res.json.error, 'string');
    });
  });

  describe('calls', () => {
    it('GET lists the call log, filtered by operation and caseId; DELETE empties it', async () => {
      const caseId = await ctx.http.newCase();
      await ctx.http.getCase(caseId);
      await ctx.http.listCases();

      const all = await call('GET', '/calls');
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.json.calls.map((c: { operation: string }) => c.operation),
        ['CreateCase', 'GetCase', 'ListCases'],
      );
      const filtered = await call('GET', `/calls?operation=GetCase&caseId=${caseId}`);
      assert.deepEqual(
        filtered.json.calls.map((c: { operation: string; statusCode: number }) => [c.operation, c.statusCode]),
        [['GetCase', 200]],
      );

      assert.equal((await call('DELETE', '/calls')).status, 204);
      assert.deepEqual((await call('GET', '/calls')).json.calls, []);
    });

    it('GET refuses an unknown operation or query parameter', async () => {
      const badOperation = await call('GET', '/calls?operation=DeleteCase');
      assert.equal(badOperation.status, 400);
      assert.equal(badOperation.json.details[0]?.path, 'operation');
      assert.equal((await call('GET', '/calls?op=GetCase')).status, 400);
    });
  });

  describe('cases', () => {
    it('POST /cases/:caseId/status sets any status, as the AWS responder would', async () => {
      const caseId = await ctx.http.newCase({ resolverType: 'AWS' });
      const res = await call('POST', `/cases/${caseId}/status`, { caseStatus: 'Ready to Close' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { caseId, caseStatus: 'Ready to Close' });
      assert.equal((await ctx.http.getCase(caseId)).json.caseStatus, 'Ready to Close');
    });

    it('refuses an unknown status (400) and an unknown case (404)', async () => {
      const caseId = await ctx.http.newCase();
      const bad = await call('POST', `/cases/${caseId}/status`, { caseStatus: 'Reopened' });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.details[0]?.path, 'caseStatus');
      const missing = await call('POST', '/cases/5555555555/status', { caseStatus: 'Acknowledged' });
      assert.equal(missing.status, 404);
      assert.match(missing.json.error, /5555555555/);
    });
  });

  it('POST /reset clears cases, faults and calls', async () => {
    const caseId = await ctx.http.newCase();
    ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 1 });
    const res = await sendRaw(ctx.sandbox.url, { method: 'POST', path: '/__sandbox/reset', headers: {} });
    assert.equal(res.status, 204);
    assert.equal(ctx.sandbox.getCase(caseId), undefined);
    assert.deepEqual(ctx.sandbox.faults.list(), []);
    assert.deepEqual(ctx.sandbox.calls.list(), []);
  });

  it('an unknown admin route is a 404 JSON error, not a SIR auth error', async () => {
    const res = await call('GET', '/nope');
    assert.equal(res.status, 404);
    assert.match(res.json.error, /no sandbox admin route GET \/__sandbox\/nope/);
  });
});
