/**
 * Cases still on the frozen v4 loop (started before `attested-decisions`) decide with groups from the
 * users file, never from the message (issue 18, patch `v4-proven-groups`): the v4 loop runs live on
 * a real worker and dev server, and a decision is proven as for newer cases. Where Temporal access is
 * trusted the worker's users file (TEST_GROUPS) names the groups; elsewhere only the API server's
 * attestation counts.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { type IdentityOptions, createActivities } from '../../activities';
import { DecisionKeys } from '../../src/attestation/decision-keys';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { approveSignal, decideUpdate, stateQuery } from '../../src/domain/contract/messages';
import { testGroupsOf } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture, startSandboxFixture } from '../helpers/sir-sandbox';
import { connectToTestServer, uniqueTaskQueue } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import type { casePlaybook } from './fixtures/legacy-v4-workflow';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const LEADS_GATE = testPlaybook('legacy-v4', [DA, { status: CER, approval: { approvers: ['group:ir-leads'], onTimeout: 'reject' } }]);
const KEYS = new DecisionKeys([randomBytes(32).toString('hex')]);

describe('the frozen v4 loop takes approver groups from the users file (real dev server, real worker)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];
  const trusting = uniqueTaskQueue('legacy-v4-trusting');
  const attesting = uniqueTaskQueue('legacy-v4-attesting');

  before(async () => {
    env = await connectToTestServer();
    fx = await startSandboxFixture();
    const identities: Array<[string, IdentityOptions]> = [
      // As `phasegate dev`: a bare name counts, its groups come from the worker's users file.
      [trusting, { trustTemporalAccess: true, groupsOf: testGroupsOf }],
      // As production: only the API server's attestation proves a person and their groups.
      [attesting, { trustTemporalAccess: false, decisionKeys: KEYS }],
    ];
    for (const [taskQueue, identity] of identities) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowsPath: require.resolve('./fixtures/legacy-v4-workflow'),
        activities: createActivities(fx.sir, { identity }),
      });
      workers.push({ worker, running: worker.run() });
    }
  });
  after(async () => {
    for (const { worker } of workers) worker.shutdown();
    for (const { running } of workers) await running;
    await fx.sandbox.close();
    await env.teardown();
  });

  async function parkedAtGate(taskQueue: string): Promise<{ handle: WorkflowHandle<typeof casePlaybook>; state: CaseState }> {
    const input: CasePlaybookInput = {
      fingerprint: `legacy-v4-${randomUUID()}`,
      playbook: LEADS_GATE,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    const handle = await env.client.workflow.start<typeof casePlaybook>('casePlaybook', { taskQueue, workflowId: `case-${input.fingerprint}`, args: [input] });
    const state = await waitFor('the gate before Containment', async () => {
      const s = await handle.query(stateQuery);
      return s.pendingApproval?.target === CER ? s : undefined;
    });
    return { handle, state };
  }

  const noteOf = async (handle: WorkflowHandle, pattern: RegExp): Promise<string> =>
    waitFor(`a note matching ${pattern}`, async () => {
      const { note } = await handle.query(stateQuery);
      return note && pattern.test(note) ? note : undefined;
    });

  it('ignores the groups a signal claims: mallory (dev) saying she is in ir-leads is not an approver', async () => {
    const { handle } = await parkedAtGate(trusting);
    await handle.signal(approveSignal, { by: 'mallory', groups: ['ir-leads'] });
    await noteOf(handle, /ignored approve signal from mallory: mallory is not an approver/);
    const state = await handle.query(stateQuery);
    assert.equal(state.pendingApproval?.decidedBy, undefined, 'the gate is still open');
    assert.equal(state.status, DA);
    assert.deepEqual(state.decisions, []);
    await handle.terminate('test done');
  });

  it('refuses the same claim by update, with NotAnApprover', async () => {
    const { handle, state } = await parkedAtGate(trusting);
    const err = await handle
      .executeUpdate(decideUpdate, { args: [{ approvalId: state.pendingApproval!.approvalId, decision: 'approve', by: 'mallory', groups: ['ir-leads'] }] })
      .then(() => assert.fail('mallory\'s claimed group must not count'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'NotAnApprover');
    assert.equal((await handle.query(stateQuery)).status, DA);
    await handle.terminate('test done');
  });

  it('takes carol\'s ir-leads membership from the users file when her signal names no group', async () => {
    const { handle } = await parkedAtGate(trusting);
    await handle.signal(approveSignal, { by: 'carol' });
    const moved = await waitFor('the move to Containment', async () => {
      const s = await handle.query(stateQuery);
      return s.status === CER ? s : undefined;
    });
    assert.deepEqual(moved.decisions.map((d) => [d.by, d.decision, d.via]), [['carol', 'approve', 'signal']]);
    assert.equal((await handle.result()).status, CER);
  });

  it('where Temporal access is not trusted: a bare name decides nothing, the server\'s attestation (with the groups of its users file) does', async () => {
    const { handle, state } = await parkedAtGate(attesting);
    const approvalId = state.pendingApproval!.approvalId;
    const bare = await handle
      .executeUpdate(decideUpdate, { args: [{ approvalId, decision: 'approve', by: 'carol', groups: ['ir-leads'] }] })
      .then(() => assert.fail('a bare name must not decide'), (e: unknown) => e);
    assert.ok(bare instanceof WorkflowUpdateFailedError && bare.cause instanceof ApplicationFailure, String(bare));
    assert.equal(bare.cause.type, 'UnprovenIdentity');

    const attestation = KEYS.attest({ kind: 'decide', namespace: env.namespace ?? 'default', workflowId: handle.workflowId, approvalId, decision: 'approve' }, 'carol', ['ir-leads']);
    await handle.executeUpdate(decideUpdate, { args: [{ approvalId, decision: 'approve', by: 'carol', attestation }] });
    assert.equal((await handle.result()).status, CER);
  });
});
