/**
 * The planner and the gate's rules without Temporal: what a case does next from any state, and what a
 * decision or request does to it. fast-check drives random sequences of decisions through the rules to
 * show a gate is decided once, by distinct approvers, and never by the requester under four-eyes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { openApproval, planNext, takeRequest } from '../../src/domain/case/planner';
import type { CaseState } from '../../src/domain/case/state';
import {
  approvalsNeeded,
  approvedMove,
  describeOutcome,
  outcomesFromDecisions,
  recordDecision,
  recordTimeout,
  refuseDecisionBy,
  refuseDecisionRequest,
  refuseTransitionRequest,
  repeatedDecision,
} from '../../src/domain/case/decision-rules';
import type { ApprovalSpec } from '../../src/domain/playbook/playbook';
import { testPlaybook } from '../helpers/playbooks';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const AT = '2026-11-30T10:00:00.000Z';
const NOW = Date.parse(AT);

const GATE: ApprovalSpec = { approvers: ['group:ir-leads', 'alice'], onTimeout: 'reject', minApprovers: 2, separateFrom: 'requester', timeoutMs: 3_600_000, notify: ['chat'], remindEveryMs: 600_000 };
const PLAYBOOK = testPlaybook('plan', [DA, { status: CER, approval: GATE }, PIA], { close: true });

function running(over: Partial<CaseState> = {}): CaseState {
  return { playbook: 'plan', phase: 'running', stepIndex: -1, transitions: [], decisions: [], approvals: 0, duplicateAlerts: 0, caseId: '1234567890', status: 'Submitted', resolverType: 'Self', ...over };
}

describe('planNext', () => {
  it('walks the playbook: a free step moves, a gated one opens an approval, close ends it', () => {
    assert.deepEqual(planNext(PLAYBOOK, running()), { kind: 'move', move: { to: DA, requestedBy: 'playbook', stepIndex: 0 }, queued: false });
    assert.deepEqual(planNext(PLAYBOOK, running({ status: DA, stepIndex: 0 })), { kind: 'open-approval', target: CER, approval: GATE, stepIndex: 1 });
    assert.deepEqual(planNext(PLAYBOOK, running({ status: PIA, stepIndex: 2 })), { kind: 'move', move: { to: 'Closed', requestedBy: 'playbook' }, queued: false });
    assert.deepEqual(planNext(PLAYBOOK, running({ status: 'Closed', stepIndex: 2 })), { kind: 'finish' });
  });

  it('waits for a person where the table forbids the next step, and skips steps an adopted case already stands at', () => {
    const blocked = planNext(testPlaybook('b', [PIA]), running({ status: 'Submitted' }));
    assert.equal(blocked.kind, 'wait-for-request');
    assert.match((blocked as { why: string }).why, /next step "Post-incident Activities" is not possible from "Submitted"/);
    const adopted = running({ status: DA });
    assert.equal(planNext(PLAYBOOK, adopted).kind, 'open-approval');
    assert.equal(adopted.stepIndex, 0);
  });

  it('sends AWS-supported cases straight to the close step', () => {
    assert.deepEqual(planNext(PLAYBOOK, running({ resolverType: 'AWS', status: 'Acknowledged' })), { kind: 'move', move: { to: 'Closed', requestedBy: 'playbook' }, queued: false });
  });

  it('takes queued moves first, then decided gates, and waits at an undecided one', () => {
    const state = running({ status: DA, stepIndex: 0, queue: [{ to: PIA, requestedBy: 'erin' }] });
    assert.deepEqual(planNext(PLAYBOOK, state), { kind: 'move', move: { to: PIA, requestedBy: 'erin' }, queued: true });
    const gated = running({ status: DA, stepIndex: 0 });
    const pending = openApproval(gated, { target: CER, approval: GATE, requestedBy: 'playbook', stepIndex: 1 }, NOW);
    assert.equal(planNext(PLAYBOOK, gated).kind, 'wait-for-decision');
    recordTimeout(gated, 'reject', AT);
    assert.deepEqual(planNext(PLAYBOOK, gated), { kind: 'rejected', pending, then: 'stay' });
    assert.equal(planNext(testPlaybook('c', [DA, { status: CER, approval: GATE }], { onReject: 'close' }), gated).kind, 'rejected');
  });

  it('opens a gate with its number, absolute deadline and first reminder', () => {
    const state = running({ status: DA, approvals: 4 });
    const pending = openApproval(state, { target: CER, approval: GATE, requestedBy: 'dave', requestId: 'r1' }, NOW);
    assert.deepEqual(pending, {
      approvalId: 5,
      target: CER,
      approvers: ['group:ir-leads', 'alice'],
      requestedAt: AT,
      requestedBy: 'dave',
      escalated: false,
      minApprovers: 2,
      separateFrom: 'requester',
      deadline: '2026-11-30T11:00:00.000Z',
      nextReminderAt: '2026-11-30T10:10:00.000Z',
      requestId: 'r1',
    });
    assert.equal(state.phase, 'awaiting-approval');
  });
});

describe('transition requests', () => {
  it('open the target gate, or queue a free move, and remember the request id', () => {
    const state = running({ status: DA, stepIndex: 0, phase: 'awaiting-request' });
    assert.equal(refuseTransitionRequest(state, { to: CER, by: 'dave' }), undefined);
    const taken = takeRequest(PLAYBOOK, state, { to: CER, by: 'dave', requestId: 'r1' }, NOW);
    assert.deepEqual([taken.result, taken.approvalId], ['awaiting-approval', 1]);
    assert.equal(refuseTransitionRequest(state, { to: PIA, by: 'erin' })?.type, 'ApprovalPending');
    // The same request id again is let through, to be answered with what it did.
    assert.equal(refuseTransitionRequest(state, { to: CER, by: 'dave', requestId: 'r1' }), undefined);

    const free = running({ status: CER, stepIndex: 1, phase: 'awaiting-request' });
    assert.equal(takeRequest(PLAYBOOK, free, { to: DA, by: 'erin', requestId: 'r2' }, NOW).result, 'moving');
    assert.deepEqual(free.queue, [{ to: DA, requestedBy: 'erin', requestId: 'r2', stepIndex: 0 }]);
    assert.equal(refuseTransitionRequest(free, { to: PIA, by: 'dave' })?.type, 'TransitionInProgress');
  });

  it('refuse illegal moves, closed cases and bad request ids', () => {
    assert.equal(refuseTransitionRequest(running({ status: DA }), { to: 'Submitted', by: 'dave' })?.type, 'IllegalTransition');
    assert.equal(refuseTransitionRequest(running({ status: 'Closed' }), { to: DA, by: 'dave' })?.type, 'CaseClosed');
    assert.equal(refuseTransitionRequest(running({ status: DA }), { to: CER, by: 'dave', requestId: 'has space' })?.type, 'InvalidRequest');
    assert.equal(refuseTransitionRequest(running({ status: DA }), { to: CER, by: '' })?.type, 'InvalidRequest');
  });
});

describe('decisions on a quorum, four-eyes gate', () => {
  const opened = (): CaseState => {
    const state = running({ status: DA, stepIndex: 0 });
    openApproval(state, { target: CER, approval: GATE, requestedBy: 'carol' }, NOW);
    return state;
  };
  const groupsOf: Record<string, string[]> = { carol: ['ir-leads'], erin: ['ir-leads'], grace: ['ir-leads'] };
  const decide = (state: CaseState, by: string, decision: 'approve' | 'reject', approvalId = 1) => {
    const request = { approvalId, by, decision };
    const refusal = refuseDecisionBy(state, request, groupsOf[by] ?? []);
    return refusal ?? recordDecision(state, request, { at: AT, via: 'update' });
  };

  it('counts distinct approvers, refuses the requester, and decides once enough have approved', () => {
    const state = opened();
    assert.equal((decide(state, 'carol', 'approve') as { type: string }).type, 'SeparationOfDuties');
    assert.equal((decide(state, 'mallory', 'approve') as { type: string }).type, 'NotAnApprover');
    assert.deepEqual(decide(state, 'erin', 'approve'), { approvalId: 1, decision: 'approve', by: 'erin', target: CER, result: 'counted', approvalsNeeded: 1, next: 'waiting-for-approvals' });
    assert.equal((decide(state, 'erin', 'approve') as { type: string }).type, 'DuplicateDecision');
    assert.equal((decide(state, 'alice', 'approve') as { result: string }).result, 'approved');
    assert.equal(state.pendingApproval?.decidedBy?.by, 'erin, alice');
    assert.deepEqual(state.approvalOutcomes, [{ approvalId: 1, target: CER, decision: 'approve', by: ['erin', 'alice'], at: AT }]);
    const late = refuseDecisionRequest(state, { approvalId: 1, by: 'grace', decision: 'approve' });
    assert.equal(late?.type, 'ApprovalNotPending');
  });

  it('answers a repeated decision with its first answer, counted once, and never for another person or decision', () => {
    const state = opened();
    decide(state, 'erin', 'approve');
    assert.deepEqual(repeatedDecision(state, { approvalId: 1, by: 'erin', decision: 'approve' }), { approvalId: 1, decision: 'approve', by: 'erin', target: CER, result: 'counted', approvalsNeeded: 1, next: 'waiting-for-approvals' });
    assert.equal(repeatedDecision(state, { approvalId: 1, by: 'erin', decision: 'reject' }), undefined);
    assert.equal(repeatedDecision(state, { approvalId: 1, by: 'alice', decision: 'approve' }), undefined);
    decide(state, 'alice', 'approve');
    assert.equal(repeatedDecision(state, { approvalId: 1, by: 'erin', decision: 'approve' })?.result, 'approved');
    assert.equal(state.decisions.length, 2);
  });

  it('lets the clock alone decide a part-approved gate on timeout, keeping the approvals it counted as partial (decision-outcomes)', () => {
    const state = opened();
    decide(state, 'erin', 'approve');
    recordTimeout(state, 'approve', AT, { timeoutDecides: true });
    assert.deepEqual(state.pendingApproval?.decidedBy, { decision: 'approve', by: 'phasegate-timeout' });
    assert.deepEqual(state.approvalOutcomes, [{ approvalId: 1, target: CER, decision: 'approve', by: ['phasegate-timeout'], at: AT, partialApprovals: ['erin'] }]);
    assert.deepEqual(approvedMove(state.pendingApproval), { to: CER, requestedBy: 'carol', approvedBy: ['phasegate-timeout'], partialApprovals: ['erin'] });
    assert.match(describeOutcome(state.approvalOutcomes[0]!), /was approved on timeout \(approvals counted before the deadline: erin\) at/);
    assert.deepEqual(state.decisions.map((d) => [d.by, d.decision, d.via]), [['erin', 'approve', 'update'], ['phasegate-timeout', 'approve', 'timeout']]);
    // erin's own approval did not decide the gate: repeated, it hears what it got, counted.
    assert.equal(repeatedDecision(state, { approvalId: 1, by: 'erin', decision: 'approve' })?.result, 'counted');
    // A timeout that rejects, and one on a gate nobody approved, name the clock alone either way.
    const rejected = opened();
    decide(rejected, 'erin', 'approve');
    recordTimeout(rejected, 'reject', AT, { timeoutDecides: true });
    assert.deepEqual([rejected.approvalOutcomes![0]!.by, rejected.approvalOutcomes![0]!.partialApprovals], [['phasegate-timeout'], undefined]);
    const silent = opened();
    recordTimeout(silent, 'approve', AT, { timeoutDecides: true });
    assert.deepEqual(approvedMove(silent.pendingApproval!), { to: CER, requestedBy: 'carol', approvedBy: ['phasegate-timeout'] });
  });

  it('keeps the record older cases made of a timeout on a part-approved gate: the approvers and the clock together', () => {
    const state = opened();
    decide(state, 'erin', 'approve');
    recordTimeout(state, 'approve', AT);
    assert.deepEqual(state.approvalOutcomes?.[0]?.by, ['erin', 'phasegate-timeout']);
    assert.deepEqual(approvedMove(state.pendingApproval!).approvedBy, ['erin']);
  });

  it('rebuilds approval outcomes from the decisions an older case kept', () => {
    const state = opened();
    decide(state, 'erin', 'reject');
    assert.deepEqual(outcomesFromDecisions(state.decisions), [{ approvalId: 1, target: CER, decision: 'reject', by: ['erin'], at: AT }]);
  });

  it('lets the requester reject (withdraw) what they asked for', () => {
    const state = opened();
    assert.equal((decide(state, 'carol', 'reject') as { result: string }).result, 'rejected');
  });

  it('says what became of an approval once it is closed, and which one is pending', () => {
    const state = opened();
    decide(state, 'erin', 'reject');
    state.pendingApproval = undefined;
    assert.match(refuseDecisionRequest(state, { approvalId: 1, by: 'alice', decision: 'approve' })!.message, /approval #1 to move to "Containment, Eradication and Recovery" was rejected by erin at 2026-11-30T10:00:00.000Z; nothing was decided now/);
    assert.equal(refuseDecisionRequest(state, { approvalId: 7, by: 'alice', decision: 'approve' })?.type, 'UnknownApproval');
    assert.equal(refuseDecisionRequest(state, { approvalId: 0, by: 'alice', decision: 'approve' })?.type, 'InvalidRequest');
  });

  it('never decides a gate twice nor with fewer than minApprovers distinct approvers, whatever arrives (fast-check)', () => {
    const people = ['alice', 'carol', 'erin', 'grace', 'mallory'];
    fc.assert(
      fc.property(fc.array(fc.record({ by: fc.constantFrom(...people), decision: fc.constantFrom('approve' as const, 'reject' as const) }), { maxLength: 12 }), (attempts) => {
        const state = opened();
        for (const a of attempts) decide(state, a.by, a.decision);
        const outcomes = state.approvalOutcomes ?? [];
        assert.ok(outcomes.length <= 1, 'decided at most once');
        const pending = state.pendingApproval!;
        if (outcomes[0]?.decision === 'approve') {
          assert.equal(new Set(outcomes[0].by).size, 2);
          assert.ok(!outcomes[0].by.includes('carol'), 'the requester never approves');
          assert.ok(!outcomes[0].by.includes('mallory'), 'only approvers approve');
        }
        if (!pending.decidedBy) assert.ok(approvalsNeeded(pending) >= 1);
        // Every recorded decision was made before the gate was decided, by an approver.
        assert.ok(state.decisions.every((d) => d.by !== 'mallory'));
      }),
      { numRuns: 300 },
    );
  });
});
