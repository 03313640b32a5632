/**
 * Repeats of one alert, mentioned on the SIR case once per window (issue 12): a recurring finding can
 * arrive every few seconds for weeks, and one SIR comment per repeat would flood the case (and its
 * comment quota) and grow the workflow history with an activity per repeat. The first repeat after a
 * quiet window is commented at once; later ones are counted and mentioned together when the window
 * has passed. Pure functions of the case state; the workflow makes the comments.
 */
import type { GroupState } from '../alert/group';
import type { CaseState } from './state';
import { formatDuration } from '../playbook/duration';

export const DUPLICATE_COMMENT_WINDOW_MS = 10 * 60_000;

export interface DuplicateComment {
  /** Unique within the case: it makes the comment's clientToken. */
  key: string;
  body: string;
  summary: string;
}

/** Counts a repeat; returns the comment to make now, when the window allows one. */
export function noteDuplicate(state: CaseState, receivedAt: string, nowMs: number): DuplicateComment | undefined {
  state.duplicateAlerts += 1;
  const n = state.duplicateAlerts;
  const window = state.duplicateWindow;
  if (window && nowMs < Date.parse(window.lastCommentAt) + DUPLICATE_COMMENT_WINDOW_MS) {
    window.uncommented += 1;
    window.firstNumber ??= n;
    window.firstAt ??= receivedAt;
    window.lastAt = receivedAt;
    return undefined;
  }
  if (window && window.uncommented > 0) {
    // The window passed before the case got round to mentioning the last ones: mention them with this one.
    window.uncommented += 1;
    window.lastAt = receivedAt;
    return flushDuplicates(state, nowMs, { force: true });
  }
  state.duplicateWindow = { lastCommentAt: new Date(nowMs).toISOString(), uncommented: 0 };
  if (state.group) {
    return {
      key: `duplicate-${n}`,
      body:
        `phasegate: another alert of this ${state.group.kind === 'storm' ? 'storm' : 'group'} arrived at ${receivedAt}; it joined this case, ` +
        `which now holds ${describeGroup(state.group)}. Further alerts within ${formatDuration(DUPLICATE_COMMENT_WINDOW_MS)} are counted and mentioned together.`,
      summary: `CreateCaseComment: alert joined (${n + 1} in all)`,
    };
  }
  return {
    key: `duplicate-${n}`,
    body:
      `phasegate: the same alert arrived again at ${receivedAt} (duplicate #${n}); it joined this case. ` +
      `Further repeats within ${formatDuration(DUPLICATE_COMMENT_WINDOW_MS)} are counted and mentioned together.`,
    summary: `CreateCaseComment: duplicate alert #${n}`,
  };
}

/** When the counted repeats are due to be mentioned (epoch ms), or undefined when none wait. */
export function duplicatesDueAt(state: CaseState): number | undefined {
  const window = state.duplicateWindow;
  return window && window.uncommented > 0 ? Date.parse(window.lastCommentAt) + DUPLICATE_COMMENT_WINDOW_MS : undefined;
}

/** The comment that mentions the counted repeats, once their window has passed (or at once with `force`, as a case ends). */
export function flushDuplicates(state: CaseState, nowMs: number, options: { force?: boolean } = {}): DuplicateComment | undefined {
  const window = state.duplicateWindow;
  const due = duplicatesDueAt(state);
  if (!window || due === undefined || (!options.force && nowMs < due)) return undefined;
  const first = window.firstNumber ?? state.duplicateAlerts;
  const last = first + window.uncommented - 1;
  const count = window.uncommented;
  const numbers = count === 1 ? `duplicate #${first}` : `duplicates #${first}–#${last}`;
  const between = count === 1 ? `at ${window.firstAt}` : `between ${window.firstAt} and ${window.lastAt}`;
  state.duplicateWindow = { lastCommentAt: new Date(nowMs).toISOString(), uncommented: 0 };
  if (state.group) {
    return {
      key: `duplicates-${first}-${last}`,
      body: `phasegate: ${count} more alert${count === 1 ? '' : 's'} of this ${state.group.kind === 'storm' ? 'storm' : 'group'} arrived ${between}; ${count === 1 ? 'it' : 'each'} joined this case, which now holds ${describeGroup(state.group)}.`,
      summary: `CreateCaseComment: ${count} alert${count === 1 ? '' : 's'} joined`,
    };
  }
  return {
    key: `duplicates-${first}-${last}`,
    body: `phasegate: the same alert arrived ${count} more time${count === 1 ? '' : 's'} ${between} (${numbers}); ${count === 1 ? 'it' : 'each'} joined this case.`,
    summary: `CreateCaseComment: ${count} duplicate alert${count === 1 ? '' : 's'}`,
  };
}

/** "12 alerts (10 distinct, 2 repeats) seen …; by group: …" for a grouped or storm case's comments. */
export function describeGroup(group: GroupState): string {
  const distinct = `${group.members + group.repeats} alerts (${group.members} distinct, ${group.repeats} repeat${group.repeats === 1 ? '' : 's'}) seen between ${group.firstSeen} and ${group.lastSeen}`;
  if (!group.byGroup) return distinct;
  const top = Object.entries(group.byGroup)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([key, n]) => `${key}: ${n}`);
  return `${distinct}; by group: ${top.join(', ')}${Object.keys(group.byGroup).length > 10 ? ', …' : ''}`;
}
