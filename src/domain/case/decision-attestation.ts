import type { DecisionKind } from './decision';
import type { CaseTarget } from './status';

/** The namespace is part of the act: two deployments sharing a key and a fingerprint are different cases. */
export type AttestedAct =
  | { kind: 'decide'; namespace: string; workflowId: string; approvalId: number; decision: DecisionKind; comment?: string }
  | { kind: 'transition'; namespace: string; workflowId: string; to: CaseTarget; requestId?: string; reason?: string };

/** How long an attestation is honoured after it was issued; it is checked the moment the case takes it. */
export const ATTESTATION_MAX_AGE_MS = 10 * 60_000;

export function attestationMessage(act: AttestedAct, by: string, groups: readonly string[], issuedAt: string): string {
  const detail =
    act.kind === 'decide'
      ? [act.approvalId, act.decision, act.comment ?? null]
      : [act.to, act.requestId ?? null, act.reason ?? null];
  return JSON.stringify(['phasegate-attestation-v1', act.kind, act.namespace, act.workflowId, ...detail, by, [...groups].sort(), issuedAt]);
}

/** The verdict of the worker's check (a local activity), recorded in the case's history. */
export type ActorVerdict =
  | { ok: true; by: string; groups: string[]; proof: 'attested' | 'trusted-temporal-access' }
  | { ok: false; type: 'UnprovenIdentity'; message: string };
