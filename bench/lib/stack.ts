/**
 * The real chain on loopback for one bench or drill: Temporal (by default a dev server on a fresh
 * SQLite file in a temporary folder; `--engine postgres` the docker-compose topology on PostgreSQL;
 * `--temporal-address` an existing cluster), the SIR sandbox (in this process, so the bench can read every call and inject
 * faults), phasegate workers and the phasegate server as child processes (`phasegate worker` /
 * `phasegate server`, the production commands), so a worker can be SIGKILLed and restarted.
 *
 * Everything listens on 127.0.0.1 on free ports, so a bench never collides with `phasegate dev` or a
 * test run on the same machine, and stop() removes the temporary folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { SANDBOX_DEFAULT_CREDENTIALS, startSandbox, type SirSandbox } from '../../src/sandbox';
import { PHASEGATE_SEARCH_ATTRIBUTES } from '../../src/domain/contract/search-attributes';
import { loadTemporalTarget } from '../../src/temporal/connection-config';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { locateTemporalCli } from '../../src/temporal/temporal-cli';
import { writeWorkflowBundle } from '../../src/temporal/workflow-bundle';
import { AlertPoster, setRunTag } from './alerts';
import { startPostgresTopology, treeCpuSeconds, type PostgresTopology } from './postgres-topology';
import { describeMachine, type Machine, type Options, progress, round, sleep, waitFor } from './report';
import { SandboxTap } from './sandbox-tap';
import { BARE_TASK_QUEUE } from './names';

export { BARE_TASK_QUEUE };

export const REPO_ROOT = resolve(__dirname, '..', '..');
const PHASEGATE_BIN = join(REPO_ROOT, 'bin', 'phasegate.js');
/**
 * Preloaded into every child with --require (a plain .cjs written to the run's temp folder, since
 * Temporal's workflow threads inherit execArgv and cannot load TypeScript preloads): answers the
 * parent's memory questions over IPC without keeping the child alive.
 */
const PROBE_SOURCE = `'use strict';
if (require('node:worker_threads').isMainThread && process.send) {
  process.on('message', (m) => { if (m && m.type === 'memory') process.send({ type: 'memory', memory: process.memoryUsage() }); });
  process.channel && process.channel.unref();
}
`;
export const BENCH_USER = 'bench';
export const BENCH_GROUP = 'bench-approvers';

export type PlaybookSet = 'auto-close' | 'gated' | 'storm' | 'storm-limited';

/**
 * Which Temporal the stack runs against:
 * - dev: a Temporal CLI dev server started for the run (the default);
 * - postgres: docker-compose.yml's Temporal (server 1.29.1 on PostgreSQL, its dynamic config), started
 *   natively for the run;
 * - existing: a cluster that is already running. The bench connects, and starts its workers and API,
 *   with the standard TEMPORAL_* variables (API key, TLS, profile) plus the address and namespace
 *   given. Use a namespace of its own: the bench's workers poll task queue `phasegate` there, and
 *   its search attributes must be registered (deploy/temporal/register-namespace.sh).
 */
export type TemporalEngine = { kind: 'dev' } | { kind: 'postgres' } | { kind: 'existing'; address: string; namespace: string };

/** `--engine dev|postgres` and `--temporal-address host:port [--temporal-namespace ns]` (else TEMPORAL_NAMESPACE). */
export function temporalEngineOption(opts: Options): TemporalEngine {
  const engine = opts.string('engine', '');
  const address = opts.string('temporal-address', '');
  const namespace = opts.string('temporal-namespace', process.env.TEMPORAL_NAMESPACE ?? 'default');
  if (address) {
    if (engine && engine !== 'existing') throw new Error(`--temporal-address names an existing cluster; it does not go with --engine ${engine}`);
    return { kind: 'existing', address, namespace };
  }
  if (engine === 'existing') {
    if (!process.env.TEMPORAL_ADDRESS) throw new Error('--engine existing needs --temporal-address or TEMPORAL_ADDRESS');
    return { kind: 'existing', address: process.env.TEMPORAL_ADDRESS, namespace };
  }
  if (engine === '' || engine === 'dev') return { kind: 'dev' };
  if (engine === 'postgres') return { kind: 'postgres' };
  throw new Error(`--engine must be dev, postgres or existing, not ${engine}`);
}

export interface StackOptions {
  playbooks: PlaybookSet;
  /** phasegate workers to start (default 1). */
  workers?: number;
  /** Extra environment for workers (PHASEGATE_MAX_CONCURRENT_ACTIVITIES, …). */
  workerEnv?: Record<string, string>;
  /** Also start a worker for the bare workflows (bench 3): no-op activities, or the same SIR calls. */
  bareWorker?: boolean;
  /** Start the phasegate server (default true). */
  server?: boolean;
  /** PHASEGATE_LOG_LEVEL of the children (default warn: the figures are phasegate's, not log I/O's). */
  logLevel?: string;
  /**
   * Where the dev server keeps its state: 'file' (a SQLite file, as `phasegate dev` does; default) or
   * 'memory' (in-memory SQLite, to see what the file costs). Default from PHASEGATE_BENCH_DB.
   */
  db?: 'file' | 'memory';
  /** Which Temporal (default: a dev server). */
  engine?: TemporalEngine;
}

export interface ChildPart {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The last lines the child wrote to stderr, for diagnostics. */
  tail: string[];
  exited: Promise<number | null>;
}

export interface Stack {
  dir: string;
  /** The dev server's SQLite file; undefined when it runs in memory. */
  dbFile?: string;
  cliPath: string;
  machine: Machine;
  engine: TemporalEngine['kind'];
  temporal: { address: string; namespace: string };
  sandbox: SirSandbox;
  tap: SandboxTap;
  client: Client;
  apiUrl: string;
  secret: string;
  userToken: string;
  poster: AlertPoster;
  workers: ChildPart[];
  bare?: ChildPart;
  startWorker(): Promise<ChildPart>;
  /** Sends a signal (default SIGKILL) to a worker and waits for it to be gone. */
  killWorker(worker: ChildPart, signal?: NodeJS.Signals): Promise<void>;
  /** Kills the Temporal server (default SIGKILL) and waits until it is gone (dev and postgres engines). */
  killTemporal(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same address and store (the SQLite file, or PostgreSQL). */
  restartTemporal(): Promise<void>;
  /** RSS and heap of a child, from its probe (bytes). */
  memoryOf(part: ChildPart): Promise<NodeJS.MemoryUsage>;
  /**
   * CPU seconds (user + system) each part has used so far: Temporal (and PostgreSQL with its backends)
   * when the stack started them, workers, server, bench process. An existing cluster is not measured.
   */
  cpuSeconds(): Promise<Record<string, number>>;
  /** Starts a bare Fastify route (bench 5's reference) as a child; returns its base URL. */
  startBareServer(): Promise<string>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'phasegate-bench-'));
  setRunTag(randomBytes(4).toString('hex'));
  const cli = await locateTemporalCli({ stateDir: join(REPO_ROOT, '.phasegate'), onProgress: progress });
  const machine = describeMachine(cli.path);
  const db = options.db ?? (process.env.PHASEGATE_BENCH_DB === 'memory' ? 'memory' : 'file');
  const dbFile = join(dir, 'temporal.sqlite');
  const probe = join(dir, 'probe.cjs');
  await writeFile(probe, PROBE_SOURCE);
  const stops: Array<() => Promise<void>> = [];
  const children = new Set<ChildPart>();

  const stopAll = async (): Promise<void> => {
    // SIGTERM first, so a child's exit hooks run (a --cpu-prof profile is written on exit), then SIGKILL.
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.race([Promise.all([...children].map((c) => c.exited)), sleep(10_000)]);
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all([...children].map((c) => c.exited));
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => progress(`while stopping: ${String(err)}`));
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const engine: TemporalEngine = options.engine ?? { kind: 'dev' };
    if (engine.kind !== 'dev' && options.db === 'memory') throw new Error('an in-memory store is a dev-server option (--engine dev)');
    const bundles = Promise.all([
      cachedBundle('phasegate', [join(REPO_ROOT, 'workflows'), join(REPO_ROOT, 'src', 'domain')], (file) => writeWorkflowBundle(file)),
      options.bareWorker ? cachedBundle('bare', [join(__dirname, 'bare-workflow.ts')], writeBareBundle) : Promise.resolve(undefined),
    ]);
    const port = engine.kind === 'dev' ? await freePort() : 0;
    let devServer: DevServer | undefined;
    let topology: PostgresTopology | undefined;
    let endpoint: { address: string; namespace: string };
    let connectionOptions: ConnectionOptions;
    if (engine.kind === 'dev') {
      progress(`starting the Temporal dev server (SQLite ${db === 'file' ? dbFile : 'in memory'}) and bundling the workflows`);
      devServer = await startDevServer({ cliPath: cli.path, port, cacheSearchAttributes: true, ...(db === 'file' && { dbFile }), startTimeoutMs: 120_000 });
      stops.push(() => devServer!.stop());
      endpoint = { address: devServer.address, namespace: devServer.namespace };
      connectionOptions = { address: devServer.address };
      machine.temporal = `Temporal dev server (CLI ${machine.temporalCli.split('\n')[0]}) on ${db === 'file' ? 'a SQLite file' : 'in-memory SQLite'}`;
    } else if (engine.kind === 'postgres') {
      progress('starting the docker-compose Temporal topology on PostgreSQL and bundling the workflows');
      topology = await startPostgresTopology({ dir, stateDir: join(REPO_ROOT, '.phasegate'), onProgress: progress });
      stops.push(() => topology!.stop());
      endpoint = { address: topology.address, namespace: topology.namespace };
      connectionOptions = { address: topology.address };
      machine.temporal = topology.description;
    } else {
      // The standard variables (API key, TLS, profile) with the address and namespace given.
      const target = loadTemporalTarget({ ...process.env, TEMPORAL_ADDRESS: engine.address, TEMPORAL_NAMESPACE: engine.namespace });
      endpoint = { address: target.address, namespace: target.namespace };
      connectionOptions = target.connectionOptions;
      machine.temporal = `an existing Temporal cluster at ${target.address}, namespace ${target.namespace} (its CPU is not measured here)`;
    }
    const [bundle, bareBundle] = await bundles;

    const sandbox = await startSandbox({ port: 0 });
    stops.push(() => sandbox.close());
    const tap = new SandboxTap(sandbox);

    const connection = await Connection.connect(connectionOptions);
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: endpoint.namespace });
    if (engine.kind === 'existing') await assertSearchAttributes(connection, endpoint.namespace);

    const secret = `whsec_bench_${randomBytes(16).toString('hex')}`;
    const userToken = `bench_${randomBytes(24).toString('hex')}`;
    const usersFile = join(dir, 'users.yaml');
    await writeFile(
      usersFile,
      `users:\n  - name: ${BENCH_USER}\n    groups: [${BENCH_GROUP}]\n    tokenSha256: ${createHash('sha256').update(userToken).digest('hex')}\n`,
    );

    const baseEnv = childEnv(engine.kind === 'existing', {
      TEMPORAL_ADDRESS: endpoint.address,
      TEMPORAL_NAMESPACE: endpoint.namespace,
      PHASEGATE_LOG_LEVEL: options.logLevel ?? 'warn',
      PHASEGATE_TEMPORAL_LOG_LEVEL: 'ERROR',
      // The server attests who decided and the workers check it, as in production.
      PHASEGATE_DECISION_KEYS: randomBytes(32).toString('hex'),
    });
    const workerEnv = {
      ...baseEnv,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: SANDBOX_DEFAULT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_DEFAULT_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SECURITY_IR: sandbox.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      PHASEGATE_WORKFLOW_BUNDLE: bundle,
      // A case runs only the playbooks of the worker's own directory: the same as the server's.
      PHASEGATE_PLAYBOOKS: join(__dirname, '..', 'playbooks', options.playbooks),
      PHASEGATE_SHUTDOWN_GRACE: '2s',
      ...options.workerEnv,
    };

    let workerCount = 0;
    const workers: ChildPart[] = [];
    const startWorker = async (): Promise<ChildPart> => {
      const part = spawnChild(`worker-${++workerCount}`, [PHASEGATE_BIN, 'worker'], workerEnv, probe);
      children.add(part);
      void part.exited.then(() => children.delete(part));
      workers.push(part);
      await waitForPoller(client, endpoint.namespace, 'phasegate', part);
      return part;
    };

    const stack: Stack = {
      dir,
      dbFile: db === 'file' ? dbFile : undefined,
      cliPath: cli.path,
      machine,
      engine: engine.kind,
      temporal: endpoint,
      sandbox,
      tap,
      client,
      apiUrl: '',
      secret,
      userToken,
      poster: undefined as unknown as AlertPoster,
      workers,
      startWorker,
      killWorker: async (worker, signal = 'SIGKILL') => {
        worker.process.kill(signal);
        await worker.exited;
        workers.splice(workers.indexOf(worker), 1);
      },
      killTemporal: async (signal = 'SIGKILL') => {
        if (topology) return topology.killTemporal(signal);
        if (!devServer) throw new Error('an existing cluster is not the bench\'s to kill');
        const server = devServer;
        const exited = new Promise<void>((r) => (server.process.exitCode !== null || server.process.signalCode !== null ? r() : server.process.once('exit', () => r())));
        server.process.kill(signal);
        await exited;
      },
      restartTemporal: async () => {
        if (topology) return topology.restartTemporal();
        if (!devServer) throw new Error('an existing cluster is not the bench\'s to restart');
        if (db !== 'file') throw new Error('restarting Temporal needs the SQLite file (db: file)');
        // The port was just released; retry briefly in case the kernel has not let go of it yet.
        for (let attempt = 1; ; attempt++) {
          try {
            devServer = await startDevServer({ cliPath: cli.path, port, cacheSearchAttributes: true, dbFile, startTimeoutMs: 120_000 });
            return;
          } catch (err) {
            if (attempt >= 10) throw err;
            await sleep(500);
          }
        }
      },
      memoryOf: (part) => askMemory(part),
      cpuSeconds: async () => {
        const own = process.cpuUsage();
        const parts: Record<string, number> = { 'bench process (sandbox, load generator)': (own.user + own.system) / 1e6 };
        if (devServer) parts['temporal dev server'] = await procCpuSeconds(devServer.process.pid);
        if (topology) {
          parts['temporal server'] = await procCpuSeconds(topology.temporal.pid);
          parts.postgresql = await treeCpuSeconds(topology.postgres.process.pid);
        }
        for (const child of children) parts[child.name] = await procCpuSeconds(child.pid);
        return parts;
      },
      startBareServer: async () => {
        const barePort = await freePort();
        const bare = spawnChild('bare-server', [join(__dirname, 'bare-server.ts')], { ...baseEnv, BENCH_PORT: String(barePort) }, probe);
        children.add(bare);
        const url = `http://127.0.0.1:${barePort}`;
        if (!(await waitFor(() => fetch(`${url}/healthz`).then((r) => r.ok, () => false), 60_000))) throw new Error(`the bare server did not start: ${bare.tail.join('\n')}`);
        return url;
      },
      stop: async () => {
        stack.poster?.close();
        await stopAll();
      },
    };

    const workerStarts: Array<Promise<ChildPart>> = [];
    for (let i = 0; i < (options.workers ?? 1); i++) workerStarts.push(startWorker());
    // Awaited below, after the server is healthy; a worker failing first must not crash the bench as an
    // unhandled rejection before stopAll() has stopped what was started.
    const settleLater = (p: Promise<unknown>): void => void p.catch(() => undefined);
    workerStarts.forEach(settleLater);
    if (options.bareWorker) {
      // The phasegate worker's SIR endpoint and credentials, so the bare workflow makes the same calls.
      const bare = spawnChild('bare-worker', [join(__dirname, 'bare-worker.ts')], { ...workerEnv, BENCH_BARE_BUNDLE: bareBundle! }, probe);
      children.add(bare);
      stack.bare = bare;
      const bareStart = waitForPoller(client, endpoint.namespace, BARE_TASK_QUEUE, bare).then(() => bare);
      settleLater(bareStart);
      workerStarts.push(bareStart);
    }

    if (options.server !== false) {
      const apiPort = await freePort();
      const server = spawnChild(
        'server',
        [PHASEGATE_BIN, 'server', '--port', String(apiPort)],
        { ...baseEnv, PHASEGATE_WEBHOOK_SECRET: secret, PHASEGATE_USERS: usersFile, PHASEGATE_PLAYBOOKS: join(__dirname, '..', 'playbooks', options.playbooks) },
        probe,
      );
      children.add(server);
      stack.apiUrl = `http://127.0.0.1:${apiPort}`;
      const healthy = await waitFor(async () => {
        if (server.process.exitCode !== null) throw new Error(`the phasegate server exited: ${server.tail.join('\n')}`);
        try {
          return (await fetch(`${stack.apiUrl}/healthz`)).status === 200;
        } catch {
          return false;
        }
      }, 60_000);
      if (!healthy) throw new Error(`the phasegate server did not become healthy: ${server.tail.join('\n')}`);
      stack.poster = new AlertPoster(stack.apiUrl, secret);
    }
    await Promise.all(workerStarts);
    progress(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${endpoint.address}, ${machine.temporal}, sandbox ${sandbox.url}${stack.apiUrl ? `, API ${stack.apiUrl}` : ''})`);
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The child's environment: ours, without anything that would point it at another Temporal, AWS or
 * phasegate; on an existing cluster the TEMPORAL_* variables stay (API key, TLS, profile).
 */
function childEnv(keepTemporal: boolean, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AWS_|PHASEGATE_|OTEL_)/.test(key) || (!keepTemporal && key.startsWith('TEMPORAL_'))) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv, probe: string): ChildPart {
  // PHASEGATE_BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the child processes.
  const nodeArgs = (process.env.PHASEGATE_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--require', probe, ...(args[0]!.endsWith('.ts') ? ['--import', 'tsx'] : []), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line.slice(0, 500));
      if (tail.length > 20) tail.shift();
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { name, process: child, pid: child.pid!, tail, exited };
}

/** Ready = Temporal lists a poller with this process's identity (`<pid>@<host>`) on the task queue. */
async function waitForPoller(client: Client, namespace: string, taskQueue: string, part: ChildPart): Promise<void> {
  let exitCode: number | null | undefined;
  void part.exited.then((code) => (exitCode = code));
  const ready = await waitFor(async () => {
    if (exitCode !== undefined) throw new Error(`${part.name} exited with code ${exitCode}: ${part.tail.join('\n')}`);
    const answer = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    return (answer.pollers ?? []).some((p) => p.identity?.startsWith(`${part.pid}@`));
  }, 120_000, 200);
  if (!ready) throw new Error(`${part.name} did not poll ${taskQueue} within 120 s: ${part.tail.join('\n')}`);
}

/** utime + stime of a process (all its threads) from /proc, in seconds; NaN when unreadable. */
async function procCpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5), counted from the state field (3): indexes 11 and 12 here; 100 ticks/s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const GRPC_NOT_FOUND = 5;

/** On a cluster the bench did not set up, a missing attribute would fail every case: say so first. */
async function assertSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  let custom: Record<string, unknown>;
  try {
    custom = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (err) {
    if ((err as { code?: number }).code === GRPC_NOT_FOUND) throw new Error(`namespace ${namespace} does not exist on this cluster: ${(err as Error).message}`, { cause: err });
    // Temporal Cloud refuses the operator API; the attributes are then the operator's to check.
    progress(`could not list the search attributes of ${namespace} (${(err as Error).message}); assuming they are registered`);
    return;
  }
  const missing = PHASEGATE_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !(name in custom));
  if (missing.length > 0) throw new Error(`namespace ${namespace} lacks the search attributes ${missing.join(', ')}: run deploy/temporal/register-namespace.sh against it first`);
}

/**
 * CPU milliseconds per case of each part between two cpuSeconds() snapshots, and their total: what a
 * case costs the whole stack, the figure that sets how many cases per second a machine sustains.
 */
export function cpuPerCase(before: Record<string, number>, after: Record<string, number>, cases: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, end] of Object.entries(after)) {
    const used = end - (before[name] ?? 0);
    if (!Number.isFinite(used) || cases <= 0) continue;
    out[name] = round((used * 1000) / cases, 1);
    total += used;
  }
  out.total = round((total * 1000) / Math.max(cases, 1), 1);
  return out;
}

export function cpuPerCaseLine(perCase: Record<string, number>, what = 'case'): string {
  return `CPU per ${what} (ms, user + system): ${Object.entries(perCase).map(([k, v]) => `${k} ${v}`).join(', ')}.`;
}

/** CPU seconds each part used between two cpuSeconds() snapshots, with its share of the wall time. */
export function cpuBetween(before: Record<string, number>, after: Record<string, number>, wallSeconds: number): Record<string, { cpuSeconds: number; coresBusy: number }> {
  const out: Record<string, { cpuSeconds: number; coresBusy: number }> = {};
  for (const [name, end] of Object.entries(after)) {
    const used = end - (before[name] ?? 0);
    if (!Number.isFinite(used)) continue;
    out[name] = { cpuSeconds: Math.round(used * 10) / 10, coresBusy: Math.round((used / wallSeconds) * 100) / 100 };
  }
  return out;
}

function askMemory(part: ChildPart): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolveMemory, reject) => {
    const timer = setTimeout(() => reject(new Error(`${part.name} did not report its memory`)), 10_000);
    const onMessage = (message: unknown): void => {
      const m = message as { type?: string; memory?: NodeJS.MemoryUsage };
      if (m?.type !== 'memory' || !m.memory) return;
      clearTimeout(timer);
      part.process.off('message', onMessage);
      resolveMemory(m.memory);
    };
    part.process.on('message', onMessage);
    part.process.send({ type: 'memory' });
  });
}

/**
 * Bundles workflow code once per content: the bundle is cached in the OS temp folder under a hash of
 * the sources, so repeated bench runs skip the webpack step (tens of seconds on 2 cores).
 */
async function cachedBundle(name: string, sources: string[], build: (file: string) => Promise<void>): Promise<string> {
  const hash = createHash('sha256');
  for (const source of sources) for (const file of await listFiles(source)) hash.update(file).update(await readFile(file));
  hash.update(JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', '@temporalio', 'workflow', 'package.json'), 'utf8')).version as string);
  const dir = join(tmpdir(), 'phasegate-bench-bundles');
  const file = join(dir, `${name}-${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  await build(partial);
  await rm(file, { force: true });
  await rename(partial, file);
  return file;
}

async function listFiles(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  if (!(await stat(path)).isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

async function writeBareBundle(file: string): Promise<void> {
  const noop = (): void => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: join(__dirname, 'bare-workflow.ts'),
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop },
  });
  await writeFile(file, code);
}

