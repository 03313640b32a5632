/**
 * The real `phasegate` command as a child process (`node bin/phasegate.js …`), for tests of how it
 * starts, fails and stops: its output, its exit, and every process it started along the way (sampled
 * from /proc while it runs, since children are re-parented once it exits).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { descendants, killQuietly, stillRunning, type ProcessId } from './process-tree';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Variables of the test run that would point the command at something other than what a test gives it. */
const INHERITED_TO_DROP = [/^TEMPORAL_/, /^PHASEGATE_/, /^AWS_/, /^OTEL_/];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PhasegateProcess {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match in stdout or stderr; rejects when the process exits or the time is up. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves on exit; rejects (and kills the tree) when it takes longer. */
  waitForExit(timeoutMs: number): Promise<Exit>;
  /** Resolves once it has started a child process (the Temporal dev server, for `dev`). */
  waitForChild(timeoutMs?: number): Promise<ProcessId>;
  /** Every descendant seen while it ran. */
  seenDescendants(): ProcessId[];
  signal(signal: NodeJS.Signals): void;
  /** Kills whatever is left (the command and anything it started); for after() hooks. */
  cleanup(): void;
}

export function spawnPhasegate(args: string[], env: Record<string, string | undefined> = {}): PhasegateProcess {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!INHERITED_TO_DROP.some((re) => re.test(key))) childEnv[key] = value;
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value;

  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'phasegate.js'), ...args], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolveExit) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolveExit(exit);
    }),
  );

  const seen = new Map<string, ProcessId>();
  const sample = (): void => {
    if (exit) return;
    for (const p of descendants(child.pid!)) seen.set(`${p.pid}/${p.start}`, p);
  };
  const sampler = setInterval(sample, 100);
  void exited.then(() => clearInterval(sampler));

  const cleanup = (): void => {
    sample();
    if (!exit) killQuietly(child.pid!, 'SIGKILL');
    for (const p of seen.values()) if (stillRunning(p)) killQuietly(p.pid, 'SIGKILL');
  };
  // Last resort when the test process dies without running its after() hooks.
  process.once('exit', cleanup);
  void exited.then(() => setTimeout(() => process.removeListener('exit', cleanup), 5_000).unref());

  return {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    waitForOutput: async (pattern, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out) ?? pattern.exec(err);
        if (match) return match;
        if (exit) throw new Error(`phasegate ${args.join(' ')} exited (${JSON.stringify(exit)}) before printing ${pattern}:\n${out}\n${err}`);
        if (Date.now() > deadline) throw new Error(`phasegate ${args.join(' ')} printed no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`);
        sample();
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    waitForExit: async (timeoutMs) => {
      sample();
      const late = Symbol('late');
      const timer = new Promise<typeof late>((r) => setTimeout(() => r(late), timeoutMs).unref());
      const result = await Promise.race([exited, timer]);
      if (result === late) {
        cleanup();
        throw new Error(`phasegate ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${out}\n${err}`);
      }
      return result;
    },
    waitForChild: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        sample();
        const first = seen.values().next();
        if (!first.done) return first.value;
        if (exit) throw new Error(`phasegate ${args.join(' ')} exited (${JSON.stringify(exit)}) before starting a child:\n${out}\n${err}`);
        if (Date.now() > deadline) throw new Error(`phasegate ${args.join(' ')} started no child within ${timeoutMs} ms:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    seenDescendants: () => [...seen.values()],
    signal: (signal) => {
      sample();
      child.kill(signal);
    },
    cleanup,
  };
}

/** The lines a command wrote to a stream, without blank ones. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
