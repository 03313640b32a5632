/**
 * A playbook as the workflow runs it: the validated, normalised form of a YAML file in `playbooks/`
 * (see playbook/schema.ts for the file format and its checks). Durations are milliseconds here.
 */
import type { EngagementType, ResolverType, SelfManagedStatus } from '../case/status';

export type AlertSource = 'generic' | 'guardduty' | 'securityhub';

/** Who may decide: user names, or `group:<name>` entries resolved against the users file. */
export type ApproverRef = string;

export type TimeoutAction = 'escalate' | 'reject' | 'approve';

export interface EscalationSpec {
  approvers: ApproverRef[];
  timeoutMs?: number;
  /** After the escalation's own timeout: no further escalation, so only reject or approve. */
  onTimeout: 'reject' | 'approve';
  /**
   * Only in the input of cases started before playbooks lost the URL form of `escalation.notify`:
   * their workflows still schedule notifyEscalation with it, and the activity refuses to send.
   * @deprecated never produced by the playbook loader
   */
  notifyUrl?: string;
  /**
   * Channels (names from the worker's channels file) for the escalation round's own audience: told when
   * the step escalates, reminded during the escalation round, and told when it times out, in addition
   * to the approval's `notify` channels.
   */
  notify?: string[];
}

export interface ApprovalSpec {
  approvers: ApproverRef[];
  timeoutMs?: number;
  onTimeout: TimeoutAction;
  escalation?: EscalationSpec;
  /** Distinct people who must approve before the move (default 1: absent means one). */
  minApprovers?: number;
  /** `requester`: whoever asked for the transition cannot approve it (four-eyes). */
  separateFrom?: 'requester';
  /** Notification channels (names from the worker's channels file) told when the gate opens, is reminded, escalates or times out. */
  notify?: string[];
  /** Remind the channels this often while the gate waits (milliseconds). */
  remindEveryMs?: number;
}

export interface PlaybookStep {
  status: SelfManagedStatus;
  approval?: ApprovalSpec;
}

export interface PlaybookClose {
  approval?: ApprovalSpec;
}

export interface PlaybookMatch {
  source?: AlertSource | 'any';
  /** Glob on the alert type (`*` any run of characters), e.g. `UnauthorizedAccess:EC2/*`. */
  type?: string;
  minSeverity?: number;
}

export interface CaseTemplate {
  /** `{{alert.field}}` placeholders are filled from the normalised alert. */
  title: string;
  description: string;
  engagementType: EngagementType;
  resolverType: ResolverType;
  watchers: { email: string; name?: string; jobTitle?: string }[];
  /** Take impacted accounts / regions from the alert. */
  impactedAccountsFromAlert: boolean;
  impactedRegionsFromAlert: boolean;
}

export interface Playbook {
  name: string;
  description?: string;
  match: PlaybookMatch;
  case: CaseTemplate;
  steps: PlaybookStep[];
  /** Close the case with CloseCase after the last step; undefined leaves it open. */
  close?: PlaybookClose;
  onReject: 'stay' | 'close';
  /**
   * How often a waiting case re-reads its SIR case to notice changes made outside phasegate where SIR's
   * events do not reach the API (milliseconds; default SIR_RECHECK_DEFAULT_MS).
   */
  sirRecheckEveryMs?: number;
  /**
   * Alerts with the same values of these fields within one window join one case instead of opening
   * one each (issue 13): the group key is that case's fingerprint (see alert/group.ts).
   */
  group?: AlertGroupSpec;
  /**
   * At most this many new cases per hour for this playbook; further alerts of the hour join one storm
   * case for the playbook (alert/group.ts, contract/case-rate-limiter.ts). Nothing is dropped.
   */
  maxNewCasesPerHour?: number;
}

/** Normalised alert fields a playbook may group by (Alert in alert/alert.ts). */
export type AlertGroupField = 'source' | 'type' | 'accountId' | 'region' | 'resourceId';

export interface AlertGroupSpec {
  by: AlertGroupField[];
  /** A group's window opens with its first alert and lasts this long (milliseconds); see alert/group-window.ts. */
  windowMs: number;
}

/** The shortest grouping window a playbook may ask for. */
export const GROUP_WINDOW_MIN_MS = 60_000;

/** A waiting case re-reads its SIR case this often unless its playbook says otherwise (15 minutes). */
export const SIR_RECHECK_DEFAULT_MS = 15 * 60_000;
/** The shortest re-read interval a playbook may ask for: each re-read is a GetCase call. */
export const SIR_RECHECK_MIN_MS = 60_000;
