/**
 * Grouping and storm cases (issues 13 and 18). Pure functions: the server names a group, its case
 * and the storm case with them, and the workflow keeps a case's members with them.
 *
 * A grouped playbook (`group: {by, window}`) gives every alert a group: `group-<playbook>-<32 hex>`,
 * SHA-256 over the playbook name and the named fields' values. A group has at most one window open at
 * a time: it opens with the first alert that finds none and lasts `window` (Temporal keeps it, see
 * alert/group-window.ts), and every alert of the group that arrives while it is open joins the
 * window's case. The case is named by the group and the UTC time its window opened,
 * `group-<playbook>-<32 hex>-<yyyymmddThhmmssSSSZ>`: its fingerprint (SPEC §3: workflow id
 * `case-<fingerprint>`, CreateCase's clientToken from the fingerprint), so each window has its own
 * workflow and SIR case, whatever the number of alerts and servers. Member alerts keep their own
 * fingerprints inside the case, where exact repeats are recognised.
 *
 * A playbook over its `maxNewCasesPerHour` sends further alerts of the hour to one storm case:
 * fingerprint `storm-<playbook>-<hour number>` (then `-2`, `-3`… when one finished within its hour),
 * which counts its members by group.
 */
import type { Alert } from './alert';
import { sha256Hex } from './fingerprint';
import type { AlertGroupSpec } from '../playbook/playbook';

export const HOUR_MS = 3_600_000;
/** Member fingerprints a case keeps (the first ones); beyond, members are still counted. */
export const GROUP_MEMBERS_KEPT = 100;
/** Groups a storm case counts by name; beyond, their alerts are counted under `(other groups)`. */
export const STORM_GROUPS_KEPT = 200;
export const OTHER_GROUPS = '(other groups)';
/** Storm cases a playbook opens in one hour, each after the previous one finished: an auto-closing playbook cannot turn a storm into a case per alert. */
export const STORM_CASES_PER_HOUR = 10;

/** A member alert as the join signal carries it. */
export interface GroupMember {
  /** The alert's own fingerprint (alert/fingerprint.ts). */
  fingerprint: string;
  severity?: number;
  /**
   * ISO-8601: the alert's own time (observedAt), else when phasegate received it. Shown as the case's
   * first and last seen; windows never use it (the sender's clock can be wrong or forged).
   */
  at: string;
  /** The member's group (groupId), else its own fingerprint: storm cases count by it. */
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

/** The alert's own time, as its members list shows it: when it was observed, else when it was received. */
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

/** The group an alert of a grouped playbook belongs to (see the module comment). */
export function groupId(playbookName: string, spec: Pick<AlertGroupSpec, 'by'>, alert: Alert): string {
  return `group-${playbookName}-${groupKey(playbookName, spec, alert)}`;
}

/** The fingerprint of the group's case for the window that opened at `openedAt`. */
export function groupCaseFingerprint(group: string, openedAt: Date): string {
  // 2026-11-30T12:00:20.123Z -> 20261130T120020123Z: readable, sortable, in the fingerprint alphabet.
  return `${group}-${openedAt.toISOString().replace(/[-:.]/g, '')}`;
}

export function hourNumber(at: Date): number {
  return Math.floor(at.getTime() / HOUR_MS);
}

/** The fingerprint of a playbook's storm case for the hour `at` falls in; `generation` counts the storm cases of that hour. */
export function stormFingerprint(playbookName: string, at: Date, generation = 1): string {
  return `storm-${playbookName}-${hourNumber(at)}${generation > 1 ? `-${generation}` : ''}`;
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
export function alertsIn(state: { readonly group?: GroupState | undefined }): number {
  return state.group ? state.group.members + state.group.repeats : 0;
}
