/**
 * Grouping and storm cases (issue 13). Pure functions: the server computes a grouped alert's case id
 * with them, and the workflow keeps a group's members with them.
 *
 * A grouped playbook (`group: {by, window}`) gives every alert a group key: SHA-256 over the playbook
 * name and the named fields' values, and the window it falls in (floor(alert time / window)). The group
 * key with its window IS the case's fingerprint (SPEC §3: workflow id `case-<fingerprint>`, CreateCase's
 * clientToken from the fingerprint): `group-<playbook>-<32 hex>-<window number>`. So every alert of one
 * group and window starts-or-joins one workflow and one SIR case, exactly as a resent alert does, and
 * the member alerts keep their own fingerprints inside the case, where exact repeats are recognised.
 *
 * A playbook over its `maxNewCasesPerHour` sends further alerts of the hour to one storm case:
 * fingerprint `storm-<playbook>-<hour number>`, which counts its members by group.
 */
import type { Alert } from './alert';
import type { CaseState } from './case-state';
import { sha256Hex } from './fingerprint';
import type { AlertGroupSpec } from './playbook';

export const HOUR_MS = 3_600_000;
/** Member fingerprints a case keeps (the first ones); beyond, members are still counted. */
export const GROUP_MEMBERS_KEPT = 100;
/** Groups a storm case counts by name; beyond, their alerts are counted under `(other groups)`. */
export const STORM_GROUPS_KEPT = 200;
export const OTHER_GROUPS = '(other groups)';

/** A member alert as the join signal carries it. */
export interface GroupMember {
  /** The alert's own fingerprint (fingerprint.ts). */
  fingerprint: string;
  severity?: number;
  /** ISO-8601: the alert's time (observedAt), else when phasegate received it. */
  at: string;
  /** The member's group key (storm cases count by it). */
  group?: string;
}

/** What a grouped or storm case keeps about its members. */
export interface GroupState {
  kind: 'group' | 'storm';
  /** Alerts in the case, the first (which opened it) included; repeats not counted here. */
  members: number;
  /** Exact repeats of a member's fingerprint. */
  repeats: number;
  firstSeen: string;
  lastSeen: string;
  /** The first GROUP_MEMBERS_KEPT member fingerprints. */
  fingerprints: string[];
  maxSeverity?: number;
  /** Storm cases: alerts by group key (bounded by STORM_GROUPS_KEPT). */
  byGroup?: Record<string, number>;
}

/** The alert's time for windows: when it was observed, else when it was received. */
export function alertTime(alert: Pick<Alert, 'observedAt'>, receivedAt: Date): Date {
  const observed = alert.observedAt ? Date.parse(alert.observedAt) : NaN;
  return Number.isFinite(observed) ? new Date(observed) : receivedAt;
}

/** The group key: playbook and the named fields (a missing field counts as empty, and is told apart from "" by position). */
export function groupKey(playbookName: string, spec: Pick<AlertGroupSpec, 'by'>, alert: Partial<Record<AlertGroupSpec['by'][number], string>>): string {
  // JSON keeps field boundaries unambiguous ("a","bc" vs "ab","c").
  const values = spec.by.map((field) => [field, alert[field] ?? null]);
  return sha256Hex(JSON.stringify([playbookName, values])).slice(0, 32);
}

/** The fingerprint of the group case an alert belongs to (see the module comment). */
export function groupFingerprint(playbookName: string, spec: AlertGroupSpec, alert: Alert, at: Date): string {
  const bucket = Math.floor(at.getTime() / spec.windowMs);
  return `group-${playbookName}-${groupKey(playbookName, spec, alert)}-${bucket}`;
}

export function hourNumber(at: Date): number {
  return Math.floor(at.getTime() / HOUR_MS);
}

/** The fingerprint of a playbook's storm case for the hour `at` falls in. */
export function stormFingerprint(playbookName: string, at: Date): string {
  return `storm-${playbookName}-${hourNumber(at)}`;
}

/** The group state of a case opened by `first`. */
export function startGroup(kind: GroupState['kind'], first: GroupMember): GroupState {
  return {
    kind,
    members: 1,
    repeats: 0,
    firstSeen: first.at,
    lastSeen: first.at,
    fingerprints: [first.fingerprint],
    ...(first.severity !== undefined && { maxSeverity: first.severity }),
    ...(kind === 'storm' && { byGroup: { [first.group ?? OTHER_GROUPS]: 1 } }),
  };
}

/**
 * Adds a member to the case's group; returns 'repeat' when its fingerprint is already a member (it is
 * recognised among the kept fingerprints; past GROUP_MEMBERS_KEPT a repeat counts as a new member).
 */
export function addMember(group: GroupState, member: GroupMember): 'member' | 'repeat' {
  if (member.at < group.firstSeen) group.firstSeen = member.at;
  if (member.at > group.lastSeen) group.lastSeen = member.at;
  if (group.fingerprints.includes(member.fingerprint)) {
    group.repeats += 1;
    return 'repeat';
  }
  group.members += 1;
  if (group.fingerprints.length < GROUP_MEMBERS_KEPT) group.fingerprints.push(member.fingerprint);
  if (member.severity !== undefined && (group.maxSeverity === undefined || member.severity > group.maxSeverity)) group.maxSeverity = member.severity;
  if (group.byGroup) {
    const key = member.group !== undefined && (member.group in group.byGroup || Object.keys(group.byGroup).length < STORM_GROUPS_KEPT) ? member.group : OTHER_GROUPS;
    group.byGroup[key] = (group.byGroup[key] ?? 0) + 1;
  }
  return 'member';
}

/** Every alert the case took: members plus repeats. */
export function alertsIn(state: Pick<CaseState, 'group'>): number {
  return state.group ? state.group.members + state.group.repeats : 0;
}
