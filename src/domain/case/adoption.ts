/**
 * Where the playbook goes on when a case adopts a SIR case an alert named (cases since the
 * `adopt-from-status` patch, issue 18): from the case's status, never back to an earlier step. A pure
 * function of the playbook and what SIR answered; the workflow sets the step it returns and plans.
 *
 * The rules, the same in spirit as adopting a change found later (case/sir-drift.ts):
 * - A status one of the steps names: that step (the first such) counts as reached; the playbook goes
 *   on with the step after it.
 * - Submitted: nothing reached yet; the playbook starts from its first step.
 * - Another status UpdateCaseStatus can set (the playbook skips it): the steps before it in the
 *   incident's phase order count as reached, so the next move is always forward; a case past every
 *   status step goes on to the close step.
 * - Acknowledged or Ready to Close (AWS sets them, and no UpdateCaseStatus leads out of them): nothing
 *   counts as reached, so the planner finds the first step impossible from there and waits for a
 *   person to ask for a transition (only Closed is possible), as it does after such a drift.
 * - Closed: the playbook ends at once, as "closed outside phasegate", without a SIR call.
 * - AWS-supported (resolver AWS): the step is computed from the status as above, but the planner skips
 *   every status step of such a case and goes to the close step (phasegate only closes them).
 */
import type { SirReading } from './state';
import { CLOSED, type CaseStatus, isSelfManagedStatus } from './status';
import type { Playbook } from '../playbook/playbook';

/** The incident's phases in the order NIST SP 800-61 goes through them. */
const PHASE_ORDER: readonly CaseStatus[] = ['Submitted', 'Detection and Analysis', 'Containment, Eradication and Recovery', 'Post-incident Activities'];

export interface AdoptionPlan {
  /** The last playbook step reached: the planner goes on with the next one. */
  stepIndex: number;
  /** The case is already Closed: the playbook ends without touching it. */
  closedOutsidePhasegate?: true;
  /** Where the playbook goes on from, in words (the case's current details and its start comment). */
  why: string;
}

export function planAdoption(playbook: Playbook, found: SirReading): AdoptionPlan {
  const status: CaseStatus = found.status ?? 'Submitted';
  const steps = playbook.steps;
  const close = playbook.close ? 'its close step' : 'nothing: the playbook has no close step';
  if (status === CLOSED) {
    return { stepIndex: -1, closedOutsidePhasegate: true, why: 'Adopted Closed: the playbook ends at once without changing the case.' };
  }
  const stepIndex = reachedStep(steps.map((s) => s.status), status);
  const next = steps[stepIndex + 1];
  if (found.resolverType === 'AWS') {
    return { stepIndex, why: `Adopted "${status}", AWS-supported: phasegate never changes its status; next is ${close}.` };
  }
  if (!isSelfManagedStatus(status)) {
    return {
      stepIndex,
      why: `Adopted "${status}", a status AWS sets: no playbook step can follow from it, so ${next ? 'phasegate waits for a person to request a transition' : `next is ${close}`}.`,
    };
  }
  const where = stepIndex >= 0 && steps[stepIndex]!.status === status ? `step ${stepIndex + 1} ("${status}")` : stepIndex < 0 ? 'the start' : `after step ${stepIndex + 1} ("${steps[stepIndex]!.status}")`;
  return { stepIndex, why: `Adopted "${status}": the playbook goes on from ${where}; next is ${next ? `step ${stepIndex + 2} ("${next.status}")` : close}.` };
}

/**
 * The last step reached by a case standing in `status`: the first step naming it; else every step
 * that comes before it in the phase order (-1 when none does, and for the statuses AWS sets).
 */
function reachedStep(stepStatuses: readonly CaseStatus[], status: CaseStatus): number {
  const named = stepStatuses.indexOf(status);
  if (named >= 0) return named;
  if (!isSelfManagedStatus(status)) return -1;
  const rank = (s: CaseStatus): number => PHASE_ORDER.indexOf(s);
  const firstAfter = stepStatuses.findIndex((s) => rank(s) > rank(status));
  return firstAfter < 0 ? stepStatuses.length - 1 : firstAfter - 1;
}
