/**
 * Every decision a case takes, as the playbook's rules read: a situation, and what the case does. Each
 * row calls the one pure function in src/domain/case that decides it (the workflow and the activities
 * only carry the answers out). fast-check then deep-freezes random case states and calls every one of
 * those functions on them: none changes its input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planAdoption } from '../../src/domain/case/adoption';
import { judgeDecision, judgeTimeout } from '../../src/domain/case/decision-rules';
import { onGateDeadline } from '../../src/domain/case/gate-deadline';
import { newApproval, planNext, planRequest, whenRejected } from '../../src/domain/case/planner';
import { planDriftAdoption } from '../../src/domain/case/sir-drift';
import { checkAfterRefusal, checkBeforeWrite } from '../../src/domain/case/sir-write-check';
import type { CaseState, PendingApproval, QueuedMove } from '../../src/domain/case/state';
import type { CaseStatus } from '../../src/domain/case/status';
import type { ApprovalSpec, Playbook } from '../../src/domain/playbook/playbook';
import { testPlaybook } from '../helpers/playbooks';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const AT = '2026-12-04T10:00:00.000Z';
const NOW = Date.parse(AT);
const LEADS: ApprovalSpec = { approvers: ['group:ir-leads'], onTimeout: 'reject', timeoutMs: 3_600_000 };
const QUORUM: ApprovalSpec = { approvers: ['alice', 'bob', 'carol'], onTimeout: 'approve', minApprovers: 2 };
const ESCALATING: ApprovalSpec = { approvers: ['alice'], onTimeout: 'escalate', timeoutMs: 600_000, escalation: { approvers: ['ciso'], onTimeout: 'approve', timeoutMs: 1_800_000 } };
/** Detection and Analysis, then Containment behind the leads' gate, then Post-incident; a gated close. */
const PLAYBOOK = testPlaybook('rules', [DA, { status: CER, approval: LEADS }, PIA], { close: { approval: LEADS } });
const CLOSES_ON_REJECT = { ...PLAYBOOK, onReject: 'close' as const };

function caseAt(status: CaseStatus, stepIndex: number, over: Partial<CaseState> = {}): CaseState {
  return { caseId: '1234567890', playbook: 'rules', status, resolverType: 'Self', phase: 'running', stepIndex, transitions: [], decisions: [], approvals: 0, duplicateAlerts: 0, ...over };
}

function gate(over: Partial<PendingApproval> = {}): PendingApproval {
  return { approvalId: 1, target: CER, approvers: ['group:ir-leads'], requestedAt: AT, requestedBy: 'playbook', escalated: false, stepIndex: 1, ...over };
}

/** What the loop does, in short: its kind and where it goes. */
function next(playbook: Playbook, state: CaseState): Record<string, unknown> {
  const action = planNext(playbook, state);
  const to = action.kind === 'make-move' || action.kind === 'approved' || (action.kind === 'rejected' && action.then === 'close') ? action.move.to : action.kind === 'open-approval' ? action.target : undefined;
  return {
    kind: action.kind,
    ...(to && { to }),
    ...(action.kind === 'rejected' && { then: action.then }),
    ...('reached' in action && action.reached !== undefined && { reached: action.reached }),
    ...(action.kind === 'make-move' && action.queued && { queued: true }),
  };
}

describe('the playbook rules, one decision per row', () => {
  const rows: Array<{ situation: string; does: () => unknown; expected: unknown }> = [
    // The loop: what the case does next.
    { situation: 'a new case (Submitted): makes the first step\'s move', does: () => next(PLAYBOOK, caseAt('Submitted', -1)), expected: { kind: 'make-move', to: DA } },
    { situation: 'step 1 reached: opens the gate of step 2', does: () => next(PLAYBOOK, caseAt(DA, 0)), expected: { kind: 'open-approval', to: CER } },
    { situation: 'an adopted case already at step 1\'s status: counts step 1 reached and opens step 2\'s gate', does: () => next(PLAYBOOK, caseAt(DA, -1)), expected: { kind: 'open-approval', to: CER, reached: 0 } },
    { situation: 'a gate nobody decided yet: waits for its decision', does: () => next(PLAYBOOK, caseAt(DA, 0, { pendingApproval: gate() })), expected: { kind: 'wait-for-decision' } },
    { situation: 'an approved gate: its move goes first', does: () => next(PLAYBOOK, caseAt(DA, 0, { pendingApproval: gate({ decidedBy: { decision: 'approve', by: 'erin' }, approvedBy: ['erin'] }) })), expected: { kind: 'approved', to: CER } },
    { situation: 'a rejected gate (onReject: stay): the case stays where it is', does: () => next(PLAYBOOK, caseAt(DA, 0, { pendingApproval: gate({ decidedBy: { decision: 'reject', by: 'erin' } }) })), expected: { kind: 'rejected', then: 'stay' } },
    { situation: 'a rejected gate (onReject: close): the case closes', does: () => next(CLOSES_ON_REJECT, caseAt(DA, 0, { pendingApproval: gate({ decidedBy: { decision: 'reject', by: 'erin' } }) })), expected: { kind: 'rejected', to: 'Closed', then: 'close' } },
    { situation: 'a queued move (a request, an approval): made first', does: () => next(PLAYBOOK, caseAt(CER, 1, { queue: [{ to: DA, requestedBy: 'erin' }] })), expected: { kind: 'make-move', to: DA, queued: true } },
    { situation: 'a case that waits for a person: keeps waiting', does: () => next(PLAYBOOK, caseAt(DA, 0, { phase: 'awaiting-request' })), expected: { kind: 'wait-for-request' } },
    { situation: 'a next step the transition table forbids: waits for a person', does: () => next(testPlaybook('b', [PIA]), caseAt('Submitted', -1)), expected: { kind: 'wait-for-request' } },
    { situation: 'an AWS-supported case: skips every status step, goes to the close gate', does: () => next(PLAYBOOK, caseAt('Acknowledged', -1, { resolverType: 'AWS' })), expected: { kind: 'open-approval', to: 'Closed' } },
    { situation: 'every step made, no close step: the playbook finishes', does: () => next(testPlaybook('n', [DA]), caseAt(DA, 0)), expected: { kind: 'finish' } },
    { situation: 'a Closed case: the playbook finishes', does: () => next(PLAYBOOK, caseAt('Closed', 2)), expected: { kind: 'finish' } },
    // A rejection's answer to the person who rejected.
    { situation: 'a playbook saying nothing on rejection: the case stays', does: () => whenRejected(PLAYBOOK), expected: 'stay' },
    { situation: 'a playbook with onReject: close: the case closes', does: () => whenRejected(CLOSES_ON_REJECT), expected: 'close' },
    // A person's decision, and the clock's.
    { situation: 'a rejection: decides the gate at once', does: () => judgeDecision(caseAt(DA, 0, { pendingApproval: gate() }), { approvalId: 1, by: 'erin', decision: 'reject' }, { at: AT, via: 'update' }).change.decided?.decidedBy, expected: { decision: 'reject', by: 'erin' } },
    { situation: 'the first of two approvals: counted, one more needed', does: () => judgeDecision(caseAt(DA, 0, { pendingApproval: gate({ approvers: QUORUM.approvers, minApprovers: 2 }) }), { approvalId: 1, by: 'alice', decision: 'approve' }, { at: AT, via: 'update' }).answer, expected: { approvalId: 1, decision: 'approve', by: 'alice', target: CER, result: 'counted', approvalsNeeded: 1, next: 'waiting-for-approvals' } },
    { situation: 'the second of two approvals: decides the gate, both named', does: () => judgeDecision(caseAt(DA, 0, { pendingApproval: gate({ minApprovers: 2, approvedBy: ['alice'] }) }), { approvalId: 1, by: 'bob', decision: 'approve' }, { at: AT, via: 'signal' }).change.decided?.outcome.by, expected: ['alice', 'bob'] },
    { situation: 'the clock approving a part-approved gate (decision-outcomes): decides alone, the approval kept as partial', does: () => judgeTimeout(caseAt(DA, 0, { pendingApproval: gate({ minApprovers: 2, approvedBy: ['alice'] }) }), 'approve', AT, { timeoutDecides: true }).decided?.outcome, expected: { approvalId: 1, target: CER, decision: 'approve', by: ['phasegate-timeout'], at: AT, partialApprovals: ['alice'] } },
    // A gate's deadline.
    { situation: 'a deadline passing (onTimeout: reject): the clock rejects', does: () => onGateDeadline(LEADS, { escalated: false }, NOW), expected: { kind: 'decide', decision: 'reject' } },
    { situation: 'a deadline passing (onTimeout: escalate): the escalation round opens, its deadline from the first one', does: () => onGateDeadline(ESCALATING, { escalated: false }, NOW), expected: { kind: 'escalate', approvers: ['ciso'], deadline: '2026-12-04T10:30:00.000Z' } },
    { situation: 'the escalation round\'s deadline passing: the clock decides as the escalation says', does: () => onGateDeadline(ESCALATING, { escalated: true }, NOW), expected: { kind: 'decide', decision: 'approve' } },
    { situation: 'onTimeout: escalate with no escalation: the clock rejects', does: () => onGateDeadline({ ...ESCALATING, escalation: undefined }, { escalated: false }, NOW), expected: { kind: 'decide', decision: 'reject' } },
    // A person asking for a transition.
    { situation: 'a request for a gated status: opens its gate, numbered after the last', does: () => pick(planRequest(PLAYBOOK, caseAt(DA, 0, { approvals: 3, phase: 'awaiting-request' }), { to: CER, by: 'dave', requestId: 'r1' }, NOW), 'opens', ['approvalId', 'target', 'requestedBy', 'stepIndex']), expected: { approvalId: 4, target: CER, requestedBy: 'dave', stepIndex: 1 } },
    { situation: 'a request for a free status: queues its move', does: () => pick(planRequest(PLAYBOOK, caseAt(CER, 1, { phase: 'awaiting-request' }), { to: DA, by: 'erin', requestId: 'r2' }, NOW), 'queues'), expected: { to: DA, requestedBy: 'erin', requestId: 'r2', stepIndex: 0 } },
    // Adopting a SIR case an alert names.
    { situation: 'adopting a case in Post-incident: the playbook goes on after step 3, never back', does: () => planAdoption(PLAYBOOK, { status: PIA, resolverType: 'Self' }).stepIndex, expected: 2 },
    { situation: 'adopting a Closed case: the playbook ends without touching it', does: () => planAdoption(PLAYBOOK, { status: 'Closed', resolverType: 'Self' }).closedOutsidePhasegate, expected: true },
    // A change found in SIR.
    { situation: 'an analyst moved the case on past the open gate: the gate is withdrawn, the case goes on from there', does: () => pick(planDriftAdoption(PLAYBOOK, caseAt(DA, 0, { phase: 'awaiting-approval', pendingApproval: gate() }), { status: PIA }, { at: AT, source: 'event' }), undefined, ['stepIndex', 'dropGate', 'planAgain']), expected: { stepIndex: 2, dropGate: true, planAgain: true } },
    { situation: 'SIR changed before an approved move ran: the approved move is dropped, not made', does: () => pick(planDriftAdoption(PLAYBOOK, caseAt(DA, 0, { pendingApproval: gate({ decidedBy: { decision: 'approve', by: 'erin' } }) }), { status: 'Submitted' }, { at: AT, source: 'recheck' }), undefined, ['stepIndex', 'dropGate', 'withdrawn']), expected: { stepIndex: -1, dropGate: true } },
    { situation: 'a case found Closed: it was closed outside phasegate', does: () => planDriftAdoption(PLAYBOOK, caseAt(CER, 1), { status: 'Closed' }, { at: AT, source: 'event' }).closedOutsidePhasegate, expected: true },
    // The SIR write, reading the case first.
    { situation: 'SIR agrees: the write goes through UpdateCaseStatus', does: () => checkBeforeWrite({ status: DA, resolverType: 'Self' }, CER, { status: DA, resolverType: 'Self' }), expected: { kind: 'write', via: 'UpdateCaseStatus' } },
    { situation: 'SIR shows another status: drift, nothing written', does: () => checkBeforeWrite({ status: DA, resolverType: 'Self' }, CER, { status: PIA, resolverType: 'Self' }), expected: { kind: 'drifted' } },
    { situation: 'SIR already at the target: this move\'s own write if a try may have written, else drift', does: () => checkBeforeWrite({ status: DA, resolverType: 'Self' }, CER, { status: CER, resolverType: 'Self' }), expected: { kind: 'at-target' } },
    { situation: 'SIR refused the write and now shows the target: applied', does: () => checkAfterRefusal({ status: DA, resolverType: 'Self' }, CER, { status: CER, resolverType: 'Self' }), expected: 'already-applied' },
  ];
  for (const row of rows) {
    it(row.situation, () => assert.deepEqual(row.does(), row.expected));
  }
});

function pick(value: object, key?: string, keys?: string[]): Record<string, unknown> {
  const inner = (key ? (value as Record<string, unknown>)[key] : value) as Record<string, unknown>;
  return keys ? Object.fromEntries(keys.filter((k) => inner[k] !== undefined).map((k) => [k, inner[k]])) : inner;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('no decision changes its input', () => {
  const statuses: CaseStatus[] = ['Submitted', DA, CER, PIA, 'Acknowledged', 'Ready to Close', 'Closed'];
  const queued: fc.Arbitrary<QueuedMove> = fc.record({ to: fc.constantFrom(DA, CER, PIA, 'Closed' as const), requestedBy: fc.constantFrom('erin', 'playbook') });
  const pending: fc.Arbitrary<PendingApproval> = fc.record({
    target: fc.constantFrom(DA, CER, PIA, 'Closed' as const),
    decided: fc.constantFrom(undefined, 'approve' as const, 'reject' as const),
    approvedBy: fc.subarray(['alice', 'bob']),
    escalated: fc.boolean(),
    stepIndex: fc.integer({ min: 0, max: 2 }),
  }).map(({ target, decided, approvedBy, escalated, stepIndex }) => gate({ target, approvedBy, escalated, stepIndex, minApprovers: 2, ...(decided && { decidedBy: { decision: decided, by: 'erin' } }) }));
  const state: fc.Arbitrary<CaseState> = fc.record({
    status: fc.constantFrom(...statuses),
    resolverType: fc.constantFrom('Self' as const, 'AWS' as const),
    stepIndex: fc.integer({ min: -1, max: 2 }),
    phase: fc.constantFrom('running' as const, 'awaiting-approval' as const, 'awaiting-request' as const),
    pendingApproval: fc.option(pending, { nil: undefined }),
    queue: fc.option(fc.array(queued, { maxLength: 2 }), { nil: undefined }),
  }).map(({ pendingApproval, queue, ...over }) => caseAt(over.status, over.stepIndex, { ...over, ...(pendingApproval && { pendingApproval }), ...(queue && { queue }), approvals: 1, takenRequests: [], drifts: [] }));

  it('planNext, planRequest, newApproval, judgeDecision, judgeTimeout, onGateDeadline, planAdoption, planDriftAdoption and the write checks leave a frozen state as it was (fast-check)', () => {
    fc.assert(
      fc.property(state, fc.constantFrom(...statuses), (s, found) => {
        const before = JSON.stringify(s);
        const frozen = deepFreeze(s);
        for (const playbook of [PLAYBOOK, CLOSES_ON_REJECT]) planNext(deepFreeze(playbook), frozen);
        planRequest(PLAYBOOK, frozen, { to: CER, by: 'dave', requestId: 'r9' }, NOW);
        newApproval(frozen, { target: CER, approval: deepFreeze(QUORUM), requestedBy: 'dave' }, NOW);
        if (frozen.pendingApproval) {
          judgeDecision(frozen, { approvalId: frozen.pendingApproval.approvalId, by: 'carol', decision: 'approve' }, { at: AT, via: 'update' });
          judgeDecision(frozen, { approvalId: frozen.pendingApproval.approvalId, by: 'carol', decision: 'reject' }, { at: AT, via: 'update' });
          judgeTimeout(frozen, 'approve', AT, { timeoutDecides: true });
          judgeTimeout(frozen, 'approve', AT);
          onGateDeadline(deepFreeze(ESCALATING), frozen.pendingApproval, NOW);
        }
        const reading = deepFreeze({ status: found, resolverType: frozen.resolverType });
        planAdoption(PLAYBOOK, reading);
        planDriftAdoption(PLAYBOOK, frozen, reading, deepFreeze({ at: AT, source: 'move' as const, moving: { to: CER, queued: true } }));
        const believed = deepFreeze({ status: frozen.status ?? 'Submitted', resolverType: frozen.resolverType ?? 'Self' });
        checkBeforeWrite(believed, CER, reading);
        checkAfterRefusal(believed, CER, reading);
        assert.equal(JSON.stringify(frozen), before);
      }),
      { numRuns: 300 },
    );
  });

  it('a frozen state is really frozen: writing to it throws (the property above could fail)', () => {
    const frozen = deepFreeze(caseAt(DA, 0, { pendingApproval: gate() }));
    assert.throws(() => {
      (frozen as { stepIndex: number }).stepIndex = 1;
    }, TypeError);
    assert.throws(() => {
      frozen.pendingApproval!.approvedBy = ['mallory'];
    }, TypeError);
  });
});
