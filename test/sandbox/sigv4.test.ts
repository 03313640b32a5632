/**
 * SigV4 verification: correctly signed requests pass however the client configured the signer;
 * anything changed after signing, or signed with the wrong key, scope or time, is refused with the
 * 403 type an AWS front end answers.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SANDBOX_DEFAULT_CREDENTIALS } from '../../src/sandbox';
import { caseInput, sendRaw, SignedHttp, startTestSandbox, UUID, type SandboxTestContext, type SirResponse } from './signed-http';

const TEMPORARY = { accessKeyId: 'ASIAPHASEGATETEMP001', secretAccessKey: 'temporary/secret/for/tests/0000000000000', sessionToken: 'session-token-abc' };
const SECOND = { accessKeyId: 'AKIAPHASEGATESECOND1', secretAccessKey: 'second/secret/for/tests/000000000000000' };

function assertRefused(res: SirResponse, type: string, message?: RegExp): void {
  assert.equal(res.status, 403, `expected 403 ${type}, got ${res.status} ${res.text}`);
  assert.equal(res.headers['x-amzn-errortype'], type);
  assert.equal(res.json.__type, type);
  assert.match(String(res.headers['x-amzn-requestid']), UUID);
  if (message) assert.match(res.json.message, message);
}

describe('sandbox SigV4 verification', () => {
  let ctx: SandboxTestContext;
  let caseId: string;

  before(async () => {
    ctx = await startTestSandbox({ credentials: [SANDBOX_DEFAULT_CREDENTIALS, TEMPORARY, SECOND] });
  });
  after(() => ctx.sandbox.close());
  beforeEach(async () => {
    ctx.sandbox.reset();
    caseId = await ctx.http.newCase();
  });

  describe('accepts', () => {
    it('a request signed with x-amz-content-sha256 (the signer default)', async () => {
      const req = await ctx.http.sign('POST', '/v1/create-case', JSON.stringify(caseInput()));
      assert.ok(req.headers['x-amz-content-sha256']);
      assert.equal((await ctx.http.send(req)).status, 201);
    });

    it('a request signed without x-amz-content-sha256, as the AWS SDK signs non-S3 services', async () => {
      const req = await ctx.http.sign('POST', '/v1/create-case', JSON.stringify(caseInput()), { applyChecksum: false });
      assert.equal(req.headers['x-amz-content-sha256'], undefined);
      assert.equal((await ctx.http.send(req)).status, 201);
    });

    it('temporary credentials with their session token', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { credentials: TEMPORARY });
      assert.equal(res.status, 200);
    });

    it('any of the configured keys, and records which one was used', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { credentials: SECOND });
      assert.equal(res.status, 200);
      assert.equal(ctx.sandbox.calls.list({ operation: 'GetCase' }).at(-1)?.accessKeyId, SECOND.accessKeyId);
    });

    it('headers the signer normally skips when the client chose to sign them', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
        headers: { 'user-agent': 'phasegate-test/1.0', 'x-custom': 'value' },
        signableHeaders: ['user-agent'],
      });
      assert.equal(res.status, 200);
    });

    it('unsigned extra headers (proxies and HTTP clients add them)', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
        tamper: (req) => {
          req.headers['x-forwarded-for'] = '203.0.113.9';
        },
      });
      assert.equal(res.status, 200);
    });

    it('a date within the allowed clock skew', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { signingDate: new Date(Date.now() - 4 * 60_000) });
      assert.equal(res.status, 200);
    });
  });

  describe('refuses', () => {
    it('a request without Authorization: MissingAuthenticationTokenException', async () => {
      const res = await sendRaw(ctx.sandbox.url, { method: 'GET', path: `/v1/cases/${caseId}/get-case`, headers: {} });
      assertRefused(res, 'MissingAuthenticationTokenException', /Missing Authentication Token/);
    });

    it('an unknown access key: UnrecognizedClientException', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
        credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: SANDBOX_DEFAULT_CREDENTIALS.secretAccessKey },
      });
      assertRefused(res, 'UnrecognizedClientException', /^The security token included in the request is invalid\.$/);
    });

    it('the right key with the wrong secret: InvalidSignatureException', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
        credentials: { accessKeyId: SANDBOX_DEFAULT_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong/secret/000000000000000000000000000' },
      });
      assertRefused(res, 'InvalidSignatureException', /signature we calculated does not match/);
    });

    it('a body changed after signing (with x-amz-content-sha256)', async () => {
      const res = await ctx.http.call('POST', `/v1/cases/${caseId}/update-case-status`, { caseStatus: 'Detection and Analysis' }, {
        tamper: (req) => {
          req.body = JSON.stringify({ caseStatus: 'Post-incident Activities' });
        },
      });
      assertRefused(res, 'InvalidSignatureException', /x-amz-content-sha256/);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    });

    it('a body changed after signing (without x-amz-content-sha256)', async () => {
      const res = await ctx.http.call('POST', `/v1/cases/${caseId}/update-case-status`, { caseStatus: 'Detection and Analysis' }, {
        applyChecksum: false,
        tamper: (req) => {
          req.body = JSON.stringify({ caseStatus: 'Detection and Analysis ' });
        },
      });
      assertRefused(res, 'InvalidSignatureException', /signature we calculated does not match/);
      assert.equal(ctx.sandbox.getCase(caseId)?.caseStatus, 'Submitted');
    });

    it('a path changed after signing', async () => {
      const other = await ctx.http.newCase();
      const res = await ctx.http.call('POST', `/v1/cases/${caseId}/close-case`, undefined, {
        tamper: (req) => {
          req.path = `/v1/cases/${other}/close-case`;
        },
      });
      assertRefused(res, 'InvalidSignatureException', /signature we calculated does not match/);
      assert.equal(ctx.sandbox.getCase(other)?.caseStatus, 'Submitted');
    });

    it('a signed header changed after signing', async () => {
      const res = await ctx.http.call('POST', '/v1/list-cases', {}, {
        tamper: (req) => {
          req.headers['content-type'] = 'application/x-amz-json-1.1';
        },
      });
      assertRefused(res, 'InvalidSignatureException', /signature we calculated does not match/);
    });

    it('a date more than 5 minutes old: Signature expired', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { signingDate: new Date(Date.now() - 6 * 60_000) });
      assertRefused(res, 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    });

    it('a date more than 5 minutes ahead: Signature not yet current', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { signingDate: new Date(Date.now() + 6 * 60_000) });
      assertRefused(res, 'InvalidSignatureException', /^Signature not yet current/);
    });

    it('a request without x-amz-date', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
        tamper: (req) => {
          delete req.headers['x-amz-date'];
        },
      });
      assertRefused(res, 'InvalidSignatureException', /X-Amz-Date/);
    });

    it('a credential scoped to another service', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { service: 'securityhub' });
      assertRefused(res, 'InvalidSignatureException', /scoped to correct service: 'security-ir', not 'securityhub'/);
    });

    it('a credential scoped to another region', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { region: 'eu-west-1' });
      assertRefused(res, 'InvalidSignatureException', /valid region: 'us-east-1', not 'eu-west-1'/);
    });

    it('a signature that does not cover the Host header', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { omitHostFromSignature: true });
      assertRefused(res, 'InvalidSignatureException', /'Host' must be a 'SignedHeader'/);
    });

    it('temporary credentials without their session token, or with another one', async () => {
      const without = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
        credentials: TEMPORARY,
        tamper: (req) => {
          delete req.headers['x-amz-security-token'];
        },
      });
      assertRefused(without, 'UnrecognizedClientException');
      const other = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { credentials: { ...TEMPORARY, sessionToken: 'another-token' } });
      assertRefused(other, 'UnrecognizedClientException');
    });

    it('a session token on long-term credentials that have none', async () => {
      const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { credentials: { ...SANDBOX_DEFAULT_CREDENTIALS, sessionToken: 'stray' } });
      assertRefused(res, 'UnrecognizedClientException');
    });

    it('a malformed Authorization header: IncompleteSignatureException', async () => {
      const missingParts = await sendRaw(ctx.sandbox.url, {
        method: 'GET',
        path: `/v1/cases/${caseId}/get-case`,
        headers: { authorization: `AWS4-HMAC-SHA256 Credential=${SANDBOX_DEFAULT_CREDENTIALS.accessKeyId}/20260101/us-east-1/security-ir/aws4_request` },
      });
      assertRefused(missingParts, 'IncompleteSignatureException', /requires 'SignedHeaders' parameter.*requires 'Signature' parameter/);
      const otherAlgorithm = await sendRaw(ctx.sandbox.url, { method: 'GET', path: `/v1/cases/${caseId}/get-case`, headers: { authorization: 'Bearer abc' } });
      assertRefused(otherAlgorithm, 'IncompleteSignatureException', /Unsupported AWS 'algorithm'/);
    });

    it('with a region configured elsewhere, a request signed for us-east-1', async () => {
      const eu = await startTestSandbox({ region: 'eu-central-1' });
      try {
        const res = await new SignedHttp(eu.sandbox.url, { region: 'us-east-1' }).getCase('1234567890');
        assertRefused(res, 'InvalidSignatureException', /valid region: 'eu-central-1'/);
        assert.equal((await eu.http.getCase('1234567890')).status, 404, 'a request signed for eu-central-1 gets through');
      } finally {
        await eu.sandbox.close();
      }
    });

    it('a date outside a configured, narrower clock skew', async () => {
      const strict = await startTestSandbox({ maxClockSkewSeconds: 30 });
      try {
        const res = await strict.http.call('GET', '/v1/cases/1234567890/get-case', undefined, { signingDate: new Date(Date.now() - 60_000) });
        assertRefused(res, 'InvalidSignatureException', /- 30 s\.\)$/);
      } finally {
        await strict.sandbox.close();
      }
    });
  });

  it('records refused calls in the call log, with the key they claimed', async () => {
    ctx.sandbox.calls.clear();
    await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, { service: 's3' });
    await sendRaw(ctx.sandbox.url, { method: 'GET', path: `/v1/cases/${caseId}/get-case`, headers: {} });
    const calls = ctx.sandbox.calls.list({ operation: 'GetCase' });
    assert.deepEqual(
      calls.map((c) => [c.statusCode, c.errorType, c.accessKeyId, c.caseId]),
      [
        [403, 'InvalidSignatureException', SANDBOX_DEFAULT_CREDENTIALS.accessKeyId, caseId],
        [403, 'MissingAuthenticationTokenException', undefined, caseId],
      ],
    );
  });

  it('never answers with the secret in a message', async () => {
    const res = await ctx.http.call('GET', `/v1/cases/${caseId}/get-case`, undefined, {
      credentials: { accessKeyId: SANDBOX_DEFAULT_CREDENTIALS.accessKeyId, secretAccessKey: 'x'.repeat(40) },
    });
    assert.equal(res.status, 403);
    assert.equal(res.text.includes(SANDBOX_DEFAULT_CREDENTIALS.secretAccessKey), false);
  });
});
