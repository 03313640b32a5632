/**
 * The one error type the SIR client throws for anything the service (or the way to it) answered.
 * Activities turn it into a Temporal failure whose type is `type` (SPEC §2), so `type` always speaks
 * the service's vocabulary and `message` always carries the SIR message and the request id that AWS
 * support will ask for.
 */
import { isRetryableSirFailure } from '../domain/sir-api/errors';
import type { SirOperation, ValidationExceptionField } from './shapes';

/** An error response whose type could not be read from the header or the body. */
export const UNKNOWN_ERROR_TYPE = 'UnknownSirError';

/**
 * A response that is not an error but not what the operation promises either: a 2xx other than the
 * operation's success code, or a body that does not fit the model. Usually a proxy or a wrong endpoint,
 * so it is not retried.
 */
export const UNEXPECTED_RESPONSE_TYPE = 'SirUnexpectedResponse';

export interface SirErrorInit {
  type: string;
  sirMessage: string;
  operation: SirOperation;
  httpStatus?: number;
  requestId?: string;
  retryAfterSeconds?: number;
  reason?: string;
  fieldList?: ValidationExceptionField[];
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class SirError extends Error {
  override readonly name = 'SirError';
  /** The exception's short name, e.g. `ThrottlingException`, or one of the client's own types. */
  readonly type: string;
  /** The service's own message (body `message`, else `Message`), or what went wrong on the way. */
  readonly sirMessage: string;
  readonly httpStatus?: number;
  readonly requestId?: string;
  /** From `Retry-After`: when the service wants the next attempt, which beats our own backoff. */
  readonly retryAfterSeconds?: number;
  readonly retryable: boolean;
  readonly operation: SirOperation;
  /** ValidationException's `reason` (e.g. FIELD_VALIDATION_FAILED). */
  readonly reason?: string;
  /** ValidationException's offending fields. */
  readonly fieldList?: ValidationExceptionField[];
  /** The other modelled members of the exception (resourceId, resourceType, serviceCode, quotaCode). */
  readonly details: Record<string, unknown>;

  constructor(init: SirErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.type = init.type;
    this.sirMessage = init.sirMessage;
    this.httpStatus = init.httpStatus;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.retryable = isRetryableSirFailure(init.type, init.httpStatus, init.sirMessage);
    this.operation = init.operation;
    this.reason = init.reason;
    this.fieldList = init.fieldList;
    this.details = init.details ?? {};
  }
}

function formatMessage(init: SirErrorInit): string {
  const where = [`operation ${init.operation}`];
  if (init.httpStatus !== undefined) where.push(`HTTP ${init.httpStatus}`);
  where.push(`RequestId ${init.requestId ?? 'none'}`);
  return `${init.type}: ${init.sirMessage} (${where.join(', ')})`;
}
