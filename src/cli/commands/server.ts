import { Command } from 'commander';
import { Connection, Client } from '@temporalio/client';
import { DecisionKeys } from '../../attestation/decision-keys';
import { buildServer } from '../../server/app';
import { parseSirIdentities } from '../../server/sir-events';
import { loadPlaybooksOrThrow, defaultPlaybookDir } from '../../server/playbook-directory';
import { loadUsersFile } from '../../server/users';
import { parseWebhookSecrets } from '../../server/webhook-signature';
import { loadTemporalTarget } from '../../temporal/connection-config';
import { codecFromEnv, dataConverterFromEnv } from '../../temporal/data-converter';
import { setUpTracing } from '../../temporal/tracing';
import { createLogger } from '../logger';
import { untilShutdownSignal } from '../shutdown';
import { UsageError } from '../usage-error';
import { apiPort, parsePort } from '../ports';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the webhook and approval API (POST /v1/alerts, /v1/cases/…, /healthz, /metrics)')
    .option('--port <port>', 'listen port (default PHASEGATE_PORT or 8080)', parsePort)
    .option('--host <host>', 'listen address (default PHASEGATE_HOST or 127.0.0.1; 0.0.0.0 in containers)')
    .action(async (opts: { port?: number; host?: string }) => {
      const secrets = parseWebhookSecrets(process.env.PHASEGATE_WEBHOOK_SECRET);
      if (secrets.length === 0) throw new UsageError('PHASEGATE_WEBHOOK_SECRET is not set: the alert webhook needs a shared secret');
      const playbooks = (await loadPlaybooksOrThrow(defaultPlaybookDir(process.env))).map((p) => p.playbook);
      const users = process.env.PHASEGATE_USERS ? await loadUsersFile(process.env.PHASEGATE_USERS) : undefined;
      if (!users) console.warn('phasegate: PHASEGATE_USERS is not set; the decisions and case routes will answer 401');
      const decisionKeys = DecisionKeys.fromEnv(process.env);
      if (users && !decisionKeys) {
        console.warn('phasegate: PHASEGATE_DECISION_KEYS is not set; workers take decisions from this API only where they trust Temporal access');
      }

      // Lazy: the server starts (and answers 503) while Temporal is still coming up.
      const target = loadTemporalTarget(process.env);
      const tracing = setUpTracing(process.env);
      const client = new Client({
        connection: Connection.lazy(target.connectionOptions),
        namespace: target.namespace,
        plugins: tracing ? [tracing.plugin] : [],
        dataConverter: dataConverterFromEnv(process.env),
      });
      const codec = codecFromEnv(process.env);
      const corsOrigins = (process.env.PHASEGATE_CODEC_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);
      const app = await buildServer({
        client,
        playbooks,
        users,
        decisionKeys,
        webhookSecrets: secrets,
        sirIdentities: parseSirIdentities(process.env.PHASEGATE_SIR_IDENTITY),
        logger: createLogger(process.env),
        codec: codec ? { codec, corsOrigins } : undefined,
      });
      const address = await app.listen({ port: apiPort(opts.port), host: opts.host ?? process.env.PHASEGATE_HOST ?? '127.0.0.1' });
      console.log(`phasegate server on ${address} (${playbooks.length} playbooks, Temporal ${target.address})`);
      await untilShutdownSignal();
      await app.close();
      await client.connection.close();
      await tracing?.shutdown();
    });
}
