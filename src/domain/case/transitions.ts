import { CLOSED, type CaseStatus, type ResolverType, type SelfManagedStatus, isSelfManagedStatus } from './status';

/**
 * The UpdateCaseStatus transition rules as the SIR model documents them (8 rules; "any → Closed" is
 * CloseCase's business and is handled in `checkTransition`). Extending the table is a one-line change:
 * the newest API reference adds Submitted → Containment… and Submitted → Post-incident, kept in
 * `NEWER_SUBMITTED_TRANSITIONS` until AWS's model carries them.
 */
export const TRANSITIONS: ReadonlyArray<readonly [from: SelfManagedStatus, to: SelfManagedStatus]> = [
  ['Submitted', 'Detection and Analysis'],
  ['Detection and Analysis', 'Containment, Eradication and Recovery'],
  ['Detection and Analysis', 'Post-incident Activities'],
  ['Containment, Eradication and Recovery', 'Detection and Analysis'],
  ['Containment, Eradication and Recovery', 'Post-incident Activities'],
  ['Post-incident Activities', 'Containment, Eradication and Recovery'],
  ['Post-incident Activities', 'Detection and Analysis'],
];

export const NEWER_SUBMITTED_TRANSITIONS: ReadonlyArray<readonly [SelfManagedStatus, SelfManagedStatus]> = [
  ['Submitted', 'Containment, Eradication and Recovery'],
  ['Submitted', 'Post-incident Activities'],
];

export type TransitionTarget = SelfManagedStatus | typeof CLOSED;

export type TransitionCheck =
  | { ok: true; via: 'UpdateCaseStatus' | 'CloseCase' }
  | { ok: false; rule: string; reason: string };

export interface TransitionContext {
  resolverType?: ResolverType;
  table?: ReadonlyArray<readonly [SelfManagedStatus, SelfManagedStatus]>;
}

export function isAllowedTransition(
  from: CaseStatus,
  to: SelfManagedStatus,
  table: ReadonlyArray<readonly [SelfManagedStatus, SelfManagedStatus]> = TRANSITIONS,
): boolean {
  return table.some(([f, t]) => f === from && t === to);
}

/**
 * Decides whether a case may move from `from` to `to`, and through which API. Returns a reason a
 * human can act on rather than throwing, so workflows, validators and the playbook loader share it.
 */
export function checkTransition(from: CaseStatus, to: TransitionTarget, ctx: TransitionContext = {}): TransitionCheck {
  if (from === CLOSED) {
    return { ok: false, rule: 'case-closed', reason: `the case is already Closed; no transition to "${to}" is possible` };
  }
  if (to === CLOSED) return { ok: true, via: 'CloseCase' };
  if (!isSelfManagedStatus(to)) {
    return { ok: false, rule: 'unknown-status', reason: `"${String(to)}" is not a status UpdateCaseStatus accepts` };
  }
  if (ctx.resolverType === 'AWS') {
    return {
      ok: false,
      rule: 'aws-supported-case',
      reason: `the case is AWS-supported: its status is managed by AWS responders and can only be closed (CloseCase)`,
    };
  }
  if (from === to) {
    return { ok: false, rule: 'same-status', reason: `the case is already in "${to}"` };
  }
  if (!isAllowedTransition(from, to, ctx.table)) {
    return {
      ok: false,
      rule: 'transition-table',
      reason: `"${from}" → "${to}" is not an allowed UpdateCaseStatus transition (allowed from "${from}": ${describeTargets(from, ctx.table)})`,
    };
  }
  return { ok: true, via: 'UpdateCaseStatus' };
}

export function allowedTargets(
  from: CaseStatus,
  table: ReadonlyArray<readonly [SelfManagedStatus, SelfManagedStatus]> = TRANSITIONS,
): SelfManagedStatus[] {
  return table.filter(([f]) => f === from).map(([, t]) => t);
}

function describeTargets(from: CaseStatus, table?: ReadonlyArray<readonly [SelfManagedStatus, SelfManagedStatus]>): string {
  const targets = allowedTargets(from, table);
  return targets.length === 0 ? 'none' : targets.map((t) => `"${t}"`).join(', ');
}
