import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../metrics';
import { RETRY_AFTER_SECONDS } from '../temporal-availability';

export function registerHealthRoutes(app: FastifyInstance, deps: { client: Client; metrics: ServerMetrics }): void {
  /** Healthy means the server can reach Temporal, which is what every useful request needs. */
  app.get('/healthz', async (_request, reply) => {
    try {
      await deps.client.connection.withDeadline(Date.now() + 2_000, () => deps.client.workflowService.getSystemInfo({}));
      return reply.send({ status: 'ok', temporal: 'ok' });
    } catch (err) {
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ status: 'unavailable', temporal: err instanceof Error ? err.message.split('\n')[0] : String(err) });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
