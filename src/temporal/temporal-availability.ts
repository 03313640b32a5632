import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError } from '@temporalio/client';

/**
 * Temporal down or unreachable: the sender should retry, and nothing was half-started. Both doors ask
 * it (the API answers 503, the SQS intake holds the message).
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e) && (e.code === GrpcStatus.UNAVAILABLE || e.code === GrpcStatus.DEADLINE_EXCEEDED)) return true;
    if (e instanceof Error && /ECONNREFUSED|Failed to connect|connection refused|UNAVAILABLE/i.test(e.message)) return true;
    if (!(e instanceof Error)) break;
  }
  return false;
}
