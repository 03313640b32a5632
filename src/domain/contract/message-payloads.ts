/**
 * What the casePlaybook workflow's signals and updates carry (contract/messages.ts defines them).
 *
 * Who decides is never taken on the caller's word: a decision or request counts only with an
 * attestation that phasegate authenticated the person (the API server adds it), or where the worker is
 * configured to trust Temporal access. Groups come from the attestation (the users file where the
 * person was authenticated), never from the message.
 */
import type { GroupMember } from '../alert/group';
import type { DecisionKind } from '../case/decision';
import type { CaseTarget } from '../case/status';
/** Proof that phasegate authenticated `by` (see case/decision-attestation.ts); carries no secret. */
export interface Attestation {
  /** Which decision key made the MAC, so keys can rotate. */
  keyId: string;
  /** ISO-8601; an attestation is honoured for a few minutes only. */
  issuedAt: string;
  /** The person's groups from the users file where they were authenticated. */
  groups: string[];
  /** Hex HMAC-SHA256 over the canonical act (attestationMessage). */
  mac: string;
}

export interface Actor {
  by: string;
  /**
   * Groups the caller asserts. Cases started before the `attested-decisions` patch still read them;
   * newer cases ignore them and take groups from the attestation or the worker's users file.
   */
  groups?: string[];
  attestation?: Attestation;
}

export interface DecisionRequest extends Actor {
  /** The approval this decision is about (`pendingApproval.approvalId`); a decision names what it decides. */
  approvalId: number;
  decision: DecisionKind;
  comment?: string;
}

export interface ApprovalSignal extends Actor {
  approvalId?: number;
  comment?: string;
}

export interface TransitionRequest extends Actor {
  to: CaseTarget;
  reason?: string;
  /** Names the request, so a retried one is answered instead of queued twice. */
  requestId?: string;
}

export interface DuplicateAlert {
  receivedAt: string;
  source?: string;
  /**
   * Grouped and storm cases (issue 13): the joining alert itself, whose fingerprint differs from the
   * case's. Optional, so cases that predate it (and ignore unknown fields) take the signal as before.
   */
  member?: GroupMember;
}

/**
 * SIR published an event about the case (EventBridge source `aws.security-ir`): the case re-reads its
 * SIR case and adopts what changed. Carries no secret and nothing the case acts on without reading SIR.
 */
export interface SirCaseChanged {
  /** `Case Updated`, `Case Closed`, `Case Comment Added`. */
  detailType: string;
  /** Who SIR says made the change (an account id, a principal, `AWS Responder`). */
  updatedBy?: string;
  /** The EventBridge event id. */
  eventId?: string;
  receivedAt: string;
}

/**
 * A refusal made before anything reached the case's rules, recorded on the case so operators see
 * who tried what: the Slack interactivity route refusing a click by a Slack user the users file does
 * not map to a phasegate user. It decides nothing and grants nothing (cases since `slack-messages`).
 */
export interface RefusalReport {
  /** Who tried, as far as the refusing side knows (e.g. `slack:T0123/U0456`). */
  by: string;
  /** What was attempted, e.g. `approve #1 (slack)`. */
  what: string;
  /** The rule broken (a REFUSAL_TYPES value). */
  type: string;
  message: string;
}







