/**
 * The test command (`npm test`): gets a Temporal CLI (building it from the Go module proxy the first
 * time), starts ONE dev server shared by every test file, bundles the workflows once, and runs node's
 * test runner on the suite. Node has no global-setup hook, hence this wrapper.
 *
 * Files run PHASEGATE_TEST_CONCURRENCY at a time (default 4: their time is mostly waiting), the
 * slowest of the last run first; beside them, the few heavy files scripts/test-lanes.ts names run
 * one after another, and the files it names as alone run last, by themselves.
 *
 *   npm test                       every test
 *   npm test -- test/sir           only files under the given paths
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { defaultStateDir, locateTemporalCli } from '../src/temporal/temporal-cli';
import { startDevServer } from '../src/temporal/dev-server';
import { locateTimeSkippingServer } from '../src/temporal/time-skipping-server';
import { writeWorkflowBundle } from '../src/temporal/workflow-bundle';
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { FileTime, RunCounts, SummaryLine } from './test-summary-reporter.mts';
import { splitLanes } from './test-lanes';
import { REPLAY_WORKFLOWS_PATH, type ReplayReport, describeReplayReport, registeredKeyRingsCodec, replayServerHistories } from '../test/helpers/replay-server';

const ROOT = resolve(__dirname, '..');

async function main(): Promise<number> {
  const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = (await Promise.all((roots.length ? roots : ['test']).map((r) => testFiles(resolve(ROOT, r))))).flat().sort();
  if (files.length === 0) {
    console.error(`no test files under ${roots.join(', ') || 'test'}`);
    return 1;
  }

  const concurrency = testConcurrency(process.env);
  const lanes = await splitLanes(ROOT, files);
  const stateDir = defaultStateDir();
  const started = Date.now();
  // A build (CPU) and a download (network): side by side.
  const [cli, timeSkipping] = await Promise.all([
    locateTemporalCli({ stateDir, onProgress: (line) => console.log(`[test] ${line}`) }),
    locateTimeSkippingServer({ stateDir, onProgress: (line) => console.log(`[test] ${line}`) }),
  ]);
  console.log(`[test] Temporal CLI: ${cli.path} (${cli.source}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`[test] time-skipping test server: ${timeSkipping.type === 'existing-path' ? timeSkipping.path : 'SDK download'}`);

  const bundlePath = join(stateDir, 'test', 'workflow-bundle.js');
  const replayBundlePath = join(stateDir, 'test', 'replay-bundle.js');
  const keyRingsFile = join(stateDir, 'test', 'key-rings');
  await mkdir(join(stateDir, 'test'), { recursive: true });
  await rm(keyRingsFile, { force: true });
  const [server] = await Promise.all([startDevServer({ cliPath: cli.path }), writeWorkflowBundle(bundlePath), writeWorkflowBundle(replayBundlePath, REPLAY_WORKFLOWS_PATH)]);
  console.log(`[test] Temporal dev server on ${server.address}; workflows bundled to ${relative(ROOT, bundlePath)}`);

  try {
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      PHASEGATE_WORKFLOW_BUNDLE: bundlePath,
      PHASEGATE_TEMPORAL_CLI: cli.path,
      PHASEGATE_TEST_SERVER: timeSkipping.type === 'existing-path' ? timeSkipping.path : '',
      PHASEGATE_REPLAY_BUNDLE: replayBundlePath,
      PHASEGATE_TEST_KEY_RINGS: keyRingsFile,
    };
    const timesFile = join(stateDir, 'test', 'file-times.json');
    const lastTimes = await readFileTimes(timesFile);
    // Both lanes at once: the heavy files follow one another beside the rest.
    const runs = await Promise.all([
      runLane('together', slowestFirst(lanes.together, lastTimes), concurrency, join(stateDir, 'test', 'together.jsonl'), env),
      runLane('one at a time', slowestFirst(lanes.oneAtATime, lastTimes), 1, join(stateDir, 'test', 'one-at-a-time.jsonl'), env),
    ]);
    runs.push(await runLane('alone', lanes.alone, 1, join(stateDir, 'test', 'alone.jsonl'), env));
    const code = runs.find((r) => r.code !== 0)?.code ?? 0;
    const summaries = (await Promise.all(runs.map((r) => readSummary(r.summaryFile)))).flat();
    const times = summaries.filter((l): l is FileTime => l.kind === 'file');
    console.log(slowestFiles(times, 10));
    await writeFile(timesFile, `${JSON.stringify({ ...lastTimes, ...Object.fromEntries(times.map((t) => [relative(ROOT, t.file), t.ms])) }, null, 2)}\n`);
    console.log(summarize(summaries.filter((l): l is RunCounts => l.kind === 'run'), Date.now() - started));
    // Every history the tests left on the dev server, replayed with today's code: a nondeterminism
    // error is a stranded case, whether or not the test that made it noticed.
    const replayStarted = Date.now();
    const replay = await replayDevServer(server.address, env);
    console.log(`[test] ${describeReplayReport(replay, 'the dev server')} (${((Date.now() - replayStarted) / 1000).toFixed(1)} s)`);
    return code !== 0 ? code : replay.failures.length > 0 ? 1 : 0;
  } finally {
    await server.stop();
  }
}

async function replayDevServer(address: string, env: NodeJS.ProcessEnv): Promise<ReplayReport> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await Connection.connect({ address });
  try {
    return await replayServerHistories(connection, { codec: registeredKeyRingsCodec(env) });
  } finally {
    await connection.close();
  }
}

/** Files at once in the first lane: PHASEGATE_TEST_CONCURRENCY, else 4 (two per core on CI's two). */
function testConcurrency(env: NodeJS.ProcessEnv): number {
  const raw = env.PHASEGATE_TEST_CONCURRENCY;
  if (raw === undefined || raw === '') return 4;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PHASEGATE_TEST_CONCURRENCY must be a whole number of at least 1, not ${JSON.stringify(raw)}`);
  return n;
}

interface LaneRun {
  code: number;
  summaryFile: string;
}

async function runLane(name: string, files: string[], concurrency: number, summaryFile: string, env: NodeJS.ProcessEnv): Promise<LaneRun> {
  if (files.length === 0) return runNodeTests(files, concurrency, summaryFile, env);
  const laneStarted = Date.now();
  const what = `${files.length} files ${name} (${Math.min(concurrency, files.length)} at once)`;
  console.log(`[test] ${what}`);
  const run = await runNodeTests(files, concurrency, summaryFile, env);
  console.log(`[test] ${what}: ${((Date.now() - laneStarted) / 1000).toFixed(1)} s`);
  return run;
}

async function runNodeTests(files: string[], concurrency: number, summaryFile: string, env: NodeJS.ProcessEnv): Promise<LaneRun> {
  // Never count the last run's lines: a runner that dies before writing leaves no file.
  await rm(summaryFile, { force: true });
  if (files.length === 0) return { code: 0, summaryFile };
  const reporters = ['--test-reporter', 'spec', '--test-reporter-destination', 'stdout'];
  // A machine-readable copy, so the closing lines below count exactly what the runner counted.
  reporters.push('--test-reporter', join(__dirname, 'test-summary-reporter.mts'), '--test-reporter-destination', summaryFile);
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...files], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolveRun({ code: code ?? (signal ? 1 : 0), summaryFile });
    });
  });
}

/** What each file took last time (repository-relative path → ms), to start the slowest first. */
async function readFileTimes(path: string): Promise<Record<string, number>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, number>;
  } catch {
    // A fresh clone: no run yet.
    return {};
  }
}

/**
 * The order the runner starts them in: the slowest of the last run first, so the longest file never
 * starts last and runs on alone; files it has not timed (new, or renamed) before all of them.
 */
function slowestFirst(files: string[], lastTimes: Record<string, number>): string[] {
  const last = (f: string): number => lastTimes[relative(ROOT, f)] ?? Number.POSITIVE_INFINITY;
  return [...files].sort((a, b) => last(b) - last(a) || a.localeCompare(b));
}

async function readSummary(path: string): Promise<SummaryLine[]> {
  // A runner that died early wrote nothing; its exit code already fails the run.
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SummaryLine);
}

function slowestFiles(times: FileTime[], count: number): string {
  const slowest = [...times].sort((a, b) => b.ms - a.ms).slice(0, count);
  const lines = slowest.map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${relative(ROOT, t.file)}${t.passed ? '' : '  (failed)'}`);
  return [`[test] the ${slowest.length} slowest of ${times.length} files:`, ...lines].join('\n');
}

function summarize(lanes: RunCounts[], elapsedMs: number): string {
  const count = (name: Exclude<keyof RunCounts, 'kind'>): number => lanes.reduce((sum, lane) => sum + lane[name], 0);
  const skipped = count('skipped') + count('todo');
  // A test cancelled because its suite's set-up failed did not pass: it counts as failed.
  const failed = count('failed') + count('cancelled');
  return `tests: ${count('passed')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (${(elapsedMs / 1000).toFixed(1)} s)`;
}

async function testFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return path.endsWith('.test.ts') ? [path] : [];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() || e.name.endsWith('.test.ts') ? testFiles(join(path, e.name)) : Promise.resolve([]))),
  );
  return nested.flat();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[test] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
