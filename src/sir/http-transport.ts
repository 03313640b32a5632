/**
 * Sends signed requests and reads whole responses, within one time budget per request.
 *
 * The agents are module singletons: every SirClient in the process shares one keep-alive pool per
 * scheme, so a worker running many activities reuses TLS connections instead of paying a handshake
 * per call, and the number of sockets stays bounded however many clients get built.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest } from '@smithy/protocol-http';

/** The AWS SDK's default pool size. */
const MAX_SOCKETS_PER_HOST = 50;

const sharedHttpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });
const sharedHttpsAgent = new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });

export interface RawResponse {
  statusCode: number;
  /** Lower-case names; repeated headers joined with ','. */
  headers: Record<string, string>;
  body: string;
}

/** The request never produced a complete response: the caller decides what that means for retrying. */
export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Error codes of our own mistakes (a bad header value, say): retrying those would only repeat them. */
const PROGRAMMING_ERROR_CODE = /^ERR_(INVALID|UNESCAPED|HTTP_INVALID|OUT_OF_RANGE)/;

export class HttpTransport {
  private readonly handler: NodeHttpHandler;

  constructor(private readonly requestTimeoutMs: number) {
    this.handler = new NodeHttpHandler({
      httpAgent: sharedHttpAgent,
      httpsAgent: sharedHttpsAgent,
      requestTimeout: requestTimeoutMs,
      // Without it the handler only logs a warning when the timeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    });
  }

  async send(request: HttpRequest, abortSignal?: AbortSignal): Promise<RawResponse> {
    const startedAt = Date.now();
    let response;
    try {
      ({ response } = await this.handler.handle(request, { abortSignal }));
    } catch (err) {
      throw this.classify(err);
    }
    // The handler's timer stops at the response headers; the body must fit in what is left.
    const remainingMs = this.requestTimeoutMs - (Date.now() - startedAt);
    let body: string;
    try {
      body = await readBody(response.body, remainingMs, this.requestTimeoutMs);
    } catch (err) {
      throw this.classify(err);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
    return { statusCode: response.statusCode, headers, body };
  }

  private classify(err: unknown): unknown {
    if (err instanceof TransportError) return err;
    if (!(err instanceof Error)) return new TransportError('network', `network error: ${String(err)}`, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof TypeError || err instanceof RangeError || (code !== undefined && PROGRAMMING_ERROR_CODE.test(code))) {
      return err;
    }
    // The handler renames ECONNRESET/EPIPE/ETIMEDOUT to TimeoutError; only its own timer is a timeout of ours.
    if (err.name === 'TimeoutError' && code !== 'ECONNRESET' && code !== 'EPIPE') {
      return new TransportError('timeout', `no complete response within ${this.requestTimeoutMs} ms (${err.message})`, { cause: err });
    }
    return new TransportError('network', `network error${code ? ` ${code}` : ''}: ${describeError(err)}`, { cause: err });
  }
}

/** Happy-eyeballs connects fail with an AggregateError whose own message is empty. */
function describeError(err: Error): string {
  if (err.message) return err.message;
  if (err instanceof AggregateError) return err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  return err.name;
}

async function readBody(body: unknown, remainingMs: number, budgetMs: number): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (!(body instanceof Readable)) throw new TransportError('network', 'response body is not a stream');
  const timer = setTimeout(
    () => body.destroy(new TransportError('timeout', `response body not complete within ${budgetMs} ms`)),
    Math.max(0, remainingMs),
  );
  try {
    const chunks: Buffer[] = [];
    // Reading to the end is also what hands the socket back to the keep-alive pool.
    for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    clearTimeout(timer);
  }
}
