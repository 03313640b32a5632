/**
 * The `phasegate` case commands as a responder runs them: a real process, against the shared dev
 * server, a worker and the sandbox; exit codes and the one-line reasons.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stateQuery } from '../../src/domain/contract/messages';
import { USERS, startServerFixture, type ServerFixture, type UserName } from '../helpers/server';
import { waitFor } from '../helpers/wait';

const ROOT = resolve(__dirname, '..', '..');
const CER = 'Containment, Eradication and Recovery';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function phasegate(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'phasegate.js'), ...args],
      // An empty state dir: no `phasegate dev` credentials to fall back on; the test names URL and token.
      { cwd: ROOT, env: { ...process.env, PHASEGATE_USERS: '', PHASEGATE_STATE_DIR: STATE_DIR, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolveRun({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const STATE_DIR = mkdtempSync(join(tmpdir(), 'phasegate-cli-'));

describe('phasegate approve | reject | transition | status | list', { timeout: 300_000 }, () => {
  let fx: ServerFixture;
  let workflowId: string;
  let caseId: string;
  /** The CLI as one user: the API URL and that user's token, the way a responder configures it. */
  const as = (user: UserName, ...args: string[]): Promise<Run> => phasegate({ PHASEGATE_URL: fx.url, PHASEGATE_TOKEN: USERS[user].token }, ...args);

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

  it('status prints the case and the approval it waits for, with its id', async () => {
    const run = await as('bob', 'status', caseId);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`case ${caseId} .* playbook nist-800-61-default`));
    assert.match(run.stdout, /approval #1 pending: move to "Containment, Eradication and Recovery" by group:ir-leads/);
  });

  it('list shows the waiting case', async () => {
    const run = await as('bob', 'list', '--awaiting-approval');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^CASE\s+STATUS\s+APPROVAL\s+PLAYBOOK\s+WORKFLOW/);
    assert.match(run.stdout, new RegExp(`${caseId}\\s+Detection and Analysis\\s+#1\\s+nist-800-61-default\\s+${workflowId}`));
  });

  it('approve by someone who is not an approver exits 1 with the reason on one line', async () => {
    const run = await as('bob', 'approve', caseId);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^phasegate: refused \(403 NotAnApprover\): bob is not an approver .*\(approvers: group:ir-leads\)\n$/);
  });

  it('--by is checked against the token, never taken from the flag', async () => {
    const run = await as('bob', 'approve', caseId, '--by', 'alice');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^phasegate: --by alice does not match the API token's user "bob"; the token decides who acts\n$/);
    const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
    assert.equal(state.decisions.length, 0);
  });

  it('without a token (and no `phasegate dev` here) exits 2 saying what to set', async () => {
    const run = await phasegate({ PHASEGATE_URL: fx.url, PHASEGATE_TOKEN: '' }, 'status', caseId);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^phasegate: no API token: set PHASEGATE_TOKEN \(and PHASEGATE_URL\)/);
  });

  it('an API that is not running exits 1 with one line naming it', async () => {
    const run = await phasegate({ PHASEGATE_URL: 'http://127.0.0.1:9', PHASEGATE_TOKEN: USERS.bob.token }, 'status', caseId);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^phasegate: cannot reach the phasegate API at http:\/\/127\.0\.0\.1:9 /);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });

  it('an unknown case exits 1 with "not found"', async () => {
    const run = await as('bob', 'status', '1234567890');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^phasegate: not found \(404 CaseNotFound\): no phasegate case for SIR case 1234567890\n$/);
  });

  it('transition to a misspelt status exits non-zero naming the valid ones', async () => {
    const run = await as('alice', 'transition', caseId, '--to', 'Containment, Eradication, and Recovery');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /is not a SIR case status .*"Containment, Eradication and Recovery"/);
  });

  it('transition while an approval is pending is refused with exit 1', async () => {
    const run = await as('alice', 'transition', caseId, '--to', 'Post-incident Activities');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^phasegate: refused \(409 ApprovalPending\): approval #1 to move to "Containment, Eradication and Recovery" is pending/);
  });

  it('approve by an ir-lead decides the pending approval and says which gate it decided', async () => {
    const run = await as('alice', 'approve', caseId, '--by', 'alice', '--comment', 'contain');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `approved approval #1 (move case ${caseId} to "${CER}"): the move is under way (\`phasegate status\` shows its progress).\n`);
    // Run again (as after an error): the same decision, the first answer; the next gate is untouched.
    await waitFor('the Post-incident approval', async () => {
      const s = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
      return s.pendingApproval?.target === 'Post-incident Activities' ? true : undefined;
    });
    const again = await as('alice', 'approve', caseId, '--approval', '1', '--comment', 'contain');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, run.stdout);
    // A different decision on it is refused, saying what became of it.
    const stale = await as('alice', 'reject', caseId, '--approval', '1');
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^phasegate: refused \(409 ApprovalNotPending\): approval #1 to move to "Containment, Eradication and Recovery" was approved by alice at /);
    const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
    assert.equal(state.pendingApproval?.decidedBy, undefined, 'the Post-incident gate is still open');
  });

  it('reject of the next gate, then transition back, by workflow id', async () => {
    // Without --approval, moments after deciding #1, the CLI asks which approval is meant.
    const unnamed = await as('alice', 'reject', workflowId);
    assert.equal(unnamed.code, 2);
    assert.match(unnamed.stderr, /^phasegate: you decided approval #1 \("Containment, Eradication and Recovery"\) at .*; approval #2 \(move to "Post-incident Activities"\) is pending now: pass --approval 2 to decide it\n$/);
    const rejected = await as('alice', 'reject', workflowId, '--approval', '2', '--json');
    assert.equal(rejected.code, 0, rejected.stderr);
    const answer = JSON.parse(rejected.stdout) as { result: string; approvalId: number; target: string };
    assert.deepEqual([answer.result, answer.approvalId, answer.target], ['rejected', 2, 'Post-incident Activities']);
    await waitFor('the case to wait for a request', async () => ((await fx.env.client.workflow.getHandle(workflowId).query(stateQuery)).phase === 'awaiting-request' ? true : undefined));

    const back = await as('alice', 'transition', workflowId, '--to', 'Detection and Analysis', '--reason', 'new IoCs');
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, `case ${caseId} is moving to "Detection and Analysis".\n`);
    const moved = await waitFor('the move back', async () => {
      const run = await as('bob', 'status', workflowId);
      return /status: Detection and Analysis/.test(run.stdout) ? run : undefined;
    });
    assert.match(moved.stdout, /Containment, Eradication and Recovery → Detection and Analysis .*asked by alice/);
  });

  it('--via temporal needs --by, and a bare name counts only where workers trust Temporal access', async () => {
    const temporal = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!, TEMPORAL_NAMESPACE: fx.env.namespace!, PHASEGATE_TOKEN: '' };
    const noBy = await phasegate(temporal, 'approve', caseId, '--via', 'temporal');
    assert.equal(noBy.code, 2);
    assert.match(noBy.stderr, /--via temporal needs --by <who>/);
    const status = await phasegate(temporal, 'status', caseId, '--via', 'temporal');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`case ${caseId}`));
    // This deployment's workers do not trust Temporal access: the break-glass decision is refused and recorded.
    await waitFor('the Containment gate again', async () => {
      const s = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
      return s.pendingApproval?.target === CER ? true : undefined;
    });
    const pending = (await fx.env.client.workflow.getHandle(workflowId).query(stateQuery)).pendingApproval!.approvalId;
    const refused = await phasegate(temporal, 'approve', caseId, '--approval', String(pending), '--by', 'alice', '--via', 'temporal');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^phasegate: refused \(UnprovenIdentity\): nothing proves that phasegate authenticated alice/);
    const state = await fx.env.client.workflow.getHandle(workflowId).query(stateQuery);
    assert.equal(state.refusals?.at(-1)?.type, 'UnprovenIdentity');
    assert.equal(state.pendingApproval?.decidedBy, undefined);
  });
});
