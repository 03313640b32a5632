/**
 * Issue 18.4: Temporal write access does not bypass the gates. A run takes state over (case id, step,
 * approvals) only when it continues a case as new; a start that brings state of its own is refused
 * before any SIR call, however plausible the state.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import type { SandboxFixture } from '../helpers/sir-sandbox';
import { startWorkerFixture } from '../helpers/temporal';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

describe('a start that brings carried state (real dev server)', { timeout: 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  let fx: SandboxFixture;
  let taskQueue: string;
  let close: () => Promise<void>;
  before(async () => {
    ({ env, fx, taskQueue, close } = await startWorkerFixture('carried-state'));
  });
  after(() => close());

  it('is refused with UnverifiedStart, and SIR hears nothing', async () => {
    // A real case in Detection and Analysis, and a crafted "continuation" that claims its gate is passed.
    const { caseId } = await fx.sir.createCase({
      clientToken: randomUUID(),
      resolverType: 'Self',
      title: 'a real case',
      description: 'someone else drives it',
      engagementType: 'Security Incident',
      reportedIncidentStartDate: new Date(),
      impactedAccounts: [],
      watchers: [],
    });
    await fx.sir.updateCaseStatus(caseId, DA);
    const callsBefore = fx.sandbox.calls.list({ caseId }).length;
    const workflowId = `crafted-${randomUUID()}`;
    const input: CasePlaybookInput = {
      fingerprint: workflowId,
      playbook: testPlaybook('crafted', [DA, { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } }]),
      caseId,
      carried: {
        workflowId: `case-${workflowId}`,
        playbook: 'crafted',
        phase: 'running',
        stepIndex: 0,
        caseId,
        status: DA,
        transitions: [],
        decisions: [],
        approvals: 0,
        duplicateAlerts: 0,
        queue: [{ to: CER, requestedBy: 'playbook', approvedBy: ['alice'], stepIndex: 1 }],
      },
    };
    const handle = await env.client.workflow.start(casePlaybook, caseWorkflowOptions(input, taskQueue));
    const err = await handle.result().then(
      () => assert.fail('the crafted start ran'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'UnverifiedStart');
    assert.equal(fx.sandbox.calls.list({ caseId }).length, callsBefore, 'no SIR call on the case');
    assert.equal(fx.sandbox.getCase(caseId)?.caseStatus, DA);
  });
});
