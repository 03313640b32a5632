import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SirClient, SirError } from '../../src/sir';
import { closedPort, FakeSirServer, rejectionOf, TEST_CREDENTIALS } from './fake-sir-server';
import { CASE_ID } from './sample-calls';

const GET_CASE_OK = { status: 200, body: { title: 't', caseStatus: 'Submitted' } };

describe('transport failures', () => {
  let server: FakeSirServer;
  before(async () => {
    server = await FakeSirServer.start();
  });
  after(() => server.close());

  it('connection refused is a retryable SirTransientError without an HTTP status', async () => {
    const port = await closedPort();
    const client = new SirClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: TEST_CREDENTIALS });
    const err = await rejectionOf(client.getCase(CASE_ID));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'SirTransientError');
    assert.equal(err.retryable, true);
    assert.equal(err.httpStatus, undefined);
    assert.equal(err.operation, 'GetCase');
    assert.match(err.sirMessage, /ECONNREFUSED/);
    assert.match(err.message, /^SirTransientError: .*\(operation GetCase, RequestId none\)$/);
  });

  it('a socket hang up is a retryable SirTransientError', async () => {
    server.respond({ status: 200, hangUp: true });
    const err = await rejectionOf(server.client().createCaseComment({ caseId: CASE_ID, body: 'x', clientToken: 't' }));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'SirTransientError');
    assert.equal(err.retryable, true);
    assert.match(err.sirMessage, /socket hang up|ECONNRESET/);
  });

  it('no response headers within requestTimeoutMs is a retryable SirTransientError', async () => {
    server.respond({ ...GET_CASE_OK, delayMs: 2_000 });
    const started = Date.now();
    const err = await rejectionOf(server.client({ requestTimeoutMs: 150 }).getCase(CASE_ID));
    assert.ok(Date.now() - started < 1_500, 'the timeout must fire long before the server answers');
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'SirTransientError');
    assert.equal(err.retryable, true);
    assert.match(err.sirMessage, /no complete response within 150 ms/);
  });

  it('an abort signal stops a request in flight at once (a cancelled or timed-out activity)', async () => {
    server.respond({ ...GET_CASE_OK, delayMs: 3_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const err = await rejectionOf(server.client().getCase(CASE_ID, { abortSignal: controller.signal }));
    assert.ok(Date.now() - started < 1_500, `stopped after ${Date.now() - started} ms, not when the server answered`);
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'SirTransientError');
    assert.match(err.sirMessage, /abort/i);
  });

  it('a body that stalls after the headers times out within the same budget', async () => {
    server.respond({ status: 200, body: { title: 'never finished' }, stallAfter: '{"title":' });
    const started = Date.now();
    const err = await rejectionOf(server.client({ requestTimeoutMs: 200 }).getCase(CASE_ID));
    assert.ok(Date.now() - started < 1_500);
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'SirTransientError');
    assert.equal(err.retryable, true);
    assert.match(err.sirMessage, /response body not complete within 200 ms/);
  });
});

describe('keep-alive', () => {
  let server: FakeSirServer;
  beforeEach(async () => {
    server = await FakeSirServer.start();
  });
  afterEach(() => server.close());

  it('two sequential calls reuse one socket', async () => {
    server.respond(GET_CASE_OK, GET_CASE_OK);
    const client = server.client();
    await client.getCase(CASE_ID);
    await client.getCase(CASE_ID);
    assert.equal(server.requests.length, 2);
    assert.equal(server.connections, 1);
  });

  it('separate SirClient instances share the process-wide agent', async () => {
    server.respond(GET_CASE_OK, { status: 201, body: { caseStatus: 'Detection and Analysis' } });
    await server.client().getCase(CASE_ID);
    await server.client({ requestTimeoutMs: 5_000 }).updateCaseStatus(CASE_ID, 'Detection and Analysis');
    assert.equal(server.requests.length, 2);
    assert.equal(server.connections, 1);
  });

  it('an error response does not cost the connection', async () => {
    server.respond({ status: 404, headers: { 'x-amzn-ErrorType': 'ResourceNotFoundException' }, body: { message: 'gone' } }, GET_CASE_OK);
    const client = server.client();
    await rejectionOf(client.getCase(CASE_ID));
    await client.getCase(CASE_ID);
    assert.equal(server.connections, 1);
  });
});
