/**
 * A throwaway PostgreSQL cluster from Debian's packages, for running docker-compose.yml's topology
 * without Docker (the compose-topology test, benches on `--engine postgres`). It stands in for the
 * `postgres` image: initdb with POSTGRES_USER as superuser and POSTGRES_PASSWORD as its password,
 * password (scram-sha-256) authentication over TCP, and a foreground `postgres` process we own.
 *
 * PostgreSQL refuses to run as root, so under root the cluster belongs to Debian's `postgres` user.
 * Its socket lives in the cluster's own folder, never /var/run/postgresql, so it cannot collide with
 * a system cluster on the same port.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable } from './go-build';

const execFileAsync = promisify(execFile);

export interface PostgresBinaries {
  /** e.g. /usr/lib/postgresql/15/bin */
  binDir: string;
  /** Major version, e.g. 15. */
  version: number;
}

/** Debian keeps each major version's server programs in /usr/lib/postgresql/<major>/bin; the newest wins. */
export async function findPostgres(root = '/usr/lib/postgresql'): Promise<PostgresBinaries | undefined> {
  let versions: number[];
  try {
    versions = (await readdir(root)).map(Number).filter((v) => Number.isInteger(v)).sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  for (const version of versions) {
    const binDir = join(root, String(version), 'bin');
    if ((await isExecutable(join(binDir, 'initdb'))) && (await isExecutable(join(binDir, 'postgres')))) return { binDir, version };
  }
  return undefined;
}

/**
 * Debian's PostgreSQL server, installed with apt-get when it is missing (root only). The package's
 * own `main` cluster is not used (Debian creates it; nothing here starts it).
 */
export async function ensurePostgres(onProgress: (line: string) => void = () => undefined): Promise<PostgresBinaries> {
  const found = await findPostgres();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('PostgreSQL is not installed and installing it needs root: run `sudo apt-get install -y postgresql` first');
  }
  onProgress("Installing Debian's PostgreSQL with apt-get (first run only)…");
  const apt = async (args: string[], timeoutMs: number): Promise<void> => {
    try {
      await execFileAsync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      const stderr = ((err as { stderr?: string }).stderr ?? String(err)).trim().split('\n').slice(-3).join(' | ');
      throw new Error(`cannot install PostgreSQL: \`apt-get ${args.join(' ')}\` failed: ${stderr}`, { cause: err });
    }
  };
  await apt(['update'], 5 * 60_000);
  // The distribution's supported major version (15 on bookworm); recommends would add nothing we use.
  await apt(['install', '-y', '--no-install-recommends', 'postgresql'], 10 * 60_000);
  const installed = await findPostgres();
  if (!installed) throw new Error('apt-get installed postgresql, but no /usr/lib/postgresql/<version>/bin/postgres appeared');
  return installed;
}

export interface PostgresClusterOptions {
  binaries: PostgresBinaries;
  /** Loopback address and port to listen on. */
  host: string;
  port: number;
  /** The superuser and its password (POSTGRES_USER / POSTGRES_PASSWORD of the image). */
  user: string;
  password: string;
  /** Parent of the cluster's folder (the postgres user must be able to enter it); defaults to the OS temp folder. */
  parentDir?: string;
  onLog?: (line: string) => void;
}

export interface PostgresCluster {
  host: string;
  port: number;
  /** The folder holding the data directory, socket and log; removed by stop(). */
  dir: string;
  process: ChildProcess;
  /** The OS user the server runs as. */
  osUser: string;
  /** `pg_isready` against the cluster: what compose's healthcheck runs. */
  isReady(): Promise<boolean>;
  /** Fast shutdown (SIGINT), SIGKILL after 15 s, then the folder is removed. Safe to call twice. */
  stop(): Promise<void>;
}

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

async function lookupUser(name: string): Promise<OsUser> {
  const { stdout } = await execFileAsync('getent', ['passwd', name]);
  const fields = stdout.trim().split(':');
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

export async function startPostgresCluster(options: PostgresClusterOptions): Promise<PostgresCluster> {
  const { binaries, host, port } = options;
  const runAs = process.getuid?.() === 0 ? await lookupUser('postgres') : undefined;
  const osUser = runAs?.name ?? (await execFileAsync('id', ['-un'])).stdout.trim();
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'phasegate-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const spawnAs = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  let child: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child!.once('exit', () => r()));
        child.kill('SIGINT'); // PostgreSQL's fast shutdown: roll back open transactions, checkpoint, exit
        const timer = setTimeout(() => child!.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    await mkdir(socketDir);
    const pwFile = join(dir, 'pwfile');
    await writeFile(pwFile, `${options.password}\n`, { mode: 0o600 });
    if (runAs) {
      for (const path of [dir, socketDir, pwFile]) await chown(path, runAs.uid, runAs.gid);
    }
    // As the postgres image does: the superuser is POSTGRES_USER with POSTGRES_PASSWORD, and every
    // TCP connection must give that password (scram-sha-256); the socket is ours alone.
    await run(join(binaries.binDir, 'initdb'), [
      '--pgdata', dataDir,
      '--username', options.user,
      '--pwfile', pwFile,
      '--auth-host', 'scram-sha-256',
      '--auth-local', 'trust',
      '--encoding', 'UTF8',
      '--locale', 'C.UTF-8',
      '--no-instructions',
    ], { ...spawnAs, cwd: dir });
    await rm(pwFile, { force: true });

    child = spawn(join(binaries.binDir, 'postgres'), [
      '-D', dataDir,
      '-c', `listen_addresses=${host}`,
      '-c', `port=${port}`,
      '-c', `unix_socket_directories=${socketDir}`,
    ], { ...spawnAs, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        options.onLog?.(line);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);

    const cluster: PostgresCluster = {
      host,
      port,
      dir,
      process: child,
      osUser,
      isReady: async () => {
        try {
          await execFileAsync(join(binaries.binDir, 'pg_isready'), ['-h', host, '-p', String(port), '-U', options.user, '-d', 'postgres', '-t', '2']);
          return true;
        } catch {
          return false;
        }
      },
      stop,
    };
    const deadline = Date.now() + 60_000;
    while (!(await cluster.isReady())) {
      if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode}:\n${lines.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`postgres on ${host}:${port} was not ready within 60 s:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function run(file: string, args: string[], options: { uid?: number; gid?: number; cwd: string }): Promise<void> {
  try {
    // cwd: the postgres user may not be allowed into the caller's folder.
    await execFileAsync(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`${file} failed: ${(e.stderr || e.stdout || String(err)).trim()}`, { cause: err });
  }
}
