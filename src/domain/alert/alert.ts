/**
 * The one internal alert every source is normalised to (alert/parse.ts). Routing, fingerprints and
 * the new-case template all read this shape only, so adding a source means writing one parser and
 * touching nothing downstream.
 *
 * Invariants a parsed alert always satisfies (the parsers guarantee them, tests check them):
 * `id`, `type` and `title` are non-blank; `severity` is a finite number in [0, 10]; `accountId`, when
 * present, is 12 digits; `observedAt`, when present, is a UTC ISO-8601 instant (`toISOString` form).
 */
import type { AlertSource } from '../playbook/playbook';

export type { AlertSource } from '../playbook/playbook';

export interface Alert {
  source: AlertSource;
  /** Identity at the source (GuardDuty finding id, ASFF `Id`, the sender's id); the fingerprint derives from it. */
  id: string;
  /** What kind of alert, e.g. `UnauthorizedAccess:EC2/SSHBruteForce`; playbooks match on it. */
  type: string;
  title: string;
  /** May be empty: not every source describes its alerts. */
  description: string;
  /** 0 (informational) – 10 (critical), GuardDuty's scale; other scales are mapped onto it. */
  severity: number;
  /** The AWS account the alert is about: 12 digits. */
  accountId?: string;
  region?: string;
  /** The affected resource (instance id, access key id, bucket name, ARN …), for people reading the case. */
  resourceId?: string;
  /** When the activity was first seen, ISO-8601 UTC; the case's reported incident start. */
  observedAt?: string;
  /** An existing SIR case to adopt instead of opening one (generic alerts only). */
  caseId?: string;
  /** Addresses the alert names as the remote party; filtered to SIR's IPAddress form when a case opens. */
  threatActorIps?: string[];
}

export const ALERT_SEVERITY_MIN = 0;
export const ALERT_SEVERITY_MAX = 10;

/** SIR's ThreatActorIpList holds at most 200 entries, so no alert needs to carry more. */
export const MAX_THREAT_ACTOR_IPS = 200;
