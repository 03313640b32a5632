/**
 * The Docker image, built without Docker: the build context (git's files less .dockerignore) is copied
 * to a temporary directory, the build stage's RUN lines run there exactly as the Dockerfile spells them,
 * and the runtime stage's COPY --from=build lines assemble the runtime layout (/app mapped to a
 * directory). Then the image's ENTRYPOINT runs with the image's ENV: --help from dist with tsx pruned,
 * the shipped playbooks validate, and a worker with the pre-built workflow bundle runs a case on the
 * test run's dev server against a SIR sandbox, then drains on SIGTERM.
 *
 * Slow (an npm install, tsc, webpack): about a minute with npm's cache warm, which it is after the
 * project's own `npm install`.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { stateQuery } from '../../src/domain/contract/messages';
import { TASK_QUEUE } from '../../src/domain/contract/temporal-names';
import { SANDBOX_DEFAULT_CREDENTIALS, startSandbox, type SirSandbox } from '../../src/sandbox';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import type { casePlaybook } from '../../workflows';
import { loadPlaybooksOrThrow } from '../../src/config/playbook-directory';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { waitFor } from '../helpers/wait';
import { run, type RunResult } from './compose-cli';
import { copiesFrom, dockerignoreMatcher, envOf, execForm, lastArgs, readDockerfile, runCommands, stage, type Stage } from './dockerfile';
import { cliBinDir, harnessAddress, registerNamespace } from './temporal-cli';

const ROOT = resolve(__dirname, '..', '..');
const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

describe('the Docker image, built and run outside Docker', { timeout: 10 * 60_000 }, () => {
  let work: string;
  let context: string; // the build stage's WORKDIR
  let app: string; // the runtime stage's WORKDIR
  let runtime: Stage;
  let imageEnv: Record<string, string>;
  let entrypoint: string[];
  const steps: Array<{ command: string; seconds: number }> = [];
  let helpInContext: RunResult;
  let loadedInContext: string[];
  let tsxAfterPrune: string | undefined;
  let worker: ChildProcess | undefined;
  let sandbox: SirSandbox | undefined;
  let connection: Connection | undefined;

  before(async () => {
    const dockerfile = await readDockerfile(join(ROOT, 'Dockerfile'));
    const build = stage(dockerfile, 'build');
    runtime = stage(dockerfile, 'runtime');
    work = await mkdtemp(join(tmpdir(), 'phasegate-image-'));
    context = join(work, 'build');
    app = join(work, 'app');
    await copyBuildContext(context);

    // The build stage, step by step, in its WORKDIR.
    const env = cleanEnv({ npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' });
    for (const command of runCommands(build)) {
      const started = Date.now();
      const result = await run('sh', ['-c', command], { cwd: context, env, timeoutMs: 8 * 60_000 });
      assert.equal(result.code, 0, `build step \`${command}\` failed:\n${tail(result.stdout)}\n${tail(result.stderr)}`);
      steps.push({ command, seconds: (Date.now() - started) / 1000 });
    }

    // Before the runtime stage takes the files: the pruned build with its sources still there.
    try {
      tsxAfterPrune = require.resolve('tsx/cjs', { paths: [context] });
    } catch {
      tsxAfterPrune = undefined;
    }
    const probe = join(work, 'probe.cjs');
    const probeOut = join(work, 'loaded.json');
    await writeFile(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(probeOut)}, JSON.stringify(Object.keys(require.cache))));\n`);
    helpInContext = await run(process.execPath, ['--require', probe, join(context, 'bin/phasegate.js'), '--help'], { cwd: context, env: cleanEnv() });
    loadedInContext = JSON.parse(await readFile(probeOut, 'utf8')) as string[];

    // The runtime stage: its COPY --from=build lines, from the build WORKDIR to the runtime WORKDIR.
    const buildDir = lastArgs(build, 'WORKDIR') ?? '/';
    const appDir = lastArgs(runtime, 'WORKDIR') ?? '/';
    for (const { source, destination } of copiesFrom(runtime, 'build')) {
      const from = mapInto(source, buildDir, context);
      const to = mapInto(destination, appDir, app);
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
    }
    const mapValue = (value: string): string => (value === appDir || value.startsWith(`${appDir}/`) ? join(app, relative(appDir, value)) : value);
    imageEnv = Object.fromEntries(Object.entries(envOf(runtime)).map(([k, v]) => [k, mapValue(v)]));
    entrypoint = execForm(lastArgs(runtime, 'ENTRYPOINT'), 'ENTRYPOINT').map(mapValue);
  });

  after(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await sandbox?.close();
    await connection?.close();
    if (work) await rm(work, { recursive: true, force: true });
    if (steps.length) console.log(`[deploy] image build steps: ${steps.map((s) => `${s.command} ${s.seconds.toFixed(1)} s`).join('; ')}`);
  });

  /** `docker run <image> <args>`: the ENTRYPOINT with the image's ENV, in its WORKDIR. */
  function image(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run(entrypoint[0]!, [...entrypoint.slice(1), ...args], { cwd: app, env: cleanEnv({ ...imageEnv, ...extraEnv }), timeoutMs: 120_000 });
  }

  it('runs every build-stage RUN line: dist/, the workflow bundle the image ENV names, no dev dependencies', async () => {
    assert.ok(steps.length >= 4, `build steps: ${JSON.stringify(steps)}`);
    assert.ok((await stat(join(app, 'dist/src/cli/main.js'))).isFile());
    const bundlePath = imageEnv.PHASEGATE_WORKFLOW_BUNDLE!;
    assert.ok(bundlePath.startsWith(app), `PHASEGATE_WORKFLOW_BUNDLE (${bundlePath}) lies inside the image's files`);
    const bundle = await readFile(bundlePath, 'utf8');
    assert.ok(bundle.length > 100_000 && bundle.includes('casePlaybook'), 'the bundle holds the workflows');
    const modules = new Set(await readdir(join(app, 'node_modules')));
    for (const dev of ['tsx', 'typescript', 'eslint', 'fast-check']) assert.equal(modules.has(dev), false, `${dev} (a devDependency) survived the prune`);
    assert.ok(modules.has('@temporalio') && modules.has('fastify'), 'production dependencies are kept');
    assert.equal(tsxAfterPrune, undefined, `tsx still resolves after the prune: ${tsxAfterPrune}`);
  });

  it('bin/phasegate.js runs the compiled dist/ once tsx is pruned, even with the sources beside it', () => {
    assert.equal(helpInContext.code, 0, helpInContext.stderr);
    assert.match(helpInContext.stdout, /Usage: phasegate/);
    assert.ok(loadedInContext.includes(join(context, 'dist/src/cli/main.js')), 'dist/src/cli/main.js was loaded');
    const typescript = loadedInContext.filter((m) => m.endsWith('.ts'));
    assert.deepEqual(typescript, [], 'no TypeScript source was loaded');
  });

  it('the runtime layout answers --help and validates the shipped playbooks', async () => {
    const help = await image(['--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['worker', 'server', 'sandbox']) assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'));
    const shipped = (await readdir(join(app, 'playbooks'))).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(shipped.length > 0);
    const validate = await image(['playbooks', 'validate', 'playbooks']);
    assert.equal(validate.code, 0, `${validate.stdout}\n${validate.stderr}`);
    for (const file of shipped) assert.match(validate.stdout, new RegExp(`✓ playbooks/${file.replace('.', '\\.')}:`));
  });

  it('a worker from the image (pre-built bundle, pruned node_modules) runs a case and drains on SIGTERM', async () => {
    const address = harnessAddress();
    // A namespace of its own, registered as the compose job does, so nothing else's tasks reach it.
    const namespace = `phasegate-image-${randomUUID().slice(0, 8)}`;
    const registered = await registerNamespace(await cliBinDir(work), address, namespace);
    assert.equal(registered.code, 0, `register-namespace.sh failed:\n${registered.stdout}\n${registered.stderr}`);

    sandbox = await startSandbox({ port: 0 });
    const cmd = execForm(lastArgs(runtime, 'CMD'), 'CMD');
    assert.deepEqual(cmd, ['worker']);
    const output: string[] = [];
    worker = spawn(entrypoint[0]!, [...entrypoint.slice(1), ...cmd], {
      cwd: app,
      env: cleanEnv({
        ...imageEnv,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_SECURITY_IR: sandbox.url,
        AWS_ACCESS_KEY_ID: SANDBOX_DEFAULT_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_DEFAULT_CREDENTIALS.secretAccessKey,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    worker.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => worker!.once('exit', (code, signal) => r({ code, signal })));
    const log = (): string => output.join('').slice(-3000);

    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace });
    const identity = `${worker.pid}@${hostname()}`;
    for (const type of [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]) {
      await waitFor(
        `the worker (${identity}) polling ${TASK_QUEUE} (${temporal.api.enums.v1.TaskQueueType[type]})`,
        async () => {
          if (worker!.exitCode !== null) throw new Error(`the worker exited with ${worker!.exitCode}:\n${log()}`);
          const { pollers } = await connection!.workflowService.describeTaskQueue({ namespace, taskQueue: { name: TASK_QUEUE }, taskQueueType: type });
          return pollers.some((p) => p.identity === identity) ? true : undefined;
        },
        60_000,
      );
    }
    // The start-up line names where it polls (its format is the logger's business).
    assert.match(log(), /phasegate worker polling/);
    assert.ok(log().includes(namespace), `the start-up line names the namespace:\n${log()}`);

    // A real case: CreateCase and UpdateCaseStatus through the worker's SIR client, then a human gate.
    // The worker runs only the playbooks of its directory (the image's PHASEGATE_PLAYBOOKS), so the case names one of those.
    const shipped = (await loadPlaybooksOrThrow(imageEnv.PHASEGATE_PLAYBOOKS)).map((p) => p.playbook);
    const input: CasePlaybookInput = {
      fingerprint: `image-${randomUUID()}`,
      playbook: shipped.find((p) => p.name === 'guardduty-high-severity')!,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    const handle = await client.workflow.start<typeof casePlaybook>('casePlaybook', caseWorkflowOptions(input, TASK_QUEUE));
    const state: CaseState = await waitFor(
      'the case to reach Detection and Analysis and wait for approval',
      async () => {
        const s = await handle.query(stateQuery);
        return s.pendingApproval?.target === CER ? s : undefined;
      },
      60_000,
    );
    assert.equal(state.status, DA);
    assert.ok(state.caseId, 'the SIR case was created');
    assert.equal(sandbox.getCase(state.caseId)?.caseStatus, DA, 'the sandbox holds the case in Detection and Analysis');
    await handle.terminate('image-build test done');

    worker.kill('SIGTERM');
    const timeout = new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`the worker did not stop within 30 s of SIGTERM:\n${log()}`)), 30_000).unref());
    const exit = await Promise.race([exited, timeout]);
    assert.deepEqual(exit, { code: 0, signal: null }, `the worker should drain and exit 0 on SIGTERM:\n${log()}`);
  });
});

/** git's files (tracked and untracked, less .gitignore) that .dockerignore lets into the build context. */
async function copyBuildContext(destination: string): Promise<void> {
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
  assert.equal(listed.code, 0, `git ls-files failed: ${listed.stderr}`);
  const ignored = dockerignoreMatcher(await readFile(join(ROOT, '.dockerignore'), 'utf8').catch(() => ''));
  const files = [...new Set(listed.stdout.split('\0').filter(Boolean))].filter((f) => !ignored(f));
  for (const file of files) {
    const info = await lstat(join(ROOT, file)).catch(() => undefined);
    if (!info?.isFile()) continue; // deleted in the work tree, or a directory (submodule)
    await mkdir(dirname(join(destination, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(destination, file));
  }
}

/** A path of the Dockerfile (absolute, or relative to the stage's WORKDIR) inside `base`. */
function mapInto(path: string, workdir: string, base: string): string {
  const absolute = isAbsolute(path) ? path : join(workdir, path);
  const inside = relative(workdir, absolute);
  assert.ok(!inside.startsWith('..'), `${path} lies outside the WORKDIR ${workdir}`);
  return join(base, inside);
}

/** Only what a build or a container would have: no harness variables, no npm-run variables. */
function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '').split(':').filter((p) => !p.startsWith(join(ROOT, 'node_modules'))).join(':');
  return { PATH: path, HOME: process.env.HOME, LANG: 'C.UTF-8', ...extra };
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}
