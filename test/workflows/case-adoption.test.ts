/**
 * Issue 18 point 2, on a real dev server with a real worker and the SIR sandbox: an alert that names an
 * existing SIR case adopts it, and the playbook goes on from the case's status (cases since the
 * `adopt-from-status` patch), never moving it back to an earlier step. The sandbox plays the analyst
 * who had already moved the case before phasegate heard of it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import type { CaseStatus } from '../../src/domain/case/status';
import { stateQuery } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { casePlaybook } from '../../workflows';
import { decideOn } from '../helpers/decisions';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE, type SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const ANALYST = 'arn:aws:iam::123456789012:user/analyst';
const gate = { approvers: ['alice'], onTimeout: 'reject' as const };

/** D&A freely, then gates before Containment, Post-incident and close: the shape of the shipped NIST playbook. */
const GATED = testPlaybook('adopt', [DA, { status: CER, approval: gate }, { status: PIA, approval: gate }], { close: { approval: gate } });
/** No gates: a case that were moved back would be moved at once. */
const FREE = testPlaybook('adopt-free', [DA, CER, PIA], { close: true });

describe('adopting a SIR case an alert names (real dev server, sandbox as the analyst)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('case-adoption'));
  });
  after(() => close());

  /** A SIR case an analyst has already moved to `status` (through the console, outside the SIR API). */
  async function existingCase(status: CaseStatus): Promise<string> {
    const { caseId } = await fx.sir.createCase({ ...SAMPLE_CASE, clientToken: randomUUID() });
    for (const next of pathTo(status)) await fx.sandbox.changeCase(caseId, { caseStatus: next, updatedBy: ANALYST });
    assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, status);
    return caseId;
  }

  function adopt(playbook: Playbook, caseId: string): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = { fingerprint: `adopt-${randomUUID()}`, playbook, caseId };
    return env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
  }

  const until = (handle: WorkflowHandle<typeof casePlaybook>, what: string, test: (s: CaseState) => boolean): Promise<CaseState> =>
    waitFor(what, async () => {
      const state = await handle.query(stateQuery);
      return test(state) ? state : undefined;
    });

  const statusWrites = (caseId: string): string[] =>
    fx.sandbox.calls.list({ operation: 'UpdateCaseStatus', caseId }).map((c) => (c.requestBody as { caseStatus: string }).caseStatus);

  it('goes on from Containment: the next gate is Post-incident, and nothing moves the case back to Detection and Analysis', async () => {
    const caseId = await existingCase(CER);
    const handle = await adopt(GATED, caseId);
    const waiting = await until(handle, 'a gate', (s) => s.pendingApproval !== undefined || s.transitions.length > 0);
    assert.equal(waiting.pendingApproval?.target, PIA, `the playbook's step after Containment; transitions: ${JSON.stringify(waiting.transitions)}`);
    assert.deepEqual([waiting.status, waiting.stepIndex], [CER, 1]);
    assert.deepEqual(statusWrites(caseId), [], 'no status change sent to SIR');

    await decideOn(handle, 'approve', 'alice');
    await until(handle, 'the close gate', (s) => s.pendingApproval?.target === 'Closed');
    await decideOn(handle, 'approve', 'alice');
    const outcome = await handle.result();
    assert.deepEqual(outcome.transitions.map((t) => [t.from, t.to]), [[CER, PIA], [PIA, 'Closed']]);
    assert.deepEqual(statusWrites(caseId), [PIA]);
  });

  it('goes on from Post-incident: straight to the close gate', async () => {
    const caseId = await existingCase(PIA);
    const handle = await adopt(GATED, caseId);
    const waiting = await until(handle, 'a gate', (s) => s.pendingApproval !== undefined || s.transitions.length > 0);
    assert.equal(waiting.pendingApproval?.target, 'Closed', `transitions: ${JSON.stringify(waiting.transitions)}`);
    assert.deepEqual([waiting.status, waiting.stepIndex], [PIA, 2]);
    await decideOn(handle, 'approve', 'alice');
    const outcome = await handle.result();
    assert.deepEqual(outcome.transitions.map((t) => [t.from, t.to]), [[PIA, 'Closed']]);
    assert.deepEqual(statusWrites(caseId), []);
  });

  it('never sends a backward move on a playbook without gates: Containment goes on to Post-incident and close', async () => {
    const caseId = await existingCase(CER);
    const outcome = await (await adopt(FREE, caseId)).result();
    assert.deepEqual(outcome.transitions.map((t) => [t.from, t.to]), [[CER, PIA], [PIA, 'Closed']]);
    assert.deepEqual(statusWrites(caseId), [PIA]);
  });

  it('does not move a case past every status step back to one: a Post-incident case on a playbook that ends at Containment is only closed', async () => {
    const caseId = await existingCase(PIA);
    const outcome = await (await adopt(testPlaybook('adopt-short', [DA, CER], { close: true }), caseId)).result();
    assert.deepEqual(outcome.transitions.map((t) => [t.from, t.to]), [[PIA, 'Closed']]);
    assert.deepEqual(statusWrites(caseId), []);
  });

  it('ends at once, as closed outside phasegate, when the case is already Closed', async () => {
    const caseId = await existingCase('Closed');
    const outcome = await (await adopt(GATED, caseId)).result();
    assert.deepEqual([outcome.phase, outcome.status, outcome.closedOutsidePhasegate], ['closed', 'Closed', true]);
    assert.deepEqual(outcome.transitions, []);
    assert.equal(fx.sandbox.calls.list({ operation: 'CloseCase', caseId }).length, 0);
  });
});

/** The statuses an analyst walks a new case through to reach `status` (the console allows any order). */
function pathTo(status: CaseStatus): CaseStatus[] {
  const order: CaseStatus[] = [DA, CER, PIA];
  if (status === 'Closed') return [DA, 'Closed'];
  return order.slice(0, order.indexOf(status) + 1);
}
