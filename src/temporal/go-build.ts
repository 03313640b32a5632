/**
 * Building Temporal's Go programs from the Go module proxy, shared by the locators of the Temporal CLI
 * (temporal-cli.ts) and of the self-hosted server (temporal-server.ts). No npm package ships these
 * binaries and this project's machines reach only package registries, so `go install` of a pinned
 * version is how they get here; the locators cache the result under `.phasegate/`.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Temporal CLI v1.5.1 and Server v1.29.1 both declare `go 1.25.0` in their go.mod. */
export const MIN_GO = [1, 25] as const;

/** `go env GOVERSION` as [major, minor], or undefined when there is no usable `go`. */
export async function goVersion(env: NodeJS.ProcessEnv): Promise<number[] | undefined> {
  try {
    const { stdout } = await execFileAsync('go', ['env', 'GOVERSION'], { env });
    const match = /go(\d+)\.(\d+)/.exec(stdout);
    return match ? [Number(match[1]), Number(match[2])] : undefined;
  } catch {
    return undefined;
  }
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Why this machine cannot build Go programs, or undefined when it can. */
export async function goUnusableReason(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const go = await goVersion(env);
  if (!go) return '`go` (not found)';
  if (compareVersions(go, MIN_GO) < 0) return `go ${go.join('.')} is older than ${MIN_GO.join('.')}`;
  return undefined;
}

/**
 * `go install` of each `module/path@version` into a fresh folder `parent/.build-*`, returned to the
 * caller, who renames what it needs into place: a concurrent run never sees a half-written binary.
 * The caller removes the folder (removeStaging). Static binaries (CGO off) unless the caller's
 * environment says otherwise, so the result does not depend on the machine's C libraries.
 */
export async function goInstallToStaging(packages: readonly string[], parent: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, '.build-'));
  try {
    for (const pkg of packages) {
      await execFileAsync('go', ['install', pkg], {
        env: { ...env, GOBIN: join(staging, 'bin'), CGO_ENABLED: env.CGO_ENABLED ?? '0' },
        maxBuffer: 64 * 1024 * 1024,
        signal,
      });
    }
    return staging;
  } catch (err) {
    await removeStaging(staging);
    throw err;
  }
}

export async function removeStaging(staging: string): Promise<void> {
  await rm(staging, { recursive: true, force: true });
}

/**
 * The folder where the Go module cache holds `module@version` (downloading it if needed): the place
 * to copy a module's non-Go files from (schemas, config templates), which `go install` does not.
 */
export async function goModuleDir(moduleAtVersion: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', moduleAtVersion], { env, maxBuffer: 16 * 1024 * 1024 });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${moduleAtVersion}: ${info.Error ?? 'no module folder'}`);
  return info.Dir;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The most telling line of a failed command: the last line of its stderr, else the message. */
export function errorSummary(err: unknown): string {
  const text = err instanceof Error ? ((err as { stderr?: string }).stderr || err.message) : String(err);
  return text.trim().split('\n').slice(-1)[0] ?? 'unknown error';
}
