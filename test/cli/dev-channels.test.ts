/**
 * `phasegate dev` with PHASEGATE_CHANNELS: a webhook channel signs with the notify secret dev
 * generates when none is set (never the webhook secret), the banner names the channels (never their
 * URLs), and a file it cannot use stops dev in one line before anything starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateDevCredentials } from '../../src/cli/dev-credentials';
import { REPO_ROOT, freePort, startPhasegateDev, temporalCliPath } from '../browser/phasegate-dev';

describe('phasegate dev with PHASEGATE_CHANNELS', { timeout: 240_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phasegate-dev-channels-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function runRefused(extra: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PHASEGATE_STATE_DIR: join(dir, 'state'), TEMPORAL_CLI_PATH: await temporalCliPath(), ...extra };
    return new Promise((done) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'phasegate.js'), 'dev', '--temporal-port', String(ports[0]), '--ui-port', String(ports[1]), '--sandbox-port', String(ports[2]), '--port', String(ports[3])],
        { cwd: REPO_ROOT, env, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('refuses a channels file naming an unset variable, in one line, before starting anything', async () => {
    const file = join(dir, 'unset.yaml');
    await writeFile(file, 'channels:\n  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_DEV_UNSET }\n');
    const run = await runRefused({ PHASEGATE_CHANNELS: file });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr, `phasegate: ${file} (PHASEGATE_CHANNELS): channels[0] "ir-leads-slack": urlEnv names PHASEGATE_SLACK_DEV_UNSET, which is not set in the worker's environment\n`);
    assert.doesNotMatch(run.stdout, /Temporal/, 'nothing was started');
  });

  it('refuses a notify secret equal to the webhook secret dev generated, in one line, before starting anything', async () => {
    const file = join(dir, 'inbound.yaml');
    await writeFile(file, 'channels:\n  - { name: soc-pager, type: webhook, url: "http://127.0.0.1:9/dev-channel-probe" }\n');
    // The webhook secret dev would generate: made the way dev makes it, in the state dir it will use.
    const stateDir = join(dir, 'inbound-state');
    await mkdir(stateDir);
    const { webhookSecret } = await loadOrCreateDevCredentials(stateDir);
    const run = await runRefused({ PHASEGATE_CHANNELS: file, PHASEGATE_NOTIFY_SECRET: webhookSecret, PHASEGATE_STATE_DIR: stateDir });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(
      run.stderr,
      `phasegate: ${file} (PHASEGATE_CHANNELS): channels[0] "soc-pager": PHASEGATE_NOTIFY_SECRET holds the same value as a PHASEGATE_WEBHOOK_SECRET entry: a notification signed with it would let every receiver forge what phasegate accepts; give notifications a secret of their own (its value is not shown)\n`,
    );
    assert.doesNotMatch(run.stdout, /Temporal/, 'nothing was started');
    assert.ok(!(run.stdout + run.stderr).includes(webhookSecret));
  });

  it('starts with a webhook channel that signs with a generated notify secret, and names it in the banner', async () => {
    const file = join(dir, 'channels.yaml');
    // No secretEnv and no PHASEGATE_NOTIFY_SECRET: dev's generated notify secret signs, not its webhook secret.
    await writeFile(file, 'channels:\n  - { name: soc-pager, type: webhook, url: "http://127.0.0.1:9/dev-channel-probe" }\n');
    const dev = await startPhasegateDev({ env: { PHASEGATE_CHANNELS: file } });
    try {
      const banner = dev.output();
      assert.match(banner, new RegExp(`notifications\\s+soc-pager \\(webhook\\)\\s+\\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
      assert.doesNotMatch(banner, /dev-channel-probe/);
      const credentials = JSON.parse(await readFile(join(dev.stateDir, 'dev-credentials.json'), 'utf8')) as { webhookSecret: string; notifySecret: string };
      assert.match(credentials.notifySecret, /^whsec_notify_[0-9a-f]{48}$/);
      assert.notEqual(credentials.notifySecret, credentials.webhookSecret);
      assert.match(banner, new RegExp(`notify secret\\s+${credentials.notifySecret}\\s+\\(webhook channels without secretEnv sign with it; set PHASEGATE_NOTIFY_SECRET`));
    } finally {
      await dev.stop();
    }
  });
});
