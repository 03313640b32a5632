import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIR_ERROR_NAMES, SIR_ERRORS, type SirErrorName } from '../../src/domain/sir-api/errors';
import { SirError } from '../../src/sir';
import { SIR_OPERATIONS, type SirOperation } from '../../src/sir/shapes';
import { rejectionOf, useFakeSirServer } from './fake-sir-server';
import { SAMPLE_CALLS } from './sample-calls';

/** The modelled members beyond `message` that each exception carries in its body (reference §3). */
const EXTRA_MEMBERS: Partial<Record<SirErrorName, Record<string, unknown>>> = {
  ConflictException: { resourceId: '8403556009', resourceType: 'Case' },
  ServiceQuotaExceededException: { resourceId: '8403556009', resourceType: 'Case', serviceCode: 'security-ir', quotaCode: 'L-CASES' },
  ThrottlingException: { serviceCode: 'security-ir', quotaCode: 'L-TPS' },
  ValidationException: {
    reason: 'FIELD_VALIDATION_FAILED',
    fieldList: [{ name: 'title', message: 'Member must have length less than or equal to 300' }],
  },
};

const EXPECTED_DETAILS: Partial<Record<SirErrorName, Record<string, unknown>>> = {
  ConflictException: { resourceId: '8403556009', resourceType: 'Case' },
  ServiceQuotaExceededException: { resourceId: '8403556009', resourceType: 'Case', serviceCode: 'security-ir', quotaCode: 'L-CASES' },
  ThrottlingException: { serviceCode: 'security-ir', quotaCode: 'L-TPS' },
};

/** How each form puts the type on the wire, and which request-id header the answer uses. */
const FORMS = [
  {
    form: 'x-amzn-ErrorType header with a Coral URL suffix',
    requestIdHeader: 'x-amzn-RequestId',
    encode: (name: string, message: string) => ({
      headers: { 'x-amzn-ErrorType': `${name}:http://internal.amazon.com/coral/com.amazonaws.securityir/` },
      body: { message, ...EXTRA_MEMBERS[name as SirErrorName] },
    }),
  },
  {
    form: 'body __type with the Smithy namespace',
    requestIdHeader: 'x-amzn-request-id',
    encode: (name: string, message: string) => ({
      headers: {},
      body: { __type: `com.amazonaws.securityir#${name}`, message, ...EXTRA_MEMBERS[name as SirErrorName] },
    }),
  },
  {
    form: 'body code',
    requestIdHeader: 'x-amz-request-id',
    encode: (name: string, message: string) => ({
      headers: {},
      body: { code: name, message, ...EXTRA_MEMBERS[name as SirErrorName] },
    }),
  },
] as const;

describe('SIR error responses', () => {
  const fake = useFakeSirServer();

  SIR_ERROR_NAMES.forEach((name, errorIndex) => {
    FORMS.forEach(({ form, requestIdHeader, encode }, formIndex) => {
      // Spread the cases over every operation: all nine errors apply to all of them.
      const operation: SirOperation = SIR_OPERATIONS[(errorIndex * FORMS.length + formIndex) % SIR_OPERATIONS.length]!;
      it(`${name} (HTTP ${SIR_ERRORS[name].httpStatus}) as ${form}, on ${operation}`, async () => {
        const requestId = `req-${errorIndex}-${formIndex}`;
        const sirMessage = `${name} said no (${form})`;
        const { headers, body } = encode(name, sirMessage);
        fake().respond({ status: SIR_ERRORS[name].httpStatus, headers: { ...headers, [requestIdHeader]: requestId }, body });

        const err = await rejectionOf(SAMPLE_CALLS[operation](fake().client()));

        assert.ok(err instanceof SirError);
        assert.equal(err.type, name);
        assert.equal(err.httpStatus, SIR_ERRORS[name].httpStatus);
        assert.equal(err.sirMessage, sirMessage);
        assert.equal(err.requestId, requestId);
        assert.equal(err.retryable, SIR_ERRORS[name].retryable);
        assert.equal(err.operation, operation);
        assert.deepEqual(err.details, EXPECTED_DETAILS[name] ?? {});
        assert.ok(err.message.includes(sirMessage), err.message);
        assert.ok(err.message.includes(requestId), err.message);
        assert.ok(err.message.startsWith(`${name}: `), err.message);
        if (name === 'ValidationException') {
          assert.equal(err.reason, 'FIELD_VALIDATION_FAILED');
          assert.deepEqual(err.fieldList, [{ name: 'title', message: 'Member must have length less than or equal to 300' }]);
        } else {
          assert.equal(err.reason, undefined);
          assert.equal(err.fieldList, undefined);
        }
      });
    });
  });

  it('ThrottlingException: Retry-After in delta-seconds sets retryAfterSeconds', async () => {
    fake().respond({
      status: 429,
      headers: { 'x-amzn-ErrorType': 'ThrottlingException', 'Retry-After': '7', 'x-amzn-RequestId': 'req-throttle' },
      body: { message: 'Rate exceeded' },
    });
    const err = await rejectionOf(fake().client().getCase('8403556009'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'ThrottlingException');
    assert.equal(err.retryAfterSeconds, 7);
    assert.equal(err.retryable, true);
  });

  it('InternalServerException: Retry-After as an HTTP-date counts from the response Date', async () => {
    // Dates far from now: the wait must come from the fake()'s Date header, not from our clock.
    const serverNow = new Date('2020-01-01T00:00:00Z');
    const retryAt = new Date(serverNow.getTime() + 42_000);
    fake().respond({
      status: 500,
      headers: {
        'x-amzn-ErrorType': 'InternalServerException',
        'Retry-After': retryAt.toUTCString(),
        Date: serverNow.toUTCString(),
        'x-amzn-RequestId': 'req-ise',
      },
      body: { message: 'Internal failure' },
    });
    const err = await rejectionOf(fake().client().listCases());
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'InternalServerException');
    assert.equal(err.retryAfterSeconds, 42);
    assert.equal(err.retryable, true);
  });

  it('leaves retryAfterSeconds undefined when Retry-After is absent or unreadable', async () => {
    fake().respond(
      { status: 429, headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: { message: 'slow down' } },
      { status: 429, headers: { 'x-amzn-ErrorType': 'ThrottlingException', 'Retry-After': 'soon' }, body: { message: 'slow down' } },
    );
    for (let i = 0; i < 2; i++) {
      const err = await rejectionOf(fake().client().getCase('8403556009'));
      assert.ok(err instanceof SirError);
      assert.equal(err.retryAfterSeconds, undefined);
    }
  });

  it('falls back to the body key Message when message is absent', async () => {
    fake().respond({ status: 404, headers: { 'x-amzn-ErrorType': 'ResourceNotFoundException', 'x-amzn-RequestId': 'req-nf' }, body: { Message: 'Case 1 not found' } });
    const err = await rejectionOf(fake().client().getCase('1111111111'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'ResourceNotFoundException');
    assert.equal(err.sirMessage, 'Case 1 not found');
    assert.match(err.message, /Case 1 not found.*req-nf/);
  });

  it('matches the body key Code case-insensitively', async () => {
    fake().respond({ status: 409, body: { Code: 'ConflictException', message: 'busy', resourceId: '1', resourceType: 'Case' } });
    const err = await rejectionOf(fake().client().updateCaseStatus('8403556009', 'Post-incident Activities'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'ConflictException');
    assert.equal(err.retryable, false);
  });

  it('prefers the header over the body when both name a type', async () => {
    fake().respond({ status: 400, headers: { 'X-AMZN-ERRORTYPE': 'ValidationException' }, body: { __type: 'SecurityIncidentResponseNotActiveException', message: 'm' } });
    const err = await rejectionOf(fake().client().getCase('8403556009'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'ValidationException');
  });

  it('keeps only well-formed fieldList entries of a ValidationException', async () => {
    fake().respond({
      status: 400,
      headers: { 'x-amzn-ErrorType': 'ValidationException' },
      body: { message: 'bad', reason: 'CANNOT_PARSE', fieldList: [{ name: 'a', message: 'b' }, { name: 3 }, null, 'x'] },
    });
    const err = await rejectionOf(fake().client().listCases());
    assert.ok(err instanceof SirError);
    assert.equal(err.reason, 'CANNOT_PARSE');
    assert.deepEqual(err.fieldList, [{ name: 'a', message: 'b' }]);
  });

  for (const status of [502, 503, 504]) {
    it(`an unmodelled ${status} without a type is a retryable SirTransientError`, async () => {
      fake().respond({ status, headers: { 'content-type': 'text/html' }, body: `<html><body><h1>${status} Gateway trouble</h1></body></html>` });
      const err = await rejectionOf(fake().client().getCase('8403556009'));
      assert.ok(err instanceof SirError);
      assert.equal(err.type, 'SirTransientError');
      assert.equal(err.httpStatus, status);
      assert.equal(err.retryable, true);
      assert.equal(err.requestId, undefined);
      assert.match(err.message, /RequestId none/);
      assert.match(err.sirMessage, new RegExp(`HTTP ${status}.*Gateway trouble`));
    });
  }

  it('an unmodelled type on a 503 is still transient, and the front end\'s name is kept in details', async () => {
    fake().respond({ status: 503, headers: { 'x-amzn-ErrorType': 'ServiceUnavailableException', 'x-amzn-RequestId': 'req-503' }, body: { message: 'try later' } });
    const err = await rejectionOf(fake().client().closeCase('8403556009'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'SirTransientError');
    assert.equal(err.retryable, true);
    assert.equal(err.sirMessage, 'try later');
    assert.deepEqual(err.details, { errorType: 'ServiceUnavailableException' });
  });

  it('a modelled type on a 503 stays modelled', async () => {
    fake().respond({ status: 503, headers: { 'x-amzn-ErrorType': 'InternalServerException' }, body: { message: 'oops' } });
    const err = await rejectionOf(fake().client().getCase('8403556009'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'InternalServerException');
    assert.equal(err.retryable, true);
  });

  it('generic AWS errors keep their parsed type; a bad key or signature is not retried, a clock skew or an expired token is', async () => {
    fake().respond(
      { status: 403, headers: { 'x-amzn-ErrorType': 'UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/', 'x-amzn-RequestId': 'req-u' }, body: { message: 'The security token included in the request is invalid.' } },
      { status: 403, body: { __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided.' } },
      { status: 403, body: { __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z (20260101T001500Z - 5 min.)' } },
      { status: 400, body: { __type: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' } },
      { status: 403, body: { __type: 'ExpiredTokenException', message: 'The security token included in the request is expired' } },
    );
    const errors = [];
    for (let i = 0; i < 5; i++) errors.push(await rejectionOf(fake().client().getCase('8403556009')));
    const summary = errors.map((err) => {
      assert.ok(err instanceof SirError);
      return [err.type, err.retryable];
    });
    assert.deepEqual(summary, [
      ['UnrecognizedClientException', false],
      ['InvalidSignatureException', false],
      ['InvalidSignatureException', true],
      ['RequestTimeTooSkewed', true],
      ['ExpiredTokenException', true],
    ]);
    assert.equal((errors[0] as SirError).requestId, 'req-u');
  });

  it('any 429 is throttling: an unmodelled type or none at all becomes a retryable ThrottlingException keeping the Retry-After', async () => {
    fake().respond(
      { status: 429, headers: { 'x-amzn-ErrorType': 'TooManyRequestsException', 'Retry-After': '3' }, body: { message: 'Too Many Requests' } },
      { status: 429, headers: { 'content-type': 'text/html' }, body: '<html><body>429 Too Many Requests</body></html>' },
    );
    const typed = await rejectionOf(fake().client().getCase('8403556009'));
    const untyped = await rejectionOf(fake().client().getCase('8403556009'));
    assert.ok(typed instanceof SirError && untyped instanceof SirError);
    assert.deepEqual([typed.type, typed.retryable, typed.retryAfterSeconds, typed.details], ['ThrottlingException', true, 3, { errorType: 'TooManyRequestsException' }]);
    assert.deepEqual([untyped.type, untyped.retryable, untyped.httpStatus], ['ThrottlingException', true, 429]);
    assert.match(untyped.sirMessage, /HTTP 429 without a service message; body: <html>/);
  });

  it('an error without any type is UnknownSirError, retried only for 5xx', async () => {
    fake().respond({ status: 400, body: { message: 'no idea' } }, { status: 500, body: 'Internal Server Error' }, { status: 301, headers: { Location: 'https://elsewhere.example' } });
    const clientSide = await rejectionOf(fake().client().getCase('8403556009'));
    const serverSide = await rejectionOf(fake().client().getCase('8403556009'));
    const redirect = await rejectionOf(fake().client().getCase('8403556009'));
    assert.ok(clientSide instanceof SirError && serverSide instanceof SirError && redirect instanceof SirError);
    assert.deepEqual([clientSide.type, clientSide.httpStatus, clientSide.retryable], ['UnknownSirError', 400, false]);
    assert.deepEqual([serverSide.type, serverSide.httpStatus, serverSide.retryable], ['UnknownSirError', 500, true]);
    assert.deepEqual([redirect.type, redirect.httpStatus, redirect.retryable], ['UnknownSirError', 301, false]);
    assert.match(serverSide.sirMessage, /HTTP 500 without a service message; body: Internal Server Error/);
  });

  it('an error body that is not a JSON object still yields the header type and a message', async () => {
    fake().respond({ status: 429, headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: '["not", "an", "object"]' });
    const err = await rejectionOf(fake().client().getCase('8403556009'));
    assert.ok(err instanceof SirError);
    assert.equal(err.type, 'ThrottlingException');
    assert.match(err.sirMessage, /^HTTP 429 without a service message/);
  });
});
