/**
 * `phasegate dev` with PHASEGATE_CHANNELS: a webhook channel signs with the secret dev generates when
 * none is set, the banner names the channels (never their URLs), and a file it cannot use stops dev
 * in one line before anything starts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, freePort, startPhasegateDev, temporalCliPath } from '../browser/phasegate-dev';

describe('phasegate dev with PHASEGATE_CHANNELS', { timeout: 240_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phasegate-dev-channels-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses a channels file naming an unset variable, in one line, before starting anything', async () => {
    const file = join(dir, 'unset.yaml');
    await writeFile(file, 'channels:\n  - { name: ir-leads-slack, type: slack, urlEnv: PHASEGATE_SLACK_DEV_UNSET }\n');
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PHASEGATE_STATE_DIR: join(dir, 'state'), PHASEGATE_CHANNELS: file, TEMPORAL_CLI_PATH: await temporalCliPath() };
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'bin', 'phasegate.js'), 'dev', '--temporal-port', String(ports[0]), '--ui-port', String(ports[1]), '--sandbox-port', String(ports[2]), '--port', String(ports[3])],
        { cwd: REPO_ROOT, env, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr, `phasegate: ${file} (PHASEGATE_CHANNELS): channels[0] "ir-leads-slack": urlEnv names PHASEGATE_SLACK_DEV_UNSET, which is not set in the worker's environment\n`);
    assert.doesNotMatch(run.stdout, /Temporal/, 'nothing was started');
  });

  it('starts with a webhook channel that signs with the generated secret, and names it in the banner', async () => {
    const file = join(dir, 'channels.yaml');
    // No secretEnv and no PHASEGATE_WEBHOOK_SECRET: dev's generated webhook secret signs.
    await writeFile(file, 'channels:\n  - { name: soc-pager, type: webhook, url: "http://127.0.0.1:9/dev-channel-probe" }\n');
    const dev = await startPhasegateDev({ env: { PHASEGATE_CHANNELS: file } });
    try {
      const banner = dev.output();
      assert.match(banner, new RegExp(`notifications\\s+soc-pager \\(webhook\\)\\s+\\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
      assert.doesNotMatch(banner, /dev-channel-probe/);
    } finally {
      await dev.stop();
    }
  });
});
