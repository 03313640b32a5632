import type { FastifyReply } from 'fastify';
import { sendError } from './http-errors';

export const RETRY_AFTER_SECONDS = 5;

/** 503 for Temporal down or unreachable (isTemporalUnavailable): the sender should retry. */
export function sendTemporalUnavailable(reply: FastifyReply, err: unknown): FastifyReply {
  void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return sendError(reply, 503, 'Temporal is unreachable; retry later', [
    { path: 'temporal', message: err instanceof Error ? err.message.split('\n')[0]! : String(err) },
  ]);
}
