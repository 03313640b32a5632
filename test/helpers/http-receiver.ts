/**
 * A real HTTP endpoint on loopback that records every request (headers and raw body) and answers
 * through a handler the test chooses: a stand-in for a Slack incoming webhook or a pager relay.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  at: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (the connection stays open until the receiver closes). */
  hang?: boolean;
}

export type Handler = (request: ReceivedRequest, index: number) => Answer;

export interface HttpReceiver {
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string;
  requests: ReceivedRequest[];
  /** Replaces how the next requests are answered. */
  answer: (handler: Handler) => void;
  close: () => Promise<void>;
}

export async function startReceiver(handler: Handler = () => ({ status: 200, body: 'ok' })): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let current = handler;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks), at: Date.now() };
      requests.push(request);
      const answer = current(request, requests.length - 1);
      if (answer.hang) return;
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (next) => {
      current = next;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
