/**
 * `phasegate dev`: the whole product on one machine. A Temporal dev server with its Web UI and a
 * SQLite file (cases survive restarts), the SIR sandbox (or real AWS with --aws), a worker and the
 * webhook + approval API.
 * Ctrl-C or SIGTERM stops the parts in reverse order, so no child is left holding a port; a start
 * that fails stops what had started (src/cli/lifetime.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ChannelDirectory } from '../../notify/channel';
import { DEFAULT_SIGNING_SECRET_ENV, loadChannelsFromEnv, parseChannelsFile } from '../../notify/channels-file';
import { InboundSecrets } from '../../notify/inbound-secrets';
import { SLACK_API_URL_ENV, SLACK_BOT_TOKEN_ENV } from '../../notify/slack-app-channel';
import { SLACK_INTERACTIONS_ROUTE } from '../../server/routes/slack-interactions';
import { SlackApp } from '../../server/slack-app';
import { FAKE_CONVERSATION, FAKE_TEAM, type FakeSlackUser, type SlackFake, startSlackFake } from '../../slack-fake';
import { SANDBOX_DEFAULT_CREDENTIALS, type SirSandbox, startSandbox } from '../../sandbox';
import { resolveSirClientConfig, SirClient, type SirClientConfig } from '../../sir';
import { assertFree, startDevServer, type DevServer } from '../../temporal/dev-server';
import { ensureSearchAttributes } from '../../temporal/search-attribute-registration';
import { defaultStateDir, locateTemporalCli } from '../../temporal/temporal-cli';
import type { Logger } from 'pino';
import { installRuntime, runtimeLogLevel } from '../../temporal/runtime';
import { workerOptionsFromTuning, workerTuningFromEnv } from '../../temporal/worker-tuning';
import { createLogger, temporalLoggerFor } from '../logger';
import { createPhasegateWorker } from '../../temporal/worker';
import { type AlertKeyring, loadAlertKeysFile } from '../../server/alert-keys';
import { buildServer } from '../../server/app';
import { parseSirIdentities } from '../../intake/sir-event-intake';
import { defaultPlaybookDir, loadPlaybooksOrThrow } from '../../config/playbook-directory';
import { UserDirectory, loadUsersFile, sha256Hex } from '../../config/users';
import { parseAdoptSecrets, parseWebhookSecrets } from '../../server/webhook-signature';
import { codecFromEnv } from '../../temporal/data-converter';
import type { EncryptionCodec } from '../../temporal/payload-encryption';
import { DecisionKeys } from '../../attestation/decision-keys';
import { identityOptions } from '../../temporal/worker-identity';
import { DEMO_GROUPS, DEMO_USER, type DevCredentials, type GeneratedDevCredentials, loadOrCreateDevCredentials, recordDevApiUrl } from '../dev-credentials';
import { postDemoAlert } from '../demo-alert';
import { runUntilStopped, type Lifetime } from '../lifetime';
import { apiPort as apiPortFrom, explainListenError, parsePort, sandboxPort as sandboxPortFrom } from '../ports';
import { runWorker } from '../running-worker';
import type { Playbook } from '../../domain/playbook/playbook';
import { PlaybookCatalog } from '../../domain/playbook/catalog';

interface DevOptions {
  aws?: boolean;
  temporalPort: number;
  uiPort: number;
  sandboxPort?: number;
  port?: number;
  demo?: boolean;
  slackFake?: boolean;
  slackPort: number;
}

/** Where `--slack-fake` serves the fake Slack (its page, Web API and response URLs). */
const DEFAULT_SLACK_FAKE_PORT = 4568;

export function devCommand(): Command {
  return new Command('dev')
    .description('run everything locally: Temporal dev server + Web UI, SIR sandbox, worker, API')
    .option('--aws', 'talk to real AWS Security Incident Response (default credential chain and region)')
    .option('--temporal-port <port>', 'Temporal frontend port', parsePort, 7233)
    .option('--ui-port <port>', 'Temporal Web UI port', parsePort, 8233)
    .option('--sandbox-port <port>', 'SIR sandbox port (default PHASEGATE_SANDBOX_PORT or 4566)', parsePort)
    .option('--port <port>', 'phasegate API port (default PHASEGATE_PORT or 8080)', parsePort)
    .option('--demo', 'post a sample GuardDuty alert once everything runs, so a case waits for approval in the Web UI')
    .option('--slack-fake', 'run a local Slack fake: gate messages with Approve/Reject buttons to click on its page (README: Approve from Slack)')
    .option('--slack-port <port>', 'Slack fake port', parsePort, DEFAULT_SLACK_FAKE_PORT)
    .action(runDev);
}

function runDev(opts: DevOptions): Promise<void> {
  return runUntilStopped(async (lifetime) => {
    // The banner is the interface here: logs only speak up for warnings unless asked.
    const logger = createLogger({ PHASEGATE_LOG_LEVEL: 'warn', ...process.env });
    installRuntime({ logger: temporalLoggerFor(logger, runtimeLogLevel(process.env)), metricsAddress: process.env.PHASEGATE_WORKER_METRICS_ADDRESS });
    const stateDir = defaultStateDir(process.env);
    await mkdir(stateDir, { recursive: true });

    const apiPort = apiPortFrom(opts.port);
    const sandboxPort = sandboxPortFrom(opts.sandboxPort);
    // Every port is checked before anything starts, so a busy one costs one line, not a half-started stack.
    await assertFree('127.0.0.1', opts.temporalPort, 'Temporal frontend');
    await assertFree('127.0.0.1', opts.uiPort, 'Temporal Web UI');
    await assertFree('127.0.0.1', apiPort, 'phasegate API');
    if (!opts.aws) await assertFree('127.0.0.1', sandboxPort, 'SIR sandbox');
    if (opts.slackFake) await assertFree('127.0.0.1', opts.slackPort, 'Slack fake');
    // So is the configuration (playbooks, users file, credentials): a mistake there starts nothing.
    const generated = await loadOrCreateDevCredentials(stateDir);
    const slackFake = opts.slackFake ? fakeSlackSettings(opts.slackPort) : undefined;
    const apiSettings = await loadApiSettings(generated, slackFake);
    const sirConfig: SirClientConfig | undefined = opts.aws ? await resolveSirClientConfig(process.env) : undefined;
    const tuning = workerOptionsFromTuning(workerTuningFromEnv(process.env));
    // Payloads are encrypted in dev as in production: PHASEGATE_KEYS, or a key kept in .phasegate/.
    const codec = codecFromEnv({ PHASEGATE_KEYS: process.env.PHASEGATE_KEYS ?? generated.payloadKeys })!;
    const decisionKeys = DecisionKeys.fromEnv(process.env) ?? new DecisionKeys([generated.decisionKey]);
    // Webhook channels sign with notifications' own secret, which dev generates when none is set, and
    // never with one that the API or the worker checks, whether set or generated; with the Slack fake,
    // slack-app channels post to it with its bot token.
    const notifySecret = process.env[DEFAULT_SIGNING_SECRET_ENV] || generated.notifySecret;
    const inbound = InboundSecrets.fromEnv(
      { PHASEGATE_WEBHOOK_SECRET: apiSettings.webhookSecrets.join(','), PHASEGATE_DECISION_KEYS: process.env.PHASEGATE_DECISION_KEYS?.trim() || generated.decisionKey },
      apiSettings.alertKeys,
    );
    const channelEnv = {
      ...process.env,
      [DEFAULT_SIGNING_SECRET_ENV]: notifySecret,
      ...(slackFake && { [SLACK_BOT_TOKEN_ENV]: slackFake.botToken, [SLACK_API_URL_ENV]: slackFake.apiUrl }),
    };
    const channels = (await loadChannelsFromEnv(channelEnv, inbound)) ?? (slackFake && parseChannelsFile(FAKE_SLACK_CHANNELS, '(phasegate dev --slack-fake)', channelEnv, inbound));
    const shownNotifySecret = channels?.describe().some((c) => c.type === 'webhook') && !process.env[DEFAULT_SIGNING_SECRET_ENV] ? notifySecret : undefined;
    const slackApp = slackFake
      ? new SlackApp({ signingSecrets: [slackFake.signingSecret], botToken: slackFake.botToken, apiUrl: slackFake.apiUrl })
      : SlackApp.fromEnv(process.env);

    const cli = await locateTemporalCli({ stateDir, onProgress: (line) => console.log(line), signal: lifetime.signal });
    const serverOptions = {
      cliPath: cli.path,
      port: opts.temporalPort,
      uiPort: opts.uiPort,
      dbFile: join(stateDir, 'temporal.sqlite'),
      codecEndpoint: `http://127.0.0.1:${apiPort}/codec`,
      cacheSearchAttributes: true,
      signal: lifetime.signal,
    };
    let server: DevServer = await startDevServer(serverOptions);
    lifetime.started('the Temporal dev server', { stop: () => server.stop(), kill: () => server.process.kill('SIGKILL') });
    const added = await registerSearchAttributes(server);
    if (added.length > 0) {
      // With its search-attribute cache on, the server may not see them for up to a minute; a restart
      // loads them now (once, on the first start after an upgrade).
      console.log(`Registered search attributes ${added.join(', ')} on the existing database; restarting the Temporal dev server.`);
      await server.stop();
      server = await startDevServer(serverOptions);
    }

    let sandbox: SirSandbox | undefined;
    if (!opts.aws) {
      sandbox = await startSandbox({ port: sandboxPort, persistFile: join(stateDir, 'sandbox-cases.json'), ...sandboxEvents(generated) }).catch((err: unknown) => {
        throw explainListenError(err, sandboxPort, 'SIR sandbox');
      });
      lifetime.started('the SIR sandbox', { stop: () => sandbox!.close() });
    }
    const sir = sirConfig ?? { region: 'us-east-1', endpoint: sandbox!.url, credentials: SANDBOX_DEFAULT_CREDENTIALS };

    let fake: SlackFake | undefined;
    if (slackFake) {
      fake = await startSlackFake({ port: opts.slackPort, signingSecret: slackFake.signingSecret, botToken: slackFake.botToken, users: FAKE_SLACK_USERS }).catch((err: unknown) => {
        throw explainListenError(err, opts.slackPort, 'Slack fake');
      });
      lifetime.started('the Slack fake', { stop: () => fake!.close() });
    }

    const connection = await NativeConnection.connect({ address: server.address });
    lifetime.started('the worker connection', { stop: () => connection.close() });
    const worker = await createPhasegateWorker({
      connection,
      namespace: server.namespace,
      sir: new SirClient(sir),
      // The same directory the API routes alerts with: a case runs only these.
      playbooks: new PlaybookCatalog(apiSettings.playbooks),
      // On one machine, whoever can reach the dev server is its user: Temporal access is trusted here.
      identity: identityOptions({ decisionKeys, trustTemporalAccess: process.env.PHASEGATE_TRUST_TEMPORAL_ACCESS !== 'false', users: apiSettings.users }),
      tuning,
      dataConverter: { payloadCodecs: [codec] },
      channels,
      logger,
    });
    lifetime.started('the worker', runWorker(worker));

    // The sandbox names the worker's key in the events its calls cause; the API leaves those out.
    const sirIdentities = [
      ...parseSirIdentities(process.env.PHASEGATE_SIR_IDENTITY),
      ...(sandbox ? [sandbox.principalOf(SANDBOX_DEFAULT_CREDENTIALS.accessKeyId)] : []),
    ];
    const api = await startApi({ lifetime, port: apiPort, settings: apiSettings, server, logger, codec, decisionKeys, sirIdentities, slack: slackApp });
    fake?.setInteractivityUrl(`${api.url}${SLACK_INTERACTIONS_ROUTE}`);
    await recordDevApiUrl(stateDir, api.url, fake?.url);
    printBanner({ server, sandbox, sirEndpoint: sir.endpoint ?? `AWS (${sir.region})`, api, channels, notifySecret: shownNotifySecret, ...(fake && { slackFakeUrl: fake.url }), slack: slackApp !== undefined });
    if (opts.demo) await postDemo(api, server, api.secrets[0]!);
  });
}

/**
 * SIR events from the sandbox when PHASEGATE_SANDBOX_EVENTS_URL names a receiver (usually this API's
 * /v1/alerts), signed with the secret the API checks: PHASEGATE_WEBHOOK_SECRET, else the generated one.
 */
function sandboxEvents(generated: DevCredentials): { events?: { url: string; secret: string } } {
  const url = process.env.PHASEGATE_SANDBOX_EVENTS_URL?.trim();
  if (!url) return {};
  const secret = parseWebhookSecrets(process.env.PHASEGATE_WEBHOOK_SECRET)[0] ?? generated.webhookSecret;
  return { events: { url, secret } };
}

async function registerSearchAttributes(server: DevServer): Promise<string[]> {
  // start-dev registers them on a fresh database; an older SQLite file may predate one of them.
  const connection = await Connection.connect({ address: server.address });
  try {
    return await ensureSearchAttributes(connection, server.namespace);
  } finally {
    await connection.close();
  }
}

interface DevApi {
  url: string;
  secrets: string[];
  webhookSecret?: string;
  demoToken?: string;
}

/** The API's settings: the environment's secrets, users and playbooks, or generated credentials. */
interface ApiSettings {
  webhookSecrets: string[];
  /** PHASEGATE_WEBHOOK_ADOPT_SECRET, when set. */
  adoptSecrets: string[];
  /** PHASEGATE_ALERT_KEYS: keys for EventBridge API destinations, when set. */
  alertKeys?: AlertKeyring;
  users: UserDirectory;
  playbooks: Playbook[];
  /** Set when generated (and so worth printing). */
  webhookSecret?: string;
  demoToken?: string;
}

async function loadApiSettings(generated: GeneratedDevCredentials, slackFake?: FakeSlackSettings): Promise<ApiSettings> {
  const envSecrets = parseWebhookSecrets(process.env.PHASEGATE_WEBHOOK_SECRET);
  // With the Slack fake, its "demo" member clicks as the demo user.
  const users = process.env.PHASEGATE_USERS
    ? await loadUsersFile(process.env.PHASEGATE_USERS)
    : new UserDirectory([{ name: DEMO_USER, groups: DEMO_GROUPS, tokenSha256: sha256Hex(generated.demoToken), ...(slackFake && { slack: { team: FAKE_TEAM, user: FAKE_DEMO_USER } }) }]);
  const playbooks = (await loadPlaybooksOrThrow(defaultPlaybookDir(process.env))).map((p) => p.playbook);
  const alertKeys = process.env.PHASEGATE_ALERT_KEYS ? await loadAlertKeysFile(process.env.PHASEGATE_ALERT_KEYS) : undefined;
  const webhookSecrets = envSecrets.length > 0 ? envSecrets : [generated.webhookSecret];
  return {
    webhookSecrets,
    adoptSecrets: parseAdoptSecrets(process.env.PHASEGATE_WEBHOOK_ADOPT_SECRET, webhookSecrets),
    ...(alertKeys && { alertKeys }),
    users,
    playbooks,
    webhookSecret: envSecrets.length > 0 ? undefined : generated.webhookSecret,
    demoToken: process.env.PHASEGATE_USERS ? undefined : generated.demoToken,
  };
}

/** The webhook and approval API, with generated credentials unless the environment provides them. */
interface ApiParts {
  lifetime: Lifetime;
  port: number;
  settings: ApiSettings;
  server: DevServer;
  logger: Logger;
  codec: EncryptionCodec;
  decisionKeys: DecisionKeys;
  sirIdentities: string[];
  slack?: SlackApp;
}

async function startApi({ lifetime, port, settings, server, logger, codec, decisionKeys, sirIdentities, slack }: ApiParts): Promise<DevApi> {
  const connection = await Connection.connect({ address: server.address });
  lifetime.started('the API\'s Temporal connection', { stop: () => connection.close() });
  // The worker refuses payloads that are not encrypted; a client reads what is there.
  const client = new Client({ connection, namespace: server.namespace, dataConverter: { payloadCodecs: [codec.acceptingPlaintext()] } });
  // The Web UI decodes payloads through this server; see registerCodecRoutes on why its origin is trusted.
  const uiOrigins = server.uiUrl ? [new URL(server.uiUrl).origin, new URL(server.uiUrl).origin.replace('127.0.0.1', 'localhost')] : [];
  const app = await buildServer({
    client,
    playbooks: settings.playbooks,
    users: settings.users,
    decisionKeys,
    webhookSecrets: settings.webhookSecrets,
    adoptSecrets: settings.adoptSecrets,
    alertKeys: settings.alertKeys,
    sirIdentities,
    logger,
    codec: { codec, corsOrigins: uiOrigins, devUiOrigins: uiOrigins },
    ...(slack && { slack }),
  });
  lifetime.started('the API', { stop: () => app.close() });
  const url = await app.listen({ port, host: '127.0.0.1' }).catch((err: unknown) => {
    throw explainListenError(err, port, 'phasegate API');
  });
  return { url, secrets: settings.webhookSecrets, webhookSecret: settings.webhookSecret, demoToken: settings.demoToken };
}

/** The worker starts polling as run() begins; the case waits in Temporal until then, so no race. */
async function postDemo(api: DevApi, server: DevServer, secret: string): Promise<void> {
  const result = await postDemoAlert(api.url, secret);
  if (result.status !== 202) {
    console.error(`phasegate: the demo alert was refused (${result.status}): ${JSON.stringify(result.body)}`);
    return;
  }
  const { caseWorkflowId } = result.body as { caseWorkflowId: string };
  const link = server.uiUrl ? `${server.uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(caseWorkflowId)}` : caseWorkflowId;
  console.log(`Demo alert posted: case workflow ${caseWorkflowId}; it waits for approval by group ir-leads.\n  ${link}\n`);
}

function printBanner(parts: { server: DevServer; sandbox?: SirSandbox; sirEndpoint: string; api: DevApi; channels?: ChannelDirectory; notifySecret?: string; slackFakeUrl?: string; slack: boolean }): void {
  const lines = [
    '',
    'phasegate dev is running (Ctrl-C stops everything)',
    `  Temporal Web UI   ${parts.server.uiUrl ?? '(headless)'}`,
    `  Temporal gRPC     ${parts.server.address}  (namespace ${parts.server.namespace}, task queue phasegate)`,
    `  phasegate API     ${parts.api.url}  (POST /v1/alerts, /v1/cases/…, /healthz, /metrics)`,
    `  SIR API           ${parts.sandbox ? `${parts.sandbox.url}  (local sandbox)` : parts.sirEndpoint}`,
    ...(parts.channels ? [`  notifications     ${parts.channels.describe().map((c) => `${c.name} (${c.type})`).join(', ')}  (${parts.channels.source})`] : []),
    ...(parts.slackFakeUrl
      ? [`  Slack (fake)      ${parts.slackFakeUrl}  (click a gate's buttons there as "demo", ${FAKE_DEMO_USER}; "guest" is not mapped to a phasegate user)`]
      : parts.slack
        ? [`  Slack clicks      ${parts.api.url}${SLACK_INTERACTIONS_ROUTE}  (the Slack app's interactivity URL)`]
        : []),
    `  try it            npx phasegate demo alert${parts.api.url.endsWith(':8080') ? '' : ` --url ${parts.api.url}`}`,
    ...(parts.api.webhookSecret ? [`  webhook secret    ${parts.api.webhookSecret}  (set PHASEGATE_WEBHOOK_SECRET to choose your own)`] : []),
    ...(parts.notifySecret ? [`  notify secret     ${parts.notifySecret}  (webhook channels without secretEnv sign with it; set ${DEFAULT_SIGNING_SECRET_ENV} to choose your own)`] : []),
    ...(parts.api.demoToken ? [`  demo user token   ${parts.api.demoToken}  (user "${DEMO_USER}", groups ${DEMO_GROUPS.join(', ')})`] : []),
    '',
  ];
  console.log(lines.join('\n'));
}

interface FakeSlackSettings {
  signingSecret: string;
  botToken: string;
  apiUrl: string;
}

/** Generated for each run: the fake and phasegate are the only ones who need them. */
function fakeSlackSettings(port: number): FakeSlackSettings {
  return {
    signingSecret: randomBytes(24).toString('hex'),
    botToken: `xoxb-dev-${randomBytes(16).toString('hex')}`,
    apiUrl: `http://127.0.0.1:${port}/api/`,
  };
}

const FAKE_DEMO_USER = 'U0DEMO';
const FAKE_SLACK_USERS: FakeSlackUser[] = [
  { id: FAKE_DEMO_USER, name: 'demo', email: 'demo@phasegate.invalid' },
  { id: 'U0GUEST', name: 'guest', email: 'guest@phasegate.invalid' },
];

/** Without a channels file, `--slack-fake` gives the channel the shipped playbooks suggest a slack-app bot. */
const FAKE_SLACK_CHANNELS = `channels:\n  - { name: ir-leads-slack, type: slack-app, slackChannel: ${FAKE_CONVERSATION} }\n`;
