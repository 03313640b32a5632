/**
 * A loopback HTTP proxy in front of a real SQS server that can hold DeleteMessage calls: the intake
 * has then handed its alerts to Temporal but not yet deleted their messages, the exact window a crash
 * or a SIGTERM must be safe in. Everything else passes through untouched.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

interface Held {
  request: IncomingMessage;
  response: ServerResponse;
  body: Buffer;
}

export interface SqsProxy {
  url: string;
  /** Hold every DeleteMessage from now on, after letting `after` more through. */
  holdDeletes(after?: number): void;
  /** Forward the held calls and stop holding. */
  release(): void;
  /** Drop the held calls (their caller is gone) and stop holding. */
  dropHeld(): void;
  readonly held: number;
  readonly deletesForwarded: number;
  close(): Promise<void>;
}

const DELETE_TARGETS = new Set(['AmazonSQS.DeleteMessage', 'AmazonSQS.DeleteMessageBatch']);

export async function startSqsProxy(upstream: string): Promise<SqsProxy> {
  const target = new URL(upstream);
  let holding = false;
  let passBeforeHolding = 0;
  let deletesForwarded = 0;
  const held: Held[] = [];

  const forward = ({ request, response, body }: Held): void => {
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    outgoing.end(body);
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = { request, response, body: Buffer.concat(chunks) };
      const isDelete = DELETE_TARGETS.has(String(request.headers['x-amz-target'] ?? '')) || /Action=DeleteMessage/.test(call.body.toString());
      if (isDelete && holding) {
        if (passBeforeHolding > 0) passBeforeHolding -= 1;
        else {
          held.push(call);
          return;
        }
      }
      if (isDelete) deletesForwarded += 1;
      forward(call);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    holdDeletes(after = 0) {
      holding = true;
      passBeforeHolding = after;
    },
    release() {
      holding = false;
      for (const call of held.splice(0)) {
        deletesForwarded += 1;
        forward(call);
      }
    },
    dropHeld() {
      holding = false;
      for (const call of held.splice(0)) call.response.destroy();
    },
    get held() {
      return held.length;
    },
    get deletesForwarded() {
      return deletesForwarded;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const call of held.splice(0)) call.response.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
