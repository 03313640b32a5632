import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import { sendError } from './http-errors';

export const RETRY_AFTER_SECONDS = 5;

/** Temporal down or unreachable: the sender should retry, and nothing was half-started. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e) && (e.code === GrpcStatus.UNAVAILABLE || e.code === GrpcStatus.DEADLINE_EXCEEDED)) return true;
    if (e instanceof Error && /ECONNREFUSED|Failed to connect|connection refused|UNAVAILABLE/i.test(e.message)) return true;
    if (!(e instanceof Error)) break;
  }
  return false;
}

export function sendTemporalUnavailable(reply: FastifyReply, err: unknown): FastifyReply {
  void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return sendError(reply, 503, 'Temporal is unreachable; retry later', [
    { path: 'temporal', message: err instanceof Error ? err.message.split('\n')[0]! : String(err) },
  ]);
}
