/**
 * Reading the optional parts of AWS findings that phasegate only passes on (titles, resources,
 * remote addresses, timestamps). AWS adds and reshapes these fields over time, so a missing or
 * oddly-typed one is skipped instead of refusing the whole finding: losing a resource id is far
 * cheaper than losing the alert. The fields phasegate relies on are checked strictly by zod instead.
 *
 * Only own properties are read, so a JSON body with a `__proto__` or `constructor` key cannot make a
 * reader walk into Object.prototype.
 */
import { parseIsoDateTime } from './datetime';

export type PathSegment = string | number;

/** The value at `path` inside `root`, or undefined when any step is missing or of the wrong kind. */
export function readPath(root: unknown, ...path: PathSegment[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment < 0 || segment >= current.length) return undefined;
      current = (current as unknown[])[segment];
    } else {
      if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
      current = current[segment];
    }
  }
  return current;
}

/**
 * A string with visible content, trimmed; anything else is undefined. `max` is for identifiers,
 * where a cut value would name the wrong thing: longer ones are dropped, not shortened. Prose is
 * read whole and fitted to SIR's limits when the case opens.
 */
export function readText(root: unknown, path: PathSegment[], max = Number.POSITIVE_INFINITY): string | undefined {
  const value = readPath(root, ...path);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 && trimmed.length <= max ? trimmed : undefined;
}

/** A valid ISO-8601 date-time, normalised to UTC `toISOString` form; anything else is undefined. */
export function readInstant(root: unknown, path: PathSegment[]): string | undefined {
  const value = readPath(root, ...path);
  if (typeof value !== 'string') return undefined;
  return parseIsoDateTime(value.trim())?.toISOString();
}

/** The first of several candidate readings that yields a value. */
export function firstDefined<T>(...values: Array<T | undefined>): T | undefined {
  return values.find((value) => value !== undefined);
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The distinct non-blank strings among `values` (trimmed, at most `maxLength` each), first `maxCount` kept. */
export function distinctTexts(values: readonly unknown[], maxLength: number, maxCount: number): string[] {
  const out: string[] = [];
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed.length === 0 || trimmed.length > maxLength || out.includes(trimmed)) continue;
    out.push(trimmed);
    if (out.length >= maxCount) break;
  }
  return out;
}
