/**
 * The Temporal CLI that scripts/test.ts found or built (PHASEGATE_TEMPORAL_CLI), for running the
 * compose jobs' scripts (deploy/temporal/*.sh call `temporal …`, as in the admin-tools image) and
 * for a bare dev server: one with no search attributes registered, like a fresh self-hosted cluster.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../../src/temporal/dev-server';
import { run, type RunResult } from './compose-cli';

const ROOT = resolve(__dirname, '..', '..');
export const REGISTER_NAMESPACE_SCRIPT = join(ROOT, 'deploy/temporal/register-namespace.sh');

export function temporalCliPath(): string {
  const path = process.env.PHASEGATE_TEMPORAL_CLI;
  if (!path) throw new Error('PHASEGATE_TEMPORAL_CLI is not set: run the suite through `npm test`, which locates the Temporal CLI');
  return path;
}

export function harnessAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the suite through `npm test`, which starts a dev server');
  return address;
}

/** A directory holding `temporal` (a link to the CLI), to put first on PATH for the scripts. */
export async function cliBinDir(work: string): Promise<string> {
  const dir = join(work, 'temporal-bin');
  await mkdir(dir, { recursive: true });
  await symlink(temporalCliPath(), join(dir, 'temporal'));
  return dir;
}

/** Runs deploy/temporal/register-namespace.sh with `sh`, as the temporal-namespace compose job does. */
export function registerNamespace(binDir: string, address: string, namespace: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run('sh', [REGISTER_NAMESPACE_SCRIPT], {
    env: {
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      ...extraEnv,
    },
    timeoutMs: 180_000,
  });
}

export interface BareDevServer {
  address: string;
  stop(): Promise<void>;
}

/** `temporal server start-dev` in memory, headless, with no --search-attribute flags. */
export async function startBareDevServer(): Promise<BareDevServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    temporalCliPath(),
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-format', 'json', '--log-level', 'error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bare dev server exited with code ${child.exitCode}: ${stderr}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return { address, stop };
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the bare dev server on ${address} did not answer: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
