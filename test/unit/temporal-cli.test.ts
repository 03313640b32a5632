import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TemporalCliNotFoundError, cachedCliPath, compareVersions, locateTemporalCli } from '../../src/temporal/temporal-cli';

describe('Temporal CLI locator', () => {
  let dir: string;
  let fake: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pg-cli-'));
    fake = join(dir, 'bin', 'temporal');
    await mkdir(join(dir, 'bin'));
    await writeFile(fake, '#!/bin/sh\necho fake\n');
    await chmod(fake, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('uses TEMPORAL_CLI_PATH first', async () => {
    const cli = await locateTemporalCli({ env: { TEMPORAL_CLI_PATH: fake, PATH: '' }, stateDir: join(dir, 'state'), install: false });
    assert.deepEqual(cli, { path: fake, source: 'TEMPORAL_CLI_PATH' });
  });

  it('refuses a TEMPORAL_CLI_PATH that is not an executable, rather than looking elsewhere', async () => {
    await assert.rejects(
      locateTemporalCli({ env: { TEMPORAL_CLI_PATH: join(dir, 'nope'), PATH: join(dir, 'bin') }, install: false }),
      /TEMPORAL_CLI_PATH=.*nope is not an executable file/,
    );
  });

  it('then `temporal` on PATH', async () => {
    const cli = await locateTemporalCli({ env: { PATH: `/nonexistent:${join(dir, 'bin')}` }, stateDir: join(dir, 'state'), install: false });
    assert.deepEqual(cli, { path: fake, source: 'PATH' });
  });

  it('then the cached build under the state folder', async () => {
    const stateDir = join(dir, 'cached');
    await mkdir(join(stateDir, 'bin'), { recursive: true });
    await writeFile(cachedCliPath(stateDir), '#!/bin/sh\n', { mode: 0o755 });
    const cli = await locateTemporalCli({ env: { PATH: '' }, stateDir, install: false });
    assert.deepEqual(cli, { path: cachedCliPath(stateDir), source: 'cache' });
  });

  it('says what to do, on its first line, when nothing is found', async () => {
    const err = await locateTemporalCli({ env: { PATH: '' }, stateDir: join(dir, 'empty'), install: false }).then(
      () => assert.fail('nothing should be found'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TemporalCliNotFoundError);
    assert.match(err.message.split('\n')[0]!, /^no Temporal CLI found: install Go >= 1\.25 .* or set TEMPORAL_CLI_PATH$/);
    assert.equal(err.tried.length, 3);
  });

  it('compares Go versions numerically', () => {
    assert.equal(compareVersions([1, 25], [1, 25]), 0);
    assert.equal(compareVersions([1, 26], [1, 25]), 1);
    assert.equal(compareVersions([1, 9], [1, 25]), -1);
    assert.equal(compareVersions([2], [1, 25]), 1);
  });
});
