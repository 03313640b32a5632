/**
 * docker-compose.yml's topology run natively, for the compose-topology test: every service a separate
 * process started from what `docker-compose config` says about it (environment, entrypoint, volumes,
 * secrets, start-up order), with what the images add (the Dockerfile's ENV for phasegate's parts, the
 * Temporal images' binaries and files from the Go build in .phasegate/).
 *
 * How the container world maps onto this machine:
 * - Each service gets its own loopback address (127.a.b.N) and keeps compose's ports, as each container
 *   has its own IP on compose's network: the service names in the environment (`postgresql`,
 *   `temporal:7233`, `http://sandbox:4566`) are replaced by those addresses and nothing else changes.
 *   Where an image binds "all interfaces" (PHASEGATE_HOST=0.0.0.0, Temporal's BIND_ON_IP = the
 *   container's IP), the service binds its own loopback address instead.
 * - Bind mounts and secrets: a path inside the container becomes the host path it is mounted from;
 *   named volumes become folders of the run.
 * - The admin-tools scripts run with `sh` and the admin-tools programs (`temporal`, `temporal-sql-tool`)
 *   first on PATH. setup-schema.sh reads the schemas from the image's /etc/temporal/schema, so it runs in
 *   a private mount namespace whose /etc is the host's overlaid with the cached build's etc/ folder
 *   (nothing on the host changes).
 * - The Temporal server renders the config file it ships for containers (config/docker.yaml) from its
 *   environment, as the image does, with `--env docker`.
 *
 * Everything started is recorded in a reaper file: a detached watchdog kills it and removes the
 * folders if the test process dies without cleaning up (a runner timeout, a SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TASK_QUEUE } from '../../src/domain/contract/temporal-names';
import { allocateLoopbackHosts } from '../../src/temporal/loopback';
import { run, type RunResult } from './compose-cli';

export const ROOT = resolve(__dirname, '..', '..');

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition?: string }>;
  /** Compose v1 prints `source:target[:mode]` strings, v2 objects. */
  volumes?: Array<string | { type?: string; source?: string; target: string; read_only?: boolean }>;
  secrets?: Array<string | { source: string; target?: string }>;
  profiles?: string[];
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file?: string }>;
}

/** The services this topology runs and the ports compose (or the image) gives them. */
export const SERVICE_PORTS = {
  postgresql: [5432],
  // frontend gRPC and HTTP, history, matching, worker, and their membership ports (config/docker.yaml defaults).
  temporal: [7233, 7243, 7234, 7235, 7239, 6933, 6934, 6935, 6939],
  sandbox: [4566],
  server: [8080],
} as const;
export type NetworkedService = keyof typeof SERVICE_PORTS;

/** One loopback address per service, all of whose ports are free there. */
export function allocateAddresses(): Promise<Record<NetworkedService, string>> {
  return allocateLoopbackHosts(SERVICE_PORTS);
}

export interface MapContext {
  hosts: Record<NetworkedService, string>;
  config: ComposeConfig;
  /** Where named volumes live on the host. */
  volumesDir: string;
}

/**
 * `temporal:7233`, `http://sandbox:4566/x` → the same with the service's loopback address. A bare name
 * is a host only in a variable that holds one (POSTGRES_SEEDS, SQL_HOST): POSTGRES_USER is `temporal`
 * too, and must stay a user name.
 */
export function mapHost(key: string, value: string, hosts: Record<string, string>): string {
  const match = /^(https?:\/\/)?([a-z][a-z0-9-]*)((?::\d+)?(?:\/.*)?)$/.exec(value);
  if (!match || !(match[2]! in hosts)) return value;
  const bare = match[1] === undefined && match[3] === '';
  if (bare && !/(_SEEDS|_HOST)$/.test(key)) return value;
  return `${match[1] ?? ''}${hosts[match[2]!]}${match[3]}`;
}

/** A path inside a service's container → the host path it is mounted from; other values unchanged. */
export function mapPath(value: string, service: ComposeService, ctx: MapContext): string {
  const mounts: Array<{ target: string; source: string }> = [];
  for (const volume of service.volumes ?? []) {
    const [source, target] = typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target];
    if (!source || !target) continue;
    // A named volume (no path) is a folder of the run; a bind mount is the host path itself.
    mounts.push({ target, source: isAbsolute(source) ? source : join(ctx.volumesDir, source) });
  }
  for (const entry of service.secrets ?? []) {
    const secret = typeof entry === 'string' ? { source: entry, target: undefined } : entry;
    const file = ctx.config.secrets?.[secret.source]?.file;
    if (file) mounts.push({ target: secret.target && isAbsolute(secret.target) ? secret.target : `/run/secrets/${secret.target ?? secret.source}`, source: file });
  }
  for (const { target, source } of mounts) {
    if (value === target) return source;
    if (value.startsWith(`${target}/`)) return join(source, value.slice(target.length + 1));
  }
  return value;
}

/** The named volumes a service mounts (they are folders of the run, created before it starts). */
export function namedVolumes(service: ComposeService): string[] {
  return (service.volumes ?? [])
    .map((v) => (typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '')))
    .filter((source) => source && !isAbsolute(source));
}

/** The service's compose environment with hosts and paths mapped onto this machine. */
export function composeEnv(name: string, ctx: MapContext): Record<string, string> {
  const service = ctx.config.services[name];
  if (!service) throw new Error(`docker-compose config has no service ${name}`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    if (value === null) continue;
    env[key] = mapPath(mapHost(key, value, ctx.hosts), service, ctx);
  }
  return env;
}

/** A process's argv from compose's entrypoint (+ command), with container paths mapped. */
export function composeArgv(name: string, ctx: MapContext): string[] {
  const service = ctx.config.services[name]!;
  const asList = (v: string[] | string | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(' '));
  return [...asList(service.entrypoint), ...asList(service.command)].map((arg) => mapPath(arg, service, ctx));
}

/** What a container starts from: a PATH, a HOME and a UTF-8 locale; nothing of the test harness. */
export function baseEnv(extraPath: string[] = []): Record<string, string> {
  const path = (process.env.PATH ?? '').split(':').filter((p) => p && !p.startsWith(join(ROOT, 'node_modules')));
  return { PATH: [...extraPath, ...path].join(':'), HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
}

/** Runs a one-shot job to its end (compose's service_completed_successfully needs exit 0). */
export function runJob(argv: string[], env: Record<string, string>, options: { cwd: string; timeoutMs?: number }): Promise<RunResult> {
  return run(argv[0]!, argv.slice(1), { env, cwd: options.cwd, timeoutMs: options.timeoutMs ?? 180_000 });
}

export interface Part {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The first and the most recent output lines (stdout and stderr), for failure messages. */
  head: string[];
  tail: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Output lines matching a watched `pattern`, seen so far (checked as lines arrive, so nothing scrolls away). */
  seen(pattern: RegExp): string[];
}

export function startPart(name: string, argv: string[], env: Record<string, string>, cwd: string, watched: RegExp[] = []): Part {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const head: string[] = [];
  const tail: string[] = [];
  // Keyed by the pattern's text, so a caller may pass an equal literal to seen() later.
  const key = (p: RegExp): string => `${p.source}/${p.flags}`;
  const patterns = new Map<string, { pattern: RegExp; hits: string[] }>(watched.map((p) => [key(p), { pattern: p, hits: [] }]));
  const take = (line: string): void => {
    if (!line) return;
    if (head.length < 40) head.push(line.slice(0, 1000));
    tail.push(line.slice(0, 1000));
    if (tail.length > 60) tail.shift();
    for (const { pattern, hits } of patterns.values()) if (pattern.test(line)) hits.push(line);
  };
  // Per stream, a line may arrive in several chunks: keep the unfinished end for the next one.
  const lines = (stream: NodeJS.ReadableStream | null): void => {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString();
      const complete = text.split('\n');
      rest = complete.pop() ?? '';
      complete.forEach(take);
    });
    stream?.on('end', () => take(rest));
  };
  lines(child.stdout);
  lines(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return {
    name,
    process: child,
    pid: child.pid!,
    head,
    tail,
    exited,
    seen: (pattern) => {
      const watchedOne = patterns.get(key(pattern));
      if (!watchedOne) throw new Error(`${name}'s output is not watched for ${pattern}: pass it to startPart`);
      return watchedOne.hits;
    },
  };
}

export function isRunning(part: Part): boolean {
  return part.process.exitCode === null && part.process.signalCode === null;
}

/** SIGTERM (or the given signal), SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPart(part: Part, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
  if (!isRunning(part)) return;
  part.process.kill(signal);
  const timer = setTimeout(() => part.process.kill('SIGKILL'), graceMs);
  await part.exited;
  clearTimeout(timer);
}

/** Ready = Temporal lists a poller with this process's identity on both of phasegate's task queue types. */
export async function waitForWorker(connection: Connection, namespace: string, part: Part, timeoutMs = 120_000): Promise<void> {
  const identity = `${part.pid}@${hostname()}`;
  const deadline = Date.now() + timeoutMs;
  const types = [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
  for (const type of types) {
    for (;;) {
      if (!isRunning(part)) throw new Error(`${part.name} exited:\n${part.tail.join('\n')}`);
      const { pollers } = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: TASK_QUEUE }, taskQueueType: type });
      if (pollers.some((p) => p.identity === identity)) break;
      if (Date.now() > deadline) throw new Error(`${part.name} (${identity}) did not poll ${TASK_QUEUE} within ${timeoutMs / 1000} s:\n${part.tail.join('\n')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** GET url until it answers 200; fails early when the part exits. */
export async function waitForHttp(url: string, part: Part, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(part)) throw new Error(`${part.name} exited:\n${part.tail.join('\n')}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} (${part.name}) did not answer 200 within ${timeoutMs / 1000} s:\n${part.tail.join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The watchdog: a detached node process that polls the test process and, once it is gone, SIGKILLs
 * every pid in the reaper file and removes every folder in it. It exits by itself when the file
 * disappears (a normal cleanup removed it).
 */
const REAPER_SOURCE = `
const fs = require('node:fs');
const [parent, file] = process.argv.slice(1);
setInterval(() => {
  let alive = true;
  try { process.kill(Number(parent), 0); } catch { alive = false; }
  if (!fs.existsSync(file)) process.exit(0);
  if (alive) return;
  let state = { pids: [], dirs: [] };
  try { state = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
  for (const pid of state.pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    for (const dir of state.dirs) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(file, { force: true });
    process.exit(0);
  }, 1000);
}, 1000);
`;

export class Reaper {
  private readonly pids = new Set<number>();
  private readonly dirs = new Set<string>();
  constructor(private readonly file: string) {}

  static async start(file: string): Promise<Reaper> {
    const reaper = new Reaper(file);
    await reaper.save();
    const child = spawn(process.execPath, ['-e', REAPER_SOURCE, String(process.pid), file], { detached: true, stdio: 'ignore' });
    child.unref();
    return reaper;
  }

  async track(item: { pid?: number; dir?: string }): Promise<void> {
    if (item.pid) this.pids.add(item.pid);
    if (item.dir) this.dirs.add(item.dir);
    await this.save();
  }

  async untrack(pid: number): Promise<void> {
    this.pids.delete(pid);
    await this.save();
  }

  private async save(): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeFile(this.file, JSON.stringify({ pids: [...this.pids], dirs: [...this.dirs] }));
  }
}
