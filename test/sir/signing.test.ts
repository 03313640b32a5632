import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { SirClient, SirError } from '../../src/sir';
import { rejectionOf, useFakeSirServer, TEST_CREDENTIALS, TEST_SESSION_CREDENTIALS, type RecordedRequest } from './fake-sir-server';
import { CASE_ID, CREATE_CASE_INPUT } from './sample-calls';

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

function parseAuthorization(req: RecordedRequest) {
  const match = AUTHORIZATION.exec(String(req.headers.authorization));
  assert.ok(match, `unexpected Authorization header: ${String(req.headers.authorization)}`);
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders!.split(';'), signature };
}

/** 20250304T050607Z → Date */
function parseAmzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  assert.ok(m, `bad x-amz-date ${value}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/**
 * Signs the request the server received again, from scratch, with the same credentials and date: the
 * Authorization header must come out identical, so what we sent is exactly what SigV4 requires.
 */
async function resign(req: RecordedRequest, port: number, region: string, credentials: AwsCredentialIdentity): Promise<string> {
  const { signedHeaders } = parseAuthorization(req);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    // The signer adds these itself; x-amz-content-sha256 in particular must be recomputed from the
    // body received, or a tampered body would be signed with the original hash.
    if (name === 'x-amz-date' || name === 'x-amz-security-token' || name === 'x-amz-content-sha256') continue;
    headers[name] = String(req.headers[name]);
  }
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: req.path,
    headers,
    ...(req.body ? { body: req.body } : {}),
  });
  const signer = new SignatureV4({ service: 'security-ir', region, credentials, sha256: Sha256 });
  const signed = await signer.sign(request, { signingDate: parseAmzDate(String(req.headers['x-amz-date'])) });
  return String(signed.headers.authorization);
}

describe('SigV4 signing', () => {
  const fake = useFakeSirServer();

  it('signs a POST with a body: credential scope, signed headers, and a signature that verifies', async () => {
    fake().respond({ status: 201, body: { caseId: CASE_ID } });
    await fake().client({ region: 'eu-west-1' }).createCase(CREATE_CASE_INPUT);

    const req = fake().last;
    const auth = parseAuthorization(req);
    assert.equal(auth.accessKeyId, TEST_CREDENTIALS.accessKeyId);
    assert.equal(auth.region, 'eu-west-1');
    assert.equal(auth.service, 'security-ir');
    assert.equal(auth.date, String(req.headers['x-amz-date']).slice(0, 8));
    for (const name of ['host', 'x-amz-date', 'content-type', 'content-length', 'x-amz-content-sha256']) {
      assert.ok(auth.signedHeaders.includes(name), `${name} must be signed: ${auth.signedHeaders.join(';')}`);
    }
    assert.ok(!auth.signedHeaders.includes('x-amz-security-token'));
    assert.equal(req.headers.host, `127.0.0.1:${fake().port}`);
    assert.equal(req.headers['x-amz-security-token'], undefined);
    assert.equal(req.headers['x-amz-content-sha256'], createHash('sha256').update(req.body).digest('hex'));
    assert.equal(await resign(req, fake().port, 'eu-west-1', TEST_CREDENTIALS), req.headers.authorization);
  });

  it('signs a GET without a body over the SHA-256 of the empty string', async () => {
    fake().respond({ status: 200, body: {} });
    await fake().client().getCase(CASE_ID);
    const req = fake().last;
    assert.equal(req.headers['x-amz-content-sha256'], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.ok(!parseAuthorization(req).signedHeaders.includes('content-type'));
    assert.equal(await resign(req, fake().port, 'us-east-1', TEST_CREDENTIALS), req.headers.authorization);
  });

  it('signs x-amz-security-token with temporary credentials', async () => {
    fake().respond({ status: 200, body: { caseStatus: 'Closed' } });
    await fake().client({ credentials: TEST_SESSION_CREDENTIALS }).closeCase(CASE_ID);
    const req = fake().last;
    const auth = parseAuthorization(req);
    assert.equal(auth.accessKeyId, TEST_SESSION_CREDENTIALS.accessKeyId);
    assert.ok(auth.signedHeaders.includes('x-amz-security-token'));
    assert.equal(req.headers['x-amz-security-token'], TEST_SESSION_CREDENTIALS.sessionToken);
    assert.equal(await resign(req, fake().port, 'us-east-1', TEST_SESSION_CREDENTIALS), req.headers.authorization);
  });

  it('signs the full path behind a prefix endpoint, with an encoded label', async () => {
    fake().respond({ status: 201, body: { commentId: '000001' } });
    await fake().client({ endpoint: `${fake().url}/sir/api` }).createCaseComment({ caseId: 'a b', body: 'x', clientToken: 't' });
    const req = fake().last;
    assert.equal(req.path, '/sir/api/v1/cases/a%20b/create-comment');
    assert.equal(await resign(req, fake().port, 'us-east-1', TEST_CREDENTIALS), req.headers.authorization);
  });

  it('a tampered body no longer matches the signature', async () => {
    fake().respond({ status: 201, body: { caseStatus: 'Detection and Analysis' } });
    await fake().client().updateCaseStatus(CASE_ID, 'Detection and Analysis');
    const req = fake().last;
    const tampered = { ...req, body: req.body.replace('Detection', 'Detektion') };
    assert.notEqual(await resign(tampered, fake().port, 'us-east-1', TEST_CREDENTIALS), req.headers.authorization);
  });

  it('resolves credentials from the provider on every request', async () => {
    const identities = [TEST_CREDENTIALS, TEST_SESSION_CREDENTIALS];
    let calls = 0;
    const provider = async (): Promise<AwsCredentialIdentity> => identities[calls++ % identities.length]!;
    fake().respond({ status: 200, body: {} }, { status: 200, body: {} });
    const client = fake().client({ credentials: provider });
    await client.getCase(CASE_ID);
    await client.getCase(CASE_ID);
    assert.equal(calls, 2);
    assert.deepEqual(
      fake().requests.map((r) => parseAuthorization(r).accessKeyId),
      [TEST_CREDENTIALS.accessKeyId, TEST_SESSION_CREDENTIALS.accessKeyId],
    );
  });

  it('a failing credentials provider is reported without sending anything, and not as a SIR error', async () => {
    const client = fake().client({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    });
    const err = await rejectionOf(client.getCase(CASE_ID));
    assert.ok(err instanceof Error);
    assert.ok(!(err instanceof SirError));
    assert.match(err.message, /GetCase: could not resolve AWS credentials.*Could not load credentials from any providers/);
    assert.equal(fake().requests.length, 0);
  });

  it('never puts credentials into error messages', async () => {
    fake().respond({ status: 403, headers: { 'x-amzn-ErrorType': 'AccessDeniedException', 'x-amzn-RequestId': 'r-403' }, body: { message: 'denied' } });
    const err = await rejectionOf(fake().client({ credentials: TEST_SESSION_CREDENTIALS }).getCase(CASE_ID));
    assert.ok(err instanceof SirError);
    const everything = JSON.stringify({ ...err, message: err.message, stack: err.stack });
    for (const secret of [TEST_SESSION_CREDENTIALS.secretAccessKey, TEST_SESSION_CREDENTIALS.sessionToken!, TEST_SESSION_CREDENTIALS.accessKeyId]) {
      assert.ok(!everything.includes(secret), 'a credential leaked into the error');
    }
  });

  it('corrects the signing clock from the Date header of a Signature expired answer and tries once more at once', async () => {
    const serverNow = new Date(Date.now() + 60 * 60 * 1000); // the host clock is an hour behind AWS
    fake().respond(
      { status: 403, headers: { 'x-amzn-ErrorType': 'InvalidSignatureException', Date: serverNow.toUTCString() }, body: { message: 'Signature expired' } },
      { status: 200, body: {} },
    );
    const client = fake().client();
    await client.getCase(CASE_ID);
    assert.equal(fake().requests.length, 2, 'one call, two requests');
    const [first, second] = fake().requests.map((r) => parseAmzDate(String(r.headers['x-amz-date'])).getTime());
    assert.ok(Math.abs(first! - Date.now()) < 60_000, 'the first request uses the local clock');
    assert.ok(Math.abs(second! - serverNow.getTime()) < 60_000, 'the second request uses the server clock');
  });

  it('tries a clock-skew refusal only once, and not at all when the answer did not move the clock', async () => {
    const serverNow = new Date(Date.now() + 60 * 60 * 1000);
    const skewed = { status: 403, headers: { 'x-amzn-ErrorType': 'InvalidSignatureException', Date: serverNow.toUTCString() }, body: { message: 'Signature expired' } };
    fake().respond(skewed, skewed, skewed);
    const client = fake().client();
    const first = await rejectionOf(client.getCase(CASE_ID));
    assert.equal(fake().requests.length, 2, 'the corrected retry is the only extra request');
    assert.ok(first instanceof SirError);
    assert.equal(first.type, 'InvalidSignatureException');
    assert.equal(first.retryable, true, 'a skew stays retryable for the caller\'s policy');
    // The clock is already corrected: the same refusal again moves nothing, so nothing is retried here.
    await rejectionOf(client.getCase(CASE_ID));
    assert.equal(fake().requests.length, 3);
  });

  it('ignores the Date of a cached answer (one with an Age header)', async () => {
    const serverNow = new Date(Date.now() + 60 * 60 * 1000);
    fake().respond({ status: 200, headers: { Date: serverNow.toUTCString(), Age: '10' }, body: {} }, { status: 200, body: {} });
    const client = fake().client();
    await client.getCase(CASE_ID);
    await client.getCase(CASE_ID);
    const second = parseAmzDate(String(fake().requests[1]!.headers['x-amz-date'])).getTime();
    assert.ok(Math.abs(second - Date.now()) < 5_000);
  });

  it('on ExpiredTokenException forces the provider to refresh and tries once more with the fresh credentials', async () => {
    const refreshes: unknown[] = [];
    let current = TEST_SESSION_CREDENTIALS;
    const provider = async (options?: Record<string, unknown>): Promise<AwsCredentialIdentity> => {
      if (options?.forceRefresh) {
        refreshes.push(options);
        current = { ...TEST_CREDENTIALS };
      }
      return current;
    };
    fake().respond(
      { status: 403, headers: { 'x-amzn-ErrorType': 'ExpiredTokenException' }, body: { message: 'The security token included in the request is expired' } },
      { status: 200, body: {} },
    );
    await fake().client({ credentials: provider }).getCase(CASE_ID);
    assert.equal(refreshes.length, 1);
    assert.deepEqual(
      fake().requests.map((r) => parseAuthorization(r).accessKeyId),
      [TEST_SESSION_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.accessKeyId],
    );
  });

  it('does not try again when the refresh yields the same expired credentials (or credentials are fixed)', async () => {
    const expired = { status: 403, headers: { 'x-amzn-ErrorType': 'ExpiredTokenException' }, body: { message: 'The security token included in the request is expired' } };
    fake().respond(expired, expired);
    const stale = await rejectionOf(fake().client({ credentials: async () => TEST_SESSION_CREDENTIALS }).getCase(CASE_ID));
    const fixed = await rejectionOf(fake().client({ credentials: TEST_SESSION_CREDENTIALS }).getCase(CASE_ID));
    assert.equal(fake().requests.length, 2);
    for (const err of [stale, fixed]) {
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'ExpiredTokenException');
      assert.equal(err.retryable, true, 'a later attempt may find rotated credentials');
    }
  });

  it('ignores a small skew', async () => {
    fake().respond({ status: 200, headers: { Date: new Date(Date.now() + 60_000).toUTCString() }, body: {} }, { status: 200, body: {} });
    const client = fake().client();
    await client.getCase(CASE_ID);
    await client.getCase(CASE_ID);
    const second = parseAmzDate(String(fake().requests[1]!.headers['x-amz-date'])).getTime();
    assert.ok(Math.abs(second - Date.now()) < 5_000);
  });

  it('SirClient refuses to build with an invalid region, endpoint or timeout', () => {
    assert.throws(() => new SirClient({ region: 'us-east-1.evil.example/', credentials: TEST_CREDENTIALS }), /Invalid region/);
    assert.throws(() => new SirClient({ region: 'us-east-1', endpoint: 'ftp://x', credentials: TEST_CREDENTIALS }), /scheme must be http or https/);
    assert.throws(() => new SirClient({ region: 'us-east-1', endpoint: 'http://u:p@h', credentials: TEST_CREDENTIALS }), (err: Error) => {
      assert.match(err.message, /user info/);
      assert.ok(!err.message.includes('u:p'));
      return true;
    });
    assert.throws(() => new SirClient({ region: 'us-east-1', endpoint: 'http://h/?a=1', credentials: TEST_CREDENTIALS }), /query string/);
    assert.throws(() => new SirClient({ region: 'us-east-1', requestTimeoutMs: 0, credentials: TEST_CREDENTIALS }), RangeError);
  });
});
