/**
 * The six operations over real HTTP: routes, success codes (201 vs 200), response shapes, epoch
 * second timestamps, clientToken idempotency and ListCases pagination.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { caseInput, startTestSandbox, UUID, type SandboxTestContext } from './signed-http';

describe('sandbox operations', () => {
  let ctx: SandboxTestContext;

  before(async () => {
    ctx = await startTestSandbox({ accountId: '210987654321' });
  });
  after(() => ctx.sandbox.close());
  beforeEach(() => ctx.sandbox.reset());

  describe('CreateCase', () => {
    it('answers 201 with a 10-digit caseId and a request id', async () => {
      const res = await ctx.http.createCase(caseInput());
      assert.equal(res.status, 201);
      assert.match(res.json.caseId, /^\d{10}$/);
      assert.deepEqual(Object.keys(res.json), ['caseId']);
      assert.match(String(res.headers['x-amzn-requestid']), UUID);
      assert.match(String(res.headers['content-type']), /^application\/json/);
    });

    it('stores the case as Submitted with defaults for the optional lists', async () => {
      const caseId = await ctx.http.newCase();
      const stored = ctx.sandbox.getCase(caseId);
      assert.equal(stored?.caseStatus, 'Submitted');
      assert.equal(stored?.caseArn, `arn:aws:security-ir:us-east-1:210987654321:case/${caseId}`);
      assert.deepEqual(stored?.threatActorIpAddresses, []);
      assert.deepEqual(stored?.impactedServices, []);
      assert.deepEqual(stored?.impactedAwsRegions, []);
      assert.equal(stored?.reportedIncidentStartDate.getTime(), 1_795_000_000_250);
    });

    it('accepts empty impactedAccounts and watchers (required, but min length 0)', async () => {
      const res = await ctx.http.createCase(caseInput({ impactedAccounts: [], watchers: [] }));
      assert.equal(res.status, 201);
    });

    it('ignores body members the model does not know, as restJson1 servers do', async () => {
      const res = await ctx.http.createCase(caseInput({ severity: 'HIGH', caseStatus: 'Closed' }));
      assert.equal(res.status, 201);
      assert.equal(ctx.sandbox.getCase(res.json.caseId)?.caseStatus, 'Submitted');
    });

    it('returns the same caseId for the same clientToken and payload, and creates one case', async () => {
      const input = caseInput({ clientToken: 'phasegate:fp-1' });
      const first = await ctx.http.createCase(input);
      const second = await ctx.http.createCase(input);
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      assert.equal(second.json.caseId, first.json.caseId);
      assert.equal((await ctx.http.listCases()).json.total, 1);
    });

    it('treats an omitted optional list and an empty one as the same payload for idempotency', async () => {
      const first = await ctx.http.createCase(caseInput({ clientToken: 't-defaults' }));
      const second = await ctx.http.createCase(caseInput({ clientToken: 't-defaults', impactedServices: [], tags: {} }));
      assert.equal(second.status, 201);
      assert.equal(second.json.caseId, first.json.caseId);
    });

    it('answers ConflictException for the same clientToken with a different payload', async () => {
      const first = await ctx.http.createCase(caseInput({ clientToken: 'phasegate:fp-2' }));
      const res = await ctx.http.createCase(caseInput({ clientToken: 'phasegate:fp-2', title: 'another title' }));
      assert.equal(res.status, 409);
      assert.equal(res.headers['x-amzn-errortype'], 'ConflictException');
      assert.equal(res.json.__type, 'ConflictException');
      assert.equal(res.json.resourceId, first.json.caseId);
      assert.equal(res.json.resourceType, 'case');
      assert.match(res.json.message, /clientToken/);
      assert.equal((await ctx.http.listCases()).json.total, 1);
    });

    it('creates distinct cases without a clientToken', async () => {
      const a = await ctx.http.newCase();
      const b = await ctx.http.newCase();
      assert.notEqual(a, b);
    });
  });

  describe('GetCase', () => {
    it('answers 200 with the case, timestamps as epoch seconds (JSON numbers)', async () => {
      const before = Date.now() / 1000;
      const caseId = await ctx.http.newCase({
        threatActorIpAddresses: [{ ipAddress: '198.51.100.7', userAgent: 'curl/8' }],
        impactedServices: ['Amazon EC2'],
        impactedAwsRegions: [{ region: 'eu-west-1' }],
      });
      const res = await ctx.http.getCase(caseId);
      assert.equal(res.status, 200);
      const body = res.json;
      assert.equal(body.caseStatus, 'Submitted');
      assert.equal(body.resolverType, 'Self');
      assert.equal(body.engagementType, 'Security Incident');
      assert.equal(body.caseArn, `arn:aws:security-ir:us-east-1:210987654321:case/${caseId}`);
      assert.equal(body.reportedIncidentStartDate, 1_795_000_000.25);
      assert.equal(typeof body.createdDate, 'number');
      assert.ok(body.createdDate >= before - 1 && body.createdDate <= Date.now() / 1000 + 1, `createdDate ${body.createdDate} is not now in epoch seconds`);
      assert.equal(body.lastUpdatedDate, body.createdDate);
      assert.deepEqual(body.threatActorIpAddresses, [{ ipAddress: '198.51.100.7', userAgent: 'curl/8' }]);
      assert.deepEqual(body.impactedServices, ['Amazon EC2']);
      assert.deepEqual(body.impactedAwsRegions, [{ region: 'eu-west-1' }]);
      assert.deepEqual(body.watchers, [{ email: 'ir-lead@example.com', name: 'IR Lead' }]);
      assert.equal('closedDate' in body, false);
      assert.equal('caseId' in body, false, 'GetCase output has no caseId member');
    });

    it('answers 404 ResourceNotFoundException for an unknown case', async () => {
      const res = await ctx.http.getCase('9999999999');
      assert.equal(res.status, 404);
      assert.equal(res.headers['x-amzn-errortype'], 'ResourceNotFoundException');
      assert.equal(res.json.__type, 'ResourceNotFoundException');
      assert.match(res.json.message, /9999999999/);
    });

    it('accepts a request with no body and no Content-Type, as the JS SDK sends it', async () => {
      const caseId = await ctx.http.newCase();
      const req = await ctx.http.sign('GET', `/v1/cases/${caseId}/get-case`);
      assert.equal(req.headers['content-type'], undefined);
      assert.equal((await ctx.http.send(req)).status, 200);
    });
  });

  describe('UpdateCaseStatus', () => {
    it('answers 201 with the new caseStatus and bumps lastUpdatedDate', async () => {
      const caseId = await ctx.http.newCase();
      const created = (await ctx.http.getCase(caseId)).json;
      await new Promise((r) => setTimeout(r, 5));
      const res = await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      assert.equal(res.status, 201);
      assert.deepEqual(res.json, { caseStatus: 'Detection and Analysis' });
      const after = (await ctx.http.getCase(caseId)).json;
      assert.equal(after.caseStatus, 'Detection and Analysis');
      assert.ok(after.lastUpdatedDate > created.lastUpdatedDate);
    });

    it('answers 404 for an unknown case', async () => {
      const res = await ctx.http.updateCaseStatus('1234567890', 'Detection and Analysis');
      assert.equal(res.status, 404);
      assert.equal(res.json.__type, 'ResourceNotFoundException');
    });
  });

  describe('CloseCase', () => {
    it('answers 200 with Closed and closedDate in epoch seconds, and GetCase shows it', async () => {
      const caseId = await ctx.http.newCase();
      const res = await ctx.http.closeCase(caseId);
      assert.equal(res.status, 200);
      assert.equal(res.json.caseStatus, 'Closed');
      assert.equal(typeof res.json.closedDate, 'number');
      assert.ok(Math.abs(res.json.closedDate - Date.now() / 1000) < 5);
      const got = (await ctx.http.getCase(caseId)).json;
      assert.equal(got.caseStatus, 'Closed');
      assert.equal(got.closedDate, res.json.closedDate);
    });

    it('answers ConflictException when the case is already closed', async () => {
      const caseId = await ctx.http.newCase();
      await ctx.http.closeCase(caseId);
      const res = await ctx.http.closeCase(caseId);
      assert.equal(res.status, 409);
      assert.equal(res.json.__type, 'ConflictException');
      assert.equal(res.json.resourceId, caseId);
      assert.equal(res.json.resourceType, 'case');
    });

    it('closes from any self-managed phase', async () => {
      const caseId = await ctx.http.newCase();
      await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      await ctx.http.updateCaseStatus(caseId, 'Containment, Eradication and Recovery');
      assert.equal((await ctx.http.closeCase(caseId)).status, 200);
    });

    it('answers 404 for an unknown case', async () => {
      assert.equal((await ctx.http.closeCase('1234567890')).status, 404);
    });
  });

  describe('ListCases', () => {
    it('answers 200 with items, total and no nextToken when everything fits', async () => {
      const a = await ctx.http.newCase();
      const b = await ctx.http.newCase({ resolverType: 'AWS' });
      await ctx.http.closeCase(b);
      const res = await ctx.http.listCases();
      assert.equal(res.status, 200);
      assert.equal(res.json.total, 2);
      assert.equal(res.json.nextToken, undefined);
      assert.deepEqual(
        res.json.items.map((i: { caseId: string }) => i.caseId),
        [a, b],
      );
      const closed = res.json.items[1]!;
      assert.equal(closed.caseStatus, 'Closed');
      assert.equal(closed.resolverType, 'AWS');
      assert.equal(typeof closed.closedDate, 'number');
      assert.equal(typeof closed.createdDate, 'number');
      assert.match(closed.caseArn, /^arn:aws:security-ir:us-east-1:210987654321:case\/\d{10}$/);
    });

    it('accepts an empty body (every member optional)', async () => {
      await ctx.http.newCase();
      const res = await ctx.http.call('POST', '/v1/list-cases');
      assert.equal(res.status, 200);
      assert.equal(res.json.items.length, 1);
    });

    it('pages 25 at a time by default, with an opaque nextToken', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 27; i++) ids.push(await ctx.http.newCase());
      const first = await ctx.http.listCases();
      assert.equal(first.json.items.length, 25);
      assert.equal(first.json.total, 27);
      assert.equal(typeof first.json.nextToken, 'string');
      assert.ok(first.json.nextToken.length <= 2000);
      assert.doesNotMatch(first.json.nextToken, /\d{10}/, 'the token should not expose case ids in clear');
      const second = await ctx.http.listCases({ nextToken: first.json.nextToken });
      assert.equal(second.json.items.length, 2);
      assert.equal(second.json.nextToken, undefined);
      assert.deepEqual(
        [...first.json.items, ...second.json.items].map((i: { caseId: string }) => i.caseId),
        ids,
      );
    });

    it('honours maxResults and visits every case exactly once, even when cases are created mid-listing', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push(await ctx.http.newCase());
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const res = await ctx.http.listCases({ maxResults: 3, ...(nextToken && { nextToken }) });
        assert.equal(res.status, 200);
        assert.ok(res.json.items.length <= 3);
        seen.push(...res.json.items.map((i: { caseId: string }) => i.caseId));
        nextToken = res.json.nextToken;
        if (++pages === 1) ids.push(await ctx.http.newCase());
      } while (nextToken);
      assert.deepEqual(seen, ids);
      assert.equal(pages, 3);
    });

    it('refuses a nextToken it did not issue', async () => {
      const res = await ctx.http.listCases({ nextToken: 'bm90LWEtdG9rZW4' });
      assert.equal(res.status, 400);
      assert.equal(res.json.__type, 'ValidationException');
      assert.deepEqual(
        res.json.fieldList.map((f: { name: string }) => f.name),
        ['nextToken'],
      );
    });
  });

  describe('CreateCaseComment', () => {
    it('answers 201 with 6-digit comment ids counting up per case', async () => {
      const caseId = await ctx.http.newCase();
      const first = await ctx.http.createComment(caseId, { body: 'Containment approved by alice' });
      const second = await ctx.http.createComment(caseId, { body: 'Second note' });
      assert.equal(first.status, 201);
      assert.deepEqual(first.json, { commentId: '000001' });
      assert.equal(second.json.commentId, '000002');
      assert.deepEqual(
        ctx.sandbox.getComments(caseId).map((c) => [c.commentId, c.body, c.creator]),
        [
          ['000001', 'Containment approved by alice', '210987654321'],
          ['000002', 'Second note', '210987654321'],
        ],
      );
    });

    it('honours clientToken: same body → same commentId, different body → ConflictException', async () => {
      const caseId = await ctx.http.newCase();
      const first = await ctx.http.createComment(caseId, { body: 'Approved by alice', clientToken: 'c-1' });
      const replay = await ctx.http.createComment(caseId, { body: 'Approved by alice', clientToken: 'c-1' });
      const clash = await ctx.http.createComment(caseId, { body: 'Rejected by bob', clientToken: 'c-1' });
      assert.equal(replay.status, 201);
      assert.equal(replay.json.commentId, first.json.commentId);
      assert.equal(clash.status, 409);
      assert.equal(clash.json.__type, 'ConflictException');
      assert.equal(clash.json.resourceId, first.json.commentId);
      assert.equal(clash.json.resourceType, 'comment');
      assert.equal(ctx.sandbox.getComments(caseId).length, 1);
    });

    it('answers 404 for an unknown case', async () => {
      const res = await ctx.http.createComment('1234567890', { body: 'hello' });
      assert.equal(res.status, 404);
      assert.equal(res.json.__type, 'ResourceNotFoundException');
    });
  });

  describe('test hooks', () => {
    it('getCase returns a copy that cannot change the sandbox', async () => {
      const caseId = await ctx.http.newCase();
      const copy = ctx.sandbox.getCase(caseId)!;
      copy.caseStatus = 'Closed';
      copy.watchers.push({ email: 'mallory@example.com' });
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
      assert.equal(ctx.sandbox.getCase(caseId)?.watchers.length, 1);
    });

    it('setCaseStatus plays the AWS responder, and Closed sets closedDate', async () => {
      const caseId = await ctx.http.newCase({ resolverType: 'AWS' });
      ctx.sandbox.setCaseStatus(caseId, 'Acknowledged');
      assert.equal((await ctx.http.getCase(caseId)).json.caseStatus, 'Acknowledged');
      ctx.sandbox.setCaseStatus(caseId, 'Closed');
      assert.equal(typeof (await ctx.http.getCase(caseId)).json.closedDate, 'number');
      assert.throws(() => ctx.sandbox.setCaseStatus('1111111111', 'Acknowledged'), /no case 1111111111/);
      assert.throws(() => ctx.sandbox.setCaseStatus(caseId, 'Reopened' as never), /not a SIR case status/);
    });

    it('reset clears cases, comments, faults and calls', async () => {
      const caseId = await ctx.http.newCase();
      await ctx.http.createComment(caseId, { body: 'x' });
      ctx.sandbox.faults.inject('GetCase', { kind: 'throttle', count: 5 });
      ctx.sandbox.reset();
      assert.equal(ctx.sandbox.getCase(caseId), undefined);
      assert.deepEqual(ctx.sandbox.getComments(caseId), []);
      assert.deepEqual(ctx.sandbox.faults.list(), []);
      assert.deepEqual(ctx.sandbox.calls.list(), []);
      assert.equal((await ctx.http.getCase(caseId)).status, 404);
    });

    it('exposes its url and port, and close is safe to call twice', async () => {
      const other = await startTestSandbox();
      assert.equal(other.sandbox.url, `http://127.0.0.1:${other.sandbox.port}`);
      assert.ok(other.sandbox.port > 0);
      await other.sandbox.close();
      await other.sandbox.close();
      await assert.rejects(other.http.getCase('1234567890'), /ECONNREFUSED/);
    });
  });
});
