/**
 * One POST to a notification endpoint, and what its answer means for a retry: network errors,
 * timeouts, 429 and 5xx are worth another attempt (honouring Retry-After); any other answer that is
 * not 2xx will not change by asking again. Errors never carry the URL: for Slack it is the credential.
 */

export const DELIVERY_TIMEOUT_MS = 8_000;
/** A receiver asking for hours would park the notification past its use; the gate's reminder takes over. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;
const MAX_ANSWER_CHARS = 200;

export interface DeliveryRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs?: number;
  /** Aborts the request, e.g. when the activity is cancelled. */
  signal?: AbortSignal;
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';

  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Resolves with the 2xx status; rejects with a DeliveryError for every other outcome. */
export async function postJson(request: DeliveryRequest): Promise<{ status: number }> {
  const timeoutMs = request.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'phasegate', ...request.headers },
      body: request.body,
      // A redirect would re-send a signed notice somewhere nobody configured: report it instead.
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    if (timeout.aborted) throw new DeliveryError(`no answer within ${timeoutMs / 1000} s`, true);
    if (request.signal?.aborted) throw new DeliveryError('cancelled', true);
    throw new DeliveryError(`network error (${networkErrorCode(err)})`, true);
  }

  const status = response.status;
  if (status >= 200 && status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return { status };
  }
  const answer = await readAnswer(response);
  const said = answer ? `: ${answer}` : '';
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw new DeliveryError(`HTTP ${status}${said}`, true, status, retryAfterMs);
  }
  if (status >= 300 && status < 400) {
    throw new DeliveryError(`HTTP ${status}: a redirect; configure the URL it points to`, false, status);
  }
  throw new DeliveryError(`HTTP ${status}${said}`, false, status);
}

/** Seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now; undefined when unusable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    // An HTTP date names its weekday and month; Date.parse alone would also take "-5" as a year.
    const at = /^[A-Za-z]{3}, /.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The start of the receiver's answer (Slack says why in it: "invalid_payload", "no_service"), on one line. */
async function readAnswer(response: Response): Promise<string> {
  try {
    const text = await response.text();
    const line = text.replace(/\s+/g, ' ').trim();
    return line.length > MAX_ANSWER_CHARS ? `${line.slice(0, MAX_ANSWER_CHARS - 3)}...` : line;
  } catch {
    return '';
  }
}

/** undici's cause code (ECONNREFUSED, ENOTFOUND…): its message would name the host and port. */
function networkErrorCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : 'unreachable';
}
