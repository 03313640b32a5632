/**
 * Issue 12, "read before write": what adopting a change made outside phasegate does to the plan, as
 * pure functions of the playbook and the case state (src/domain/case/sir-drift.ts), checked together with
 * the planner that runs next (planNext), so each case ends in the step the workflow will take.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openApproval, planNext } from '../../src/domain/case/planner';
import type { CaseState } from '../../src/domain/case/state';
import { describeOutcome, recordDecision, refuseDecisionRequest } from '../../src/domain/case/decision-rules';
import { adoptSirCase, describeDrift, driftsFrom, stepIndexFor } from '../../src/domain/case/sir-drift';
import { testPlaybook } from '../helpers/playbooks';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const gate = { approvers: ['alice'], onTimeout: 'reject' as const };
const PLAYBOOK = testPlaybook('drift', [DA, { status: CER, approval: gate }, { status: PIA, approval: gate }], { close: { approval: gate } });
const AT = '2026-11-30T10:00:00.000Z';
const NOW = Date.parse(AT);

function caseAt(status: CaseState['status'], stepIndex: number, extra: Partial<CaseState> = {}): CaseState {
  return {
    workflowId: 'case-x',
    caseId: '1234567890',
    playbook: PLAYBOOK.name,
    status,
    resolverType: 'Self',
    phase: 'running',
    stepIndex,
    transitions: [],
    decisions: [],
    approvals: 0,
    duplicateAlerts: 0,
    ...extra,
  };
}

/** A case at D&A whose Containment gate (step 1) is open, as the planner leaves it. */
function waitingForContainment(): CaseState {
  const state = caseAt(DA, 0);
  openApproval(state, { target: CER, approval: gate, requestedBy: 'playbook', stepIndex: 1 }, NOW);
  return state;
}

describe('adopting a change made outside phasegate', () => {
  it('withdraws the Containment gate when an analyst moved the case on to Post-incident (the issue\'s example), and goes on from there', () => {
    const state = waitingForContainment();
    const record = adoptSirCase(PLAYBOOK, state, { status: PIA }, { at: AT, source: 'event', event: 'Case Updated by analyst' });
    assert.equal(state.status, PIA);
    assert.equal(state.stepIndex, 2, 'Post-incident is the playbook step the case now stands at');
    assert.equal(state.pendingApproval, undefined);
    assert.deepEqual(state.approvalOutcomes?.map((o) => [o.approvalId, o.decision, o.by]), [[1, 'withdrawn', ['phasegate']]]);
    assert.match(state.approvalOutcomes[0]!.reason!, /now "Post-incident Activities" in SIR, at or past the playbook step/);
    assert.deepEqual([record.source, record.believed, record.found, record.event], ['event', { status: DA, resolverType: 'Self' }, { status: PIA }, 'Case Updated by analyst']);
    assert.equal(state.driftCount, 1);
    // Never back to Containment: the playbook's next step is its close gate.
    assert.deepEqual(planNext(PLAYBOOK, state), { kind: 'open-approval', target: 'Closed', approval: gate });
    // A late approval of the withdrawn gate is told what became of it.
    const late = refuseDecisionRequest(state, { approvalId: 1, decision: 'approve', by: 'alice' });
    assert.equal(late?.type, 'ApprovalNotPending');
    assert.match(late.message, /approval #1 to move to "Containment, Eradication and Recovery" was withdrawn at .*: the case is now "Post-incident Activities"/);
  });

  it('withdraws a gate whose move became moot (the analyst made that very move)', () => {
    const state = waitingForContainment();
    const record = adoptSirCase(PLAYBOOK, state, { status: CER }, { at: AT, source: 'recheck' });
    assert.equal(state.pendingApproval, undefined);
    assert.match(record.dropped[0]!, /approval #1 to move to "Containment, Eradication and Recovery" \(withdrawn: the case is already "Containment, Eradication and Recovery" in SIR\)/);
    assert.equal(state.stepIndex, 1);
    assert.equal(planNext(PLAYBOOK, state).kind, 'open-approval');
    assert.equal((planNext(PLAYBOOK, state) as { target: string }).target, PIA);
  });

  it('keeps a gate open that is still allowed and still ahead: the approvers decide knowing the new status', () => {
    // At Containment with the Post-incident gate open, the analyst goes back to D&A: D&A → PIA is allowed.
    const state = caseAt(CER, 1);
    openApproval(state, { target: PIA, approval: gate, requestedBy: 'playbook', stepIndex: 2 }, NOW);
    const record = adoptSirCase(PLAYBOOK, state, { status: DA }, { at: AT, source: 'event' });
    assert.equal(state.pendingApproval?.approvalId, 1);
    assert.equal(state.stepIndex, 0, 'the case went back to the first step');
    assert.deepEqual(record.dropped, []);
    assert.equal(planNext(PLAYBOOK, state).kind, 'wait-for-decision');
    assert.equal(state.phase, 'awaiting-approval');
  });

  it('withdraws every status gate of a case AWS took over, and heads for the close gate', () => {
    const state = waitingForContainment();
    adoptSirCase(PLAYBOOK, state, { resolverType: 'AWS' }, { at: AT, source: 'event', event: 'Case Updated by AWS Responder' });
    assert.equal(state.resolverType, 'AWS');
    assert.equal(state.status, DA);
    assert.match(state.approvalOutcomes![0]!.reason!, /no longer possible from "Detection and Analysis": the case is AWS-supported/);
    assert.deepEqual(planNext(PLAYBOOK, state), { kind: 'open-approval', target: 'Closed', approval: gate });
  });

  it('ends the plan for a case closed in SIR', () => {
    const state = waitingForContainment();
    adoptSirCase(PLAYBOOK, state, { status: 'Closed' }, { at: AT, source: 'event' });
    assert.equal(state.closedOutsidePhasegate, true);
    assert.equal(state.pendingApproval, undefined);
    assert.match(state.approvalOutcomes![0]!.reason!, /no longer possible from "Closed"/);
    assert.deepEqual(planNext(PLAYBOOK, state), { kind: 'finish' });
  });

  it('drops the move in hand and every queued move, naming each once', () => {
    const state = caseAt(DA, 0, {
      queue: [
        { to: CER, requestedBy: 'bob', approvedBy: ['alice'], stepIndex: 1 },
        { to: PIA, requestedBy: 'carol' },
      ],
    });
    const record = adoptSirCase(PLAYBOOK, state, { status: PIA }, { at: AT, source: 'move', moving: { to: CER, queued: true } });
    assert.equal(state.queue, undefined);
    assert.deepEqual(record.dropped, [
      'the move to "Containment, Eradication and Recovery" (not made: it was decided for "Detection and Analysis")',
      'the queued move to "Post-incident Activities" (requested by carol)',
    ]);
  });

  it('drops an approved move that has not run yet: it was approved from the old status', () => {
    const state = waitingForContainment();
    recordDecision(state, { approvalId: 1, decision: 'approve', by: 'alice' }, { at: AT, via: 'update' });
    const record = adoptSirCase(PLAYBOOK, state, { status: PIA }, { at: AT, source: 'event' });
    assert.equal(state.pendingApproval, undefined);
    assert.match(record.dropped[0]!, /the approved move to "Containment, Eradication and Recovery" of approval #1 \(not made/);
    // The approval's own outcome stays what the people decided.
    assert.deepEqual(state.approvalOutcomes?.map((o) => o.decision), ['approve']);
  });

  it('a case that waited for a request after a rejection goes on with its playbook from the adopted status', () => {
    const state = caseAt(DA, 0, { phase: 'awaiting-request' });
    assert.equal(planNext(PLAYBOOK, state).kind, 'wait-for-request');
    adoptSirCase(PLAYBOOK, state, { status: CER }, { at: AT, source: 'event' });
    assert.equal(state.phase, 'running');
    assert.deepEqual(planNext(PLAYBOOK, state), { kind: 'open-approval', target: PIA, approval: gate, stepIndex: 2 });
  });

  it('waits for a person where the table allows no playbook step from the adopted status', () => {
    const noClose = testPlaybook('no-close', [DA, CER]);
    const state = caseAt(DA, 0);
    adoptSirCase(noClose, state, { status: 'Acknowledged' }, { at: AT, source: 'recheck' });
    const next = planNext(noClose, state);
    assert.equal(next.kind, 'wait-for-request');
    assert.match((next as { why: string }).why, /next step "Containment, Eradication and Recovery" is not possible from "Acknowledged"/);
  });

  it('keeps the last 20 drifts and counts them all', () => {
    const state = caseAt(DA, 0);
    for (let i = 0; i < 25; i++) adoptSirCase(PLAYBOOK, state, { status: i % 2 ? DA : CER }, { at: AT, source: 'event' });
    assert.equal(state.drifts?.length, 20);
    assert.equal(state.driftCount, 25);
  });
});

describe('drift helpers', () => {
  it('sees a drift in the status or the resolver type, not in what SIR left out', () => {
    const state = caseAt(DA, 0);
    assert.equal(driftsFrom(state, { status: DA, resolverType: 'Self' }), false);
    assert.equal(driftsFrom(state, {}), false);
    assert.equal(driftsFrom(state, { status: CER }), true);
    assert.equal(driftsFrom(state, { status: DA, resolverType: 'AWS' }), true);
  });

  it('finds the step of the adopted status ahead first, then behind, Submitted as the start', () => {
    const loop = testPlaybook('loop', [DA, CER, DA, PIA]);
    assert.equal(stepIndexFor(loop, 1, DA), 2, 'forward to the next D&A step');
    assert.equal(stepIndexFor(loop, 3, DA), 2, 'back to the latest D&A step');
    assert.equal(stepIndexFor(loop, 2, 'Submitted'), -1);
    assert.equal(stepIndexFor(loop, 2, 'Acknowledged'), 2);
  });

  it('describes a drift in words a responder reads in SIR', () => {
    const state = waitingForContainment();
    const record = adoptSirCase(PLAYBOOK, state, { status: PIA }, { at: AT, source: 'event', event: 'Case Updated by arn:aws:iam::123456789012:user/analyst' });
    assert.equal(
      describeDrift(record, state.caseId),
      'SIR shows case 1234567890 as "Post-incident Activities" where phasegate believed "Detection and Analysis" (resolver Self) ' +
        '(found when it re-read the case after a SIR event (Case Updated by arn:aws:iam::123456789012:user/analyst)); phasegate adopted what SIR says. ' +
        'Dropped: approval #1 to move to "Containment, Eradication and Recovery" (withdrawn: the case is now "Post-incident Activities" in SIR, at or past the playbook step this approval was for).',
    );
    assert.match(describeOutcome(state.approvalOutcomes![0]!), /^approval #1 to move to "Containment, Eradication and Recovery" was withdrawn at 2026-11-30T10:00:00.000Z: /);
  });
});
