/**
 * Error answers exactly as a restJson1 client parses them (reference §1.2): the status from the
 * model's httpError trait, the short type name in `x-amzn-ErrorType` and in `__type`, the modelled
 * members in the JSON body, and `Retry-After` as a header because the model binds
 * `retryAfterSeconds` with httpHeader, so a client reading it from the body would be wrong.
 */
import { SIR_ERRORS, type SirErrorName } from '../domain/sir-api/errors';
import type { ValidationExceptionField } from '../sir/shapes';

export type ValidationExceptionReason = 'UNKNOWN_OPERATION' | 'CANNOT_PARSE' | 'FIELD_VALIDATION_FAILED' | 'OTHER';

/** Front-door errors outside the model; AWS answers them before a request reaches the service. */
export type AuthErrorName =
  | 'MissingAuthenticationTokenException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'IncompleteSignatureException'
  | 'ExpiredTokenException';

export class SirHttpError extends Error {
  constructor(
    readonly type: SirErrorName | AuthErrorName | 'RequestEntityTooLargeException',
    readonly statusCode: number,
    message: string,
    readonly members: Readonly<Record<string, unknown>> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = type;
  }

  /** The JSON body; `message` first because some tools print the first member. */
  body(): Record<string, unknown> {
    return { message: this.message, ...this.members, __type: this.type };
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = { 'x-amzn-ErrorType': this.type };
    if (this.retryAfterSeconds !== undefined) headers['Retry-After'] = String(this.retryAfterSeconds);
    return headers;
  }
}

function modelled(name: SirErrorName, message: string, members: Record<string, unknown> = {}, retryAfterSeconds?: number): SirHttpError {
  return new SirHttpError(name, SIR_ERRORS[name].httpStatus, message, members, retryAfterSeconds);
}

/** Totals the per-field messages the way AWS front ends do ("2 validation errors detected: …"). */
export function fieldValidationFailed(fieldList: readonly ValidationExceptionField[]): SirHttpError {
  const count = fieldList.length;
  const summary = `${count} validation error${count === 1 ? '' : 's'} detected: ${fieldList.map((f) => f.message).join('; ')}`;
  return modelled('ValidationException', summary, { reason: 'FIELD_VALIDATION_FAILED', fieldList });
}

export function validationException(reason: Exclude<ValidationExceptionReason, 'FIELD_VALIDATION_FAILED'>, message: string): SirHttpError {
  return modelled('ValidationException', message, { reason });
}

export function conflictException(message: string, resourceId: string, resourceType: string): SirHttpError {
  return modelled('ConflictException', message, { resourceId, resourceType });
}

export function resourceNotFound(message: string): SirHttpError {
  return modelled('ResourceNotFoundException', message);
}

export function throttlingException(message: string, retryAfterSeconds?: number): SirHttpError {
  return modelled('ThrottlingException', message, { serviceCode: SERVICE_CODE }, retryAfterSeconds);
}

export function internalServerException(message: string, retryAfterSeconds?: number): SirHttpError {
  return modelled('InternalServerException', message, {}, retryAfterSeconds);
}

export function serviceQuotaExceeded(message: string, resourceId: string, resourceType: string, quotaCode: string): SirHttpError {
  return modelled('ServiceQuotaExceededException', message, { resourceId, resourceType, serviceCode: SERVICE_CODE, quotaCode });
}

const SERVICE_CODE = 'security-ir';

/**
 * Any modelled error with every member the model marks required filled in, so a client that
 * deserialises strictly accepts it. Used by fault injection, where no real resource caused the error.
 */
export function modelledErrorExample(name: SirErrorName, context: { caseId?: string; message?: string }): SirHttpError {
  const message = context.message ?? `Injected ${name} (sandbox fault injection)`;
  const resourceId = context.caseId ?? 'unknown';
  switch (name) {
    case 'ConflictException':
      return conflictException(message, resourceId, 'case');
    case 'ServiceQuotaExceededException':
      return serviceQuotaExceeded(message, resourceId, 'case', SANDBOX_QUOTA_CODE);
    case 'ValidationException':
      return validationException('OTHER', message);
    case 'ThrottlingException':
      return throttlingException(message);
    case 'InternalServerException':
      return internalServerException(message);
    case 'AccessDeniedException':
    case 'InvalidTokenException':
    case 'ResourceNotFoundException':
    case 'SecurityIncidentResponseNotActiveException':
      return modelled(name, message);
  }
}

/** Real quota codes look like `L-1234ABCD`; this one is recognisably the sandbox's. */
export const SANDBOX_QUOTA_CODE = 'L-5A4DB0C5';

// All auth failures are 403: that is what AWS's SigV4 front end answers for restJson1 services,
// and the SDKs surface them as generic, non-retryable service errors.
const AUTH_STATUS = 403;

export function authError(type: AuthErrorName, message: string): SirHttpError {
  return new SirHttpError(type, AUTH_STATUS, message);
}
