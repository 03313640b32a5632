/**
 * Issue 18 point 2 without Temporal: where the playbook goes on when a case adopts a SIR case
 * (src/domain/case/adoption.ts), checked with the planner that runs next, so each row ends in the
 * step the workflow will take. fast-check shows that no adopted case is ever moved back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planAdoption } from '../../src/domain/case/adoption';
import { planNext } from '../../src/domain/case/planner';
import type { CaseState } from '../../src/domain/case/state';
import type { CaseStatus, ResolverType, SelfManagedStatus } from '../../src/domain/case/status';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { testPlaybook } from '../helpers/playbooks';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
const gate = { approvers: ['alice'], onTimeout: 'reject' as const };
const GATED = testPlaybook('adopt', [DA, { status: CER, approval: gate }, { status: PIA, approval: gate }], { close: { approval: gate } });
const PHASES: CaseStatus[] = ['Submitted', DA, CER, PIA];

function adopted(playbook: Playbook, status: CaseStatus, resolverType: ResolverType = 'Self'): { state: CaseState; why: string } {
  const found = { status, resolverType };
  const before = JSON.stringify(found);
  const plan = planAdoption(playbook, found);
  assert.equal(JSON.stringify(found), before, 'the reading is not changed');
  const state: CaseState = {
    caseId: '1234567890',
    playbook: playbook.name,
    status,
    resolverType,
    phase: 'running',
    stepIndex: plan.stepIndex,
    transitions: [],
    decisions: [],
    approvals: 0,
    duplicateAlerts: 0,
    ...(plan.closedOutsidePhasegate && { closedOutsidePhasegate: true }),
  };
  return { state, why: plan.why };
}

/** What the planner does first with the adopted case, as [kind, target]. */
function firstStep(playbook: Playbook, status: CaseStatus, resolverType?: ResolverType): [string, string?] {
  const step = planNext(playbook, adopted(playbook, status, resolverType).state);
  if (step.kind === 'move') return [step.kind, step.move.to];
  if (step.kind === 'open-approval') return [step.kind, step.target];
  return [step.kind];
}

describe('planAdoption: an adopted case goes on from its status', () => {
  const rows: Array<{ name: string; playbook: Playbook; status: CaseStatus; resolverType?: ResolverType; stepIndex: number; first: [string, string?]; why: RegExp }> = [
    { name: 'Submitted starts the playbook', playbook: GATED, status: 'Submitted', stepIndex: -1, first: ['move', DA], why: /goes on from the start; next is step 1 \("Detection and Analysis"\)/ },
    { name: 'a step\'s status counts that step as reached', playbook: GATED, status: DA, stepIndex: 0, first: ['open-approval', CER], why: /from step 1 \("Detection and Analysis"\); next is step 2/ },
    { name: 'Containment goes on to the Post-incident gate (the issue)', playbook: GATED, status: CER, stepIndex: 1, first: ['open-approval', PIA], why: /from step 2 .*next is step 3 \("Post-incident Activities"\)/ },
    { name: 'Post-incident goes on to the close gate (the issue)', playbook: GATED, status: PIA, stepIndex: 2, first: ['open-approval', 'Closed'], why: /next is its close step/ },
    {
      name: 'a status no step names: the steps before it in the phase order count as reached',
      playbook: testPlaybook('skips-cer', [DA, PIA], { close: true }),
      status: CER,
      stepIndex: 0,
      first: ['move', PIA],
      why: /goes on from after step 1 \("Detection and Analysis"\); next is step 2 \("Post-incident Activities"\)/,
    },
    {
      name: 'a case past every status step is only closed, never moved back',
      playbook: testPlaybook('short', [DA, CER], { close: true }),
      status: PIA,
      stepIndex: 1,
      first: ['move', 'Closed'],
      why: /next is its close step/,
    },
    {
      name: 'past every step of a playbook without close: it finishes',
      playbook: testPlaybook('short-open', [DA, CER]),
      status: PIA,
      stepIndex: 1,
      first: ['finish'],
      why: /next is nothing: the playbook has no close step/,
    },
    { name: 'Ready to Close (set by AWS): waits for a person', playbook: GATED, status: 'Ready to Close', stepIndex: -1, first: ['wait-for-request'], why: /a status AWS sets: .*waits for a person/ },
    { name: 'Acknowledged (set by AWS): waits for a person', playbook: GATED, status: 'Acknowledged', stepIndex: -1, first: ['wait-for-request'], why: /a status AWS sets/ },
    { name: 'Acknowledged on a close-only playbook: its close step', playbook: testPlaybook('close-only', [], { close: true }), status: 'Acknowledged', stepIndex: -1, first: ['move', 'Closed'], why: /next is its close step/ },
    { name: 'AWS-supported: the close step, whatever the status', playbook: GATED, status: CER, resolverType: 'AWS', stepIndex: 1, first: ['open-approval', 'Closed'], why: /AWS-supported: phasegate never changes its status/ },
    { name: 'Closed: ends at once, closed outside phasegate', playbook: GATED, status: 'Closed', stepIndex: -1, first: ['finish'], why: /ends at once without changing the case/ },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { state, why } = adopted(row.playbook, row.status, row.resolverType);
      assert.equal(state.stepIndex, row.stepIndex);
      assert.match(why, row.why);
      assert.deepEqual(firstStep(row.playbook, row.status, row.resolverType), row.first);
    });
  }

  it('marks a Closed case as closed outside phasegate, and no other', () => {
    assert.equal(planAdoption(GATED, { status: 'Closed' }).closedOutsidePhasegate, true);
    for (const status of [...PHASES, 'Acknowledged', 'Ready to Close'] as CaseStatus[]) assert.equal(planAdoption(GATED, { status }).closedOutsidePhasegate, undefined);
  });

  it('never plans a move to an earlier phase than the adopted status, whatever the playbook (fast-check)', () => {
    // Playbooks as the validator allows them: a sequence of phases starting with D&A, no status twice in a row.
    const steps = fc.array(fc.constantFrom<SelfManagedStatus>(DA, CER, PIA), { minLength: 0, maxLength: 5 }).map((list) => {
      const all = [DA, ...list] as SelfManagedStatus[];
      return all.filter((s, i) => i === 0 || s !== all[i - 1]);
    });
    fc.assert(
      fc.property(steps, fc.boolean(), fc.constantFrom(...PHASES), (statuses, close, status) => {
        const playbook = testPlaybook('p', statuses, { close });
        const { state } = adopted(playbook, status);
        const step = planNext(playbook, state);
        if (step.kind !== 'move' || step.move.to === 'Closed') return;
        // The playbook's own next step after the one the case stands at, or a later phase.
        const reached = statuses.indexOf(status as SelfManagedStatus);
        if (reached >= 0) assert.equal(step.move.to, statuses[reached + 1]);
        else assert.ok(PHASES.indexOf(step.move.to) > PHASES.indexOf(status), `${status} -> ${step.move.to} on ${statuses.join(' > ')}`);
      }),
      { numRuns: 500 },
    );
  });
});
