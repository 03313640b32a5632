/**
 * Which playbook takes an alert. Every playbook whose `match` fits is a candidate; the most specific
 * one wins, so a catch-all default and narrow playbooks can live side by side without any ordering
 * in the directory mattering.
 *
 * Specificity is compared field by field, coarsest discriminator first:
 *   1. a named source beats `any` (or no source): a playbook written for one feed knows that feed's
 *      type vocabulary and severity scale;
 *   2. a type pattern beats none; between patterns, the longer literal prefix (the text before the
 *      first `*`) wins, then the one with more literal characters overall, so an exact type beats
 *      `UnauthorizedAccess:EC2/*`, which beats `UnauthorizedAccess:*`;
 *   3. a minimum severity beats none, and a higher one beats a lower one;
 *   4. the name, alphabetically, so equal candidates always resolve the same way on every worker.
 *
 * The glob is anchored and case-sensitive (GuardDuty and ASFF types are case-sensitive identifiers);
 * `*` matches any run of characters, including none, and every other character is literal.
 */
import type { Alert } from '../alert/alert';
import type { Playbook, PlaybookMatch } from './playbook';

export type RouteAlertResult = { ok: true; playbook: Playbook } | { ok: false; reason: string };

export function routeAlert(playbooks: readonly Playbook[], alert: Alert): RouteAlertResult {
  const candidates = playbooks.filter((playbook) => mismatch(playbook.match, alert) === undefined);
  const best = candidates.reduce<Playbook | undefined>((winner, playbook) => (winner === undefined || compareSpecificity(playbook, winner) < 0 ? playbook : winner), undefined);
  if (best !== undefined) return { ok: true, playbook: best };

  const subject = `source ${alert.source}, type ${quoteType(alert.type)}, severity ${formatSeverity(alert.severity)}`;
  if (playbooks.length === 0) return { ok: false, reason: `no playbook matches ${subject}: no playbooks are loaded` };
  const why = [...playbooks]
    .sort((a, b) => compareNames(a.name, b.name))
    .map((playbook) => `${playbook.name} ${mismatch(playbook.match, alert) ?? 'matches'}`);
  return { ok: false, reason: `no playbook matches ${subject}: ${why.join('; ')}` };
}

/** Why `match` refuses `alert` (its first unmet condition), or undefined when it takes it. */
export function mismatch(match: PlaybookMatch, alert: Alert): string | undefined {
  if (match.source !== undefined && match.source !== 'any' && match.source !== alert.source) return `needs source ${match.source}`;
  if (match.type !== undefined && !globMatches(match.type, alert.type)) return `needs a type matching ${quoteType(match.type)}`;
  if (match.minSeverity !== undefined && !(alert.severity >= match.minSeverity)) return `needs severity ≥ ${match.minSeverity}`;
  return undefined;
}

/** Negative when `a` is more specific than `b` (so it sorts first). */
export function compareSpecificity(a: Playbook, b: Playbook): number {
  const ka = specificity(a.match);
  const kb = specificity(b.match);
  for (let i = 0; i < ka.length; i++) {
    const diff = (kb[i] ?? 0) - (ka[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return compareNames(a.name, b.name);
}

/** [source named, type given, literal prefix length, literal characters, severity given, severity]. */
function specificity(match: PlaybookMatch): number[] {
  const sourceGiven = match.source !== undefined && match.source !== 'any' ? 1 : 0;
  const type = match.type;
  const star = type === undefined ? -1 : type.indexOf('*');
  const prefix = type === undefined ? 0 : star === -1 ? type.length : star;
  const literals = type === undefined ? 0 : type.replace(/\*/g, '').length;
  const severityGiven = match.minSeverity !== undefined ? 1 : 0;
  return [sourceGiven, type !== undefined ? 1 : 0, prefix, literals, severityGiven, match.minSeverity ?? 0];
}

/**
 * Anchored glob match where `*` is any run of characters. Greedy with backtracking to the last
 * star only, so it runs in O(pattern × text) at worst, unlike a regex built from user patterns.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === '*') {
      starAt = p++;
      resumeAt = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (starAt !== -1) {
      p = starAt + 1;
      t = ++resumeAt;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

// Code-unit order, not localeCompare: the result must not depend on the worker's locale.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatSeverity(severity: number): string {
  return Number.isInteger(severity) ? severity.toFixed(1) : String(severity);
}

/** Alert types come from senders: quoted, control characters escaped, long ones cut. */
function quoteType(type: string): string {
  return JSON.stringify(type.length > 100 ? `${type.slice(0, 100)}…` : type);
}
