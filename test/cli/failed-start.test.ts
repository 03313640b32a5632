/**
 * A long-running command whose start fails says why in one line, stops whatever it had started (the
 * Temporal dev server above all) and exits non-zero at once, instead of hanging half-started. Real
 * `phasegate` processes on free loopback ports, each with a state folder of its own.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../src/config/users';
import { freePort, isPortFree, temporalCliPath } from '../browser/phasegate-dev';
import { lines, spawnPhasegate, type PhasegateProcess } from '../helpers/phasegate-process';
import { stillRunning } from '../helpers/process-tree';

/** Generous for 2 busy cores: the command itself needs a few seconds just to load. */
const QUICK_EXIT_MS = 30_000;

describe('a failed start', { timeout: 240_000, concurrency: 3 }, () => {
  let work: string;
  let usersFile: string;
  const spawned: PhasegateProcess[] = [];
  const held: Server[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'phasegate-failed-start-'));
    usersFile = join(work, 'users.yaml');
    await writeFile(usersFile, `users:\n  - name: alice\n    groups: [ir-leads]\n    tokenSha256: ${sha256Hex('failed-start-token-0123456789')}\n`);
  });
  after(async () => {
    for (const p of spawned) p.cleanup();
    for (const server of held) server.close();
    await rm(work, { recursive: true, force: true });
  });

  function run(args: string[], env: Record<string, string | undefined>): PhasegateProcess {
    const p = spawnPhasegate(args, env);
    spawned.push(p);
    return p;
  }

  async function devPorts(apiPort?: number): Promise<{ args: string[]; ports: number[] }> {
    const ports: number[] = apiPort === undefined ? [] : [apiPort];
    while (ports.length < 4) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const [api, temporal, ui, sandbox] = ports as [number, number, number, number];
    return {
      args: ['--temporal-port', String(temporal), '--ui-port', String(ui), '--sandbox-port', String(sandbox), '--port', String(api)],
      ports,
    };
  }

  async function devEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const stateDir = join(work, `state-${Math.random().toString(36).slice(2)}`);
    await mkdir(stateDir);
    // The suite's pre-built workflow bundle spares each worker a webpack run.
    const bundle = process.env.PHASEGATE_WORKFLOW_BUNDLE;
    return { PHASEGATE_STATE_DIR: stateDir, TEMPORAL_CLI_PATH: await temporalCliPath(), ...(bundle ? { PHASEGATE_WORKFLOW_BUNDLE: bundle } : {}), ...extra };
  }

  async function holdPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    held.push(server);
    return (server.address() as { port: number }).port;
  }

  /** Exit code, one stderr line matching `reason`, and the time it took from the spawn. */
  async function assertFailsWith(p: PhasegateProcess, reason: RegExp, timeoutMs = QUICK_EXIT_MS): Promise<void> {
    const started = Date.now();
    const exit = await p.waitForExit(timeoutMs);
    const errLines = lines(p.stderr());
    assert.notEqual(exit.code, 0, `exit ${JSON.stringify(exit)}`);
    assert.equal(exit.signal, null);
    assert.equal(errLines.length, 1, `exactly one line on stderr, got:\n${p.stderr()}\nstdout:\n${p.stdout()}`);
    assert.match(errLines[0]!, /^phasegate: /);
    assert.match(errLines[0]!, reason);
    assert.doesNotMatch(p.stdout() + p.stderr(), /while stopping|IllegalStateError|\n\s+at /);
    assert.ok(Date.now() - started < timeoutMs);
  }

  function assertNothingLeft(p: PhasegateProcess): void {
    const left = p.seenDescendants().filter(stillRunning);
    assert.deepEqual(left, [], 'every process it started has stopped');
  }

  it('dev: a playbook directory that fails validation', async () => {
    const playbooks = join(work, 'broken-playbooks');
    await mkdir(playbooks);
    await writeFile(join(playbooks, 'broken.yaml'), 'name: [\n');
    const { args, ports } = await devPorts();
    const p = run(['dev', ...args], await devEnv({ PHASEGATE_PLAYBOOKS: playbooks }));
    await assertFailsWith(p, /playbook problem in .*broken-playbooks.*broken\.yaml/);
    assert.equal(p.seenDescendants().length, 0, 'nothing was started for a configuration it cannot run');
    for (const port of ports) assert.ok(await isPortFree(port), `port ${port} is free`);
  });

  it('dev: a failure after the Temporal dev server and the sandbox started stops them', async () => {
    const { args, ports } = await devPorts();
    // A missing pre-built workflow bundle fails the worker's creation, after every server is up.
    const p = run(['dev', ...args], await devEnv({ PHASEGATE_WORKFLOW_BUNDLE: join(work, 'no-such-bundle.js') }));
    await assertFailsWith(p, /no-such-bundle\.js/, 90_000);
    const cli = await temporalCliPath();
    assert.ok(
      p.seenDescendants().length > 0,
      `the Temporal dev server (${cli}) was running before the failure; seen: ${JSON.stringify(p.seenDescendants())}`,
    );
    assertNothingLeft(p);
    for (const port of ports) assert.ok(await isPortFree(port), `port ${port} is free`);
  });

  it('dev: a failure after its worker runs stops the API client, worker, connection, sandbox and dev server', async () => {
    const { args, ports } = await devPorts();
    const p = run(['dev', ...args], await devEnv());
    // The API port is free when dev checks it, and taken by the time the API listens: the last step.
    await p.waitForChild();
    const api = ports[0]!;
    const server = createServer();
    await new Promise<void>((resolveListen, reject) => server.once('error', reject).listen(api, '127.0.0.1', () => resolveListen()));
    try {
      await assertFailsWith(p, new RegExp(`port ${api} \\(phasegate API\\) is already in use`), 90_000);
      assertNothingLeft(p);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
    for (const port of ports) assert.ok(await isPortFree(port), `port ${port} is free`);
  });

  it('dev: a busy port', async () => {
    const busy = await holdPort();
    const { args } = await devPorts(busy);
    const p = run(['dev', ...args], await devEnv());
    await assertFailsWith(p, new RegExp(`port ${busy} \\(phasegate API\\) is already in use`));
    assert.equal(p.seenDescendants().length, 0);
  });

  it('dev: a users file that does not exist', async () => {
    const { args } = await devPorts();
    const p = run(['dev', ...args], await devEnv({ PHASEGATE_USERS: join(work, 'no-such-users.yaml') }));
    await assertFailsWith(p, /cannot read the users file .*no-such-users\.yaml/);
    assert.equal(p.seenDescendants().length, 0);
  });

  it('sandbox: a busy port', async () => {
    const busy = await holdPort();
    const p = run(['sandbox', '--port', String(busy)], {});
    await assertFailsWith(p, new RegExp(`port ${busy} \\(SIR sandbox\\) is already in use`));
  });

  const serverEnv = (): Record<string, string | undefined> => ({
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE,
    PHASEGATE_WEBHOOK_SECRET: 'failed-start-secret',
    PHASEGATE_USERS: usersFile,
  });

  it('server: a busy port', async () => {
    const busy = await holdPort();
    const p = run(['server', '--port', String(busy)], serverEnv());
    await assertFailsWith(p, new RegExp(`port ${busy} \\(phasegate API\\) is already in use`));
  });

  it('server: a users file that does not parse', async () => {
    const broken = join(work, 'broken-users.yaml');
    await writeFile(broken, 'users: [\n');
    const p = run(['server', '--port', String(await freePort())], { ...serverEnv(), PHASEGATE_USERS: broken });
    await assertFailsWith(p, /broken-users\.yaml/);
  });

  it('server: an adopt-capable secret that is also a plain webhook secret, named by its place, never shown', async () => {
    const p = run(['server', '--port', String(await freePort())], { ...serverEnv(), PHASEGATE_WEBHOOK_ADOPT_SECRET: 'adopt-secret-a,failed-start-secret' });
    await assertFailsWith(p, /^phasegate: PHASEGATE_WEBHOOK_ADOPT_SECRET: its secret #2 is also in PHASEGATE_WEBHOOK_SECRET; list an adopt-capable secret only in PHASEGATE_WEBHOOK_ADOPT_SECRET$/);
    assert.doesNotMatch(p.stdout() + p.stderr(), /failed-start-secret|adopt-secret-a/);
  });

  it('server: an unreachable Temporal', async () => {
    const closed = await freePort();
    const port = await freePort();
    const p = run(['server', '--port', String(port)], { ...serverEnv(), TEMPORAL_ADDRESS: `127.0.0.1:${closed}` });
    await assertFailsWith(p, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${closed}`));
    assert.ok(await isPortFree(port), 'the API never listened');
  });

  it('worker: an unreachable Temporal', async () => {
    const closed = await freePort();
    const p = run(['worker'], {
      TEMPORAL_ADDRESS: `127.0.0.1:${closed}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDFAILEDSTART',
      AWS_SECRET_ACCESS_KEY: 'failed-start-secret-key',
    });
    await assertFailsWith(p, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${closed}`));
  });

  it('worker: a playbook directory that fails validation (a case runs only the worker\'s own playbooks)', async () => {
    const playbooks = join(work, 'worker-broken-playbooks');
    await mkdir(playbooks);
    await writeFile(join(playbooks, 'broken.yaml'), 'name: [\n');
    const closed = await freePort();
    const p = run(['worker'], {
      TEMPORAL_ADDRESS: `127.0.0.1:${closed}`,
      PHASEGATE_PLAYBOOKS: playbooks,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDFAILEDSTART',
      AWS_SECRET_ACCESS_KEY: 'failed-start-secret-key',
    });
    // Refused before it connects: the unreachable Temporal is never mentioned.
    await assertFailsWith(p, /playbook problem in .*worker-broken-playbooks.*broken\.yaml/);
  });
});
