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

/** Errors outside the model that AWS front ends return (auth, signature); never retried. */
export const GENERIC_AWS_ERRORS = [
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'IncompleteSignatureException',
] as const;

/** A transport failure or an unmodelled gateway answer: always worth another try. */
export const TRANSIENT_ERROR_TYPE = 'SirTransientError';

export function isModelledSirError(name: string): name is SirErrorName {
  return Object.prototype.hasOwnProperty.call(SIR_ERRORS, name);
}

/**
 * Whether a failure of this type (and HTTP status, when it has one) should be retried. Unknown types
 * are retried only on a server-side status (5xx: 502/503/504 from a gateway, say), as AWS SDKs do.
 */
export function isRetryableSirFailure(type: string, httpStatus?: number): boolean {
  if (isModelledSirError(type)) return SIR_ERRORS[type].retryable;
  if (type === TRANSIENT_ERROR_TYPE) return true;
  return httpStatus !== undefined && httpStatus >= 500;
}

/** Types that must fail the workflow at once: the activities' retry policy lists them as non-retryable. */
export const NON_RETRYABLE_SIR_ERROR_TYPES: string[] = [
  ...SIR_ERROR_NAMES.filter((n) => !SIR_ERRORS[n].retryable),
  ...GENERIC_AWS_ERRORS,
];
