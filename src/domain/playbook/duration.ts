/**
 * Durations as playbook authors write them (`30s`, `15m`, `4h`, `2d`, `1h30m`). Units are required and
 * written largest first, so `90` or `30m1h` are refused rather than guessed at: a wrong approval
 * timeout silently auto-approves or auto-rejects a containment step.
 */
import { quote } from './error';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

export const MAX_DURATION_MS = 365 * UNIT_MS.d;

export const DURATION_EXAMPLES = '30s, 15m, 4h, 2d or 1h30m';

const DURATION_PATTERN = /^(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?$/;

/** Milliseconds, or undefined when the text is not a duration in (0, 365d]. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  const match = DURATION_PATTERN.exec(trimmed);
  if (trimmed === '' || !match) return undefined;
  const [, d, h, m, s] = match;
  const ms = Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s;
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Why `text` is not a duration, phrased as what to write instead. */
export function explainBadDuration(value: unknown): string {
  if (typeof value === 'number') return `must have a unit: write e.g. ${value}m or ${value}h (found the bare number ${value})`;
  if (typeof value !== 'string') return `must be a duration such as ${DURATION_EXAMPLES}`;
  const match = DURATION_PATTERN.exec(value.trim());
  if (match && value.trim() !== '') {
    return match.slice(1).every((part) => Number(part ?? 0) === 0)
      ? `must be longer than zero (found ${quote(value)})`
      : `must be at most 365d (found ${quote(value)})`;
  }
  return `must be a duration such as ${DURATION_EXAMPLES}: whole numbers with units d, h, m, s, largest first (found ${quote(value)})`;
}

/** The shortest spelling parseDuration reads back to the same value, for summaries and messages. */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  if (rest <= 0) return '0s';
  let text = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
