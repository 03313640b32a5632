/**
 * A Compose implementation for the deploy tests. `docker-compose config` needs no Docker engine, so
 * these tests run anywhere: a `docker-compose` on PATH is used as it is, then the `docker compose`
 * plugin; a machine with neither (a fresh CI machine) gets Debian's docker-compose package with
 * apt-get, once per process.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface ComposeCli {
  /** argv prefix: ['docker-compose'] or ['docker', 'compose']. */
  command: readonly string[];
  version: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to the end, never throwing for a non-zero exit (the caller asserts on it). */
export async function run(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], {
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as ExecFileException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw err;
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

async function probe(command: readonly string[]): Promise<ComposeCli | undefined> {
  try {
    const result = await run(command[0]!, [...command.slice(1), 'version', '--short'], { timeoutMs: 30_000 });
    return result.code === 0 ? { command, version: result.stdout.trim() } : undefined;
  } catch {
    return undefined; // ENOENT: not installed
  }
}

async function aptGet(args: string[], timeoutMs: number): Promise<void> {
  let result: RunResult;
  try {
    result = await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs,
    });
  } catch {
    throw new Error(
      'docker-compose is missing and apt-get is not available to install it (not a Debian/Ubuntu machine?): ' +
        'install Docker Compose (the docker-compose package, or the docker compose plugin) and run the tests again',
    );
  }
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`cannot install docker-compose for the deploy tests: \`apt-get ${args.join(' ')}\` failed (exit ${result.code}): ${why}`);
  }
}

async function installDebianDockerCompose(): Promise<ComposeCli> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('docker-compose is missing and installing it needs root: run `sudo apt-get install -y docker-compose` first');
  }
  await aptGet(['update'], 5 * 60_000);
  // --no-install-recommends: the package recommends docker.io (a whole engine), which `config` does not need.
  await aptGet(['install', '-y', '--no-install-recommends', 'docker-compose'], 10 * 60_000);
  const cli = await probe(['docker-compose']);
  if (!cli) throw new Error('apt-get installed docker-compose, but `docker-compose version` still fails');
  return cli;
}

let found: Promise<ComposeCli> | undefined;

/** The Compose CLI to use, installed with apt-get the first time if there is none. */
export function composeCli(): Promise<ComposeCli> {
  found ??= (async () => (await probe(['docker-compose'])) ?? (await probe(['docker', 'compose'])) ?? installDebianDockerCompose())();
  return found;
}

/**
 * `<compose> --env-file <envFile> [-f file]... [--profile p]... config` in `cwd`, with exactly the
 * given environment (pass an empty env file, or a developer's own .env would fill in the secrets).
 */
export async function composeConfig(
  cwd: string,
  options: { envFile: string; files?: string[]; profiles?: string[]; env: NodeJS.ProcessEnv },
): Promise<RunResult> {
  const cli = await composeCli();
  const args = [
    ...cli.command.slice(1),
    '--env-file',
    options.envFile,
    ...(options.files ?? []).flatMap((f) => ['-f', f]),
    ...(options.profiles ?? []).flatMap((p) => ['--profile', p]),
    'config',
  ];
  return run(cli.command[0]!, args, { cwd, env: options.env });
}
