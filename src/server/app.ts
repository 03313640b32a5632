/**
 * The phasegate HTTP server: alert webhook, decisions API, case inspection, health and metrics.
 * Bodies are kept raw (the webhook signature covers exact bytes) and parsed per route, so every bad
 * input gets a precise 4xx and nothing invalid reaches Temporal.
 */
import type { Client } from '@temporalio/client';
import type { DecisionKeys } from '../attestation/decision-keys';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Playbook } from '../domain/playbook/playbook';
import { TASK_QUEUE } from '../domain/contract/temporal-names';
import { sendError } from './http-errors';
import { caseListQuery } from '../temporal/case-commands';
import { ServerMetrics } from './metrics';
import { AcceptedRequests } from './accepted-requests';
import { AlertIntakeMemory } from '../intake/alert-intake-memory';
import { registerAlertRoute } from './routes/alerts';
import { registerCaseRoutes } from './routes/cases';
import { registerCodecRoutes } from './routes/codec';
import { registerHealthRoutes } from './routes/health';
import { registerSlackRoutes } from './routes/slack-interactions';
import type { SlackApp } from './slack-app';
import type { AlertKeyring } from './alert-keys';
import type { UserDirectory } from '../config/users';

export const MAX_BODY_BYTES = 256 * 1024;

export interface ServerOptions {
  client: Client;
  playbooks: Playbook[];
  webhookSecrets: string[];
  /** PHASEGATE_WEBHOOK_ADOPT_SECRET: secrets whose signed alerts may also adopt an existing SIR case. */
  adoptSecrets?: string[];
  /** PHASEGATE_ALERT_KEYS: API keys / Basic credentials for EventBridge API destinations. */
  alertKeys?: AlertKeyring;
  users?: UserDirectory;
  /** PHASEGATE_DECISION_KEYS: the server attests who decided, and the starts that adopt a SIR case; workers check both. */
  decisionKeys?: DecisionKeys;
  taskQueue?: string;
  metrics?: ServerMetrics;
  logger?: FastifyBaseLogger | boolean;
  /** `detail.updatedBy` values of SIR events phasegate caused itself (PHASEGATE_SIR_IDENTITY): not passed to cases. */
  sirIdentities?: string[];
  /** PHASEGATE_SLACK_*: decisions from the buttons of gate messages in Slack (POST /v1/slack/interactions). */
  slack?: SlackApp;
  /** Serve /codec/encode and /codec/decode for the Web UI with this codec (payload encryption). */
  codec?: { codec: PayloadCodec; corsOrigins: string[]; devUiOrigins?: string[] };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const adoptSecrets = options.adoptSecrets ?? [];
  if (options.webhookSecrets.length === 0 && adoptSecrets.length === 0 && (options.alertKeys?.size ?? 0) === 0) {
    throw new Error('alerts need a webhook secret (PHASEGATE_WEBHOOK_SECRET or PHASEGATE_WEBHOOK_ADOPT_SECRET) or alert keys (PHASEGATE_ALERT_KEYS)');
  }
  // Checked here too, for servers built without the environment (dev, tests): see parseAdoptSecrets.
  if (adoptSecrets.some((secret) => options.webhookSecrets.includes(secret))) {
    throw new Error('a secret is in both PHASEGATE_WEBHOOK_SECRET and PHASEGATE_WEBHOOK_ADOPT_SECRET; list an adopt-capable secret only in PHASEGATE_WEBHOOK_ADOPT_SECRET');
  }
  const metrics = options.metrics ?? new ServerMetrics();
  for (const playbook of options.playbooks) {
    if (playbook.maxNewCasesPerHour !== undefined) metrics.caseRateLimit.set({ playbook: playbook.name }, playbook.maxNewCasesPerHour);
  }
  metrics.watchPendingApprovals(async () => {
    const { count } = await options.client.workflow.count(caseListQuery({ awaitingApproval: true }));
    return count;
  });
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    ...(typeof options.logger === 'object' ? { loggerInstance: options.logger } : { logger: options.logger ?? false }),
    // Secrets and tokens never reach the logs.
    requestIdHeader: 'x-request-id',
    // Codec clients append "/decode" to the endpoint they were given: one configured with a trailing
    // slash (`--codec-endpoint https://host/codec/`) asks for /codec//decode.
    routerOptions: { ignoreDuplicateSlashes: true },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, code: String(reply.statusCode) });
    metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not found', [{ path: request.url.split('?')[0] ?? '/', message: 'no such route' }]));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, 'body too large', [{ path: '(body)', message: `at most ${MAX_BODY_BYTES} bytes (256 KiB)` }]);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'unsupported content type', [
          { path: 'Content-Type', message: `send application/json, not ${request.headers['content-type'] ?? 'nothing'}` },
        ]);
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(reply, 400, 'invalid Content-Length', [{ path: 'Content-Length', message: error.message }]);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, error.message, []);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, 'internal error', [{ path: '(server)', message: 'see the server log for the request id' }]);
  });

  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  registerAlertRoute(app, {
    client: options.client,
    playbooks: options.playbooks,
    webhookSecrets: options.webhookSecrets,
    adoptSecrets,
    alertKeys: options.alertKeys,
    taskQueue,
    metrics,
    memory: new AlertIntakeMemory(),
    acceptedRequests: new AcceptedRequests(),
    sirIdentities: options.sirIdentities ?? [],
    decisionKeys: options.decisionKeys,
  });
  registerCaseRoutes(app, { client: options.client, users: options.users, decisionKeys: options.decisionKeys, metrics });
  registerSlackRoutes(app, { client: options.client, users: options.users, decisionKeys: options.decisionKeys, slack: options.slack, metrics });
  registerHealthRoutes(app, { client: options.client, metrics });
  if (options.codec) registerCodecRoutes(app, { ...options.codec, users: options.users });
  await app.ready();
  return app;
}
