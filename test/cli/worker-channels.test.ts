/**
 * `phasegate worker` with PHASEGATE_CHANNELS, as a real process: a channels file it cannot use stops
 * it in one line before it touches Temporal (a webhook channel signing with the inbound webhook
 * secret included); a good one is loaded and announced by name only.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { waitFor } from '../helpers/wait';

const ROOT = resolve(__dirname, '..', '..');
const PHASEGATE = join(ROOT, 'bin', 'phasegate.js');
const SLACK_URL = 'https://hooks.slack.com/services/T0000/B0000/worker-test-credential';
const SIGNING_SECRET = 'whsec_worker_channels_test';
const INBOUND_SECRET = 'whsec_worker_inbound_test';

/** A worker that must not find any real AWS: the SIR client is never called in these tests. */
const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_SECURITY_IR: 'http://127.0.0.1:9',
  AWS_ACCESS_KEY_ID: 'AKIDWORKERTEST',
  AWS_SECRET_ACCESS_KEY: 'unused',
  PHASEGATE_WORKFLOW_BUNDLE: process.env.PHASEGATE_WORKFLOW_BUNDLE,
  PHASEGATE_LOG_LEVEL: 'info',
};

describe('phasegate worker with PHASEGATE_CHANNELS', { timeout: 180_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phasegate-worker-channels-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A Temporal address nothing listens on: the channels must be refused before any connection. */
  function runRefused(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [PHASEGATE, 'worker'],
        { cwd: ROOT, env: { ...BASE_ENV, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env }, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('refuses to start, in one line naming the file and the variable, when a variable is not set', async () => {
    const file = join(dir, 'unset.yaml');
    await writeFile(file, 'channels:\n  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }\n');
    const run = await runRefused({ PHASEGATE_CHANNELS: file });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `phasegate: ${file} (PHASEGATE_CHANNELS): channels[0] "ir-leads-slack": urlEnv names PHASEGATE_SLACK_IR_LEADS, which is not set in the worker's environment\n`,
    );
  });

  it('refuses to start when a webhook channel would sign with the inbound webhook secret, without showing it', async () => {
    const file = join(dir, 'inbound.yaml');
    await writeFile(file, 'channels:\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/phasegate" }\n');
    // During a rotation: the older inbound secret is just as good for forging alerts.
    const run = await runRefused({ PHASEGATE_CHANNELS: file, PHASEGATE_WEBHOOK_SECRET: `whsec_newer_inbound,${INBOUND_SECRET}`, PHASEGATE_NOTIFY_SECRET: INBOUND_SECRET });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `phasegate: ${file} (PHASEGATE_CHANNELS): channels[0] "soc-pager": PHASEGATE_NOTIFY_SECRET holds the same value as a PHASEGATE_WEBHOOK_SECRET entry: a notification signed with it would let every receiver forge what phasegate accepts; give notifications a secret of their own (its value is not shown)\n`,
    );
    assert.ok(!(run.stdout + run.stderr).includes(INBOUND_SECRET));
  });

  it('refuses to start when no secret of its own is set for a webhook channel, even with the webhook secret set', async () => {
    const file = join(dir, 'no-notify-secret.yaml');
    await writeFile(file, 'channels:\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/phasegate" }\n');
    const run = await runRefused({ PHASEGATE_CHANNELS: file, PHASEGATE_WEBHOOK_SECRET: INBOUND_SECRET });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^phasegate: .* \(PHASEGATE_CHANNELS\): channels\[0\] "soc-pager": a webhook channel signs what it sends with a secret of its own: set PHASEGATE_NOTIFY_SECRET for the worker/);
  });

  describe('with a usable file', () => {
    let connection: Connection;
    let namespace: string;
    let worker: ChildProcess | undefined;

    before(async () => {
      // A namespace of its own: a worker on task queue "phasegate" in the shared one could take other tests' tasks.
      connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
      namespace = `worker-channels-${randomUUID().slice(0, 8)}`;
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      await waitFor('the new namespace', async () => ((await connection.workflowService.describeNamespace({ namespace })).namespaceInfo ? true : undefined));
    });
    after(async () => {
      if (worker && worker.exitCode === null) worker.kill('SIGKILL');
      await connection?.close();
    });

    it('loads the channels and announces them by name and type, never by URL or secret', async () => {
      const file = join(dir, 'channels.yaml');
      await writeFile(
        file,
        'channels:\n  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_IR_LEADS }\n  - { name: soc-pager, type: webhook, url: "https://pager.example.com/phasegate" }\n',
      );
      let output = '';
      worker = spawn(process.execPath, [PHASEGATE, 'worker'], {
        cwd: ROOT,
        env: {
          ...BASE_ENV,
          TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
          TEMPORAL_NAMESPACE: namespace,
          PHASEGATE_CHANNELS: file,
          PHASEGATE_SLACK_IR_LEADS: SLACK_URL,
          PHASEGATE_NOTIFY_SECRET: SIGNING_SECRET,
          PHASEGATE_WEBHOOK_SECRET: INBOUND_SECRET,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      worker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((done) => worker!.on('exit', (code) => done(code)));

      const polling = await waitFor(
        'the worker to poll',
        async () => {
          const line = output.split('\n').find((l) => l.includes('phasegate worker polling'));
          return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
        },
        90_000,
        { intervalMs: 200, lastSeen: () => output.slice(-500) },
      );
      assert.deepEqual(polling.notifyChannels, [
        { name: 'ir-leads-slack', type: 'slack' },
        { name: 'soc-pager', type: 'webhook' },
      ]);
      assert.equal(polling.namespace, namespace);

      worker.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      for (const secret of [SLACK_URL, 'worker-test-credential', SIGNING_SECRET, INBOUND_SECRET, 'pager.example.com']) {
        assert.ok(!output.includes(secret), `${secret} is in the worker's output`);
      }
    });
  });
});
