import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseErrorType } from '../../src/sir';

describe('parseErrorType', () => {
  it('reads the x-amzn-errortype header in any case, cutting the Coral URL suffix', () => {
    for (const name of ['x-amzn-errortype', 'X-Amzn-ErrorType', 'X-AMZN-ERRORTYPE']) {
      assert.equal(parseErrorType({ [name]: 'ThrottlingException:http://internal.amazon.com/coral/com.amazonaws.securityir/' }, undefined), 'ThrottlingException');
    }
  });

  it('cleans up in the SDK order: after ",", then after ":", then before "#"', () => {
    assert.equal(parseErrorType({ 'x-amzn-errortype': 'com.amazonaws.securityir#ConflictException' }, {}), 'ConflictException');
    assert.equal(parseErrorType({ 'x-amzn-errortype': 'ValidationException,com.amazon.coral#Other' }, {}), 'ValidationException');
    assert.equal(parseErrorType({ 'x-amzn-errortype': 'ns#AccessDeniedException:http://x/y#z' }, {}), 'AccessDeniedException');
    assert.equal(parseErrorType({ 'x-amzn-errortype': 'A:b,c' }, {}), 'A');
  });

  it('prefers the header, then a body key code in any case, then __type', () => {
    const body = { __type: 'com.amazonaws.securityir#InvalidTokenException', CODE: 'ResourceNotFoundException' };
    assert.equal(parseErrorType({ 'x-amzn-errortype': 'ThrottlingException' }, body), 'ThrottlingException');
    assert.equal(parseErrorType({}, body), 'ResourceNotFoundException');
    assert.equal(parseErrorType({}, { __type: 'com.amazonaws.securityir#InvalidTokenException' }), 'InvalidTokenException');
    assert.equal(parseErrorType({}, { code: 'InternalServerException', __type: 'x#Other' }), 'InternalServerException');
  });

  it('accepts a numeric code as the SDK does', () => {
    assert.equal(parseErrorType({}, { code: 503 }), '503');
  });

  it('looks further when a source is empty or unusable', () => {
    assert.equal(parseErrorType({ 'x-amzn-errortype': '' }, { __type: 'AccessDeniedException' }), 'AccessDeniedException');
    assert.equal(parseErrorType({ 'x-amzn-errortype': undefined }, { code: { nested: true }, __type: 'ns#ConflictException' }), 'ConflictException');
  });

  it('finds nothing when nothing names a type', () => {
    assert.equal(parseErrorType({}, undefined), undefined);
    assert.equal(parseErrorType({ 'content-type': 'application/json' }, { message: 'x' }), undefined);
    assert.equal(parseErrorType({}, ['ThrottlingException']), undefined);
    assert.equal(parseErrorType({}, 'ThrottlingException'), undefined);
    assert.equal(parseErrorType({}, { __type: '#' }), undefined);
  });

  it('never throws, and returns a non-empty string without separators or undefined, for any headers and body', () => {
    const headerName = fc.oneof(fc.constantFrom('x-amzn-errortype', 'X-Amzn-ErrorType', 'content-type', '__proto__', 'constructor'), fc.string());
    const typeLike = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[a-z.]*#?[A-Za-z]*(:[a-z:/.]*)?(,.*)?$/),
      fc.constantFrom('', ':', '#', ',', '#:,', 'ns#', ':x', 'a#b#c'),
    );
    const headers = fc.dictionary(headerName, fc.option(typeLike, { nil: undefined }));
    const body = fc.oneof(
      fc.anything(),
      fc.record({ code: fc.anything(), __type: fc.anything(), message: fc.anything() }, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('code', 'Code', 'CODE', '__type', 'message'), fc.oneof(typeLike, fc.anything())),
    );
    fc.assert(
      fc.property(headers, body, (h, b) => {
        const type = parseErrorType(h, b);
        if (type !== undefined) {
          assert.equal(typeof type, 'string');
          assert.ok(type.length > 0);
          assert.ok(!/[,:]/.test(type), `separator left in ${JSON.stringify(type)}`);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('does not throw on hostile bodies', () => {
    const throwing = Object.defineProperty({}, 'code', { enumerable: true, get: () => { throw new Error('boom'); } });
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    assert.equal(parseErrorType({}, throwing), undefined);
    assert.equal(parseErrorType({}, proxy), undefined);
  });
});
