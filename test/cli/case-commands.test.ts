/**
 * The `phasegate` case commands as a responder runs them: a real process, against the shared dev
 * server, a worker and the sandbox; exit codes and the one-line reasons.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stateQuery } from '../../src/domain/messages';
import { startServerFixture, type ServerFixture } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const ROOT = resolve(__dirname, '..', '..');
const CER = 'Containment, Eradication and Recovery';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function phasegate(...args: string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'phasegate.js'), ...args],
      { cwd: ROOT, env: { ...process.env, PHASEGATE_USERS: '' }, timeout: 60_000 },
      (error, stdout, stderr) => resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('phasegate approve | reject | transition | status | list', { timeout: 300_000 }, () => {
  let fx: ServerFixture;
  let workflowId: string;
  let caseId: string;

  before(async () => {
    fx = await startServerFixture();
    const alert = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'generic-alert.json'), 'utf8')) as Record<string, unknown>;
    alert.id = `cli-${Date.now()}`;
    ({ caseWorkflowId: workflowId } = (await (await fx.postAlert(alert)).json()) as { caseWorkflowId: string });
    const state = await waitFor('the Containment approval', async () => {
      const s = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
      return s.pendingApproval?.target === CER ? s : undefined;
    });
    caseId = state.caseId!;
    // The SIR case id is found through visibility, which trails the workflow by a moment.
    await waitFor('the case in visibility', async () => {
      for await (const wf of fx.env.client.workflow.list({ query: `SirCaseId = '${caseId}'` })) return wf.workflowId;
      return undefined;
    });
  });
  after(async () => {
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
    await fx.close();
  });

  it('status prints the case and what it waits for', async () => {
    const run = await phasegate('status', caseId);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`case ${caseId} .* playbook nist-800-61-default`));
    assert.match(run.stdout, /waiting for approval to move to "Containment, Eradication and Recovery" by group:ir-leads/);
  });

  it('list shows the waiting case', async () => {
    const run = await phasegate('list', '--awaiting-approval');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^CASE\s+STATUS\s+APPROVAL\s+PLAYBOOK\s+WORKFLOW/);
    assert.match(run.stdout, new RegExp(`${caseId}\\s+Detection and Analysis\\s+yes\\s+nist-800-61-default\\s+${workflowId}`));
  });

  it('approve by someone who is not an approver exits 1 with the reason on one line', async () => {
    const run = await phasegate('approve', caseId, '--by', 'mallory');
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^phasegate: refused \(NotAnApprover\): mallory is not an approver .*\(approvers: group:ir-leads\)\n$/);
  });

  it('a command without --by exits non-zero and names the missing option', async () => {
    const run = await phasegate('approve', caseId);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /required option '--by <who>' not specified/);
  });

  it('an unknown case exits 1 with "not found"', async () => {
    const run = await phasegate('status', '1234567890');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^phasegate: not found \(CaseNotFound\): no phasegate case for SIR case 1234567890\n$/);
  });

  it('transition to a misspelt status exits non-zero naming the valid ones', async () => {
    const run = await phasegate('transition', caseId, '--to', 'Containment, Eradication, and Recovery', '--by', 'alice');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /is not a SIR case status .*"Containment, Eradication and Recovery"/);
  });

  it('transition while an approval is pending is refused with exit 1', async () => {
    const run = await phasegate('transition', caseId, '--to', 'Post-incident Activities', '--by', 'alice');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^phasegate: refused \(ApprovalPending\): an approval to move to "Containment, Eradication and Recovery" is pending/);
  });

  it('approve by an ir-lead moves the case and prints the new state', async () => {
    const run = await phasegate('approve', caseId, '--by', 'alice', '--group', 'ir-leads', '--comment', 'contain');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /status: Containment, Eradication and Recovery/);
    assert.match(run.stdout, /alice approved "Containment, Eradication and Recovery": contain/);
  });

  it('reject of the next gate, then transition back, by workflow id', async () => {
    await waitFor('the Post-incident approval', async () => {
      const s = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
      return s.pendingApproval?.target === 'Post-incident Activities' ? true : undefined;
    });
    const rejected = await phasegate('reject', workflowId, '--by', 'alice', '--group', 'ir-leads', '--json');
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.equal((JSON.parse(rejected.stdout) as { status: string }).status, CER);

    const back = await phasegate('transition', workflowId, '--to', 'Detection and Analysis', '--by', 'alice', '--reason', 'new IoCs');
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /Containment, Eradication and Recovery → Detection and Analysis .*asked by alice/);
  });
});
