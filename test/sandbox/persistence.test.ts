/**
 * The optional state file: cases, comments and clientTokens survive a restart; a damaged file
 * stops the sandbox from starting rather than being overwritten.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox } from '../../src/sandbox';
import { caseInput, startTestSandbox } from './signed-http';

describe('sandbox persistence', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'phasegate-sandbox-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keeps cases, comments and clientTokens across a restart', async () => {
    const persistFile = join(dir, 'nested', 'state.json');
    const first = await startTestSandbox({ persistFile });
    const created = await first.http.createCase(caseInput({ clientToken: 'fp-restart', impactedAwsRegions: [{ region: 'eu-west-1' }] }));
    const caseId = created.json.caseId;
    await first.http.updateCaseStatus(caseId, 'Detection and Analysis');
    await first.http.createComment(caseId, { body: 'Triage started', clientToken: 'c-restart' });
    const closedId = await first.http.newCase();
    await first.http.closeCase(closedId);
    const before = (await first.http.getCase(caseId)).json;
    await first.sandbox.close();

    const onDisk = JSON.parse(await readFile(persistFile, 'utf8'));
    assert.equal(onDisk.format, 'phasegate-sir-sandbox');
    assert.equal(onDisk.cases.length, 2);

    const second = await startTestSandbox({ persistFile });
    try {
      assert.deepEqual((await second.http.getCase(caseId)).json, before);
      const closed = (await second.http.getCase(closedId)).json;
      assert.equal(closed.caseStatus, 'Closed');
      assert.equal(typeof closed.closedDate, 'number');
      assert.deepEqual(
        second.sandbox.getComments(caseId).map((c) => [c.commentId, c.body]),
        [['000001', 'Triage started']],
      );
      const replay = await second.http.createCase(caseInput({ clientToken: 'fp-restart', impactedAwsRegions: [{ region: 'eu-west-1' }] }));
      assert.equal(replay.status, 201);
      assert.equal(replay.json.caseId, caseId, 'a clientToken from before the restart still deduplicates');
      assert.equal((await second.http.createComment(caseId, { body: 'Triage started', clientToken: 'c-restart' })).json.commentId, '000001');
      assert.equal((await second.http.createComment(caseId, { body: 'After restart' })).json.commentId, '000002');
      assert.equal((await second.http.listCases()).json.total, 2);
      assert.equal(second.sandbox.getCase(caseId)?.reportedIncidentStartDate instanceof Date, true);
    } finally {
      await second.sandbox.close();
    }
  });

  it('writes each change before acknowledging it', async () => {
    const persistFile = join(dir, 'each-change.json');
    const ctx = await startTestSandbox({ persistFile });
    try {
      const caseId = await ctx.http.newCase();
      await ctx.http.updateCaseStatus(caseId, 'Detection and Analysis');
      const onDisk = JSON.parse(await readFile(persistFile, 'utf8'));
      assert.equal(onDisk.cases[0].caseStatus, 'Detection and Analysis');
    } finally {
      await ctx.sandbox.close();
    }
  });

  it('persists test-hook changes and reset', async () => {
    const persistFile = join(dir, 'hooks.json');
    const ctx = await startTestSandbox({ persistFile });
    const caseId = await ctx.http.newCase({ resolverType: 'AWS' });
    ctx.sandbox.setCaseStatus(caseId, 'Acknowledged');
    await ctx.sandbox.close();
    const reopened = await startTestSandbox({ persistFile });
    assert.equal(reopened.sandbox.getCase(caseId)?.caseStatus, 'Acknowledged');
    reopened.sandbox.reset();
    await reopened.sandbox.close();
    const onDisk = JSON.parse(await readFile(persistFile, 'utf8'));
    assert.deepEqual(onDisk.cases, []);
  });

  it('refuses to start on a damaged file, and leaves the file alone', async () => {
    const persistFile = join(dir, 'damaged.json');
    await writeFile(persistFile, '{"format": "phasegate-sir-sandbox", "cases": [', 'utf8');
    await assert.rejects(startSandbox({ port: 0, persistFile }), (err: Error) => err.message.includes(persistFile) && /not valid JSON/.test(err.message));
    assert.equal(await readFile(persistFile, 'utf8'), '{"format": "phasegate-sir-sandbox", "cases": [');

    const foreign = join(dir, 'foreign.json');
    await writeFile(foreign, JSON.stringify({ some: 'other file' }), 'utf8');
    await assert.rejects(startSandbox({ port: 0, persistFile: foreign }), /is not a phasegate-sir-sandbox v1 file/);
  });
});
