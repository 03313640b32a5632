import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allocateLoopbackHosts, canListen } from '../../src/temporal/loopback';
import { findPostgres } from '../../src/temporal/postgres-cluster';
import {
  TEMPORAL_SERVER_VERSION,
  TemporalServerUnavailableError,
  inImageEtc,
  locateTemporalServer,
  temporalServerDir,
} from '../../src/temporal/temporal-server';

describe('Temporal server locator (the cache by version under .phasegate/temporal-server)', () => {
  let state: string;
  before(async () => {
    state = await mkdtemp(join(tmpdir(), 'pg-server-'));
  });
  after(() => rm(state, { recursive: true, force: true }));

  async function fakeBuild(stateDir: string, manifestVersion?: string): Promise<string> {
    const dir = temporalServerDir(stateDir);
    await mkdir(join(dir, 'bin'), { recursive: true });
    for (const name of ['temporal-server', 'temporal-sql-tool']) {
      await writeFile(join(dir, 'bin', name), '#!/bin/sh\n');
      await chmod(join(dir, 'bin', name), 0o755);
    }
    if (manifestVersion) await writeFile(join(dir, 'phasegate-manifest.json'), JSON.stringify({ version: manifestVersion, packages: [], builtAt: '' }));
    return dir;
  }

  it('uses a complete cached build of the pinned version without building', async () => {
    const stateDir = join(state, 'complete');
    const dir = await fakeBuild(stateDir, TEMPORAL_SERVER_VERSION);
    const found = await locateTemporalServer({ stateDir, install: false, env: { PATH: '' } });
    assert.equal(found.source, 'cache');
    assert.equal(found.serverPath, join(dir, 'bin', 'temporal-server'));
    assert.equal(found.sqlToolPath, join(dir, 'bin', 'temporal-sql-tool'));
    assert.equal(found.serverRoot, join(dir, 'etc', 'temporal'), 'temporal-server --root reads config/docker.yaml there');
  });

  it('ignores a folder without its manifest (an interrupted build) or with another version', async () => {
    for (const [name, version] of [['interrupted', undefined], ['other', 'v1.28.0']] as const) {
      const stateDir = join(state, name);
      await fakeBuild(stateDir, version);
      await assert.rejects(locateTemporalServer({ stateDir, install: false, env: { PATH: '' } }), TemporalServerUnavailableError);
    }
  });

  it('says how to get one when Go is missing', async () => {
    const err = await locateTemporalServer({ stateDir: join(state, 'nothing'), env: { PATH: '' } }).then(
      () => assert.fail('nothing can be built without go'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TemporalServerUnavailableError);
    assert.match(err.message, /`go` \(not found\).*install Go >= 1\.25/);
  });

  it('runs image scripts with the cached etc/ overlaid on /etc in a private mount namespace', () => {
    const argv = inImageEtc({ etcDir: '/cache/etc' }, ['/bin/sh', 'setup-schema.sh']);
    assert.equal(argv[0], 'unshare');
    assert.ok(argv.includes('--mount'));
    const script = argv[argv.indexOf('-c') + 1]!;
    assert.match(script, /mount -t overlay \S+ -o "lowerdir=\$0:\/etc" \/etc && exec "\$@"/);
    assert.deepEqual(argv.slice(argv.indexOf('-c') + 2), ['/cache/etc', '/bin/sh', 'setup-schema.sh']);
  });
});

describe('loopback addresses with compose ports', () => {
  it('gives each service its own 127.x address where its ports are free', async () => {
    const hosts = await allocateLoopbackHosts({ a: [5432], b: [7233, 7234] });
    assert.match(hosts.a, /^127\.\d+\.\d+\.1$/);
    assert.match(hosts.b, /^127\.\d+\.\d+\.2$/);
    assert.equal(hosts.a.split('.').slice(0, 3).join('.'), hosts.b.split('.').slice(0, 3).join('.'));
  });

  it('sees a port already taken on an address', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const { port } = server.address() as { port: number };
    try {
      assert.equal(await canListen('127.0.0.1', port), false);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.equal(await canListen('127.0.0.1', port), true);
  });
});

describe("Debian's PostgreSQL, found by version folder", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pg-lib-'));
    // 13 complete, 16 complete, 17 without initdb (a client-only install): 16 is the newest usable.
    for (const [version, programs] of [['13', ['initdb', 'postgres']], ['16', ['initdb', 'postgres', 'pg_isready']], ['17', ['postgres']], ['common', []]] as const) {
      await mkdir(join(root, version, 'bin'), { recursive: true });
      for (const program of programs) await writeFile(join(root, version, 'bin', program), '#!/bin/sh\n', { mode: 0o755 });
    }
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('takes the newest major version that has the server programs', async () => {
    assert.deepEqual(await findPostgres(root), { binDir: join(root, '16', 'bin'), version: 16 });
  });

  it('finds nothing where PostgreSQL is not installed', async () => {
    assert.equal(await findPostgres(join(root, 'absent')), undefined);
  });
});
