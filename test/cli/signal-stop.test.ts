/**
 * SIGTERM (docker stop, systemd, Kubernetes) stops every long-running command exactly as Ctrl-C
 * (SIGINT) does: its parts stop in order, nothing it started is left running or holding a port, and
 * it exits 0. Real `phasegate` processes on free loopback ports; `dev` with a state folder of its own,
 * the worker in a namespace of its own on the suite's dev server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { msToTs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TASK_QUEUE } from '../../src/domain/contract/temporal-names';
import { sha256Hex } from '../../src/config/users';
import { freePort, isPortFree, temporalCliPath } from '../browser/phasegate-dev';
import { lines, spawnPhasegate, type PhasegateProcess } from '../helpers/phasegate-process';
import { stillRunning } from '../helpers/process-tree';
import { connectToTestServer } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

/** From the signal to the exit, generous for 2 busy cores. */
const STOP_MS = 30_000;

describe('stopping on a signal', { timeout: 300_000, concurrency: 3 }, () => {
  let work: string;
  let usersFile: string;
  let env: TestWorkflowEnvironment;
  const workerNamespace = `phasegate-signal-${randomUUID().slice(0, 8)}`;
  const spawned: PhasegateProcess[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'phasegate-signal-stop-'));
    usersFile = join(work, 'users.yaml');
    await writeFile(usersFile, `users:\n  - name: alice\n    groups: [ir-leads]\n    tokenSha256: ${sha256Hex('signal-stop-token-0123456789')}\n`);
    env = await connectToTestServer();
    // A namespace of its own, so the worker under test never takes another test's tasks.
    await env.connection.workflowService.registerNamespace({ namespace: workerNamespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await waitFor('the new namespace to be usable', async () => {
      await env.connection.workflowService.describeTaskQueue({ namespace: workerNamespace, taskQueue: { name: TASK_QUEUE } });
      return true;
    }, 30_000);
  });
  after(async () => {
    for (const p of spawned) p.cleanup();
    await env.teardown();
    await rm(work, { recursive: true, force: true });
  });

  function run(args: string[], extra: Record<string, string | undefined>): PhasegateProcess {
    const p = spawnPhasegate(args, extra);
    spawned.push(p);
    return p;
  }

  async function assertStopsCleanly(p: PhasegateProcess, signal: NodeJS.Signals): Promise<void> {
    p.signal(signal);
    const exit = await p.waitForExit(STOP_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, `stdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`);
    assert.doesNotMatch(p.stderr(), /while stopping|Error|\n\s+at /);
    assert.deepEqual(p.seenDescendants().filter(stillRunning), [], 'every process it started has stopped');
  }

  async function distinctFreePorts(count: number): Promise<number[]> {
    const ports = new Set<number>();
    while (ports.size < count) ports.add(await freePort());
    return [...ports];
  }

  async function startDev(): Promise<{ p: PhasegateProcess; ports: number[] }> {
    const ports = await distinctFreePorts(4);
    const [temporal, ui, sandbox, api] = ports as [number, number, number, number];
    const p = run(
      ['dev', '--temporal-port', String(temporal), '--ui-port', String(ui), '--sandbox-port', String(sandbox), '--port', String(api)],
      {
        PHASEGATE_STATE_DIR: await mkdtemp(join(work, 'dev-')),
        TEMPORAL_CLI_PATH: await temporalCliPath(),
        PHASEGATE_WORKFLOW_BUNDLE: process.env.PHASEGATE_WORKFLOW_BUNDLE,
      },
    );
    return { p, ports };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`sandbox: ${signal}`, async () => {
      const port = await freePort();
      const p = run(['sandbox', '--port', String(port)], {});
      await p.waitForOutput(/SIR sandbox listening on/);
      assert.equal(await isPortFree(port), false);
      await assertStopsCleanly(p, signal);
      assert.ok(await isPortFree(port));
    });

    it(`server: ${signal}`, async () => {
      const port = await freePort();
      const p = run(['server', '--port', String(port)], {
        TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE,
        PHASEGATE_WEBHOOK_SECRET: 'signal-stop-secret',
        PHASEGATE_USERS: usersFile,
      });
      await p.waitForOutput(/phasegate server on http:\/\/127\.0\.0\.1:\d+/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      await assertStopsCleanly(p, signal);
      assert.ok(await isPortFree(port));
    });
  }

  it('worker: SIGTERM drains it and it exits 0', async () => {
    const p = run(['worker'], {
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: workerNamespace,
      PHASEGATE_WORKFLOW_BUNDLE: process.env.PHASEGATE_WORKFLOW_BUNDLE,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDSIGNALSTOP',
      AWS_SECRET_ACCESS_KEY: 'signal-stop-secret-key',
      AWS_ENDPOINT_URL_SECURITY_IR: 'http://127.0.0.1:9',
    });
    await p.waitForOutput(/phasegate worker polling/);
    await assertStopsCleanly(p, 'SIGTERM');
    assert.equal(lines(p.stderr()).length, 0, p.stderr());
  });

  it('dev: SIGTERM once it runs stops the API, worker, sandbox and Temporal dev server', async () => {
    const { p, ports } = await startDev();
    await p.waitForOutput(/phasegate dev is running/, 120_000);
    assert.ok(p.seenDescendants().length > 0, 'the Temporal dev server runs as its child');
    for (const port of ports) assert.equal(await isPortFree(port), false, `port ${port} is in use while it runs`);
    await assertStopsCleanly(p, 'SIGTERM');
    for (const port of ports) assert.ok(await isPortFree(port), `port ${port} is free again`);
  });

  it('dev: SIGTERM while it is still starting stops what had started', async () => {
    const { p, ports } = await startDev();
    await p.waitForChild();
    await assertStopsCleanly(p, 'SIGTERM');
    assert.doesNotMatch(p.stdout(), /phasegate dev is running/);
    for (const port of ports) assert.ok(await isPortFree(port), `port ${port} is free again`);
  });

  it('dev: SIGTERM during the first-run build of the Temporal CLI stops the build', async () => {
    // Stands in for `go` (a real build takes minutes): a Go new enough to build with, and an install
    // that runs until it is stopped.
    const fakeGo = await mkdtemp(join(work, 'go-'));
    await writeFile(join(fakeGo, 'go'), '#!/bin/sh\ncase "$1" in\n  env) echo go1.26.0 ;;\n  install) exec sleep 300 ;;\nesac\n', { mode: 0o755 });
    const ports = await distinctFreePorts(4);
    const [temporal, ui, sandbox, api] = ports as [number, number, number, number];
    const p = run(
      ['dev', '--temporal-port', String(temporal), '--ui-port', String(ui), '--sandbox-port', String(sandbox), '--port', String(api)],
      { PHASEGATE_STATE_DIR: await mkdtemp(join(work, 'dev-')), PATH: `${fakeGo}:/usr/bin:/bin` },
    );
    await p.waitForOutput(/Building the Temporal CLI/);
    // `go env` has come and gone; the install is the child that stays.
    await waitFor('the build to run', async () => (p.seenDescendants().some(stillRunning) ? true : undefined), 30_000);
    await assertStopsCleanly(p, 'SIGTERM');
  });

  it('dev: a second SIGTERM while stopping kills what is left at once (exit 143)', async () => {
    const { p } = await startDev();
    await p.waitForOutput(/phasegate dev is running/, 120_000);
    p.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    p.signal('SIGTERM');
    const exit = await p.waitForExit(STOP_MS);
    assert.deepEqual(exit, { code: 143, signal: null }, p.stderr());
    assert.match(p.stderr(), /SIGTERM again while stopping/);
    await waitFor('its children to be gone', async () => (p.seenDescendants().some(stillRunning) ? undefined : true), 5_000);
  });
});
