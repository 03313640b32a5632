/**
 * The real SIR client against the real sandbox over loopback: the sandbox accepts exactly what the
 * client signs, and its refusals reach callers as typed SirErrors with the model's members.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SANDBOX_DEFAULT_CREDENTIALS } from '../../src/sandbox';
import { SirClient, SirError } from '../../src/sir';
import { SAMPLE_CASE, startSandboxFixture, type SandboxFixture } from '../helpers/sir-sandbox';

describe('SIR client against the sandbox', { timeout: 60_000 }, () => {
  let fx: SandboxFixture;

  before(async () => {
    fx = await startSandboxFixture();
  });
  after(() => fx.sandbox.close());

  async function sirError(promise: Promise<unknown>): Promise<SirError> {
    const err = await promise.then(
      () => assert.fail('the call should have been refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SirError, `expected SirError, got ${String(err)}`);
    return err;
  }

  const clientWith = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = 'us-east-1') =>
    new SirClient({ region, endpoint: fx.sandbox.url, credentials });

  it('accepts every operation the client signs, end to end', async () => {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
    assert.equal((await fx.sir.getCase(caseId)).caseStatus, 'Submitted');
    assert.deepEqual(await fx.sir.updateCaseStatus(caseId, 'Detection and Analysis'), { caseStatus: 'Detection and Analysis' });
    const { commentId } = await fx.sir.createCaseComment({ caseId, body: 'triage started' });
    assert.match(commentId, /^\d{6}$/);
    const listed = await fx.sir.listCases({ maxResults: 25 });
    assert.ok(listed.items.some((item) => item.caseId === caseId));
    const closed = await fx.sir.closeCase(caseId);
    assert.equal(closed.caseStatus, 'Closed');
    assert.ok(closed.closedDate instanceof Date);
    assert.ok(fx.sandbox.calls.list({ caseId }).every((c) => c.accessKeyId === SANDBOX_DEFAULT_CREDENTIALS.accessKeyId));
  });

  it('refuses a request signed with the wrong secret (InvalidSignatureException)', async () => {
    const err = await sirError(clientWith({ ...SANDBOX_DEFAULT_CREDENTIALS, secretAccessKey: 'x'.repeat(40) }).listCases());
    assert.equal(err.type, 'InvalidSignatureException');
    assert.equal(err.httpStatus, 403);
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes(SANDBOX_DEFAULT_CREDENTIALS.secretAccessKey), 'a secret leaked into an error message');
  });

  it('refuses an unknown access key (UnrecognizedClientException)', async () => {
    const err = await sirError(clientWith({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'y'.repeat(40) }).listCases());
    assert.equal(err.type, 'UnrecognizedClientException');
    assert.equal(err.httpStatus, 403);
  });

  it('refuses a request signed for another region', async () => {
    const err = await sirError(clientWith(SANDBOX_DEFAULT_CREDENTIALS, 'eu-west-1').listCases());
    assert.equal(err.type, 'InvalidSignatureException');
  });

  it('surfaces a wrong enum as ValidationException with its field list', async () => {
    const err = await sirError(fx.sir.createCase({ ...SAMPLE_CASE, engagementType: 'Active Security Event' as never }));
    assert.equal(err.type, 'ValidationException');
    assert.equal(err.httpStatus, 400);
    assert.equal(err.reason, 'FIELD_VALIDATION_FAILED');
    assert.deepEqual(err.fieldList?.map((f) => f.name), ['engagementType']);
    assert.ok(err.requestId);
  });

  it('surfaces a bad caseId as ValidationException naming caseId', async () => {
    const err = await sirError(fx.sir.getCase('12345'));
    assert.equal(err.type, 'ValidationException');
    assert.deepEqual(err.fieldList?.map((f) => f.name), ['caseId']);
  });

  it('surfaces missing and malformed members with every field named', async () => {
    const { title: _title, ...withoutTitle } = SAMPLE_CASE;
    const err = await sirError(
      fx.sir.createCase({ ...(withoutTitle as typeof SAMPLE_CASE), impactedAccounts: ['12345'], watchers: [{ email: 'not-an-email' }] }),
    );
    assert.equal(err.type, 'ValidationException');
    assert.deepEqual(err.fieldList?.map((f) => f.name).sort(), ['impactedAccounts[0]', 'title', 'watchers[0].email']);
  });

  it('surfaces Closed sent to UpdateCaseStatus as a ValidationException (not in SelfManagedCaseStatus)', async () => {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
    const err = await sirError(fx.sir.updateCaseStatus(caseId, 'Closed' as never));
    assert.equal(err.type, 'ValidationException');
    assert.deepEqual(err.fieldList?.map((f) => f.name), ['caseStatus']);
  });

  it('carries Retry-After from a throttled answer to the caller', async () => {
    fx.sandbox.faults.inject('ListCases', { kind: 'throttle', count: 1, retryAfterSeconds: 4 });
    const err = await sirError(fx.sir.listCases());
    assert.equal(err.type, 'ThrottlingException');
    assert.equal(err.retryAfterSeconds, 4);
    assert.equal(err.retryable, true);
  });
});
