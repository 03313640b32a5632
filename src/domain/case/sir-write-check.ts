/**
 * What the SIR write (the moveCase activity) does with what it read: write, count the case as already
 * where it was asked to go, or report drift without writing. Pure: the activity makes the calls and
 * carries the answer out (activities/sir-activities.ts); the rules live here with the others.
 *
 * Before the write, reading the case:
 * - another resolver type than the workflow believes: drift;
 * - already at the target: applied, when the workflow already believed it there; else (`at-target`)
 *   this move's own write whose answer was lost when a try of it may have written (a retried attempt,
 *   a queued call after a local try that may have written, a local try whose workflow task was lost:
 *   the activity knows which), and otherwise someone else moved it: drift;
 * - another status than the workflow believes: drift;
 * - a move the transition table forbids: refused before calling SIR;
 * - else: write, through the API the table names.
 * After SIR refused the write (Conflict or Validation), reading the case again: at the target, it is
 * applied; moved elsewhere or to another resolver, drift; else the refusal stands.
 */
import type { CaseStatus, ResolverType } from './status';
import { type TransitionTarget, checkTransition } from './transitions';

export interface SirCaseReading {
  status?: CaseStatus;
  resolverType?: ResolverType;
}

export interface Believed {
  status: CaseStatus;
  resolverType: ResolverType;
}

export type BeforeWrite =
  | { kind: 'write'; via: 'UpdateCaseStatus' | 'CloseCase' }
  | { kind: 'already-applied' }
  | { kind: 'drifted' }
  /** Applied if a try of this move may have written, else drift. */
  | { kind: 'at-target' }
  | { kind: 'refused'; reason: string };

export function checkBeforeWrite(expected: Believed, to: TransitionTarget, actual: SirCaseReading): BeforeWrite {
  if (actual.resolverType !== expected.resolverType) return { kind: 'drifted' };
  if (actual.status === to) return expected.status === to ? { kind: 'already-applied' } : { kind: 'at-target' };
  if (actual.status !== expected.status) return { kind: 'drifted' };
  const check = checkTransition(expected.status, to, { resolverType: expected.resolverType });
  return check.ok ? { kind: 'write', via: check.via } : { kind: 'refused', reason: check.reason };
}

export function checkAfterRefusal(expected: Believed, to: TransitionTarget, now: SirCaseReading): 'already-applied' | 'drifted' | 'refused' {
  if (now.status === to) return 'already-applied';
  if (now.status !== expected.status || now.resolverType !== expected.resolverType) return 'drifted';
  return 'refused';
}
