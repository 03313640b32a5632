/**
 * The self-hosted Temporal server of docker-compose.yml (temporalio/server and temporalio/admin-tools
 * 1.29.1), for running that topology without Docker: the server and its SQL schema tool built from the
 * Go module proxy, plus the files the images carry beside them (the PostgreSQL schemas the
 * `temporal-schema` job applies, and the server's container config template), cached by version under
 * `.phasegate/temporal-server/<version>/` like the Temporal CLI.
 *
 * The cache folder mirrors the images' layout under `etc/`: `etc/temporal/schema/...` is what
 * admin-tools has at /etc/temporal/schema, and `etc/temporal/config/docker.yaml` is the config the
 * server renders from its environment (DB, POSTGRES_SEEDS, DYNAMIC_CONFIG_FILE_PATH…).
 */
import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_GO, errorSummary, goInstallToStaging, goModuleDir, goUnusableReason, isExecutable, removeStaging } from './go-build';
import { defaultStateDir } from './temporal-cli';

/** The version docker-compose.yml runs (temporalio/server:1.29.1), and the one Temporal CLI v1.5.1 embeds. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_PACKAGES = [`${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`] as const;

export interface TemporalServerInstall {
  version: string;
  /** `<stateDir>/temporal-server/<version>` */
  dir: string;
  /** Holds `temporal-server` and `temporal-sql-tool`, the names the images give them (put it on PATH). */
  binDir: string;
  serverPath: string;
  sqlToolPath: string;
  /** The folder that stands for the images' /etc: `temporal/schema/postgresql/v12/…`, `temporal/config/docker.yaml`. */
  etcDir: string;
  /** `--root` for temporal-server: its `config/docker.yaml` is read with `--env docker`. */
  serverRoot: string;
  source: 'cache' | 'go-install';
}

export class TemporalServerUnavailableError extends Error {
  constructor(reason: string) {
    super(`cannot build the Temporal server ${TEMPORAL_SERVER_VERSION}: ${reason} (install Go >= ${MIN_GO.join('.')}: phasegate then builds it from the Go module proxy)`);
    this.name = 'TemporalServerUnavailableError';
  }
}

export interface LocateServerOptions {
  env?: NodeJS.ProcessEnv;
  stateDir?: string;
  /** May the locator build when nothing is cached? */
  install?: boolean;
  onProgress?: (line: string) => void;
}

/** What a complete cache folder holds; written last, so a folder without it is never used. */
interface Manifest {
  version: string;
  packages: string[];
  builtAt: string;
}

const MANIFEST = 'phasegate-manifest.json';

export function temporalServerDir(stateDir: string, version = TEMPORAL_SERVER_VERSION): string {
  return join(stateDir, 'temporal-server', version);
}

function describe(dir: string, source: TemporalServerInstall['source']): TemporalServerInstall {
  const binDir = join(dir, 'bin');
  return {
    version: TEMPORAL_SERVER_VERSION,
    dir,
    binDir,
    serverPath: join(binDir, 'temporal-server'),
    sqlToolPath: join(binDir, 'temporal-sql-tool'),
    etcDir: join(dir, 'etc'),
    serverRoot: join(dir, 'etc', 'temporal'),
    source,
  };
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    const install = describe(dir, 'cache');
    return manifest.version === TEMPORAL_SERVER_VERSION && (await isExecutable(install.serverPath)) && (await isExecutable(install.sqlToolPath));
  } catch {
    return false;
  }
}

export async function locateTemporalServer(options: LocateServerOptions = {}): Promise<TemporalServerInstall> {
  const env = options.env ?? process.env;
  const stateDir = options.stateDir ?? defaultStateDir(env);
  const dir = temporalServerDir(stateDir);
  if (await isComplete(dir)) return describe(dir, 'cache');
  if (options.install === false) throw new TemporalServerUnavailableError(`no cached build in ${dir}`);

  const noGo = await goUnusableReason(env);
  if (noGo) throw new TemporalServerUnavailableError(noGo);
  options.onProgress?.(`Building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool from the Go module proxy (first run only; about 4 minutes on 2 cores)…`);
  let staging: string;
  try {
    staging = await goInstallToStaging(TEMPORAL_SERVER_PACKAGES, join(stateDir, 'temporal-server'), env);
  } catch (err) {
    throw new TemporalServerUnavailableError(`go install failed: ${errorSummary(err)}`);
  }
  try {
    // The names the images use, which deploy/temporal/setup-schema.sh calls.
    await rename(join(staging, 'bin', 'server'), join(staging, 'bin', 'temporal-server'));
    await rename(join(staging, 'bin', 'sql'), join(staging, 'bin', 'temporal-sql-tool'));
    const source = await goModuleDir(`${MODULE}@${TEMPORAL_SERVER_VERSION}`, env);
    await copyTree(join(source, 'schema'), join(staging, 'etc', 'temporal', 'schema'));
    await mkdir(join(staging, 'etc', 'temporal', 'config'), { recursive: true });
    await copyWritable(join(source, 'config', 'docker.yaml'), join(staging, 'etc', 'temporal', 'config', 'docker.yaml'));
    const manifest: Manifest = { version: TEMPORAL_SERVER_VERSION, packages: [...TEMPORAL_SERVER_PACKAGES], builtAt: new Date().toISOString() };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await chmod(staging, 0o755); // mkdtemp made it private; the cached build is not a secret
    // Another run may have finished the same build meanwhile; otherwise whatever is there is incomplete.
    if (await isComplete(dir)) return describe(dir, 'cache');
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(staging, dir);
    } catch (err) {
      // Another run finished the same build first: use its copy.
      if (!(await isComplete(dir))) throw err;
    }
    return describe(dir, 'go-install');
  } finally {
    await removeStaging(staging);
  }
}

/**
 * Copies a folder of the Go module cache, whose files are read-only (0444, folders 0555), as
 * ordinary writable files, so the cache can be deleted like any other folder.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.isDirectory()) await copyTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile()) await copyWritable(join(from, entry.name), join(to, entry.name));
  }
}

async function copyWritable(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  await chmod(to, 0o644);
}

/**
 * argv run in a private mount namespace where /etc is the host's /etc overlaid with the cached build's
 * etc/ folder (the images' /etc/temporal), so scripts written for the images, such as
 * deploy/temporal/setup-schema.sh reading /etc/temporal/schema, run unchanged and the host's /etc is
 * untouched. Root gets a mount namespace of its own; others a user namespace mapped to root.
 */
export function inImageEtc(install: Pick<TemporalServerInstall, 'etcDir'>, argv: string[]): string[] {
  const mountAndExec = 'mount -t overlay phasegate-etc -o "lowerdir=$0:/etc" /etc && exec "$@"';
  const namespace = process.getuid?.() === 0 ? ['unshare', '--mount', '--propagation', 'private'] : ['unshare', '--user', '--map-root-user', '--mount'];
  return [...namespace, '/bin/sh', '-c', mountAndExec, install.etcDir, ...argv];
}
