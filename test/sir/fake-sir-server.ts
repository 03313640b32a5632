/**
 * A loopback HTTP server that plays the SIR API from a queue of canned responses and records every
 * request it receives (method, raw path, headers, body) plus every TCP connection.
 */
import { once } from 'node:events';
import { after, before, beforeEach } from 'node:test';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsCredentialIdentity } from '@smithy/types';
import { SirClient } from '../../src/sir';
import type { SirClientConfig } from '../../src/sir';

export interface RecordedRequest {
  method: string;
  /** The raw request target, percent-encoding intact. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Drop the connection without answering ("socket hang up" on the client). */
  hangUp?: boolean;
  /** Send the head and this much body, then stall forever. */
  stallAfter?: string;
}

export const TEST_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDTESTSIRCLIENT01',
  secretAccessKey: 'test/secret/KEY+do-not-leak-0123456789',
};

export const TEST_SESSION_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'ASIATESTSIRCLIENT02',
  secretAccessKey: 'session/secret/KEY+do-not-leak-9876543210',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE//session+token=do-not-leak',
};

export class FakeSirServer {
  readonly requests: RecordedRequest[] = [];
  connections = 0;
  private readonly queue: CannedResponse[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeSirServer> {
    const server = http.createServer();
    const fake = new FakeSirServer(server);
    server.on('connection', () => {
      fake.connections += 1;
    });
    server.on('request', (req, res) => void fake.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get last(): RecordedRequest {
    const last = this.requests.at(-1);
    if (!last) throw new Error('the fake SIR server received no request');
    return last;
  }

  /** Queues responses, answered in order; an empty queue answers 500. */
  respond(...responses: CannedResponse[]): this {
    this.queue.push(...responses);
    return this;
  }

  client(overrides: Partial<SirClientConfig> = {}): SirClient {
    return new SirClient({ region: 'us-east-1', endpoint: this.url, credentials: TEST_CREDENTIALS, ...overrides });
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });

    const canned = this.queue.shift() ?? { status: 500, body: { message: 'the fake SIR server has no canned response left' } };
    const answer = (): void => {
      if (canned.hangUp) {
        req.socket.destroy();
        return;
      }
      const body = canned.body === undefined ? '' : typeof canned.body === 'string' ? canned.body : JSON.stringify(canned.body);
      const headers: Record<string, string> = { ...(body && typeof canned.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...canned.headers };
      if (canned.stallAfter !== undefined) {
        res.writeHead(canned.status, { ...headers, 'content-length': String(Buffer.byteLength(body) + 1000) });
        res.write(canned.stallAfter);
        return;
      }
      res.writeHead(canned.status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    if (canned.delayMs) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, canned.delayMs);
      this.timers.add(timer);
    } else {
      answer();
    }
  }
}

/** A port nothing listens on (bound then released), for connection-refused tests. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * Starts one fake server for the enclosing describe block and clears its recorded requests before each
 * test; call inside `describe`, read the server through the returned getter inside tests.
 */
export function useFakeSirServer(): () => FakeSirServer {
  let server: FakeSirServer | undefined;
  before(async () => {
    server = await FakeSirServer.start();
  });
  after(() => server?.close());
  beforeEach(() => {
    if (server) server.requests.length = 0;
  });
  return () => {
    if (!server) throw new Error('the fake SIR server is not running (use it inside a test)');
    return server;
  };
}
