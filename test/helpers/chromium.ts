/**
 * Debian's Chromium for the browser tests: installed with apt when missing (a fresh CI machine has
 * none), then launched headless with every background network feature off, since the machines that
 * run these tests have no internet and Chromium otherwise retries refused connections all the time.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

const execFileAsync = promisify(execFile);

export const CHROMIUM_PATH = '/usr/bin/chromium';

let aptUpdated = false;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function apt(args: string[], timeoutMs: number): Promise<void> {
  try {
    await execFileAsync('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
    const why = e.code === 'ENOENT' ? 'apt-get is not available (not a Debian/Ubuntu machine?)'
      : e.killed ? `timed out after ${timeoutMs / 1000} s`
      : (e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ');
    throw new Error(
      `cannot install Chromium for the browser tests: \`apt-get ${args.join(' ')}\` failed: ${why}. ` +
        `Install it yourself (apt-get install -y chromium, as root) so that ${CHROMIUM_PATH} exists.`,
      { cause: err },
    );
  }
}

/** The path of Debian's Chromium, installing the package (as root, with apt) when it is absent. */
export async function ensureChromium(log: (line: string) => void = () => undefined): Promise<string> {
  if (await isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`${CHROMIUM_PATH} is missing and installing it needs root: run \`sudo apt-get install -y chromium\` first.`);
  }
  const started = Date.now();
  log(`${CHROMIUM_PATH} is missing: installing Debian's chromium with apt-get (a minute or two)…`);
  if (!aptUpdated) {
    await apt(['update'], 5 * 60_000);
    aptUpdated = true;
  }
  await apt(['install', '-y', '--no-install-recommends', 'chromium'], 10 * 60_000);
  if (!(await isExecutable(CHROMIUM_PATH))) {
    throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing`);
  }
  log(`chromium installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return CHROMIUM_PATH;
}

/** Flags for a machine whose network is closed: no sandbox (root, containers), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
  '--no-default-browser-check',
];

export interface HeadlessChromium {
  context: BrowserContext;
  browser: Browser | null;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh user data dir that close() removes. */
export async function launchHeadlessChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<HeadlessChromium> {
  const executablePath = await ensureChromium((line) => console.log(`[chromium] ${line}`));
  const userDataDir = await mkdtemp(join(tmpdir(), 'phasegate-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1440, height: 1000 },
      timeout: 60_000,
    });
    return {
      context,
      browser: context.browser(),
      close: async () => {
        await context.close().catch(() => undefined);
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
}
