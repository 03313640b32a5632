/**
 * Finds a Temporal CLI binary (which carries the dev server and the Web UI), building or downloading it
 * when none is installed. npm ships no server, and this project's machines often have no internet, so
 * the order matters: explicit path, PATH, our cache, a build from the Go module proxy, the SDK download.
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { MIN_GO, compareVersions, errorSummary, goInstallToStaging, goUnusableReason, isExecutable, removeStaging } from './go-build';

export { compareVersions };

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** Later tags carry a `replace` directive and cannot be built with `go install` (temporalio/cli#213). */
export const TEMPORAL_CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type TemporalCliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go-install' | 'sdk-download';

export interface TemporalCli {
  path: string;
  source: TemporalCliSource;
}

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder holding phasegate's caches; defaults to `<cwd>/.phasegate`. */
  stateDir?: string;
  /** May the locator build or download when nothing is installed? Off for quick "is it there" checks. */
  install?: boolean;
  /** Progress lines for humans ("building… takes a few minutes"). */
  onProgress?: (line: string) => void;
  /** Stops a build under way (the command was asked to stop) and gives up. */
  signal?: AbortSignal;
}

export class TemporalCliNotFoundError extends Error {
  constructor(readonly tried: string[]) {
    // The first line is what a CLI prints alone, so it says what to do.
    super(
      [
        `no Temporal CLI found: install Go >= ${MIN_GO.join('.')} (phasegate then builds ${TEMPORAL_CLI_MODULE}), ` +
          'or put `temporal` on PATH, or set TEMPORAL_CLI_PATH',
        'Tried:',
        ...tried.map((t) => `  - ${t}`),
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PHASEGATE_STATE_DIR ?? '.phasegate');
}

export function cachedCliPath(stateDir: string): string {
  return join(stateDir, 'bin', 'temporal');
}

export async function locateTemporalCli(options: LocateOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const stateDir = options.stateDir ?? defaultStateDir(env);
  const progress = options.onProgress ?? (() => undefined);
  const tried: string[] = [];

  if (env.TEMPORAL_CLI_PATH) {
    if (await isExecutable(env.TEMPORAL_CLI_PATH)) return { path: resolve(env.TEMPORAL_CLI_PATH), source: 'TEMPORAL_CLI_PATH' };
    // An explicit path that is wrong is a configuration error, not something to paper over.
    throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
  }
  tried.push('TEMPORAL_CLI_PATH (not set)');

  const onPath = await findOnPath('temporal', env.PATH ?? '');
  if (onPath) return { path: onPath, source: 'PATH' };
  tried.push('`temporal` on PATH (not found)');

  const cached = cachedCliPath(stateDir);
  if (await isExecutable(cached)) return { path: cached, source: 'cache' };
  tried.push(`cached build ${cached} (absent)`);

  if (options.install === false) throw new TemporalCliNotFoundError(tried);

  const noGo = await goUnusableReason(env);
  if (!noGo) {
    progress(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy (first run only; a few minutes)…`);
    try {
      await goInstall(cached, env, options.signal);
      return { path: cached, source: 'go-install' };
    } catch (err) {
      options.signal?.throwIfAborted();
      tried.push(`go install ${TEMPORAL_CLI_MODULE} failed: ${errorSummary(err)}`);
    }
  } else {
    tried.push(noGo);
  }

  progress('Trying the Temporal SDK download of the dev server…');
  try {
    return { path: await downloadWithSdk(join(stateDir, 'sdk-download')), source: 'sdk-download' };
  } catch (err) {
    tried.push(`the SDK download failed: ${errorSummary(err)}`);
  }
  throw new TemporalCliNotFoundError(tried);
}

async function goInstall(target: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<void> {
  const staging = await goInstallToStaging([TEMPORAL_CLI_MODULE], join(target, '..'), env, signal);
  try {
    await rename(join(staging, 'bin', 'temporal'), target);
  } finally {
    await removeStaging(staging);
  }
}

/**
 * The SDK downloads the CLI only as a side effect of starting an ephemeral server; start one, stop it,
 * and keep the binary it left in our cache folder. `@temporalio/testing` is a dev dependency, so in a
 * production image this step is simply unavailable.
 */
async function downloadWithSdk(downloadDir: string): Promise<string> {
  await mkdir(downloadDir, { recursive: true });
  const testing = (await import('@temporalio/testing')) as typeof import('@temporalio/testing');
  const env = await testing.TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir } },
  });
  await env.teardown();
  for (const name of await readdir(downloadDir)) {
    const candidate = join(downloadDir, name);
    if (name.startsWith('temporal') && (await isExecutable(candidate))) return candidate;
  }
  throw new Error(`the SDK started a server but left no binary in ${downloadDir}`);
}

async function findOnPath(name: string, pathVar: string): Promise<string | undefined> {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}
