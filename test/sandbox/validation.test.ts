/**
 * Input validation as the model constrains it: unparseable bodies are CANNOT_PARSE, constraint
 * violations are FIELD_VALIDATION_FAILED with a fieldList naming every bad member by its path,
 * unknown routes are UNKNOWN_OPERATION.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { caseInput, fieldNames, sendRaw, startTestSandbox, type SandboxTestContext, type SirResponse } from './signed-http';

function assertValidation(res: SirResponse, reason: string): void {
  assert.equal(res.status, 400, `expected 400, got ${res.status} ${res.text}`);
  assert.equal(res.headers['x-amzn-errortype'], 'ValidationException');
  assert.equal(res.json.__type, 'ValidationException');
  assert.equal(res.json.reason, reason);
  assert.equal(typeof res.json.message, 'string');
}

describe('sandbox input validation', () => {
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

  describe('CANNOT_PARSE', () => {
    it('for a body that is not JSON', async () => {
      const res = await ctx.http.call('POST', '/v1/create-case', '{"title": "unterminated');
      assertValidation(res, 'CANNOT_PARSE');
      assert.equal(res.json.fieldList, undefined);
    });

    it('for JSON that is not an object', async () => {
      assertValidation(await ctx.http.call('POST', '/v1/list-cases', '[1,2]'), 'CANNOT_PARSE');
      assertValidation(await ctx.http.call('POST', `/v1/cases/${caseId}/update-case-status`, '"Detection and Analysis"'), 'CANNOT_PARSE');
    });
  });

  describe('FIELD_VALIDATION_FAILED', () => {
    const createCaseCases: Array<{ name: string; overrides: Record<string, unknown>; fields: string[] }> = [
      { name: 'a resolverType outside the enum', overrides: { resolverType: 'Managed' }, fields: ['resolverType'] },
      { name: 'an engagementType spelled as in the docs prose', overrides: { engagementType: 'Active Security Event' }, fields: ['engagementType'] },
      { name: 'a title over 300 characters', overrides: { title: 'x'.repeat(301) }, fields: ['title'] },
      { name: 'an empty title', overrides: { title: '' }, fields: ['title'] },
      { name: 'a description over 8000 characters', overrides: { description: 'd'.repeat(8001) }, fields: ['description'] },
      { name: 'an ISO string where a timestamp belongs', overrides: { reportedIncidentStartDate: '2026-11-20T10:00:00Z' }, fields: ['reportedIncidentStartDate'] },
      { name: 'an account id of 11 digits', overrides: { impactedAccounts: ['11112222333'] }, fields: ['impactedAccounts[0]'] },
      { name: 'a repeated account id', overrides: { impactedAccounts: ['111122223333', '111122223333'] }, fields: ['impactedAccounts'] },
      { name: 'a watcher with a bad email', overrides: { watchers: [{ email: 'not-an-email' }] }, fields: ['watchers[0].email'] },
      { name: 'a watcher without email', overrides: { watchers: [{ email: 'a@example.com' }, { name: 'No Mail' }] }, fields: ['watchers[1].email'] },
      { name: 'the same watcher twice', overrides: { watchers: [{ email: 'a@example.com' }, { email: 'a@example.com' }] }, fields: ['watchers'] },
      { name: '31 watchers', overrides: { watchers: Array.from({ length: 31 }, (_, i) => ({ email: `w${i}@example.com` })) }, fields: ['watchers'] },
      {
        name: 'a lowercase IPv6 address',
        overrides: { threatActorIpAddresses: [{ ipAddress: '2001:0db8:85a3:0000:0000:8a2e:0370:7334' }] },
        fields: ['threatActorIpAddresses[0].ipAddress'],
      },
      { name: 'a compressed IPv6 address', overrides: { threatActorIpAddresses: [{ ipAddress: '2001:DB8::1' }] }, fields: ['threatActorIpAddresses[0].ipAddress'] },
      { name: 'a GovCloud region', overrides: { impactedAwsRegions: [{ region: 'us-gov-west-1' }] }, fields: ['impactedAwsRegions[0].region'] },
      { name: 'a service name with an underscore', overrides: { impactedServices: ['Amazon_S3'] }, fields: ['impactedServices[0]'] },
      { name: 'a tag key over 128 characters', overrides: { tags: { ['k'.repeat(129)]: 'v' } }, fields: [`tags["${'k'.repeat(129)}"]`] },
      { name: 'a clientToken over 255 characters', overrides: { clientToken: 't'.repeat(256) }, fields: ['clientToken'] },
      { name: 'a null element in a list', overrides: { impactedAccounts: [null] }, fields: ['impactedAccounts[0]'] },
    ];
    for (const { name, overrides, fields } of createCaseCases) {
      it(`CreateCase: ${name} → ${fields.join(', ')}`, async () => {
        const res = await ctx.http.createCase(caseInput(overrides));
        assertValidation(res, 'FIELD_VALIDATION_FAILED');
        assert.deepEqual(fieldNames(res), fields);
        assert.equal(ctx.sandbox.calls.list({ operation: 'CreateCase' }).at(-1)?.statusCode, 400);
      });
    }

    it('CreateCase: names every missing required member, and null counts as missing', async () => {
      const { title: _t, watchers: _w, ...rest } = caseInput();
      const res = await ctx.http.createCase({ ...rest, description: null });
      assertValidation(res, 'FIELD_VALIDATION_FAILED');
      assert.deepEqual(fieldNames(res), ['description', 'title', 'watchers']);
      assert.match(res.json.message, /^3 validation errors detected: /);
      assert.match(res.json.message, /Value null at 'title' failed to satisfy constraint: Member must not be null/);
    });

    it('CreateCase: accepts null for an optional member (restJson1 treats it as absent)', async () => {
      const res = await ctx.http.createCase(caseInput({ tags: null, threatActorIpAddresses: null }));
      assert.equal(res.status, 201);
    });

    it('CreateCase: accepts IPv4, full uppercase IPv6 and IPv6-with-IPv4 addresses', async () => {
      const res = await ctx.http.createCase(
        caseInput({
          threatActorIpAddresses: [{ ipAddress: '203.0.113.7' }, { ipAddress: '2001:0DB8:85A3:0000:0000:8A2E:0370:7334' }, { ipAddress: '0:0:0:0:0:FFFF:192.0.2.1' }],
        }),
      );
      assert.equal(res.status, 201);
    });

    it('CreateCase: never echoes sensitive values, but shows enum values', async () => {
      const res = await ctx.http.createCase(caseInput({ watchers: [{ email: 'secret-person' }], resolverType: 'Managed' }));
      assert.equal(res.text.includes('secret-person'), false);
      assert.match(res.json.message, /Value "Managed" at 'resolverType' failed to satisfy constraint: Member must satisfy enum value set: \[AWS, Self\]/);
    });

    it('CreateCase: accepts a fractional epoch-seconds timestamp and keeps its milliseconds', async () => {
      const res = await ctx.http.createCase(caseInput({ reportedIncidentStartDate: 1_700_000_000.123 }));
      assert.equal(res.status, 201);
      assert.equal(ctx.sandbox.getCase(res.json.caseId)?.reportedIncidentStartDate.toISOString(), '2023-11-14T22:13:20.123Z');
    });

    it('UpdateCaseStatus: "Closed" is not a SelfManagedCaseStatus', async () => {
      const res = await ctx.http.updateCaseStatus(caseId, 'Closed');
      assertValidation(res, 'FIELD_VALIDATION_FAILED');
      assert.deepEqual(fieldNames(res), ['caseStatus']);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    });

    it('UpdateCaseStatus: the docs spelling with an Oxford comma is not a wire value', async () => {
      const res = await ctx.http.updateCaseStatus(caseId, 'Containment, Eradication, and Recovery');
      assert.deepEqual(fieldNames(res), ['caseStatus']);
    });

    it('UpdateCaseStatus: a missing caseStatus', async () => {
      const res = await ctx.http.call('POST', `/v1/cases/${caseId}/update-case-status`, {});
      assert.deepEqual(fieldNames(res), ['caseStatus']);
    });

    for (const [label, badId] of [
      ['letters', 'abcdefghij'],
      ['9 digits', '123456789'],
      ['33 digits', '1'.repeat(33)],
    ] as const) {
      it(`a caseId label of ${label} → caseId`, async () => {
        const get = await ctx.http.getCase(badId);
        assertValidation(get, 'FIELD_VALIDATION_FAILED');
        assert.deepEqual(fieldNames(get), ['caseId']);
        const update = await ctx.http.updateCaseStatus(badId, 'Closed');
        assert.deepEqual(fieldNames(update), ['caseId', 'caseStatus'], 'label and body problems are reported together');
      });
    }

    it('a caseId label that only starts with 10 digits passes (the model pattern has no $) and is then unknown', async () => {
      const res = await ctx.http.getCase('1234567890abc');
      assert.equal(res.status, 404);
    });

    it('ListCases: maxResults outside 1–25 or not an integer, nextToken over 2000 characters', async () => {
      for (const maxResults of [0, 26, 1.5]) {
        const res = await ctx.http.listCases({ maxResults });
        assertValidation(res, 'FIELD_VALIDATION_FAILED');
        assert.deepEqual(fieldNames(res), ['maxResults']);
      }
      const res = await ctx.http.listCases({ nextToken: 'n'.repeat(2001) });
      assert.deepEqual(fieldNames(res), ['nextToken']);
      assert.equal((await ctx.http.listCases({ maxResults: 25 })).status, 200);
      assert.equal((await ctx.http.listCases({ maxResults: 1 })).status, 200);
    });

    it('CreateCaseComment: empty, oversize or missing body', async () => {
      assert.deepEqual(fieldNames(await ctx.http.createComment(caseId, { body: '' })), ['body']);
      assert.deepEqual(fieldNames(await ctx.http.createComment(caseId, { body: 'b'.repeat(12_001) })), ['body']);
      assert.deepEqual(fieldNames(await ctx.http.call('POST', `/v1/cases/${caseId}/create-comment`, { clientToken: '' })), ['body', 'clientToken']);
      assert.equal((await ctx.http.createComment(caseId, { body: 'b'.repeat(12_000) })).status, 201);
    });

    it('counts string length in code points, as Smithy does', async () => {
      const res = await ctx.http.createCase(caseInput({ title: '🛡'.repeat(300) }));
      assert.equal(res.status, 201, '300 emoji are 600 UTF-16 units but 300 characters');
    });
  });

  describe('UNKNOWN_OPERATION', () => {
    it('for a signed request to a route the API does not have (400, by the ValidationException binding)', async () => {
      const res = await ctx.http.call('POST', '/v1/cases/1234567890/delete-case', {});
      assertValidation(res, 'UNKNOWN_OPERATION');
      assert.match(res.json.message, /POST \/v1\/cases\/1234567890\/delete-case/);
      assert.equal(ctx.sandbox.calls.list({ operation: 'Unknown' }).at(-1)?.statusCode, 400);
    });

    it('for a known path with the wrong method', async () => {
      assertValidation(await ctx.http.call('GET', '/v1/create-case'), 'UNKNOWN_OPERATION');
    });

    it('only after authentication: an unsigned request to an unknown route gets the auth error', async () => {
      const res = await sendRaw(ctx.sandbox.url, { method: 'GET', path: '/v2/whatever', headers: {} });
      assert.equal(res.status, 403);
      assert.equal(res.json.__type, 'MissingAuthenticationTokenException');
    });
  });
});
