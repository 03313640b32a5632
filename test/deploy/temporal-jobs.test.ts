/**
 * The scripts the one-shot compose jobs run in the temporalio/admin-tools image. register-namespace.sh
 * runs for real, with the same Temporal CLI generation, against a bare dev server (no search
 * attributes, like a fresh cluster); setup-schema.sh needs PostgreSQL and temporal-sql-tool, so it is
 * checked for syntax and for the commands compose relies on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { PHASEGATE_SEARCH_ATTRIBUTES } from '../../src/domain/contract/search-attributes';
import { run } from './compose-cli';
import { cliBinDir, registerNamespace, startBareDevServer, type BareDevServer } from './temporal-cli';

const ROOT = resolve(__dirname, '..', '..');

describe('deploy/temporal/register-namespace.sh (temporal-namespace job)', { timeout: 300_000 }, () => {
  let work: string;
  let binDir: string;
  let server: BareDevServer;
  let connection: Connection;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'phasegate-jobs-'));
    binDir = await cliBinDir(work);
    server = await startBareDevServer();
    connection = await Connection.connect({ address: server.address });
  });
  after(async () => {
    await connection?.close();
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('registers the namespace with its retention and all five search attributes, typed as phasegate declares them', async () => {
    const before = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.equal(Object.keys(before.customAttributes ?? {}).some((k) => k === 'SirCaseId'), false, 'the bare server starts without them');

    const result = await registerNamespace(binDir, server.address, 'phasegate', { TEMPORAL_NAMESPACE_RETENTION: '72h' });
    assert.equal(result.code, 0, `the job failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /namespace phasegate: registered/);

    const described = await connection.workflowService.describeNamespace({ namespace: 'phasegate' });
    assert.equal(Number(described.config?.workflowExecutionRetentionTtl?.seconds), 72 * 3600);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'phasegate' });
    for (const key of PHASEGATE_SEARCH_ATTRIBUTES) {
      const expected = temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`];
      assert.equal(customAttributes?.[key.name], expected, `${key.name} should be ${key.type}`);
    }
  });

  it('is idempotent: a second run (a `docker compose up` after a restart) changes nothing and succeeds', async () => {
    const result = await registerNamespace(binDir, server.address, 'phasegate', { TEMPORAL_NAMESPACE_RETENTION: '72h' });
    assert.equal(result.code, 0, `the second run failed:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /namespace phasegate: already registered/);
    for (const key of PHASEGATE_SEARCH_ATTRIBUTES) assert.match(result.stdout, new RegExp(`search attribute ${key.name}: already registered`));
  });

  it('fails with a message, not a hang, when Temporal never answers', async () => {
    // A port nothing listens on; the script gives up after TEMPORAL_WAIT_SECONDS one-second tries (120 in compose).
    const started = Date.now();
    const result = await registerNamespace(binDir, '127.0.0.1:1', 'phasegate', { TEMPORAL_WAIT_SECONDS: '3' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Temporal at 127\.0\.0\.1:1 is not serving after 3 s/);
    assert.ok(Date.now() - started < 60_000);
  });
});

describe('deploy/temporal/setup-schema.sh (temporal-schema job)', () => {
  it('is valid POSIX sh that sets up both databases from the postgres v12 schema with temporal-sql-tool', async () => {
    const path = join(ROOT, 'deploy/temporal/setup-schema.sh');
    const syntax = await run('sh', ['-n', path]);
    assert.equal(syntax.code, 0, syntax.stderr);
    const script = await readFile(path, 'utf8');
    assert.match(script, /^set -eu$/m, 'a failed step must fail the job (and so keep Temporal from starting)');
    assert.match(script, /^SCHEMA_ROOT=\/etc\/temporal\/schema\/postgresql\/v12$/m);
    // Fresh databases get create → setup-schema → update-schema; set-up ones only update-schema.
    const steps = [...script.matchAll(/temporal-sql-tool --db "\$db" (create-database|setup-schema -v 0\.0|update-schema -d "\$dir")/g)].map((m) => m[1]);
    assert.deepEqual(steps, ['update-schema -d "$dir"', 'create-database', 'setup-schema -v 0.0', 'update-schema -d "$dir"']);
  });
});
