/**
 * A real phasegate server on a random loopback port, wired to the shared dev server (in a namespace of
 * its own), a real worker and the SIR sandbox: what `phasegate dev` runs, minus the Web UI.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { DecisionKeys } from '../../src/attestation/decision-keys';
import type { AlertKeyring } from '../../src/server/alert-keys';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { PlaybookCatalog } from '../../src/domain/playbook/catalog';
import { buildServer } from '../../src/server/app';
import { loadPlaybooksOrThrow } from '../../src/config/playbook-directory';
import { type UserEntry, UserDirectory, sha256Hex } from '../../src/config/users';
import type { SlackApp } from '../../src/server/slack-app';
import type { ChannelDirectory } from '../../src/notify/channel';
import type { Logger } from 'pino';
import { signWebhook } from '../../src/server/webhook-signature';
import { SANDBOX_DEFAULT_ACCOUNT_ID, SANDBOX_DEFAULT_CREDENTIALS, apiCallerPrincipal } from '../../src/sandbox';
import { startSandboxFixture, type SandboxFixture } from './sir-sandbox';
import { connectToOwnNamespace, createTestWorker, uniqueTaskQueue } from './temporal';

export const USERS = {
  alice: { token: `alice-${randomBytes(8).toString('hex')}`, groups: ['ir-leads'] },
  bob: { token: `bob-${randomBytes(8).toString('hex')}`, groups: ['developers'] },
  carol: { token: `carol-${randomBytes(8).toString('hex')}`, groups: ['security-management'] },
} as const;

export type UserName = keyof typeof USERS;

/** The server attests decisions with it and the worker checks them: the production chain, no trust in Temporal access. */
export const DECISION_KEYS = new DecisionKeys([randomBytes(32).toString('hex')]);

export const WEBHOOK_SECRET = `whsec-${randomBytes(16).toString('hex')}`;
export const OLD_WEBHOOK_SECRET = `whsec-old-${randomBytes(16).toString('hex')}`;

export interface ServerFixture {
  env: TestWorkflowEnvironment;
  sandbox: SandboxFixture;
  app: FastifyInstance;
  url: string;
  taskQueue: string;
  playbooks: Playbook[];
  /** The worker's own playbooks (the server's, as both read one directory); a test starting a case directly adds its playbook here. */
  workerPlaybooks: PlaybookCatalog;
  postAlert(body: unknown, options?: { secret?: string; timestamp?: number; headers?: Record<string, string>; raw?: string }): Promise<Response>;
  as(user: UserName): Record<string, string>;
  close(): Promise<void>;
}

/** The `updatedBy` of SIR events caused by the worker's calls (the sandbox names the signing key). */
export const PHASEGATE_SIR_IDENTITY = apiCallerPrincipal(SANDBOX_DEFAULT_ACCOUNT_ID, SANDBOX_DEFAULT_CREDENTIALS.accessKeyId);

export interface ServerFixtureOptions {
  worker?: boolean;
  /**
   * The whole chain: the sandbox POSTs SIR's events (signed) to this server's /v1/alerts, as
   * PHASEGATE_SANDBOX_EVENTS_URL makes it do under `phasegate dev`, and the server knows the worker's
   * own SIR identity (PHASEGATE_SIR_IDENTITY).
   */
  sandboxEvents?: boolean;
  alertKeys?: AlertKeyring;
  logger?: FastifyBaseLogger;
  webhookSecrets?: string[];
  /** PHASEGATE_WEBHOOK_ADOPT_SECRET: signatures with these may adopt an existing SIR case. */
  adoptSecrets?: string[];
  /** Playbooks a test needs besides the shipped ones (grouping, case-rate limits). */
  extraPlaybooks?: Playbook[];
  /** Users file entries besides USERS (Slack mappings). */
  extraUsers?: UserEntry[];
  /** The Slack app the server takes clicks for. */
  slack?: SlackApp;
  /** The worker's notification channels. */
  channels?: ChannelDirectory;
  /** Where the worker's activities log (notification deliveries). */
  workerLogger?: Logger;
}

export async function startServerFixture(options: ServerFixtureOptions = {}): Promise<ServerFixture> {
  // The API lists cases across its namespace: one of its own, so it lists only this file's.
  const env = await connectToOwnNamespace('server');
  const taskQueue = uniqueTaskQueue('server');
  const playbooks = [...(await loadPlaybooksOrThrow('playbooks')).map((p) => p.playbook), ...(options.extraPlaybooks ?? [])];
  const users = new UserDirectory([
    ...Object.entries(USERS).map(([name, u]) => ({ name, groups: [...u.groups], tokenSha256: sha256Hex(u.token) })),
    ...(options.extraUsers ?? []),
  ]);
  const app = await buildServer({
    client: env.client,
    playbooks,
    users,
    decisionKeys: DECISION_KEYS,
    webhookSecrets: options.webhookSecrets ?? [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET],
    ...(options.adoptSecrets && { adoptSecrets: options.adoptSecrets }),
    alertKeys: options.alertKeys,
    logger: options.logger,
    taskQueue,
    ...(options.sandboxEvents && { sirIdentities: [PHASEGATE_SIR_IDENTITY] }),
    ...(options.slack && { slack: options.slack }),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const sandbox = await startSandboxFixture(options.sandboxEvents ? { events: { url: `${url}/v1/alerts`, secret: WEBHOOK_SECRET } } : {});
  // The worker runs the server's playbooks, as both read one playbook directory in production.
  const workerPlaybooks = new PlaybookCatalog(playbooks);
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  if (options.worker !== false) {
    worker = await createTestWorker(env, sandbox.sir, taskQueue, { decisionKeys: DECISION_KEYS, trustTemporalAccess: false }, options.channels, options.workerLogger, workerPlaybooks);
    running = worker.run();
  }
  return {
    env,
    sandbox,
    app,
    url,
    taskQueue,
    playbooks,
    workerPlaybooks,
    postAlert: (body, opts = {}) => {
      const raw = opts.raw ?? JSON.stringify(body);
      return fetch(`${url}/v1/alerts`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-phasegate-signature': signWebhook(opts.secret ?? WEBHOOK_SECRET, raw, opts.timestamp),
          ...opts.headers,
        },
        body: raw,
      });
    },
    as: (user) => ({ authorization: `Bearer ${USERS[user].token}`, 'content-type': 'application/json' }),
    close: async () => {
      await app.close();
      worker?.shutdown();
      await running;
      await sandbox.sandbox.close();
      await env.teardown();
    },
  };
}

/** Posts a signed alert to a server a test built itself (its own client or playbooks), without a port. */
export function injectSignedAlert(app: FastifyInstance, body: unknown) {
  const raw = JSON.stringify(body);
  return app.inject({
    method: 'POST',
    url: '/v1/alerts',
    headers: { 'content-type': 'application/json', 'x-phasegate-signature': signWebhook(WEBHOOK_SECRET, raw) },
    payload: raw,
  });
}
