/**
 * The reference for bench 5: a bare Fastify route with the same raw-body parser and answer shape as
 * POST /v1/alerts, and nothing else (no signature check, no parsing, no Temporal), in its own process
 * like the phasegate server. Listens on BENCH_PORT.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/v1/alerts', async (_request, reply) => reply.code(202).send({ caseWorkflowId: 'case-bare', runId: 'bare', duplicate: false }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) });
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
