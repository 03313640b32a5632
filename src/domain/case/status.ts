/**
 * Case statuses exactly as the SIR API spells them on the wire. Note there is no comma before "and" in
 * the third one: several AWS doc strings spell it differently, and none of those spellings is accepted.
 */
export const SELF_MANAGED_STATUSES = [
  'Submitted',
  'Detection and Analysis',
  'Containment, Eradication and Recovery',
  'Post-incident Activities',
] as const;

export type SelfManagedStatus = (typeof SELF_MANAGED_STATUSES)[number];

/** Statuses AWS sets itself; phasegate reads them but never sends them to UpdateCaseStatus. */
export const AWS_MANAGED_STATUSES = ['Acknowledged', 'Ready to Close', 'Closed'] as const;

export type AwsManagedStatus = (typeof AWS_MANAGED_STATUSES)[number];

export type CaseStatus = SelfManagedStatus | AwsManagedStatus;

export const ALL_CASE_STATUSES: readonly CaseStatus[] = [...SELF_MANAGED_STATUSES, ...AWS_MANAGED_STATUSES];

export const CLOSED = 'Closed' satisfies CaseStatus;

export const RESOLVER_TYPES = ['AWS', 'Self'] as const;
export type ResolverType = (typeof RESOLVER_TYPES)[number];

export const ENGAGEMENT_TYPES = ['Security Incident', 'Investigation'] as const;
export type EngagementType = (typeof ENGAGEMENT_TYPES)[number];

export function isSelfManagedStatus(value: unknown): value is SelfManagedStatus {
  return typeof value === 'string' && (SELF_MANAGED_STATUSES as readonly string[]).includes(value);
}

export function isCaseStatus(value: unknown): value is CaseStatus {
  return typeof value === 'string' && (ALL_CASE_STATUSES as readonly string[]).includes(value);
}

/** A status target: one of the UpdateCaseStatus statuses, or Closed (through CloseCase). */
export type CaseTarget = Exclude<CaseStatus, 'Acknowledged' | 'Ready to Close'>;

