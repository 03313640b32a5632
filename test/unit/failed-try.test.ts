/**
 * Issue 18 point 7 without Temporal: which failed tries of a SIR status write may have been applied
 * by SIR (src/domain/sir-api/errors.ts), so that finding the case at the target afterwards is phasegate's
 * own write; every other try was not, and such a finding is someone else's move (drift).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type FailedTry, failedTryMayHaveWritten } from '../../src/domain/sir-api/errors';

describe('failedTryMayHaveWritten', () => {
  const rows: Array<[string, FailedTry, boolean]> = [
    ['a timeout (the answer may have been lost after SIR acted)', { timedOut: true }, true],
    ['a 500 on the write', { type: 'InternalServerException', operation: 'UpdateCaseStatus', httpStatus: 500 }, true],
    ['a 503 from a gateway on CloseCase', { type: 'ServiceUnavailable', operation: 'CloseCase', httpStatus: 503 }, true],
    ['a lost connection on the write (no answer at all)', { type: 'SirTransientError', operation: 'UpdateCaseStatus' }, true],
    ['a failure outside the SIR client', { type: 'TypeError' }, true],
    ['a 429 on the write', { type: 'ThrottlingException', operation: 'UpdateCaseStatus', httpStatus: 429 }, false],
    ['an unmodelled 429', { type: 'TooManyRequestsException', operation: 'UpdateCaseStatus', httpStatus: 429 }, false],
    ['an invalid token (423)', { type: 'InvalidTokenException', operation: 'UpdateCaseStatus', httpStatus: 423 }, false],
    ['a signature refused for clock skew', { type: 'InvalidSignatureException', operation: 'UpdateCaseStatus', httpStatus: 403 }, false],
    ['a try the worker refused to send (global rate limit)', { type: 'SirCallMustQueue' }, false],
    ['a 500 on the read before the write (nothing was sent)', { type: 'InternalServerException', operation: 'GetCase', httpStatus: 500 }, false],
    ['a lost connection on the read before the write', { type: 'SirTransientError', operation: 'GetCase' }, false],
  ];
  for (const [name, failed, expected] of rows) {
    it(`${expected ? 'may have written' : 'did not write'}: ${name}`, () => assert.equal(failedTryMayHaveWritten(failed), expected));
  }
});
