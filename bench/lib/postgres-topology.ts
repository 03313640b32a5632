/**
 * `--engine postgres`: the Temporal half of docker-compose.yml, natively, for the benches. Debian's
 * PostgreSQL, deploy/temporal/setup-schema.sh, the self-hosted Temporal server 1.29.1 on its
 * container config with deploy/temporal/dynamicconfig/phasegate.yaml, and
 * deploy/temporal/register-namespace.sh, with the environment docker-compose.yml gives each of them
 * (test/deploy/compose-topology.test.ts derives the same from `docker-compose config` and runs a case
 * through it). PostgreSQL and Temporal each get a loopback address of their own and compose's ports.
 *
 * The server logs at compose's level (info) to a file in the run folder, as a container's log
 * driver would, so the bench process does not pay for reading it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { allocateLoopbackHosts } from '../../src/temporal/loopback';
import { ensurePostgres, startPostgresCluster, type PostgresCluster } from '../../src/temporal/postgres-cluster';
import { locateTemporalCli } from '../../src/temporal/temporal-cli';
import { inImageEtc, locateTemporalServer, type TemporalServerInstall } from '../../src/temporal/temporal-server';

const execFileAsync = promisify(execFile);

const PORTS = {
  postgresql: [5432],
  // frontend gRPC and HTTP, history, matching, worker, and their membership ports (config/docker.yaml).
  temporal: [7233, 7243, 7234, 7235, 7239, 6933, 6934, 6935, 6939],
} as const;

export interface PostgresTopology {
  address: string;
  namespace: string;
  /** e.g. "Temporal server v1.29.1 on PostgreSQL 15 (docker-compose topology)" */
  description: string;
  postgres: PostgresCluster;
  temporal: ChildProcess;
  /** Kills the Temporal server (default SIGKILL) and waits until it is gone. */
  killTemporal(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again, same address and database. */
  restartTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgresTopology(options: { dir: string; stateDir: string; onProgress: (line: string) => void }): Promise<PostgresTopology> {
  const { dir, onProgress } = options;
  const [install, cli, binaries] = await Promise.all([
    locateTemporalServer({ stateDir: options.stateDir, onProgress }),
    locateTemporalCli({ stateDir: options.stateDir, onProgress }),
    ensurePostgres(onProgress),
  ]);
  const hosts = await allocateLoopbackHosts(PORTS);
  const repo = join(__dirname, '..', '..');
  // Another file only to measure a change against the shipped one (A/B runs of one bench).
  const dynamicConfig = process.env.PHASEGATE_BENCH_DYNAMIC_CONFIG ?? join(repo, 'deploy/temporal/dynamicconfig/phasegate.yaml');
  // docker-compose.yml's defaults: POSTGRES_USER temporal, TEMPORAL_NAMESPACE default, 720h retention.
  const user = 'temporal';
  const password = randomBytes(18).toString('base64url');
  const namespace = 'default';
  const tools = join(dir, 'admin-tools-bin');
  await mkdir(tools, { recursive: true });
  await symlink(cli.path, join(tools, 'temporal'));
  await symlink(install.sqlToolPath, join(tools, 'temporal-sql-tool'));
  const base = { PATH: `${tools}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };

  // In the OS temp folder, not the run folder: that one is private (0700) and PostgreSQL runs as its own user.
  const postgres = await startPostgresCluster({ binaries, host: hosts.postgresql, port: 5432, user, password });
  let temporal: ChildProcess | undefined;
  const stopTemporal = async (signal: NodeJS.Signals): Promise<void> => {
    const child = temporal;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    onProgress(`PostgreSQL ${binaries.version} on ${hosts.postgresql}:5432; setting up Temporal's databases`);
    await job(inImageEtc(install, ['/bin/sh', join(repo, 'deploy/temporal/setup-schema.sh')]), {
      ...base, SQL_PLUGIN: 'postgres12', SQL_HOST: hosts.postgresql, SQL_PORT: '5432', SQL_USER: user, SQL_PASSWORD: password,
    }, dir);

    const serverEnv = {
      ...base,
      DB: 'postgres12',
      DB_PORT: '5432',
      POSTGRES_SEEDS: hosts.postgresql,
      POSTGRES_USER: user,
      POSTGRES_PWD: password,
      DYNAMIC_CONFIG_FILE_PATH: dynamicConfig,
      // What the image's entrypoint sets: the container's own address.
      BIND_ON_IP: hosts.temporal,
    };
    const logFile = join(dir, 'temporal-server.log');
    const startTemporal = async (): Promise<void> => {
      const log = await open(logFile, 'a');
      temporal = spawn(install.serverPath, ['--root', install.serverRoot, '--env', 'docker', 'start'], { cwd: dir, env: serverEnv, stdio: ['ignore', log.fd, log.fd] });
      await log.close();
    };
    await startTemporal();
    const address = `${hosts.temporal}:7233`;
    onProgress(`Temporal server ${install.version} on ${address} (log: ${logFile}); registering the namespace`);
    // As in compose, the namespace job waits for Temporal itself.
    await job(['/bin/sh', join(repo, 'deploy/temporal/register-namespace.sh')], { ...base, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_NAMESPACE_RETENTION: '720h' }, dir);

    const topology: PostgresTopology = {
      address,
      namespace,
      description: `Temporal server ${install.version} on PostgreSQL ${binaries.version} (the docker-compose topology, dynamic config ${relative(repo, dynamicConfig)})`,
      postgres,
      get temporal() {
        return temporal!;
      },
      killTemporal: (signal = 'SIGKILL') => stopTemporal(signal),
      restartTemporal: async () => {
        await stopTemporal('SIGTERM');
        await startTemporal();
        await job(['temporal', 'operator', 'cluster', 'health', '--address', address], base, dir, 120, 1_000);
      },
      stop: async () => {
        await stopTemporal('SIGTERM');
        await postgres.stop();
      },
    };
    return topology;
  } catch (err) {
    await stopTemporal('SIGKILL');
    await postgres.stop();
    throw err;
  }
}

/** Runs a one-shot job to exit 0, retrying `tries` times `everyMs` apart (1 try by default). */
async function job(argv: string[], env: NodeJS.ProcessEnv, cwd: string, tries = 1, everyMs = 0): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await execFileAsync(argv[0]!, argv.slice(1), { env, cwd, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
      return;
    } catch (err) {
      if (attempt >= tries) {
        const e = err as { stdout?: string; stderr?: string };
        throw new Error(`${argv.slice(0, 6).join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? String(err)}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/**
 * CPU seconds (user + system) of a process and all its descendants, live and exited (the kernel adds
 * an exited child's time to its parent's cutime/cstime): PostgreSQL does its work in one backend
 * process per connection, so the postmaster alone would show almost nothing.
 */
export async function treeCpuSeconds(rootPid: number | undefined): Promise<number> {
  if (rootPid === undefined) return NaN;
  const stats = new Map<number, { ppid: number; ticks: number; childTicks: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const raw = await readFile(`/proc/${name}/stat`, 'utf8');
      const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      // proc(5), counted from field 3 (state): ppid 4, utime 14, stime 15, cutime 16, cstime 17.
      stats.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), childTicks: Number(fields[13]) + Number(fields[14]) });
    } catch {
      // gone meanwhile
    }
  }
  const root = stats.get(rootPid);
  if (!root) return NaN;
  let ticks = root.ticks + root.childTicks;
  const pending = [rootPid];
  while (pending.length > 0) {
    const parent = pending.pop()!;
    for (const [pid, s] of stats) {
      if (s.ppid !== parent) continue;
      // Its own time, and that of its exited children it reaped (no longer in /proc, so not counted twice).
      ticks += s.ticks + s.childTicks;
      pending.push(pid);
    }
  }
  return ticks / 100;
}

export type { TemporalServerInstall };
