import type { ChannelMessage } from './approval-message';
import type { DecisionKind, DecisionRecord } from './decision';
import type { CaseStatus, CaseTarget, ResolverType } from './status';
import type { GroupState } from '../alert/group';
import type { ApproverRef } from '../playbook/playbook';
import type { ApprovalSignal, TransitionRequest } from '../contract/message-payloads';

/** One status change the workflow made (or found already made) on the SIR case. */
export interface TransitionRecord {
  from: CaseStatus;
  to: CaseStatus;
  at: string;
  via: 'UpdateCaseStatus' | 'CloseCase';
  alreadyApplied: boolean;
  /** Who asked for it: 'playbook' for a planned step, else the human who requested it. */
  requestedBy: string;
  /** Everyone who approved the move (several under a quorum), comma-separated; `phasegate-timeout` when the clock decided. */
  approvedBy?: string;
  /** Approvals counted before the clock approved the move, short of the quorum (cases since `decision-outcomes`), comma-separated. */
  partialApprovals?: string;
}

/** A decision or request phasegate did not take, kept so operators see who tried what. */
export interface RefusalRecord {
  at: string;
  by: string;
  /** What was attempted, e.g. `approve #3 (signal)` or `transition to "Detection and Analysis"`. */
  what: string;
  type: string;
  message: string;
}

/** How an approval ended, so a late decision can be told what became of it. */
export interface ApprovalOutcome {
  approvalId: number;
  target: CaseTarget;
  /** `withdrawn`: phasegate closed it undecided because SIR showed its move was moot or no longer allowed. */
  decision: DecisionKind | 'withdrawn';
  /** Everyone who approved, or the one who rejected (`phasegate-timeout` when the clock decided; `phasegate` for a withdrawal). */
  by: string[];
  at: string;
  /** Why a withdrawn approval was withdrawn. */
  reason?: string;
  /**
   * Approvals counted before the clock approved (cases since `decision-outcomes`): the decider is
   * `phasegate-timeout` alone, and these people's approvals stay on record as partial, short of the quorum.
   */
  partialApprovals?: string[];
}

/** What the SIR case looks like: as phasegate believed it, or as SIR answered. */
export interface SirReading {
  status?: CaseStatus;
  resolverType?: ResolverType;
}

/** How phasegate learned that SIR says otherwise. */
export type DriftSource = 'move' | 'event' | 'recheck';

/**
 * A change made outside phasegate (an analyst in the console, AWS on a case it supports), found when
 * phasegate read the case: it adopted SIR's status and resolver type instead of overwriting them.
 */
export interface DriftRecord {
  at: string;
  /** `move`: read before a move; `event`: re-read after a SIR event; `recheck`: re-read on the slow timer. */
  source: DriftSource;
  believed: SirReading;
  found: SirReading;
  /** What phasegate gave up because of it (the move in hand, queued moves, an approval it withdrew). */
  dropped: string[];
  /** The SIR event that led to the re-read (detail-type and updatedBy), when there was one. */
  event?: string;
}

/**
 * A decision or transition signal that arrived while the case was about to continue as new: it is
 * taken by the next run, so a storm of signals cannot keep the run from ending (see casePlaybook).
 */
export type DeferredSignal =
  | { signal: 'approve' | 'reject'; args: ApprovalSignal }
  | { signal: 'requestTransition'; args: TransitionRequest };

/** Repeats of the alert not yet mentioned on the SIR case (one comment per window). */
export interface DuplicateWindow {
  /** When the last duplicate comment was made; the next one waits for the window to pass. */
  lastCommentAt: string;
  /** Duplicates since that comment: their count, first number and the time of the first and last. */
  uncommented: number;
  firstNumber?: number;
  firstAt?: string;
  lastAt?: string;
}

/** A transition request taken by the case, kept so a retried request is answered, not queued again. */
export interface TakenRequest {
  requestId: string;
  to: CaseTarget;
  by: string;
  at: string;
  result: 'moving' | 'awaiting-approval';
  approvalId?: number;
}

/** A move the case must make next (a request taken without a gate, or an approved one). */
export interface QueuedMove {
  to: CaseTarget;
  requestedBy: string;
  approvedBy?: string[];
  /** Approvals counted before the clock approved the move (see ApprovalOutcome). */
  partialApprovals?: string[];
  stepIndex?: number;
  requestId?: string;
}

/** A status change under way; the API adds its SIR call's attempt and last error from Temporal. */
export interface MoveInProgress {
  target: CaseTarget;
  since: string;
  requestedBy: string;
  approvedBy?: string;
  /** Filled by the API from Temporal: the SIR call's attempt and its last error while it retries. */
  attempt?: number;
  lastError?: string;
}

export interface PendingApproval {
  approvalId: number;
  target: CaseTarget;
  approvers: ApproverRef[];
  requestedAt: string;
  requestedBy: string;
  /** ISO-8601 deadline of the current round, when the step has a timeout. */
  deadline?: string;
  escalated: boolean;
  /** Set by the deciding decision; any later one is refused, so racing approvers make one transition. */
  decidedBy?: { decision: DecisionKind; by: string };
  /** Distinct people needed (absent: one). */
  minApprovers?: number;
  /** Who approved so far, in order (quorum gates). */
  approvedBy?: string[];
  /** `requester`: whoever asked for the move cannot approve it. */
  separateFrom?: 'requester';
  /** Index of the playbook step the approval is for, if any. */
  stepIndex?: number;
  /** The transition request that opened the gate, if a person asked. */
  requestId?: string;
  /** The playbook's channels were told the gate opened. */
  announced?: boolean;
  /** ISO-8601 time of the next reminder to the playbook's channels. */
  nextReminderAt?: string;
  /**
   * Messages posted about this approval that phasegate edits as the gate moves on (`slack-app`
   * channels, cases since the `slack-messages` patch): the Slack channel and message `ts`.
   */
  messages?: ChannelMessage[];
}

export type CasePhase = 'opening' | 'running' | 'awaiting-approval' | 'awaiting-request' | 'closed' | 'completed' | 'cancelled';

/** What the `state` query answers: everything an operator needs to see about a case. */
/**
 * The authority under which an alert took over an existing SIR case: an alert key's name
 * (`key:<name>`) or an adopt-capable webhook secret's place (`signature:adopt-secret-<n>`), never a
 * secret. Kept in the case state and said in the case's first SIR comment.
 */
export interface CaseAdoption {
  by: string;
  /** ISO-8601: when the intake allowed it. */
  at: string;
}

export interface CaseState {
  workflowId?: string;
  caseId?: string;
  /** The case existed before phasegate: an alert adopted it, on this authority (cases started with `adoption`). */
  adoption?: CaseAdoption;
  playbook: string;
  status?: CaseStatus;
  resolverType?: ResolverType;
  phase: CasePhase;
  /** Index in playbook.steps of the last step reached; -1 before the first. */
  stepIndex: number;
  pendingApproval?: PendingApproval;
  /** A status change being applied right now (its SIR call may be retrying). */
  inFlight?: CaseTarget;
  transitions: TransitionRecord[];
  decisions: DecisionRecord[];
  /** Approvals opened so far; the next one gets this number plus one. */
  approvals: number;
  /** Alerts with the same fingerprint that arrived while this case ran. */
  duplicateAlerts: number;
  /** Why the playbook waits or stopped, in words (mirrors the Web UI's current details). */
  note?: string;
  /** Set by cases since the `attested-decisions` patch, so a run they continue as new takes their loop. */
  attested?: boolean;
  /** The status change under way (cases since `attested-decisions`). */
  move?: MoveInProgress;
  /** Moves waiting to be made, in order. */
  queue?: QueuedMove[];
  /** How each closed approval ended. */
  approvalOutcomes?: ApprovalOutcome[];
  /** Recent transition requests taken (the last 50). */
  takenRequests?: TakenRequest[];
  /** Recent refused decisions and requests (the last 20), and how many there were in all. */
  refusals?: RefusalRecord[];
  refusalCount?: number;
  /** SIR comments and notifications that could not be delivered (best effort; the last 20). */
  missed?: string[];
  /** Set by cases since the `read-before-write` patch: moves read SIR first and changes made outside phasegate are adopted. */
  readBeforeWrite?: boolean;
  /** Set by cases since the `local-sir-calls` patch: SIR calls are tried as local activities first. */
  localSirCalls?: boolean;
  /**
   * Set by cases since the `proof-in-history` patch: message handlers prove who decided through a queued
   * activity, whose result is a history event, never a local activity (see workflows/case-operations.ts).
   */
  proofInHistory?: boolean;
  /**
   * Set by cases since the `decision-outcomes` patch: a timeout that approves a part-approved gate is its
   * only decider, and a decision already taken by the same person through another path (signal or update)
   * is answered with its first outcome after its proof, as before it.
   */
  decisionOutcomes?: boolean;
  /** Set by cases since the `own-writes-only` patch: only a try that may have written counts a status found at the target as its own. */
  ownWritesOnly?: boolean;
  /** Set by cases since the `slack-messages` patch: gate messages are kept and edited as the gate moves on. */
  slackMessages?: boolean;
  /** Cases since the `code-version` patch: they publish the code path they run (search attribute PhasegateCodeVersion). */
  codeVersion?: boolean;
  /** The worker refused a local SIR call (a global SIR rate limit is set): this case queues every call. */
  sirCallsQueued?: boolean;
  /** Changes made outside phasegate that the case found and adopted (the last 20), and how many in all. */
  drifts?: DriftRecord[];
  driftCount?: number;
  /** The case was found Closed in SIR: closed outside phasegate, which ended the playbook. */
  closedOutsidePhasegate?: boolean;
  /** SIR events (sirCaseChanged signals) received, and the latest one not yet followed by a re-read. */
  sirEvents?: number;
  sirEventPending?: string;
  /** ISO-8601: when phasegate last read the SIR case, and when it reads it again if no event comes first. */
  sirReadAt?: string;
  nextSirCheckAt?: string;
  /** Coalescing of repeated alerts into one SIR comment per window. */
  duplicateWindow?: DuplicateWindow;
  /** Signals held for the next run while this one continues as new (taken first thing there). */
  deferredSignals?: DeferredSignal[];
  /** Grouped and storm cases (since the `grouped-alerts` patch): their member alerts (alert/group.ts). */
  group?: GroupState;
  /**
   * Cases since the `verified-start` patch: the worker found the playbook to be its own (this content
   * hash) and, for an adopted case, how adopting it was allowed (case/start.ts).
   */
  verifiedStart?: { playbookSha256: string; caseIdProof?: 'attested' | 'trusted-temporal-access' };
}
