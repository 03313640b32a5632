/**
 * docker-compose.yml's production topology, run for real without Docker (see compose-topology.ts for
 * how containers map onto this machine): Debian's PostgreSQL, the `temporal-schema` job's script,
 * the self-hosted Temporal server 1.29.1 (built from the Go module proxy and cached by version in
 * .phasegate/), the `temporal-namespace` job's script, then the SIR sandbox, `phasegate worker` and
 * `phasegate server`, each a separate process with the environment compose gives it. One case goes
 * through it all: a signed alert, the SIR case opened in the sandbox, the approval gates decided over
 * the HTTP API with a bearer token, a worker SIGKILLed and restarted in the middle, and the close,
 * checked along the way with the visibility queries the README documents.
 *
 * Cold (no cached server build, no PostgreSQL installed) it builds for several minutes and may run
 * apt-get; warm it takes about a minute.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { parse } from 'yaml';
import type { CaseState } from '../../src/domain/case/state';
import { PHASEGATE_SEARCH_ATTRIBUTES } from '../../src/domain/contract/search-attributes';
import { CASE_WORKFLOW_TYPE } from '../../src/domain/contract/temporal-names';
import { SANDBOX_DEFAULT_CREDENTIALS } from '../../src/sandbox';
import { signWebhook } from '../../src/server/webhook-signature';
import { SirClient } from '../../src/sir';
import { ensurePostgres, startPostgresCluster, type PostgresCluster } from '../../src/temporal/postgres-cluster';
import { defaultStateDir } from '../../src/temporal/temporal-cli';
import { inImageEtc, locateTemporalServer, TEMPORAL_SERVER_VERSION, type TemporalServerInstall } from '../../src/temporal/temporal-server';
import { waitFor } from '../helpers/wait';
import { composeCli, composeConfig, run, type RunResult } from './compose-cli';
import {
  allocateAddresses,
  baseEnv,
  composeArgv,
  composeEnv,
  isRunning,
  type ComposeConfig,
  type MapContext,
  namedVolumes,
  type NetworkedService,
  type Part,
  Reaper,
  ROOT,
  runJob,
  startPart,
  stopPart,
  waitForHttp,
  waitForWorker,
} from './compose-topology';
import { envOf, execForm, lastArgs, readDockerfile, stage } from './dockerfile';
import { temporalCliPath } from './temporal-cli';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const PLAYBOOK = 'guardduty-high-severity';
const APPROVER = 'alice';
const DYNAMIC_CONFIG = join(ROOT, 'deploy/temporal/dynamicconfig/phasegate.yaml');
/** What the server logs, at info level, for each dynamic config key it loads, and for bad ones. */
const DYNAMIC_CONFIG_CHANGED = /dynamic config changed for the key: /;
const DYNAMIC_CONFIG_PROBLEM = /dynamic config (error|warning)|Unable to update dynamic config/;

function log(line: string): void {
  console.log(`[topology] ${line}`);
}

describe('docker-compose.yml run natively: PostgreSQL, Temporal server, jobs, sandbox, worker and API as separate processes', { timeout: 30 * 60_000 }, () => {
  const started = Date.now();
  const timings: string[] = [];
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const result = await fn();
    timings.push(`${what} ${((Date.now() - t) / 1000).toFixed(1)} s`);
    log(`${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return result;
  };

  let work: string;
  let reaper: Reaper;
  let install: TemporalServerInstall;
  let config: ComposeConfig;
  let ctx: MapContext;
  let hosts: Record<NetworkedService, string>;
  let postgres: PostgresCluster | undefined;
  const parts: Part[] = [];
  let temporalPart: Part;
  let worker: Part;
  let connection: Connection | undefined;
  let client: Client;
  let jobs: { schema: RunResult; schemaAgain: RunResult; namespace: RunResult };
  let secret: string;
  let token: string;
  let apiUrl: string;
  let sandboxUrl: string;
  let phasegateEnv: (service: 'worker' | 'server' | 'sandbox') => Record<string, string>;
  let phasegateArgv: (service: 'worker' | 'server' | 'sandbox') => string[];
  let adminToolsPath: string;

  const startTracked = async (name: string, argv: string[], env: Record<string, string>, watched: RegExp[] = []): Promise<Part> => {
    const part = startPart(name, argv, env, work, watched);
    parts.push(part);
    await reaper.track({ pid: part.pid });
    return part;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'phasegate-topology-'));
    reaper = await Reaper.start(join(work, 'reaper.json'));
    await reaper.track({ dir: work });

    const stateDir = defaultStateDir();
    install = await step('locate or build the Temporal server', () => locateTemporalServer({ stateDir, onProgress: log }));
    log(`Temporal server ${install.version}: ${install.serverPath} (${install.source})`);
    const binaries = await step('locate or install PostgreSQL', () => ensurePostgres(log));
    await composeCli(); // Debian's docker-compose when there is no Compose (a fresh CI machine)

    // The secrets compose requires, fresh for this run; the users file holds only a token hash.
    secret = `whsec_${randomBytes(24).toString('hex')}`;
    token = `topology_${randomBytes(24).toString('hex')}`;
    const usersFile = join(work, 'users.yaml');
    await writeFile(usersFile, `users:\n  - name: ${APPROVER}\n    groups: [ir-leads]\n    tokenSha256: ${createHash('sha256').update(token).digest('hex')}\n`);
    const emptyEnvFile = join(work, 'empty.env');
    await writeFile(emptyEnvFile, '');
    const rendered = await composeConfig(ROOT, {
      envFile: emptyEnvFile,
      files: ['docker-compose.yml', 'deploy/compose.sandbox.yml'],
      profiles: ['sandbox'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, POSTGRES_PASSWORD: randomBytes(18).toString('base64url'), PHASEGATE_WEBHOOK_SECRET: secret, PHASEGATE_DECISION_KEYS: randomBytes(32).toString('hex'), PHASEGATE_USERS: usersFile },
    });
    assert.equal(rendered.code, 0, `docker-compose config failed:\n${rendered.stderr}`);
    config = parse(rendered.stdout) as ComposeConfig;

    hosts = await allocateAddresses();
    ctx = { hosts, config, volumesDir: join(work, 'volumes') };
    log(`loopback addresses: ${JSON.stringify(hosts)}`);

    // The admin-tools image's programs, first on PATH for the job scripts.
    const adminTools = join(work, 'admin-tools-bin');
    await mkdir(adminTools, { recursive: true });
    await symlink(temporalCliPath(), join(adminTools, 'temporal'));
    await symlink(install.sqlToolPath, join(adminTools, 'temporal-sql-tool'));
    adminToolsPath = adminTools;

    // phasegate's image: the runtime stage's ENV, with /app being this checkout. The pre-built bundle
    // the image names is built by the image-build test; here the suite's bundle stands in for it.
    const runtime = stage(await readDockerfile(join(ROOT, 'Dockerfile')), 'runtime');
    const runtimeEnv = envOf(runtime);
    const fromApp = (value: string): string => (value === '/app' || value.startsWith('/app/') ? join(ROOT, value.slice('/app'.length)) : value);
    // `docker run` = the image's ENTRYPOINT (node /app/bin/phasegate.js, on the Node running the suite)
    // followed by compose's command.
    const entrypoint = execForm(lastArgs(runtime, 'ENTRYPOINT'), 'ENTRYPOINT').map(fromApp);
    assert.equal(entrypoint[0], 'node');
    phasegateArgv = (service) => [process.execPath, ...entrypoint.slice(1), ...composeArgv(service, ctx)];
    const bundle = process.env.PHASEGATE_WORKFLOW_BUNDLE;
    assert.ok(bundle, 'PHASEGATE_WORKFLOW_BUNDLE is not set: run the suite through `npm test`');
    phasegateEnv = (service) => {
      const image: Record<string, string> = {};
      for (const [key, value] of Object.entries(runtimeEnv)) {
        if (value === '0.0.0.0') image[key] = service === 'worker' ? '127.0.0.1' : hosts[service];
        else image[key] = fromApp(value);
      }
      image.PHASEGATE_WORKFLOW_BUNDLE = bundle;
      return { ...baseEnv(), ...image, ...composeEnv(service, ctx) };
    };
    for (const service of Object.values(config.services)) for (const volume of namedVolumes(service)) await mkdir(join(ctx.volumesDir, volume), { recursive: true });

    // Compose's start-up order, as its depends_on conditions say (checked in a test below).
    const pgEnv = composeEnv('postgresql', ctx);
    postgres = await step('postgresql: initdb and start (healthy = pg_isready)', () =>
      startPostgresCluster({ binaries, host: hosts.postgresql, port: 5432, user: pgEnv.POSTGRES_USER!, password: pgEnv.POSTGRES_PASSWORD! }),
    );
    await reaper.track({ pid: postgres.process.pid, dir: postgres.dir });

    const schemaJob = (): Promise<RunResult> =>
      runJob(inImageEtc(install, composeArgv('temporal-schema', ctx)), { ...baseEnv([adminToolsPath]), ...composeEnv('temporal-schema', ctx) }, { cwd: work });
    const schema = await step('temporal-schema job', schemaJob);
    assert.equal(schema.code, 0, `the temporal-schema job failed:\n${schema.stdout}\n${schema.stderr}`);
    const schemaAgain = await step('temporal-schema job, again (a later `compose up`)', schemaJob);

    // The image's entrypoint binds the container's own address; here, the service's loopback address.
    const temporalEnv = { ...baseEnv(), ...composeEnv('temporal', ctx), BIND_ON_IP: hosts.temporal };
    temporalPart = await startTracked('temporal', [install.serverPath, '--root', install.serverRoot, '--env', 'docker', 'start'], temporalEnv, [
      DYNAMIC_CONFIG_CHANGED,
      DYNAMIC_CONFIG_PROBLEM,
      /Updated dynamic config/,
    ]);
    // service_started: the namespace job itself waits until Temporal answers, as in compose.
    const namespace = await step('temporal (started) + temporal-namespace job', () =>
      runJob(composeArgv('temporal-namespace', ctx), { ...baseEnv([adminToolsPath]), ...composeEnv('temporal-namespace', ctx) }, { cwd: work }),
    );
    assert.equal(namespace.code, 0, `the temporal-namespace job failed:\n${namespace.stdout}\n${namespace.stderr}\n${temporalPart.tail.join('\n')}`);
    jobs = { schema, schemaAgain, namespace };

    const temporalAddress = composeEnv('worker', ctx).TEMPORAL_ADDRESS!;
    connection = await Connection.connect({ address: temporalAddress });
    client = new Client({ connection, namespace: composeEnv('worker', ctx).TEMPORAL_NAMESPACE! });

    await step('sandbox (healthy), then worker (polling) and server (healthy)', async () => {
      const sandbox = await startTracked('sandbox', phasegateArgv('sandbox'), phasegateEnv('sandbox'));
      sandboxUrl = `http://${hosts.sandbox}:${phasegateEnv('sandbox').PHASEGATE_SANDBOX_PORT}`;
      await waitForHttp(`${sandboxUrl}/__sandbox/healthz`, sandbox);
      worker = await startTracked('worker', phasegateArgv('worker'), phasegateEnv('worker'));
      const server = await startTracked('server', phasegateArgv('server'), phasegateEnv('server'));
      apiUrl = `http://${hosts.server}:${phasegateEnv('server').PHASEGATE_PORT}`;
      await Promise.all([waitForWorker(connection!, client.options.namespace, worker), waitForHttp(`${apiUrl}/healthz`, server)]);
    });
    log(`ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const stopEverything = async (): Promise<void> => {
    await connection?.close().catch(() => undefined);
    connection = undefined;
    // The phasegate parts first (they drain on SIGTERM), then Temporal, then its database.
    for (const part of [...parts].reverse()) await stopPart(part, 'SIGTERM', part.name === 'temporal' ? 30_000 : 20_000);
    await postgres?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  };

  after(async () => {
    await stopEverything();
    log(`steps: ${timings.join('; ')}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('starts the parts in the order compose\'s depends_on conditions give', () => {
    const depends = (name: string): Record<string, string> =>
      Object.fromEntries(Object.entries(config.services[name]?.depends_on ?? {}).map(([k, v]) => [k, v.condition ?? 'service_started']));
    assert.deepEqual(depends('temporal-schema'), { postgresql: 'service_healthy' });
    assert.deepEqual(depends('temporal'), { postgresql: 'service_healthy', 'temporal-schema': 'service_completed_successfully' });
    assert.deepEqual(depends('temporal-namespace'), { temporal: 'service_started' });
    assert.deepEqual(depends('worker'), { sandbox: 'service_healthy', 'temporal-namespace': 'service_completed_successfully' });
    assert.deepEqual(depends('server'), { temporal: 'service_started', 'temporal-namespace': 'service_completed_successfully' });
  });

  it('gives each part compose\'s environment, changing only service addresses and mounted paths', () => {
    const changed: Record<string, Record<string, string>> = {};
    for (const name of ['postgresql', 'temporal-schema', 'temporal', 'temporal-namespace', 'sandbox', 'worker', 'server']) {
      const original = config.services[name]!.environment ?? {};
      const mapped = composeEnv(name, ctx);
      assert.deepEqual(Object.keys(mapped).sort(), Object.keys(original).filter((k) => original[k] !== null).sort(), `${name}: the same variables`);
      for (const [key, value] of Object.entries(mapped)) if (value !== original[key]) (changed[name] ??= {})[key] = value;
    }
    assert.deepEqual(changed, {
      'temporal-schema': { SQL_HOST: hosts.postgresql },
      temporal: { POSTGRES_SEEDS: hosts.postgresql, DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG },
      'temporal-namespace': { TEMPORAL_ADDRESS: `${hosts.temporal}:7233` },
      sandbox: { PHASEGATE_SANDBOX_STATE_FILE: join(ctx.volumesDir, 'sandbox-data', 'sandbox-cases.json') },
      worker: { TEMPORAL_ADDRESS: `${hosts.temporal}:7233`, AWS_ENDPOINT_URL_SECURITY_IR: `http://${hosts.sandbox}:4566`, PHASEGATE_PLAYBOOKS: join(ROOT, 'playbooks') },
      server: { TEMPORAL_ADDRESS: `${hosts.temporal}:7233`, PHASEGATE_USERS: config.secrets!.phasegate_users!.file!, PHASEGATE_ALERT_KEYS: config.secrets!.phasegate_alert_keys!.file!, PHASEGATE_PLAYBOOKS: join(ROOT, 'playbooks') },
    });
  });

  it(`builds the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool once, cached by version`, async () => {
    assert.ok(install.dir.endsWith(join('temporal-server', TEMPORAL_SERVER_VERSION)), install.dir);
    const again = await locateTemporalServer({ stateDir: defaultStateDir(), install: false });
    assert.equal(again.source, 'cache');
    assert.equal(again.serverPath, install.serverPath);
    const version = await run(install.serverPath, ['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, new RegExp(TEMPORAL_SERVER_VERSION.slice(1).replace(/\./g, '\\.')));
    assert.ok((await stat(join(install.etcDir, 'temporal/schema/postgresql/v12/temporal/versioned'))).isDirectory());
  });

  it('temporal-schema: deploy/temporal/setup-schema.sh sets up both databases from the image path; a rerun only migrates', () => {
    for (const db of ['temporal', 'temporal_visibility']) {
      assert.match(jobs.schema.stdout, new RegExp(`database ${db}: schema set up from /etc/temporal/schema/postgresql/v12/`), jobs.schema.stdout);
    }
    assert.equal(jobs.schemaAgain.code, 0, `the rerun failed:\n${jobs.schemaAgain.stdout}\n${jobs.schemaAgain.stderr}`);
    for (const db of ['temporal', 'temporal_visibility']) assert.match(jobs.schemaAgain.stdout, new RegExp(`database ${db}: already set up`));
  });

  it('temporal runs deploy/temporal/dynamicconfig/phasegate.yaml (the mounted file): every key loaded, none refused', async () => {
    const mapped = composeEnv('temporal', ctx).DYNAMIC_CONFIG_FILE_PATH;
    assert.equal(mapped, DYNAMIC_CONFIG, 'DYNAMIC_CONFIG_FILE_PATH is the repository file, through the compose volume');
    const keys = Object.keys(parse(await readFile(DYNAMIC_CONFIG, 'utf8')) as Record<string, unknown>);
    assert.ok(keys.includes('system.enableActivityEagerExecution'), 'eager activities are on');
    assert.ok(!keys.includes('system.forceSearchAttributesCacheRefreshOnRead'), 'no forced search-attribute refresh');
    assert.ok(temporalPart.seen(/Updated dynamic config/).length > 0, `the server never loaded its dynamic config:\n${temporalPart.head.join('\n')}`);
    const loaded = temporalPart.seen(DYNAMIC_CONFIG_CHANGED).join('\n').toLowerCase();
    for (const key of keys) assert.ok(loaded.includes(`for the key: ${key.toLowerCase()} `), `the server did not load ${key}:\n${loaded}`);
    assert.deepEqual(temporalPart.seen(DYNAMIC_CONFIG_PROBLEM), []);
  });

  it('temporal-namespace: registers the namespace and the five search attributes, and waits until they are usable', async () => {
    assert.match(jobs.namespace.stdout, /namespace default: (registered|already registered)/);
    assert.match(jobs.namespace.stdout, /search attributes: usable in visibility queries/);
    const { customAttributes } = await connection!.operatorService.listSearchAttributes({ namespace: client.options.namespace });
    for (const key of PHASEGATE_SEARCH_ATTRIBUTES) assert.ok(customAttributes?.[key.name] !== undefined, `${key.name} is not registered`);
  });

  it('drives one case: signed alert → SIR case in the sandbox → gates decided over the API (worker SIGKILLed mid-way) → closed', async () => {
    const t0 = Date.now();
    const api = (path: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
    const sir = new SirClient({ region: 'us-east-1', endpoint: sandboxUrl, credentials: SANDBOX_DEFAULT_CREDENTIALS });

    // The alert: a high-severity GuardDuty finding (guardduty-high-severity takes it), signed with the
    // secret compose gave the server.
    const alert = JSON.parse(await readFile(join(ROOT, 'test/fixtures/guardduty-finding-event.json'), 'utf8')) as { detail: { id: string } };
    alert.detail.id = randomUUID().replace(/-/g, '');
    const raw = JSON.stringify(alert);
    const accepted = await fetch(`${apiUrl}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-phasegate-signature': signWebhook(secret, raw) }, body: raw });
    assert.equal(accepted.status, 202, await accepted.clone().text());
    const { caseWorkflowId, duplicate } = (await accepted.json()) as { caseWorkflowId: string; duplicate: boolean };
    assert.equal(duplicate, false);

    const stateOf = async (ref: string): Promise<CaseState> => {
      const answer = await api(`/v1/cases/${encodeURIComponent(ref)}`);
      assert.equal(answer.status, 200, await answer.clone().text());
      return (await answer.json()) as CaseState;
    };
    const gate = (target: string, status: string): Promise<CaseState> =>
      waitFor(`the case in "${status}", waiting for approval to move to "${target}"`, async () => {
        const s = await stateOf(caseWorkflowId);
        return s.status === status && s.pendingApproval?.target === target && !s.inFlight ? s : undefined;
      }, 90_000, { intervalMs: 250 });
    /** The visibility query the README documents, answered by the PostgreSQL visibility store. */
    const visible = (query: string): Promise<string[]> =>
      waitFor(`visibility to answer ${query} with the case`, async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids.length > 0 ? ids : undefined;
      }, 30_000, { intervalMs: 250 });
    const decide = async (state: CaseState, comment: string): Promise<Response> =>
      api(`/v1/cases/${encodeURIComponent(state.caseId!)}/decisions`, {
        method: 'POST',
        // The approval the decision names is the one the case state shows as pending.
        body: JSON.stringify({ approvalId: state.pendingApproval!.approvalId, decision: 'approve', comment }),
      });

    // 1. The SIR case is open in the sandbox, in Detection and Analysis, and the first gate waits.
    const first = await gate(CER, DA);
    const caseId = first.caseId!;
    assert.match(caseId, /^\d{10,32}$/);
    assert.equal((await sir.getCase(caseId)).caseStatus, DA, 'the sandbox holds the case in Detection and Analysis');
    log(`case ${caseId} at the first gate after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const awaiting = `WorkflowType = '${CASE_WORKFLOW_TYPE}' AND SirCaseId = '${caseId}' AND SirCaseStatus = '${DA}' AND AwaitingApproval = true AND PlaybookName = '${PLAYBOOK}'`;
    assert.deepEqual(await visible(awaiting), [caseWorkflowId]);
    const listed = await api(`/v1/cases?awaitingApproval=true&status=${encodeURIComponent(DA)}&playbook=${PLAYBOOK}`);
    assert.equal(listed.status, 200);
    assert.ok(((await listed.json()) as { cases: Array<{ caseId?: string }> }).cases.some((c) => c.caseId === caseId), 'GET /v1/cases lists it as awaiting approval');
    assert.equal((await stateOf(caseId)).caseId, caseId, 'GET /v1/cases/{SIR case id} finds the case through SirCaseId');

    const unauthenticated = await fetch(`${apiUrl}/v1/cases/${caseId}/decisions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"decision":"approve"}' });
    assert.equal(unauthenticated.status, 401, 'a decision without a bearer token is refused');

    // 2. Approve containment, then SIGKILL the worker at once (the move may be under way) and start a
    //    new one with the same environment: the case must go on from its history.
    const firstDecision = await decide(first, 'contain');
    assert.equal(firstDecision.status, 200, await firstDecision.clone().text());
    await stopPart(worker, 'SIGKILL', 0);
    await reaper.untrack(worker.pid);
    log(`worker ${worker.pid} SIGKILLed after the first decision`);
    worker = await startTracked('worker-2', phasegateArgv('worker'), phasegateEnv('worker'));
    await waitForWorker(connection!, client.options.namespace, worker);
    log(`worker ${worker.pid} polling again after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const second = await gate(PIA, CER);
    assert.equal(second.pendingApproval!.approvalId, first.pendingApproval!.approvalId + 1, 'a new approval for the next gate');
    assert.deepEqual(await visible(`SirCaseId = '${caseId}' AND SirCaseStatus = '${CER}' AND AwaitingApproval = true`), [caseWorkflowId]);
    const secondDecision = await decide(second, 'recovered');
    assert.equal(secondDecision.status, 200, await secondDecision.clone().text());

    // 3. The close needs an IR lead too.
    const third = await gate('Closed', PIA);
    const thirdDecision = await decide(third, 'post-incident review done');
    assert.equal(thirdDecision.status, 200, await thirdDecision.clone().text());

    const result = await waitFor('the case workflow to complete', async () => {
      const described = await client.workflow.getHandle(caseWorkflowId).describe();
      return described.status.name === 'RUNNING' ? undefined : described.status.name;
    }, 90_000, { intervalMs: 250 });
    assert.equal(result, 'COMPLETED');
    assert.equal((await sir.getCase(caseId)).caseStatus, 'Closed', 'the sandbox case is closed');
    assert.deepEqual(
      await visible(`SirCaseId = '${caseId}' AND ExecutionStatus = 'Completed' AND AwaitingApproval = false`),
      [caseWorkflowId],
      'visibility shows the case finished and no longer awaiting approval',
    );

    // Each status applied exactly once despite the SIGKILL (the sandbox's call log).
    const calls = (await (await fetch(`${sandboxUrl}/__sandbox/calls?caseId=${caseId}`)).json()) as { calls: Array<{ operation: string; statusCode: number; requestBody?: { caseStatus?: string } }> };
    const applied = calls.calls.filter((c) => c.operation === 'UpdateCaseStatus' && c.statusCode < 300).map((c) => c.requestBody?.caseStatus);
    assert.deepEqual(applied, [DA, CER, PIA]);
    assert.equal(calls.calls.filter((c) => c.operation === 'CloseCase' && c.statusCode < 300).length, 1);
    log(`case closed after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it('stops every process it started and removes the PostgreSQL data folder', async () => {
    const pgDir = postgres!.dir;
    const pids = [...parts.map((p) => p.pid), postgres!.process.pid!];
    assert.ok(isRunning(temporalPart) && isRunning(worker), 'the topology is still up before the stop');
    await stopEverything();
    for (const pid of pids) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      assert.equal(alive, false, `process ${pid} is still running`);
    }
    await assert.rejects(stat(pgDir), { code: 'ENOENT' }, 'the PostgreSQL folder is gone');
    await assert.rejects(stat(work), { code: 'ENOENT' }, 'the run folder is gone');
  });
});
