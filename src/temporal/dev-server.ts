/**
 * Runs `temporal server start-dev` as a child process we own: unlike the SDK's ephemeral server it
 * keeps a SQLite file, serves the Web UI, stops on SIGTERM (so SQLite is closed cleanly) and has no
 * 5-second start-up limit, which a cold start on 2 cores can exceed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeFlags } from './search-attribute-registration';

/**
 * Eager activity execution hands the first activity of a workflow task straight back to the worker
 * that completed it, skipping a trip through matching (the bench figures are in docs/performance.md).
 */
const EAGER_ACTIVITIES = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

/**
 * start-dev re-reads the search-attribute table on every read, so that attributes created at runtime
 * show at once. When every attribute is registered at launch, the server's normal 60 s cache is safe
 * and saves a database read on every start and upsert.
 */
const CACHED_SEARCH_ATTRIBUTES = ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'];

/**
 * SQLite's default rollback journal creates, syncs and deletes a journal file on every commit, and
 * the dev server commits for every workflow event: 2.6 times slower on the burst bench than a
 * write-ahead log. synchronous=FULL keeps every commit on disk when it returns, so an alert that
 * was answered 202 survives a power cut too (NORMAL would be a quarter faster, but can lose the last
 * commits on power loss).
 */
const SQLITE_FILE_FLAGS = ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=FULL'];

export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  /** gRPC frontend port; 0 picks a free one. */
  port?: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  /** SQLite file; undefined keeps everything in memory. */
  dbFile?: string;
  namespace?: string;
  /**
   * Cache search attributes for 60 s like any Temporal server, instead of start-dev's re-read on every
   * request. Only for servers whose attributes are all registered at launch: one added later (a new
   * namespace, an older database) stays unknown for up to a minute.
   */
  cacheSearchAttributes?: boolean;
  codecEndpoint?: string;
  startTimeoutMs?: number;
  /** Gives up waiting for the server (and stops it) when aborted: the command was asked to stop. */
  signal?: AbortSignal;
  /** Where the server's own log lines go; defaults to being dropped (it logs at warn level only). */
  onLog?: (line: string) => void;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly what: string) {
    super(`port ${port} (${what}) is already in use: stop whatever listens there or choose another port`);
    this.name = 'PortInUseError';
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const port = options.port ? await assertFree(ip, options.port, 'Temporal frontend') : await freePort(ip);
  if (options.uiPort !== undefined) await assertFree(ip, options.uiPort, 'Temporal Web UI');

  const args = [
    'server', 'start-dev',
    '--ip', ip,
    '--port', String(port),
    '--namespace', namespace,
    '--log-format', 'json',
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...EAGER_ACTIVITIES,
    ...(options.cacheSearchAttributes ? CACHED_SEARCH_ATTRIBUTES : []),
    ...devServerSearchAttributeFlags(),
    ...(options.dbFile ? ['--db-filename', options.dbFile, ...SQLITE_FILE_FLAGS] : []),
    ...(options.uiPort !== undefined ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length > 50) output.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const address = `${ip}:${port}`;
  let stopping: Promise<void> | undefined;
  // SIGTERM lets the server close its SQLite file; SIGKILL is the fallback for one that hangs.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })());
  try {
    await waitUntilServing(address, namespace, options.startTimeoutMs ?? 60_000, exited, options.signal);
  } catch (err) {
    // Awaited, so that once this throws the process is gone and its ports are free again.
    await stop();
    const tail = output.slice(-5).join('\n');
    throw new Error(`Temporal dev server did not start: ${(err as Error).message}${tail ? `\n${tail}` : ''}`, { cause: err });
  }

  return {
    address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://${ip}:${options.uiPort}` : undefined,
    process: child,
    stop,
  };
}

async function waitUntilServing(
  address: string,
  namespace: string,
  timeoutMs: number,
  exited: Promise<number | null>,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the server exited with code ${exitCode}`);
    signal?.throwIfAborted();
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`no answer on ${address} within ${timeoutMs} ms (${(lastError as Error | undefined)?.message ?? 'no error'})`);
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export async function assertFree(host: string, port: number, what: string): Promise<number> {
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, what) : err),
    );
    server.listen(port, host, () => server.close(() => resolveFree()));
  });
  return port;
}
