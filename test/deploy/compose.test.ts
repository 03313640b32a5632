/**
 * docker-compose.yml (and the sandbox overlay deploy/compose.sandbox.yml) through the real Compose
 * CLI: `docker-compose config` validates the file against the Compose schema and interpolates the
 * variables, and these tests read its normalised output. No Docker engine is needed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import type { SearchAttributeType } from '@temporalio/common';
import { PHASEGATE_SEARCH_ATTRIBUTES } from '../../src/domain/contract/search-attributes';
import { parseChannelsFile } from '../../src/notify/channels-file';
import { SANDBOX_DEFAULT_CREDENTIALS } from '../../src/sandbox';
import { parseAlertKeysFile } from '../../src/server/alert-keys';
import { loadTemporalTarget } from '../../src/temporal/connection-config';
import { composeCli, composeConfig, type RunResult } from './compose-cli';

const ROOT = resolve(__dirname, '..', '..');
const OVERLAY = 'deploy/compose.sandbox.yml';
const CLOUD_OVERLAY = 'deploy/compose.temporal-cloud.yml';
const NOTIFY_OVERLAY = 'deploy/compose.notify.yml';
/** How `temporal operator search-attribute create --type` spells each type. */
const CLI_TYPE: Record<SearchAttributeType, string> = {
  KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
};
const REQUIRED = ['POSTGRES_PASSWORD', 'PHASEGATE_WEBHOOK_SECRET', 'PHASEGATE_USERS'] as const;

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  container_name?: string;
  ports?: Array<string | { target: number | string; published?: number | string; host_ip?: string }>;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
  profiles?: string[];
  volumes?: Array<string | { type?: string; source?: string; target: string; read_only?: boolean }>;
  secrets?: Array<string | { source: string; target?: string }>;
  stop_grace_period?: string;
}

interface ComposeConfig {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

describe('docker-compose.yml', { timeout: 15 * 60_000 }, () => {
  let work: string;
  let emptyEnvFile: string;
  let usersFile: string;
  let env: NodeJS.ProcessEnv;
  let plain: ComposeConfig;

  before(async () => {
    await composeCli(); // installs Debian's docker-compose on a machine without Compose
    work = await mkdtemp(join(tmpdir(), 'phasegate-compose-'));
    emptyEnvFile = join(work, 'empty.env');
    usersFile = join(work, 'users.yaml');
    await writeFile(emptyEnvFile, '');
    await writeFile(usersFile, 'users: []\n');
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      POSTGRES_PASSWORD: 'dummy-postgres-password',
      PHASEGATE_WEBHOOK_SECRET: 'dummy-webhook-secret',
      PHASEGATE_DECISION_KEYS: 'dummy-decision-key-dummy-decision-key',
      PHASEGATE_USERS: usersFile,
    };
    plain = await config({});
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function configRun(options: { files?: string[]; profiles?: string[]; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
    return composeConfig(ROOT, { envFile: emptyEnvFile, files: options.files, profiles: options.profiles, env: options.env ?? env });
  }

  async function config(options: { files?: string[]; profiles?: string[] }): Promise<ComposeConfig> {
    const result = await configRun(options);
    assert.equal(result.code, 0, `docker-compose config failed:\n${result.stderr}`);
    return parse(result.stdout) as ComposeConfig;
  }

  it('is a Compose-spec file without the obsolete version key', async () => {
    const raw = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as Record<string, unknown>;
    assert.equal('version' in raw, false);
    const running = ['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui', 'worker', 'server'];
    for (const name of running) assert.ok(plain.services[name], `service ${name} is missing`);
    // No service pins a container name: two checkouts can run side by side and the worker scales.
    for (const [name, service] of Object.entries(plain.services)) assert.equal(service.container_name, undefined, `${name} has a container_name`);
  });

  it('runs the official Temporal images with pinned, matching tags', () => {
    const { services } = plain;
    const server = /^temporalio\/server:(1\.29\.\d+)$/.exec(services.temporal!.image ?? '');
    assert.ok(server, `temporal image: ${services.temporal!.image}`);
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      const tools = /^temporalio\/admin-tools:(1\.29\.\d+)(?:-tctl-[\d.]+-cli-[\d.]+)?$/.exec(services[job]!.image ?? '');
      assert.ok(tools, `${job} image: ${services[job]!.image}`);
      assert.equal(tools[1], server[1], `${job} uses admin-tools ${tools[1]} with server ${server[1]}`);
    }
    assert.match(services['temporal-ui']!.image ?? '', /^temporalio\/ui:2\.42\.\d+$/);
    assert.ok(publishedPorts(services['temporal-ui']!).some((p) => p.published === 8233 && p.target === 8080), 'Web UI on host port 8233');
    assert.equal(services['temporal-ui']!.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(services.postgresql!.image ?? '', /^postgres:16(?:[.-]|$)/);
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      assert.doesNotMatch(service.image ?? '', /:latest$|^[^:]+$/, `${name} must pin an image tag`);
    }
  });

  it('sets up the schema before Temporal starts, against PostgreSQL once it is healthy', async () => {
    const { postgresql, temporal } = plain.services;
    const schema = plain.services['temporal-schema']!;
    assert.ok(postgresql!.healthcheck?.test, 'postgresql needs a healthcheck');
    assert.ok(volumeTargets(postgresql!).includes('/var/lib/postgresql/data'), 'postgresql keeps its data in a volume');
    assert.equal(dependsOn(schema).postgresql, 'service_healthy');
    assert.equal(dependsOn(temporal!)['temporal-schema'], 'service_completed_successfully');
    assert.equal(temporal!.environment?.DB, 'postgres12');
    assert.equal(temporal!.environment?.POSTGRES_SEEDS, 'postgresql');
    assert.equal(schema.environment?.SQL_PLUGIN, 'postgres12');

    // The dynamic config file the server reads is the mounted one, and it turns on workflow updates.
    const configPath = temporal!.environment?.DYNAMIC_CONFIG_FILE_PATH ?? '';
    const mount = volumes(temporal!).find((v) => configPath.startsWith(`${v.target}/`));
    assert.ok(mount?.source && mount.readOnly, `DYNAMIC_CONFIG_FILE_PATH ${configPath} lies in a read-only mount`);
    const dynamic = parse(await readFile(join(mount.source, configPath.slice(mount.target.length + 1)), 'utf8')) as Record<string, Array<{ value: unknown }>>;
    assert.equal(dynamic['frontend.enableUpdateWorkflowExecution']?.[0]?.value, true);

    // The job runs deploy/temporal/setup-schema.sh, which must set up both databases.
    const scriptPath = mountedScript(schema);
    assert.equal(scriptPath, join(ROOT, 'deploy/temporal/setup-schema.sh'));
    const script = await readFile(scriptPath, 'utf8');
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema -d']) assert.ok(script.includes(step), `setup-schema.sh lacks ${step}`);
    assert.ok(script.includes('/etc/temporal/schema/postgresql/v12'));
    assert.match(script, /"\$\{TEMPORAL_DB:-temporal\}" "\$SCHEMA_ROOT\/temporal\/versioned"/);
    assert.match(script, /"\$\{TEMPORAL_VISIBILITY_DB:-temporal_visibility\}" "\$SCHEMA_ROOT\/visibility\/versioned"/);
  });

  it('registers the namespace and exactly phasegate\'s search attributes once Temporal runs', async () => {
    const job = plain.services['temporal-namespace']!;
    assert.ok('temporal' in dependsOn(job));
    assert.equal(job.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    const script = await readFile(mountedScript(job), 'utf8');
    const declared = /^SEARCH_ATTRIBUTES="([^"]+)"$/m.exec(script)?.[1]?.split(/\s+/).sort();
    const expected = PHASEGATE_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${CLI_TYPE[key.type]}`).sort();
    assert.deepEqual(declared, expected);
  });

  it('runs the worker scalable: built from this repository, no container name, no host port', () => {
    const worker = plain.services.worker!;
    assert.deepEqual(command(worker), ['worker']);
    assert.equal(buildContext(worker), ROOT);
    assert.equal(worker.container_name, undefined);
    assert.deepEqual(worker.ports ?? [], []);
    assert.equal(dependsOn(worker)['temporal-namespace'], 'service_completed_successfully');
    assert.equal(worker.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    // Docker's SIGKILL must come after the worker's own drain (PHASEGATE_SHUTDOWN_GRACE) with room to exit.
    const grace = seconds(worker.environment?.PHASEGATE_SHUTDOWN_GRACE ?? undefined);
    assert.ok(grace >= 30, `PHASEGATE_SHUTDOWN_GRACE ${worker.environment?.PHASEGATE_SHUTDOWN_GRACE} covers a 30 s SIR call`);
    assert.ok(seconds(worker.stop_grace_period) >= grace + 10, `stop_grace_period ${worker.stop_grace_period} vs grace ${grace} s`);
    // Without the overlay the worker talks to real AWS: no endpoint override, no hard-coded keys.
    assert.equal(worker.environment?.AWS_ENDPOINT_URL_SECURITY_IR ?? '', '');
    assert.equal(worker.environment?.AWS_SECRET_ACCESS_KEY ?? '', '');
    // A case runs only a playbook of the worker's own directory: the same files the server routes with.
    assert.ok(volumes(worker).some((v) => v.target === worker.environment?.PHASEGATE_PLAYBOOKS && v.source === join(ROOT, 'playbooks') && v.readOnly), 'playbooks mounted read-only');
  });

  it('publishes the server on 8080 with a /healthz healthcheck, after Temporal', () => {
    const server = plain.services.server!;
    assert.deepEqual(command(server), ['server']);
    const ports = publishedPorts(server);
    assert.ok(ports.some((p) => p.target === 8080 && p.published === 8080), `server ports: ${JSON.stringify(server.ports)}`);
    const test = [server.healthcheck?.test ?? []].flat().join(' ');
    assert.match(test, /127\.0\.0\.1:8080\/healthz/);
    assert.match(test, /^CMD node /, 'the check runs node (the image has no curl)');
    assert.ok('temporal' in dependsOn(server), 'server depends on temporal');
    assert.ok(volumes(server).some((v) => v.target === '/app/playbooks' && v.source === join(ROOT, 'playbooks') && v.readOnly), 'playbooks mounted read-only');
  });

  it('takes every secret from variables', async () => {
    const { services } = plain;
    assert.equal(services.server!.environment?.PHASEGATE_WEBHOOK_SECRET, env.PHASEGATE_WEBHOOK_SECRET);
    assert.equal(services.server!.environment?.PHASEGATE_USERS, '/run/secrets/phasegate_users');
    assert.deepEqual(secretNames(services.server!), ['phasegate_users', 'phasegate_alert_keys']);
    assert.equal(plain.secrets?.phasegate_users?.file, usersFile);
    assert.equal(services.server!.environment?.PHASEGATE_ALERT_KEYS, '/run/secrets/phasegate_alert_keys');
    assert.equal(services.postgresql!.environment?.POSTGRES_PASSWORD, env.POSTGRES_PASSWORD);
    assert.equal(services['temporal-schema']!.environment?.SQL_PASSWORD, env.POSTGRES_PASSWORD);
    assert.equal(services.temporal!.environment?.POSTGRES_PWD, env.POSTGRES_PASSWORD);

    // In the files themselves, every secret-looking value is a ${VARIABLE} reference, never a literal
    // (the sandbox overlay's well-known dev key is the one exception, checked below).
    for (const file of ['docker-compose.yml', CLOUD_OVERLAY, NOTIFY_OVERLAY]) {
      const raw = parse(await readFile(join(ROOT, file), 'utf8'), { merge: true }) as { services: Record<string, Service> };
      for (const [name, service] of Object.entries(raw.services)) {
        for (const [key, value] of Object.entries(service.environment ?? {})) {
          if (!/PASSWORD|PWD|SECRET|TOKEN|API_KEY|ACCESS_KEY/.test(key) || value === null || value === '') continue;
          assert.match(String(value), /^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$/, `${file}: ${name}.${key} must come from a variable`);
        }
      }
    }
  });

  for (const name of REQUIRED) {
    it(`refuses to start without ${name}, saying which variable to set`, async () => {
      const result = await configRun({ env: { ...env, [name]: undefined } });
      assert.notEqual(result.code, 0, 'docker-compose config should fail');
      assert.match(result.stderr, new RegExp(`set ${name} \\(in \\.env or the environment\\)`));
    });
  }

  it('keeps the sandbox behind the sandbox profile', async () => {
    // Compose v2 drops inactive services from `config`; v1 lists them with their profiles.
    const sandboxWithout = plain.services.sandbox;
    if (sandboxWithout) assert.deepEqual(sandboxWithout.profiles, ['sandbox']);
    const intakeWithout = plain.services.intake;
    if (intakeWithout) assert.deepEqual(intakeWithout.profiles, ['sqs']);
    for (const [name, service] of Object.entries(plain.services)) {
      if (name !== 'sandbox' && name !== 'intake') assert.equal(service.profiles, undefined, `${name} must start without a profile`);
    }
    const withProfile = await config({ profiles: ['sandbox'] });
    const sandbox = withProfile.services.sandbox;
    assert.ok(sandbox, 'sandbox service with --profile sandbox');
    assert.deepEqual(command(sandbox), ['sandbox']);
    assert.deepEqual(sandbox.profiles, ['sandbox']);
    assert.match([sandbox.healthcheck?.test ?? []].flat().join(' '), /4566\/__sandbox\/healthz/);
    // The profile alone starts the emulator; the worker still talks to real AWS.
    assert.equal(withProfile.services.worker!.environment?.AWS_ENDPOINT_URL_SECURITY_IR ?? '', '');
  });

  it('mounts an empty alert keys file unless PHASEGATE_ALERT_KEYS names one', async () => {
    const defaultKeys = plain.secrets?.phasegate_alert_keys?.file;
    assert.equal(defaultKeys, join(ROOT, 'deploy/alert-keys.none.yaml'));
    // The default must be a file the server accepts, and it must hold no key.
    assert.equal(parseAlertKeysFile(await readFile(defaultKeys, 'utf8'), defaultKeys).size, 0);
    const keysFile = join(work, 'alert-keys.yaml');
    await writeFile(keysFile, 'keys: []\n');
    const result = await configRun({ env: { ...env, PHASEGATE_ALERT_KEYS: keysFile } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((parse(result.stdout) as ComposeConfig).secrets?.phasegate_alert_keys?.file, keysFile);
  });

  it('runs the SQS intake behind the sqs profile, polling the queue named by PHASEGATE_INTAKE_QUEUE_URL', async () => {
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/111122223333/phasegate-alerts';
    const result = await configRun({ profiles: ['sqs'], env: { ...env, PHASEGATE_INTAKE_QUEUE_URL: queueUrl } });
    assert.equal(result.code, 0, result.stderr);
    const intake = (parse(result.stdout) as ComposeConfig).services.intake;
    assert.ok(intake, 'intake service with --profile sqs');
    assert.deepEqual(command(intake), ['intake']);
    assert.deepEqual(intake.profiles, ['sqs']);
    assert.equal(buildContext(intake), ROOT);
    assert.equal(intake.container_name, undefined, 'the intake scales');
    assert.deepEqual(intake.ports ?? [], [], 'the intake polls; it publishes nothing');
    assert.equal(dependsOn(intake)['temporal-namespace'], 'service_completed_successfully');
    assert.equal(intake.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(intake.environment?.PHASEGATE_INTAKE_QUEUE_URL, queueUrl);
    assert.ok(volumes(intake).some((v) => v.target === intake.environment?.PHASEGATE_PLAYBOOKS && v.source === join(ROOT, 'playbooks') && v.readOnly), 'playbooks mounted read-only');
    const metricsPort = /:(\d+)$/.exec(intake.environment?.PHASEGATE_INTAKE_METRICS_ADDRESS ?? '')?.[1];
    assert.ok(metricsPort, 'the intake serves /metrics and /healthz');
    assert.match([intake.healthcheck?.test ?? []].flat().join(' '), new RegExp(`^CMD node .*127\\.0\\.0\\.1:${metricsPort}/healthz`));
    assert.ok(seconds(intake.stop_grace_period) >= 10, `stop_grace_period ${intake.stop_grace_period} leaves time to finish messages in hand`);
    // Real AWS by default: the credential chain, the queue URL's own endpoint.
    assert.equal(intake.environment?.AWS_ENDPOINT_URL_SQS ?? '', '');
    assert.equal(intake.environment?.AWS_SECRET_ACCESS_KEY ?? '', '');

    // On Temporal Cloud the intake connects like the worker and the server.
    const cloud = { TEMPORAL_CLOUD_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_CLOUD_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'dummy-api-key' };
    const onCloud = await configRun({ files: ['docker-compose.yml', CLOUD_OVERLAY], profiles: ['sqs'], env: { ...env, ...cloud, PHASEGATE_INTAKE_QUEUE_URL: queueUrl } });
    assert.equal(onCloud.code, 0, onCloud.stderr);
    const cloudIntake = (parse(onCloud.stdout) as ComposeConfig).services.intake!.environment ?? {};
    const target = loadTemporalTarget(Object.fromEntries(Object.entries(cloudIntake).filter((e): e is [string, string] => typeof e[1] === 'string')));
    assert.equal(target.address, cloud.TEMPORAL_CLOUD_ADDRESS);
    assert.equal(target.connectionOptions.apiKey, cloud.TEMPORAL_API_KEY);
    assert.equal(cloudIntake.PHASEGATE_INTAKE_QUEUE_URL, queueUrl, 'the overlay keeps the intake settings');
  });

  it('points the worker at the sandbox with its well-known dev key through deploy/compose.sandbox.yml', async () => {
    const overlaid = await config({ files: ['docker-compose.yml', OVERLAY], profiles: ['sandbox'] });
    const worker = overlaid.services.worker!;
    assert.equal(worker.environment?.AWS_ENDPOINT_URL_SECURITY_IR, 'http://sandbox:4566');
    assert.equal(worker.environment?.AWS_ACCESS_KEY_ID, SANDBOX_DEFAULT_CREDENTIALS.accessKeyId);
    assert.equal(worker.environment?.AWS_SECRET_ACCESS_KEY, SANDBOX_DEFAULT_CREDENTIALS.secretAccessKey);
    assert.equal(worker.environment?.AWS_REGION, 'us-east-1');
    assert.equal(dependsOn(worker).sandbox, 'service_healthy');
    // The overlay adds to the worker; it keeps its Temporal settings and dependencies.
    assert.equal(dependsOn(worker)['temporal-namespace'], 'service_completed_successfully');
    assert.equal(worker.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  });

  it('runs the worker and server on Temporal Cloud with an API key through deploy/compose.temporal-cloud.yml', async () => {
    const cloud = { TEMPORAL_CLOUD_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_CLOUD_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'dummy-api-key' };
    const result = await configRun({ files: ['docker-compose.yml', CLOUD_OVERLAY], env: { ...env, ...cloud } });
    assert.equal(result.code, 0, result.stderr);
    const overlaid = parse(result.stdout) as ComposeConfig;
    for (const name of ['worker', 'server']) {
      const environment = overlaid.services[name]!.environment ?? {};
      // What the process makes of it, through the same envconfig loading the commands use.
      const target = loadTemporalTarget(Object.fromEntries(Object.entries(environment).filter((e): e is [string, string] => typeof e[1] === 'string')));
      assert.equal(target.address, cloud.TEMPORAL_CLOUD_ADDRESS, name);
      assert.equal(target.namespace, cloud.TEMPORAL_CLOUD_NAMESPACE, name);
      assert.equal(target.connectionOptions.apiKey, cloud.TEMPORAL_API_KEY, name);
      assert.ok(target.connectionOptions.tls, `${name}: TLS on with an API key`);
    }
    const missing = await configRun({ files: ['docker-compose.yml', CLOUD_OVERLAY], env: { ...env, ...cloud, TEMPORAL_API_KEY: undefined } });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /set TEMPORAL_API_KEY to a Temporal Cloud API key/);
  });

  it('gives the worker its channels file and the secrets it names through deploy/compose.notify.yml', async () => {
    const slackUrl = 'https://hooks.slack.com/services/T0/B0/dummy';
    const result = await configRun({ files: ['docker-compose.yml', NOTIFY_OVERLAY], env: { ...env, PHASEGATE_SLACK_IR_LEADS: slackUrl } });
    assert.equal(result.code, 0, result.stderr);
    const worker = (parse(result.stdout) as ComposeConfig).services.worker!;
    const environment = worker.environment ?? {};
    assert.equal(environment.PHASEGATE_CHANNELS, '/app/config/channels.yaml');
    assert.equal(environment.PHASEGATE_SLACK_IR_LEADS, slackUrl);
    assert.equal(environment.PHASEGATE_WEBHOOK_SECRET, env.PHASEGATE_WEBHOOK_SECRET);
    const mount = volumes(worker).find((v) => v.target === '/app/config/channels.yaml');
    assert.deepEqual(mount, { source: join(ROOT, 'deploy', 'channels.yaml'), target: '/app/config/channels.yaml', readOnly: true });
    // The example file, with what compose hands the worker, is a channels file the worker accepts.
    const example = await readFile(join(ROOT, 'deploy', 'channels.example.yaml'), 'utf8');
    const channels = parseChannelsFile(example, 'deploy/channels.example.yaml', Object.fromEntries(Object.entries(environment).filter((e): e is [string, string] => typeof e[1] === 'string')));
    assert.deepEqual(channels.describe(), [{ name: 'ir-leads-slack', type: 'slack' }]);
    // The plain file asks for none of this.
    assert.equal(plain.services.worker!.environment?.PHASEGATE_CHANNELS, undefined);

    // A webhook channel signs with PHASEGATE_NOTIFY_SECRET from .env; the worker also gets the inbound
    // secrets, only so that it refuses a notify secret equal to one of them.
    const notifySecret = 'dummy-notify-secret';
    const webhookChannel = 'channels:\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/phasegate" }\n';
    const workerEnv = async (extra: NodeJS.ProcessEnv): Promise<Record<string, string>> => {
      const run = await configRun({ files: ['docker-compose.yml', NOTIFY_OVERLAY], env: { ...env, PHASEGATE_SLACK_IR_LEADS: slackUrl, ...extra } });
      assert.equal(run.code, 0, run.stderr);
      const given = (parse(run.stdout) as ComposeConfig).services.worker!.environment ?? {};
      return Object.fromEntries(Object.entries(given).filter((e): e is [string, string] => typeof e[1] === 'string'));
    };
    const signing = await workerEnv({ PHASEGATE_NOTIFY_SECRET: notifySecret });
    assert.equal(signing.PHASEGATE_ALERT_KEYS, '/run/secrets/phasegate_alert_keys');
    const pager = parseChannelsFile(webhookChannel, 'channels.yaml', signing).get('soc-pager');
    assert.equal(pager?.type === 'webhook' && pager.signingSecret, notifySecret);
    const reused = await workerEnv({ PHASEGATE_NOTIFY_SECRET: env.PHASEGATE_WEBHOOK_SECRET });
    assert.throws(() => parseChannelsFile(webhookChannel, 'channels.yaml', reused), /PHASEGATE_NOTIFY_SECRET holds the same value as a PHASEGATE_WEBHOOK_SECRET entry/);
    // Compose itself does not insist: a Slack-only channels file needs no notify secret.
    assert.equal((await workerEnv({})).PHASEGATE_NOTIFY_SECRET, '');

    const missing = await configRun({ files: ['docker-compose.yml', NOTIFY_OVERLAY], env });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /set PHASEGATE_SLACK_IR_LEADS \(in \.env or the environment\)/);
  });
});

function command(service: Service): string[] {
  return typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);
}

function buildContext(service: Service): string | undefined {
  return typeof service.build === 'string' ? service.build : service.build?.context;
}

function dependsOn(service: Service): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition ?? 'service_started']));
}

function publishedPorts(service: Service): Array<{ hostIp?: string; published?: number; target: number }> {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'string') {
      const [mapping] = port.split('/');
      const parts = mapping!.split(':');
      const target = Number(parts.pop());
      const published = parts.length ? Number(parts.pop()) : undefined;
      return { hostIp: parts.pop(), published, target };
    }
    return { hostIp: port.host_ip, published: port.published === undefined ? undefined : Number(port.published), target: Number(port.target) };
  });
}

function volumes(service: Service): Array<{ source?: string; target: string; readOnly: boolean }> {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: v.read_only === true };
    const [source, target, mode] = v.split(':');
    return { source, target: target!, readOnly: (mode ?? '').split(',').includes('ro') };
  });
}

function volumeTargets(service: Service): string[] {
  return volumes(service).map((v) => v.target);
}

/** The host path of the script a one-shot job runs (`entrypoint: [/bin/sh, <mounted script>]`). */
function mountedScript(service: Service): string {
  const entrypoint = [service.entrypoint ?? []].flat();
  assert.equal(entrypoint[0], '/bin/sh', `entrypoint ${JSON.stringify(service.entrypoint)}`);
  const mount = volumes(service).find((v) => v.target === entrypoint[1]);
  assert.ok(mount?.source, `the script ${entrypoint[1]} is not mounted`);
  assert.ok(mount.readOnly, 'scripts are mounted read-only');
  return mount.source;
}

function secretNames(service: Service): string[] {
  return (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
}

/** Compose durations: '60s' (v1 echoes the file), '1m0s' (v2 normalises). */
function seconds(duration: string | undefined): number {
  let total = 0;
  for (const [, n, unit] of (duration ?? '').matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 }[unit as 'h'] ?? 0);
  }
  return total;
}
