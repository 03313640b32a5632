/**
 * Fault injection (each kind, how faults are matched and consumed) and the call log that lets tests
 * see what a client really did.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_DEFAULT_CREDENTIALS } from '../../src/sandbox';
import { sendRaw, startTestSandbox, UUID, type SandboxTestContext } from './signed-http';

// Typed out from the model (reference §3) rather than read from src/domain, so a wrong status or a
// missing required member there would show up here.
const MODELLED_ERRORS = [
  { name: 'AccessDeniedException', status: 403, members: [] },
  { name: 'ConflictException', status: 409, members: ['resourceId', 'resourceType'] },
  { name: 'InternalServerException', status: 500, members: [] },
  { name: 'InvalidTokenException', status: 423, members: [] },
  { name: 'ResourceNotFoundException', status: 404, members: [] },
  { name: 'SecurityIncidentResponseNotActiveException', status: 400, members: [] },
  { name: 'ServiceQuotaExceededException', status: 402, members: ['resourceId', 'resourceType', 'serviceCode', 'quotaCode'] },
  { name: 'ThrottlingException', status: 429, members: [] },
  { name: 'ValidationException', status: 400, members: ['reason'] },
] as const;

describe('sandbox fault injection', () => {
  let ctx: SandboxTestContext;
  let caseId: string;

  before(async () => {
    ctx = await startTestSandbox();
  });
  after(() => ctx.sandbox.close());
  beforeEach(async () => {
    ctx.sandbox.reset();
    caseId = await ctx.http.newCase();
  });

  describe('throttle', () => {
    it('answers 429 ThrottlingException count times with Retry-After in the header, then lets calls through', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 2, retryAfterSeconds: 7 });
      const first = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      const second = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      const third = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      for (const res of [first, second]) {
        assert.equal(res.status, 429);
        assert.equal(res.headers['x-amzn-errortype'], 'ThrottlingException');
        assert.equal(res.headers['retry-after'], '7');
        assert.equal(res.json.__type, 'ThrottlingException');
        assert.equal('retryAfterSeconds' in res.json, false, 'Retry-After travels in the header, never the body');
        assert.equal(typeof res.json.message, 'string');
      }
      assert.equal(third.status, 201);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
    });

    it('sends no Retry-After when none was asked for', async () => {
      ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 1 });
      const res = await ctx.http.getCase(caseId);
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], undefined);
    });
  });

  describe('internal', () => {
    it('answers 500 InternalServerException without applying the change', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'internal', count: 1, retryAfterSeconds: 2 });
      const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      assert.equal(res.status, 500);
      assert.equal(res.headers['x-amzn-errortype'], 'InternalServerException');
      assert.equal(res.headers['retry-after'], '2');
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    });

    it('with afterApply, applies the change and then answers 500 (a lost response); the retry meets the table', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'internal', count: 1, afterApply: true });
      const lost = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      assert.equal(lost.status, 500);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
      const retry = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      assert.equal(retry.status, 409);
    });

    it('with afterApply on CreateCase, the case exists although the client saw a 500', async () => {
      ctx.sandbox.faults.inject('CreateCase', { kind: 'internal', count: 1, afterApply: true });
      const res = await ctx.http.createCase({
        resolverType: 'Self',
        title: 'lost',
        description: 'lost answer',
        engagementType: 'Investigation',
        reportedIncidentStartDate: 1_795_000_000,
        impactedAccounts: [],
        watchers: [],
        clientToken: 'lost-1',
      });
      assert.equal(res.status, 500);
      const list = await ctx.http.listCases();
      assert.equal(list.json.total, 2);
      assert.equal(list.json.items[1]?.title, 'lost');
    });
  });

  describe('latency', () => {
    it('delays the answer by ms for count calls', async () => {
      ctx.sandbox.faults.inject('GetCase', { kind: 'latency', ms: 300, count: 1 });
      let started = performance.now();
      const slow = await ctx.http.getCase(caseId);
      const slowMs = performance.now() - started;
      started = performance.now();
      await ctx.http.getCase(caseId);
      const fastMs = performance.now() - started;
      assert.equal(slow.status, 200);
      assert.ok(slowMs >= 290, `the delayed call took ${slowMs} ms`);
      assert.ok(fastMs < 250, `the next call took ${fastMs} ms`);
    });

    it('without count, delays every call until cleared', async () => {
      ctx.sandbox.faults.inject('*', { kind: 'latency', ms: 120 });
      for (let i = 0; i < 2; i++) {
        const started = performance.now();
        await ctx.http.listCases();
        assert.ok(performance.now() - started >= 110);
      }
      ctx.sandbox.faults.clear();
      const started = performance.now();
      await ctx.http.listCases();
      assert.ok(performance.now() - started < 110);
    });

    it('holds many delayed calls at once without a listener-leak warning', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      try {
        ctx.sandbox.faults.inject('ListCases', { kind: 'latency', ms: 100 });
        const answers = await Promise.all(Array.from({ length: 30 }, () => ctx.http.listCases()));
        assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
        // Node emits warnings on the next tick.
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
      } finally {
        process.off('warning', onWarning);
        ctx.sandbox.faults.clear();
      }
    });

    it('composes with a failure: slow, then throttled', async () => {
      ctx.sandbox.faults.inject('GetCase', { kind: 'latency', ms: 150, count: 1 });
      ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 1 });
      const started = performance.now();
      const res = await ctx.http.getCase(caseId);
      assert.equal(res.status, 429);
      assert.ok(performance.now() - started >= 140);
    });
  });

  describe('conflict', () => {
    it('answers 409 only for the chosen caseIds, until cleared when no count is given', async () => {
      const other = await ctx.http.newCase();
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'conflict', caseIds: [caseId] });
      for (let i = 0; i < 2; i++) {
        const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
        assert.equal(res.status, 409);
        assert.equal(res.json.__type, 'ConflictException');
        assert.equal(res.json.resourceId, caseId);
        assert.equal(res.json.resourceType, 'case');
      }
      assert.equal((await ctx.http.updateCaseStatus(other, 'Detection and Analysis')).status, 201);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
      ctx.sandbox.faults.clear();
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 201);
    });

    it('with a count, stops after that many calls', async () => {
      ctx.sandbox.faults.inject('CloseCase', { kind: 'conflict', count: 1 });
      assert.equal((await ctx.http.closeCase(caseId)).status, 409);
      assert.equal((await ctx.http.closeCase(caseId)).status, 200);
    });
  });

  describe('error', () => {
    for (const { name, status, members } of MODELLED_ERRORS) {
      it(`answers ${name} with HTTP ${status} and its required members`, async () => {
        ctx.sandbox.faults.inject('GetCase', { kind: 'error', name, count: 1 });
        const res = await ctx.http.getCase(caseId);
        assert.equal(res.status, status);
        assert.equal(res.headers['x-amzn-errortype'], name);
        assert.equal(res.json.__type, name);
        assert.equal(typeof res.json.message, 'string');
        for (const member of members) assert.equal(typeof res.json[member], 'string', `${name}.${member} is required`);
        assert.match(String(res.headers['x-amzn-requestid']), UUID);
        assert.equal((await ctx.http.getCase(caseId)).status, 200, 'count 1 means one call');
      });
    }
  });

  describe('unmodelled (a front end answers, not the service)', () => {
    for (const status of [502, 503, 504]) {
      it(`answers ${status} with an HTML page, no error type and no request id`, async () => {
        ctx.sandbox.faults.inject('GetCase', { kind: 'unmodelled', status, count: 1 });
        const res = await ctx.http.getCase(caseId);
        assert.equal(res.status, status);
        assert.match(String(res.headers['content-type']), /^text\/html/);
        assert.match(res.text, new RegExp(`<h1>${status} `));
        assert.equal(res.headers['x-amzn-errortype'], undefined);
        assert.equal(res.headers['x-amzn-requestid'], undefined);
        assert.equal((await ctx.http.getCase(caseId)).status, 200);
      });
    }

    it('answers a 429 with an unmodelled error type and a Retry-After, as JSON when asked', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'unmodelled', status: 429, count: 1, errorType: 'TooManyRequestsException', body: 'json', retryAfterSeconds: 2 });
      const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      assert.equal(res.status, 429);
      assert.equal(res.headers['x-amzn-errortype'], 'TooManyRequestsException');
      assert.equal(res.headers['retry-after'], '2');
      assert.equal(res.json.__type, 'TooManyRequestsException');
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
      assert.deepEqual(ctx.sandbox.calls.list({ operation: 'UpdateCaseStatus' }).map((c) => [c.statusCode, c.errorType]), [[429, 'TooManyRequestsException']]);
    });

    it('with afterApply, applies the change and then answers the page', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'unmodelled', status: 504, count: 1, afterApply: true });
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 504);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
    });
  });

  describe('reset', () => {
    it('resets the connection instead of answering, and logs the call with status 0', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'reset', count: 1 });
      const err = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis').then(
        () => assert.fail('expected the connection to be reset'),
        (e: NodeJS.ErrnoException) => e,
      );
      assert.equal(err.code, 'ECONNRESET');
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
      assert.deepEqual(ctx.sandbox.calls.list({ operation: 'UpdateCaseStatus' }).map((c) => c.statusCode), [0]);
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 201);
    });

    it('with afterApply, the change is made although the client only saw a reset', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'reset', count: 1, afterApply: true });
      await assert.rejects(ctx.http.updateCaseStatus(caseId, 'Detection and Analysis'), { code: 'ECONNRESET' });
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Detection and Analysis');
    });
  });

  describe('clock-skew', () => {
    it('moves the sandbox clock: a request signed now is "Signature expired", and the Date header shows the sandbox time', async () => {
      ctx.sandbox.faults.inject('*', { kind: 'clock-skew', offsetSeconds: 900 });
      const res = await ctx.http.getCase(caseId);
      assert.equal(res.status, 403);
      assert.equal(res.headers['x-amzn-errortype'], 'InvalidSignatureException');
      assert.match(res.json.message, /^Signature expired/);
      const serverDate = Date.parse(String(res.headers.date));
      assert.ok(Math.abs(serverDate - (Date.now() + 900_000)) < 5_000, `Date ${String(res.headers.date)} is not 15 min ahead`);
      // Signed with the sandbox's time, the same request passes: the skew is not consumed.
      assert.equal((await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { signingDate: new Date(serverDate) })).status, 200);
      assert.equal(ctx.sandbox.faults.list().length, 1);
      ctx.sandbox.faults.clear();
      assert.equal((await ctx.http.getCase(caseId)).status, 200);
    });

    it('a clock behind makes a request signed now "not yet current"', async () => {
      ctx.sandbox.faults.inject('*', { kind: 'clock-skew', offsetSeconds: -900 });
      const res = await ctx.http.getCase(caseId);
      assert.equal(res.status, 403);
      assert.match(res.json.message, /^Signature not yet current/);
    });
  });

  describe('expired-token', () => {
    it('refuses requests signed with the named keys only, with 403 ExpiredTokenException, until cleared', async () => {
      const other = { accessKeyId: 'ASIAPHASEGATEOTHER01', secretAccessKey: 'other/secret/for+the/sandbox+tests/00000', sessionToken: 'session-2' };
      const strict = await startTestSandbox({ credentials: [SANDBOX_DEFAULT_CREDENTIALS, other] });
      try {
        const id = await strict.http.newCase();
        strict.sandbox.faults.inject('*', { kind: 'expired-token', accessKeyIds: [SANDBOX_DEFAULT_CREDENTIALS.accessKeyId] });
        for (let i = 0; i < 2; i++) {
          const res = await strict.http.getCase(id);
          assert.equal(res.status, 403);
          assert.equal(res.headers['x-amzn-errortype'], 'ExpiredTokenException');
          assert.match(res.json.message, /security token included in the request is expired/);
        }
        const withOther = await strict.http.call('GET', `/v1/cases/${id}/get-case`, undefined, { credentials: other });
        assert.equal(withOther.status, 200);
        strict.sandbox.faults.clear();
        assert.equal((await strict.http.getCase(id)).status, 200);
      } finally {
        await strict.sandbox.close();
      }
    });
  });

  describe('illegal-transition', () => {
    it('answers a refused transition (a retry of one already applied) with the chosen error, and leaves legal ones alone', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'illegal-transition', as: 'ValidationException', count: 2 });
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 201);
      const again = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      assert.equal(again.status, 400);
      assert.equal(again.json.__type, 'ValidationException');
      assert.match(again.json.message, /already in "Detection and Analysis"/);
      // Count spent: the sandbox's configured answer (ConflictException) is back.
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis')).status, 409);
    });
  });

  describe('matching and consumption', () => {
    it('"*" applies to every operation', async () => {
      ctx.sandbox.faults.inject('*', { kind: 'throttle', count: 3 });
      assert.equal((await ctx.http.getCase(caseId)).status, 429);
      assert.equal((await ctx.http.listCases()).status, 429);
      assert.equal((await ctx.http.createComment(caseId, { body: 'x' })).status, 429);
      assert.equal((await ctx.http.listCases()).status, 200);
    });

    it('a fault for one operation is not consumed by another', async () => {
      ctx.sandbox.faults.inject('CloseCase', { kind: 'throttle', count: 1 });
      assert.equal((await ctx.http.getCase(caseId)).status, 200);
      assert.equal(ctx.sandbox.faults.list()[0]?.remaining, 1);
      assert.equal((await ctx.http.closeCase(caseId)).status, 429);
      assert.deepEqual(ctx.sandbox.faults.list(), []);
    });

    it('faults armed for the same call play out in order', async () => {
      ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 1 });
      ctx.sandbox.faults.inject('GetCase', { kind: 'internal', count: 1 });
      assert.equal((await ctx.http.getCase(caseId)).status, 429);
      assert.equal((await ctx.http.getCase(caseId)).status, 500);
      assert.equal((await ctx.http.getCase(caseId)).status, 200);
    });

    it('an unauthenticated call neither meets nor consumes a fault', async () => {
      ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 1 });
      const unsigned = await sendRaw(ctx.sandbox.url, { method: 'GET', path: `/v1/cases/${caseId}/get-case`, headers: {} });
      assert.equal(unsigned.status, 403);
      assert.equal((await ctx.http.getCase(caseId)).status, 429);
    });

    it('faults apply before input validation, as at AWS’s front door', async () => {
      ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 1 });
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Closed')).status, 429);
      assert.equal((await ctx.http.updateCaseStatus(caseId, 'Closed')).status, 400);
    });

    it('inject refuses malformed faults with a TypeError', () => {
      assert.throws(() => ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 0 }), TypeError);
      assert.throws(() => ctx.sandbox.faults.inject('GetCase', { kind: 'error', name: 'TeapotException' as never, count: 1 }), TypeError);
      assert.throws(() => ctx.sandbox.faults.inject('DeleteCase' as never, { kind: 'throttle', count: 1 }), /not a SIR operation/);
      assert.deepEqual(ctx.sandbox.faults.list(), []);
    });
  });
});

describe('sandbox call log', () => {
  let ctx: SandboxTestContext;

  before(async () => {
    ctx = await startTestSandbox();
  });
  after(() => ctx.sandbox.close());
  beforeEach(() => ctx.sandbox.reset());

  it('records each call with its operation, case, outcome, request id, body and key', async () => {
    const started = Date.now();
    const caseId = await ctx.http.newCase({ clientToken: 'phasegate:fp-9' });
    ctx.sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 1 });
    const throttled = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
    await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');

    const calls = ctx.sandbox.calls.list();
    assert.deepEqual(
      calls.map((c) => [c.operation, c.caseId, c.statusCode, c.errorType]),
      [
        ['CreateCase', undefined, 201, undefined],
        ['UpdateCaseStatus', caseId, 429, 'ThrottlingException'],
        ['UpdateCaseStatus', caseId, 201, undefined],
      ],
    );
    assert.deepEqual(
      calls.map((c) => c.seq),
      [...calls.map((c) => c.seq)].sort((a, b) => a - b),
    );
    assert.equal(new Set(calls.map((c) => c.seq)).size, 3);
    for (const call of calls) {
      assert.ok(call.at >= started && call.at <= Date.now());
      assert.match(call.requestId, UUID);
      assert.equal(call.accessKeyId, 'AKIAPHASEGATESANDBOX');
    }
    assert.equal(calls[1]!.requestId, throttled.headers['x-amzn-requestid']);
    assert.equal((calls[0]!.requestBody as { clientToken: string }).clientToken, 'phasegate:fp-9');
    assert.deepEqual(calls[2]!.requestBody, { caseStatus: 'Detection and Analysis' });
  });

  it('filters by operation and caseId', async () => {
    const a = await ctx.http.newCase();
    const b = await ctx.http.newCase();
    await ctx.http.getCase(a);
    await ctx.http.getCase(b);
    await ctx.http.closeCase(a);
    assert.equal(ctx.sandbox.calls.list({ operation: 'GetCase' }).length, 2);
    assert.deepEqual(
      ctx.sandbox.calls.list({ caseId: a }).map((c) => c.operation),
      ['GetCase', 'CloseCase'],
    );
    assert.deepEqual(
      ctx.sandbox.calls.list({ operation: 'GetCase', caseId: b }).map((c) => c.caseId),
      [b],
    );
  });

  it('records unknown routes as Unknown and non-JSON bodies as text', async () => {
    await ctx.http.call('POST', '/v1/not-an-operation', 'plain text body');
    await ctx.http.call('POST', '/v1/list-cases', '{oops');
    assert.deepEqual(
      ctx.sandbox.calls.list({ operation: 'Unknown' }).map((c) => [c.statusCode, c.requestBody]),
      [[400, 'plain text body']],
    );
    assert.equal(ctx.sandbox.calls.list({ operation: 'ListCases' })[0]?.requestBody, '{oops');
  });

  it('returns copies, and clear empties it without reusing sequence numbers', async () => {
    await ctx.http.listCases();
    const [entry] = ctx.sandbox.calls.list();
    (entry as { statusCode: number }).statusCode = 999;
    assert.equal(ctx.sandbox.calls.list()[0]?.statusCode, 200);
    ctx.sandbox.calls.clear();
    assert.deepEqual(ctx.sandbox.calls.list(), []);
    await ctx.http.listCases();
    assert.ok(ctx.sandbox.calls.list()[0]!.seq > entry!.seq);
  });

  it('does not record admin calls', async () => {
    await sendRaw(ctx.sandbox.url, { method: 'GET', path: '/__sandbox/healthz', headers: {} });
    assert.deepEqual(ctx.sandbox.calls.list(), []);
  });
});

describe('sandbox shutdown', () => {
  it('close() cuts a pending latency fault short and still answers the call', async () => {
    const ctx = await startTestSandbox();
    ctx.sandbox.faults.inject('ListCases', { kind: 'latency', ms: 60_000 });
    const pending = ctx.http.listCases();
    await new Promise((resolve) => setTimeout(resolve, 150)); // loopback: the request is in the sandbox by now
    const started = performance.now();
    await ctx.sandbox.close();
    const res = await pending;
    assert.ok(performance.now() - started < 5_000, 'close() waited out the latency');
    assert.equal(res.status, 200);
    assert.equal(ctx.sandbox.calls.list({ operation: 'ListCases' }).length, 1);
  });
});
