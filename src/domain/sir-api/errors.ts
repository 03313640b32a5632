/**
 * The nine modelled SIR errors (all service-level) and how phasegate treats each one (SPEC §2).
 * Shared by the client (parsing), the activities (retry decisions) and the sandbox (status codes).
 */
export const SIR_ERRORS = {
  AccessDeniedException: { httpStatus: 403, retryable: false },
  ConflictException: { httpStatus: 409, retryable: false },
  InternalServerException: { httpStatus: 500, retryable: true },
  InvalidTokenException: { httpStatus: 423, retryable: true },
  ResourceNotFoundException: { httpStatus: 404, retryable: false },
  SecurityIncidentResponseNotActiveException: { httpStatus: 400, retryable: false },
  ServiceQuotaExceededException: { httpStatus: 402, retryable: false },
  ThrottlingException: { httpStatus: 429, retryable: true },
  ValidationException: { httpStatus: 400, retryable: false },
} as const satisfies Record<string, { httpStatus: number; retryable: boolean }>;

export type SirErrorName = keyof typeof SIR_ERRORS;

export const SIR_ERROR_NAMES = Object.keys(SIR_ERRORS) as SirErrorName[];

/** Errors outside the model that AWS front ends return (auth, signature, credentials). */
export const GENERIC_AWS_ERRORS = [
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
] as const;

/**
 * A local attempt at a SIR call refused by the worker because a task-queue-wide rate limit is set:
 * the case makes the call as a queued activity instead (never a SIR answer, never fails a case).
 */
export const SIR_CALL_MUST_QUEUE = 'SirCallMustQueue';

/** A transport failure or an unmodelled gateway answer: always worth another try. */
export const TRANSIENT_ERROR_TYPE = 'SirTransientError';

/**
 * The AWS SDKs' clock-skew codes: an error of one of these types whose answer moved the client's
 * signing clock is tried once more at once, signed with the corrected clock.
 */
export const CLOCK_SKEW_ERROR_TYPES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);

/**
 * Types that only ever mean "the request's timestamp is off" (the AWS SDKs' clock-skew codes that
 * say nothing else). Retried: the client has learned the server's clock from the answer's Date.
 */
const CLOCK_SKEW_ONLY_TYPES: ReadonlySet<string> = new Set(['RequestTimeTooSkewed', 'RequestExpired', 'RequestInTheFuture']);

/**
 * Types that also stand for a wrong key or a tampered request; only their skew wording is a clock
 * problem. "Signature expired" is what AWS's SigV4 front end answers for a request dated more than
 * five minutes in the past (the JS SDK's standard retry mode matches the same words).
 */
const SIGNATURE_ERROR_TYPES: ReadonlySet<string> = new Set(['InvalidSignatureException', 'SignatureDoesNotMatch', 'AuthFailure']);
const CLOCK_SKEW_WORDING = /signature expired|signature not yet current|request time(stamp)? too skewed|clock skew/i;

/** Temporary credentials that ran out: fresh ones from the provider chain fix them. */
const EXPIRED_CREDENTIALS_TYPES: ReadonlySet<string> = new Set(['ExpiredTokenException', 'ExpiredToken']);

export function isModelledSirError(name: string): name is SirErrorName {
  return Object.prototype.hasOwnProperty.call(SIR_ERRORS, name);
}

/** A refusal because the request was signed with a clock too far from the service's. */
export function isClockSkewFailure(type: string, message = ''): boolean {
  return CLOCK_SKEW_ONLY_TYPES.has(type) || (SIGNATURE_ERROR_TYPES.has(type) && CLOCK_SKEW_WORDING.test(message));
}

/** A refusal because the (temporary) credentials that signed the request have expired. */
export function isExpiredCredentialsFailure(type: string): boolean {
  return EXPIRED_CREDENTIALS_TYPES.has(type);
}

/**
 * Whether a failure of this type (and HTTP status and message, when it has them) should be retried,
 * as the AWS SDKs' standard retry mode decides: any 429 is throttling whatever its type; modelled
 * errors follow the model; transport failures, clock skew and expired credentials are transient (the
 * client corrects its clock and refreshes credentials before the next attempt); other unknown types
 * only on a server-side status (5xx: 502/503/504 from a gateway, say).
 */
export function isRetryableSirFailure(type: string, httpStatus?: number, message?: string): boolean {
  if (httpStatus === 429) return true;
  if (isModelledSirError(type)) return SIR_ERRORS[type].retryable;
  if (type === TRANSIENT_ERROR_TYPE) return true;
  if (isClockSkewFailure(type, message) || isExpiredCredentialsFailure(type)) return true;
  return httpStatus !== undefined && httpStatus >= 500;
}

/**
 * Types that must fail the workflow at once: the activities' retry policy lists them as non-retryable.
 * InvalidSignatureException is not listed: one type covers both a retryable clock skew and a final
 * wrong key, so each failure carries its own `nonRetryable` flag (activities/sir-failure.ts) and the
 * policy must not override it. ExpiredTokenException is retried: the chain may hand out fresh
 * credentials on a later attempt (a rotated role session, a renewed SSO login).
 */
export const NON_RETRYABLE_SIR_ERROR_TYPES: string[] = [
  ...SIR_ERROR_NAMES.filter((n) => !SIR_ERRORS[n].retryable),
  ...GENERIC_AWS_ERRORS.filter((n) => n !== 'InvalidSignatureException' && n !== 'ExpiredTokenException'),
];

/** What the workflow can read from a failed try of a SIR write (a local activity's failure). */
export interface FailedTry {
  /** The try ran out of time: SIR may have acted and its answer been lost. */
  timedOut?: boolean;
  type?: string;
  /** The SIR call that failed (its SirError's operation), when the failure came from a SIR answer or its transport. */
  operation?: string;
  httpStatus?: number;
}

const STATUS_WRITES: ReadonlySet<string> = new Set(['UpdateCaseStatus', 'CloseCase']);

/**
 * Whether SIR may have applied a status write whose try failed, so that finding the case at the
 * target afterwards is that try's own write and not someone else's (issue 18: the audit trail says who
 * moved the case). A timeout, a server error (5xx) or a lost connection may hide an applied write; a
 * throttled or refused request (any 4xx: 429, a bad signature, an invalid token), a try the worker
 * refused to send (SirCallMustQueue), and a failure of the read before the write did not write.
 */
export function failedTryMayHaveWritten(failed: FailedTry): boolean {
  if (failed.timedOut) return true;
  if (failed.type === SIR_CALL_MUST_QUEUE) return false;
  if (failed.operation !== undefined && !STATUS_WRITES.has(failed.operation)) return false;
  if (failed.httpStatus !== undefined) return failed.httpStatus >= 500;
  // No answer from SIR (a reset, a network error) or a failure outside the SIR client: cannot be ruled out.
  return true;
}
