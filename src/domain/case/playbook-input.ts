import type { GroupMember, GroupState } from '../alert/group';
import type { CaseAdoption, CaseState } from './state';
import type { EngagementType, ResolverType } from './status';
import type { Playbook } from '../playbook/playbook';

/** How to open a SIR case when the alert names none (CreateCase minus the idempotency token). */
export interface NewCaseSpec {
  title: string;
  description: string;
  engagementType: EngagementType;
  resolverType: ResolverType;
  /** ISO-8601. */
  reportedIncidentStartDate: string;
  impactedAccounts: string[];
  watchers: { email: string; name?: string; jobTitle?: string }[];
  impactedAwsRegions?: { region: string }[];
  impactedServices?: string[];
  threatActorIpAddresses?: { ipAddress: string; userAgent?: string }[];
}

export interface CasePlaybookInput {
  /** Stable identity of the alert; the workflow id and CreateCase's clientToken derive from it. */
  fingerprint: string;
  /**
   * The whole playbook travels with the case, so editing a file never changes a running case. A
   * worker runs it only if it is the worker's own playbook of that name (same content hash), checked
   * before the case makes its first SIR call (cases since the `verified-start` patch).
   */
  playbook: Playbook;
  /** The content hash of `playbook` (playbook/hash.ts), as the starter names it. */
  playbookSha256?: string;
  /**
   * Adopt this existing case instead of opening one (only with `adoption`: who allowed it). A worker
   * takes it only with `startAttestation` (or where the deployment trusts Temporal access).
   */
  caseId?: string;
  /** Who allowed this alert to adopt the existing case `caseId`, and when (intake's adoption check). */
  adoption?: CaseAdoption;
  /** The API server's proof that it started this case (case/start-attestation.ts); made when the start adopts a case. */
  startAttestation?: StartAttestation;
  newCase?: NewCaseSpec;
  /** Normalised 0–10, shown as the AlertSeverity search attribute. */
  severity?: number;
  /**
   * A grouped or storm case (issue 13): `fingerprint` is then the group window's or the storm's
   * (alert/group.ts) and `first` is the alert that opened the case, with its own fingerprint. `window`
   * (ISO-8601) is the group's window the case was opened for, shown to operators; the window itself
   * is kept by Temporal (alert/group-window.ts).
   */
  group?: { kind: GroupState['kind']; first: GroupMember; window?: { openedAt: string; endsAt: string } };
  /** State carried over by continue-as-new; absent on the first run. */
  carried?: CaseState;
  /** Continue-as-new after this many history events (default: when Temporal suggests it). */
  continueAsNewAfterEvents?: number;
}

export const CLIENT_TOKEN_MAX_LENGTH = 255;

/** CreateCase's idempotency token: a retried or duplicated start must open the same case. */
export function createCaseClientToken(fingerprint: string): string {
  return `phasegate:${fingerprint}`.slice(0, CLIENT_TOKEN_MAX_LENGTH);
}

/** Carries no secret: the key's short id, when it was made, and the MAC. */
export interface StartAttestation {
  keyId: string;
  /** ISO-8601; honoured only when made shortly before Temporal started the run (ATTESTATION_MAX_AGE_MS). */
  issuedAt: string;
  /** Hex HMAC-SHA256 over startAttestationMessage. */
  mac: string;
}

