/**
 * `phasegate dev --demo` as a child process, as a user runs it: its own state folder, free ports, the
 * banner parsed for the Web UI and the demo case, the generated demo token read from
 * dev-credentials.json. stop() ends it like Ctrl-C and then makes sure no part of its process tree
 * (the Temporal dev server above all) is left holding a port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { descendants, killQuietly, stillRunning, type ProcessId } from '../helpers/process-tree';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface DevPorts {
  temporal: number;
  ui: number;
  sandbox: number;
  api: number;
}

export interface PhasegateDev {
  uiUrl: string;
  apiUrl: string;
  demoWorkflowId: string;
  demoToken: string;
  stateDir: string;
  ports: DevPorts;
  /** The last lines it printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Variables of the test run that would point `phasegate dev` at something other than what it starts. */
const INHERITED_VARIABLES_TO_DROP = [
  /^TEMPORAL_/,
  /^PHASEGATE_(USERS|WEBHOOK_SECRET|PORT|HOST|SANDBOX_PORT|PLAYBOOKS|WORKFLOW_BUNDLE|STATE_DIR|WORKER_METRICS_ADDRESS|CHANNELS)$/,
  /^AWS_ENDPOINT_URL/,
];

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** The Temporal CLI that scripts/test.ts found or built, so the dev command never builds one into a temp folder. */
export async function temporalCliPath(): Promise<string> {
  const candidates = [process.env.PHASEGATE_TEMPORAL_CLI, join(REPO_ROOT, '.phasegate', 'bin', 'temporal')].filter((p): p is string => !!p);
  for (const path of candidates) {
    try {
      await access(path, fsConstants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `no Temporal CLI for \`phasegate dev\`: tried ${candidates.join(', ')}. Run the browser test through \`npm test\` / \`npm run test:only\`, which finds or builds one.`,
  );
}

export async function startPhasegateDev(
  options: {
    startTimeoutMs?: number;
    log?: (line: string) => void;
    /** A state folder prepared by the test (it is removed on stop like a fresh one). */
    stateDir?: string;
    /** Variables to set for this run, on top of the inherited ones that do not steer dev elsewhere. */
    env?: NodeJS.ProcessEnv;
    /** More arguments for `phasegate dev` (e.g. --slack-fake --slack-port N). */
    args?: string[];
  } = {},
): Promise<PhasegateDev> {
  const [temporal, ui, sandbox, api] = (await distinctFreePorts(4)) as [number, number, number, number];
  const ports: DevPorts = { temporal, ui, sandbox, api };
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'phasegate-browser-')));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!INHERITED_VARIABLES_TO_DROP.some((re) => re.test(key))) env[key] = value;
  }
  Object.assign(env, options.env);
  env.PHASEGATE_STATE_DIR = stateDir;
  env.TEMPORAL_CLI_PATH = await temporalCliPath();

  const child: ChildProcess = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'phasegate.js'), 'dev', '--demo',
      '--temporal-port', String(temporal), '--ui-port', String(ui), '--sandbox-port', String(sandbox), '--port', String(api), ...(options.args ?? [])],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;

  let stdout = '';
  const tail: string[] = [];
  const onData = (chunk: Buffer, stream: 'stdout' | 'stderr'): void => {
    const text = chunk.toString();
    if (stream === 'stdout') stdout += text;
    for (const line of text.split('\n').filter((l) => l.trim())) {
      tail.push(line);
      if (tail.length > 60) tail.shift();
      options.log?.(line);
    }
  };
  child.stdout!.on('data', (c: Buffer) => onData(c, 'stdout'));
  child.stderr!.on('data', (c: Buffer) => onData(c, 'stderr'));
  const output = (): string => tail.join('\n');

  // Last resort when the test process dies without running its after() hooks.
  let tree: ProcessId[] = [];
  const killTreeNow = (): void => {
    for (const proc of [...descendants(child.pid!), ...tree]) if (stillRunning(proc)) killQuietly(proc.pid, 'SIGKILL');
    if (!hasExited()) killQuietly(child.pid!, 'SIGKILL');
  };
  process.once('exit', killTreeNow);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      tree = descendants(child.pid!);
      if (!hasExited()) {
        // Ctrl-C: dev stops the API, worker, sandbox and the Temporal server in reverse order.
        child.kill('SIGINT');
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
        if ((await Promise.race([exited, timer])) === 'timeout') {
          options.log?.('phasegate dev did not stop within 20 s of SIGINT: killing its process tree');
          tree = [...tree, ...descendants(child.pid!)];
          killQuietly(child.pid!, 'SIGKILL');
          await exited;
        }
      }
      // Anything it started and did not stop (it should have) goes too, so no port stays taken.
      for (const proc of tree) if (stillRunning(proc)) killQuietly(proc.pid, 'SIGKILL');
      process.removeListener('exit', killTreeNow);
      await rm(stateDir, { recursive: true, force: true });
    })());

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
    let uiUrl: string | undefined;
    let demoWorkflowId: string | undefined;
    while (!(uiUrl && demoWorkflowId)) {
      if (hasExited()) throw new Error(`phasegate dev exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`);
      if (Date.now() > deadline) throw new Error(`phasegate dev printed no Web UI URL and demo case within ${(options.startTimeoutMs ?? 120_000) / 1000} s`);
      uiUrl = /Temporal Web UI\s+(https?:\/\/\S+)/.exec(stdout)?.[1];
      demoWorkflowId = /Demo alert posted: case workflow ([^\s;]+)/.exec(stdout)?.[1];
      if (/the demo alert was refused/.test(output())) throw new Error('phasegate dev refused its own demo alert');
      await new Promise((r) => setTimeout(r, 200));
    }
    const apiUrl = /phasegate API\s+(https?:\/\/\S+)/.exec(stdout)?.[1] ?? `http://127.0.0.1:${api}`;
    const credentials = JSON.parse(await readFile(join(stateDir, 'dev-credentials.json'), 'utf8')) as { demoToken?: unknown };
    if (typeof credentials.demoToken !== 'string') throw new Error(`no demoToken in ${join(stateDir, 'dev-credentials.json')}`);
    return { uiUrl, apiUrl, demoWorkflowId, demoToken: credentials.demoToken, stateDir, ports, output, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- phasegate dev output ---\n${output()}`, { cause: err });
  }
}
