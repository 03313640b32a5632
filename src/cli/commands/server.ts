import { Command } from 'commander';
import { Connection, Client } from '@temporalio/client';
import { DecisionKeys } from '../../attestation/decision-keys';
import { buildServer } from '../../server/app';
import { SlackApp } from '../../server/slack-app';
import { parseSirIdentities } from '../../intake/sir-event-intake';
import { loadPlaybooksOrThrow, defaultPlaybookDir } from '../../config/playbook-directory';
import { loadAlertKeysFile } from '../../server/alert-keys';
import { loadUsersFile } from '../../config/users';
import { parseAdoptSecrets, parseWebhookSecrets } from '../../server/webhook-signature';
import { loadTemporalTarget } from '../../temporal/connection-config';
import { codecFromEnv, dataConverterFromEnv } from '../../temporal/data-converter';
import { setUpTracing } from '../../temporal/tracing';
import { createLogger } from '../logger';
import { runUntilStopped } from '../lifetime';
import { UsageError } from '../usage-error';
import { apiPort, explainListenError, parsePort } from '../ports';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the webhook and approval API (POST /v1/alerts, /v1/cases/…, /healthz, /metrics)')
    .option('--port <port>', 'listen port (default PHASEGATE_PORT or 8080)', parsePort)
    .option('--host <host>', 'listen address (default PHASEGATE_HOST or 127.0.0.1; 0.0.0.0 in containers)')
    .action((opts: { port?: number; host?: string }) =>
      runUntilStopped(async (lifetime) => {
        const secrets = parseWebhookSecrets(process.env.PHASEGATE_WEBHOOK_SECRET);
        const adoptSecrets = parseAdoptSecrets(process.env.PHASEGATE_WEBHOOK_ADOPT_SECRET, secrets);
        const alertKeys = process.env.PHASEGATE_ALERT_KEYS ? await loadAlertKeysFile(process.env.PHASEGATE_ALERT_KEYS) : undefined;
        if (secrets.length === 0 && adoptSecrets.length === 0 && (alertKeys?.size ?? 0) === 0) {
          throw new UsageError('PHASEGATE_WEBHOOK_SECRET is not set (nor any key in PHASEGATE_ALERT_KEYS): the alert webhook needs a shared secret or keys');
        }
        const playbooks = (await loadPlaybooksOrThrow(defaultPlaybookDir(process.env))).map((p) => p.playbook);
        const users = process.env.PHASEGATE_USERS ? await loadUsersFile(process.env.PHASEGATE_USERS) : undefined;
        if (!users) console.warn('phasegate: PHASEGATE_USERS is not set; the decisions and case routes will answer 401');
        const decisionKeys = DecisionKeys.fromEnv(process.env);
        // PHASEGATE_SLACK_SIGNING_SECRET turns on POST /v1/slack/interactions (decisions from Slack's buttons).
        const slack = SlackApp.fromEnv(process.env);
        const codec = codecFromEnv(process.env);
        const logger = createLogger(process.env);
        if (users && !decisionKeys) {
          logger.warn('PHASEGATE_DECISION_KEYS is not set: workers take decisions from this API only where they trust Temporal access');
        }
        const port = apiPort(opts.port);

        const target = loadTemporalTarget(process.env);
        const connection = Connection.lazy(target.connectionOptions);
        lifetime.started('the Temporal connection', { stop: () => connection.close() });
        // A server that cannot reach Temporal at start is misconfigured (address, TLS, API key): say so
        // and stop, instead of answering 503 forever. Once up, a Temporal outage is answered with 503.
        await connection.ensureConnected().catch((err: unknown) => {
          throw new Error(`cannot reach Temporal at ${target.address} (TEMPORAL_ADDRESS): ${(err as Error).message}`, { cause: err });
        });
        const tracing = setUpTracing(process.env);
        if (tracing) lifetime.started('tracing', { stop: () => tracing.shutdown() });
        const client = new Client({
          connection,
          namespace: target.namespace,
          plugins: tracing ? [tracing.plugin] : [],
          dataConverter: dataConverterFromEnv(process.env),
        });
        const corsOrigins = (process.env.PHASEGATE_CODEC_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
        const app = await buildServer({
          client,
          playbooks,
          users,
          decisionKeys,
          webhookSecrets: secrets,
          adoptSecrets,
          alertKeys,
          sirIdentities: parseSirIdentities(process.env.PHASEGATE_SIR_IDENTITY),
          ...(slack && { slack }),
          logger,
          codec: codec ? { codec, corsOrigins } : undefined,
        });
        lifetime.started('the API', { stop: () => app.close() });
        const address = await app.listen({ port, host: opts.host ?? process.env.PHASEGATE_HOST ?? '127.0.0.1' }).catch((err: unknown) => {
          throw explainListenError(err, port, 'phasegate API');
        });
        const keys = alertKeys?.size ? `, ${alertKeys.size} alert keys` : '';
        console.log(`phasegate server on ${address} (${playbooks.length} playbooks${keys}${slack ? ', Slack interactivity on' : ''}, Temporal ${target.address})`);
      }),
    );
}
