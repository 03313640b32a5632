/**
 * The test command (`npm test`): gets a Temporal CLI (building it from the Go module proxy the first
 * time), starts ONE dev server shared by every test file, bundles the workflows once, and runs node's
 * test runner on the suite. Node 20 has no global-setup hook, hence this wrapper.
 *
 *   npm test                       every test
 *   npm test -- test/sir           only files under the given paths
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { defaultStateDir, locateTemporalCli } from '../src/temporal/temporal-cli';
import { startDevServer } from '../src/temporal/dev-server';
import { locateTimeSkippingServer } from '../src/temporal/time-skipping-server';
import { writeWorkflowBundle } from '../src/temporal/workflow-bundle';
import { Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { REPLAY_WORKFLOWS_PATH, type ReplayReport, describeReplayReport, registeredKeyRingsCodec, replayServerHistories } from '../test/helpers/replay-server';

const ROOT = resolve(__dirname, '..');

async function main(): Promise<number> {
  const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = (await Promise.all((roots.length ? roots : ['test']).map((r) => testFiles(resolve(ROOT, r))))).flat().sort();
  if (files.length === 0) {
    console.error(`no test files under ${roots.join(', ') || 'test'}`);
    return 1;
  }

  const stateDir = defaultStateDir();
  const started = Date.now();
  const cli = await locateTemporalCli({ stateDir, onProgress: (line) => console.log(`[test] ${line}`) });
  console.log(`[test] Temporal CLI: ${cli.path} (${cli.source}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  const timeSkipping = await locateTimeSkippingServer({ stateDir, onProgress: (line) => console.log(`[test] ${line}`) });
  console.log(`[test] time-skipping test server: ${timeSkipping.type === 'existing-path' ? timeSkipping.path : 'SDK download'}`);

  const bundlePath = join(stateDir, 'test', 'workflow-bundle.js');
  const replayBundlePath = join(stateDir, 'test', 'replay-bundle.js');
  const keyRingsFile = join(stateDir, 'test', 'key-rings');
  await mkdir(join(stateDir, 'test'), { recursive: true });
  await rm(keyRingsFile, { force: true });
  const [server] = await Promise.all([startDevServer({ cliPath: cli.path }), writeWorkflowBundle(bundlePath), writeWorkflowBundle(replayBundlePath, REPLAY_WORKFLOWS_PATH)]);
  console.log(`[test] Temporal dev server on ${server.address}; workflows bundled to ${relative(ROOT, bundlePath)}`);

  try {
    const tapFile = join(stateDir, 'test', 'results.tap');
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
    const code = await runNodeTests(files, tapFile, env);
    console.log(await summarize(tapFile, Date.now() - started));
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

function runNodeTests(files: string[], tapFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const reporters = ['--test-reporter', 'spec', '--test-reporter-destination', 'stdout'];
  // A machine-readable copy, so the closing line below counts exactly what the runner counted.
  reporters.push('--test-reporter', 'tap', '--test-reporter-destination', tapFile);
  return new Promise((resolveCode) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...reporters, ...files], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 1 : 0)));
  });
}

async function summarize(tapFile: string, elapsedMs: number): Promise<string> {
  const tap = await readFile(tapFile, 'utf8');
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const skipped = count('skipped') + count('todo');
  // A test cancelled because its suite's set-up failed did not pass: it counts as failed.
  const failed = count('fail') + count('cancelled');
  return `tests: ${count('pass')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (${(elapsedMs / 1000).toFixed(1)} s)`;
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
