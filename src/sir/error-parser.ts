/**
 * Turns an error response into a SirError the way the AWS SDK for JavaScript reads restJson1 errors
 * (reference §1.2), so phasegate classifies exactly what an SDK-based client would.
 */
import { isModelledSirError, TRANSIENT_ERROR_TYPE, type SirErrorName } from '../domain/sir-api/errors';
import { SirError, UNKNOWN_ERROR_TYPE } from './sir-error';
import type { SirOperation, ValidationExceptionField } from './shapes';

/** Front ends answer these without a modelled type when they cannot reach the service: try again. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

const THROTTLING_STATUS = 429;

/** Modelled members beyond `message`, per exception (reference §3); Retry-After travels as a header. */
const DETAIL_MEMBERS: Partial<Record<SirErrorName, readonly string[]>> = {
  ConflictException: ['resourceId', 'resourceType'],
  ServiceQuotaExceededException: ['resourceId', 'resourceType', 'serviceCode', 'quotaCode'],
  ThrottlingException: ['serviceCode', 'quotaCode'],
};

/** Longest excerpt of a non-JSON error body (an HTML page from a proxy, say) kept in the message. */
const BODY_EXCERPT_CHARS = 200;

export interface ErrorResponse {
  statusCode: number;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  body: string;
}

/**
 * The error's short type name: the `x-amzn-errortype` header (any case), else a body key `code` (any
 * case), else `__type`; then cut after the first `,`, after the first `:` (Coral's URL suffix) and
 * before `#` (the Smithy namespace). Never throws, whatever the header and body hold.
 */
export function parseErrorType(headers: Record<string, string | undefined>, body: unknown): string | undefined {
  try {
    return errorTypeOf(headers, body);
  } catch {
    // Only a hostile object (a throwing getter or proxy) gets here; error parsing must not mask the error.
    return undefined;
  }
}

function errorTypeOf(headers: Record<string, string | undefined>, body: unknown): string | undefined {
  const fromHeader = typeName(headerValue(headers, 'x-amzn-errortype'));
  if (fromHeader) return fromHeader;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const codeKey = Object.keys(record).find((key) => key.toLowerCase() === 'code');
  const fromCode = codeKey === undefined ? undefined : typeName(record[codeKey]);
  if (fromCode) return fromCode;
  return Object.prototype.hasOwnProperty.call(record, '__type') ? typeName(record.__type) : undefined;
}

function typeName(raw: unknown): string | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  let value = String(raw);
  value = value.split(',')[0] ?? '';
  value = value.split(':')[0] ?? '';
  if (value.includes('#')) value = value.split('#')[1] ?? '';
  value = value.trim();
  // An empty header is no answer: the SDK would use it as an empty code, we look at the body instead.
  return value === '' ? undefined : value;
}

export function headerValue(headers: Record<string, string | undefined>, lowerCaseName: string): string | undefined {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === lowerCaseName) return headers[key];
  }
  return undefined;
}

/** The request id, from the headers the JS SDK reads, in its order. */
export function requestIdOf(headers: Record<string, string | undefined>): string | undefined {
  for (const name of ['x-amzn-requestid', 'x-amzn-request-id', 'x-amz-request-id']) {
    const value = headerValue(headers, name)?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * Seconds to wait from a `Retry-After` header: delta-seconds, or an HTTP-date, measured against the
 * response's own `Date` when it has one, so our clock's skew does not stretch or cut the wait.
 */
export function parseRetryAfter(value: string | undefined, responseDate: string | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds : undefined;
  }
  // Date.parse takes almost anything ("1.5" is a date to V8), so only HTTP-date forms (in GMT) count.
  if (!/ GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  const serverNow = responseDate ? Date.parse(responseDate) : NaN;
  const reference = Number.isNaN(serverNow) ? nowMs : serverNow;
  return Math.max(0, Math.ceil((at - reference) / 1000));
}

/** The SirError for a response with an error status. */
export function sirErrorFromResponse(operation: SirOperation, response: ErrorResponse, nowMs = Date.now()): SirError {
  const { statusCode, headers } = response;
  const body = parseJsonObject(response.body);
  const parsedType = parseErrorType(headers, body);

  let type: string;
  const details: Record<string, unknown> = {};
  if (parsedType !== undefined && isModelledSirError(parsedType)) {
    type = parsedType;
    for (const member of DETAIL_MEMBERS[parsedType] ?? []) {
      const value = body?.[member];
      if (typeof value === 'string') details[member] = value;
    }
  } else if (statusCode === THROTTLING_STATUS) {
    // Any 429 is throttling, as the AWS SDKs treat it (a WAF, an API gateway or a new throttling code
    // the model does not have yet): backed off and retried like the modelled ThrottlingException.
    type = 'ThrottlingException';
    if (parsedType !== undefined) details.errorType = parsedType;
  } else if (GATEWAY_STATUSES.has(statusCode)) {
    type = TRANSIENT_ERROR_TYPE;
    // Keep what the front end called it: useful when reading the failure, irrelevant for retrying.
    if (parsedType !== undefined) details.errorType = parsedType;
  } else {
    type = parsedType ?? UNKNOWN_ERROR_TYPE;
  }

  return new SirError({
    type,
    sirMessage: messageOf(body, response),
    operation,
    httpStatus: statusCode,
    requestId: requestIdOf(headers),
    retryAfterSeconds: parseRetryAfter(headerValue(headers, 'retry-after'), headerValue(headers, 'date'), nowMs),
    ...(type === 'ValidationException' ? validationMembers(body) : {}),
    details,
  });
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(body: Record<string, unknown> | undefined, response: ErrorResponse): string {
  for (const key of ['message', 'Message']) {
    const value = body?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  const excerpt = body === undefined ? response.body.replace(/\s+/g, ' ').trim().slice(0, BODY_EXCERPT_CHARS) : '';
  return `HTTP ${response.statusCode} without a service message${excerpt ? `; body: ${excerpt}` : ''}`;
}

function validationMembers(body: Record<string, unknown> | undefined): { reason?: string; fieldList?: ValidationExceptionField[] } {
  const out: { reason?: string; fieldList?: ValidationExceptionField[] } = {};
  if (typeof body?.reason === 'string') out.reason = body.reason;
  if (Array.isArray(body?.fieldList)) {
    out.fieldList = body.fieldList.flatMap((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null) return [];
      const { name, message } = entry as Record<string, unknown>;
      return typeof name === 'string' && typeof message === 'string' ? [{ name, message }] : [];
    });
  }
  return out;
}
