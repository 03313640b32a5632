/** Every 4xx/5xx the API sends has the same JSON shape (SPEC §3): what went wrong, and where. */
import type { FastifyReply } from 'fastify';

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: string;
  details: ErrorDetail[];
}

export function sendError(reply: FastifyReply, status: number, error: string, details: ErrorDetail[] = []): FastifyReply {
  return reply.code(status).type('application/json').send({ error, details } satisfies ErrorBody);
}
