/**
 * Where a problem is, said two ways: the exact path (`steps[2].approval.timeout`) for tools, and the
 * step a person would point at (`step 3 "Post-incident Activities"`) for the message line.
 */
import { quote } from './error';

export type DocumentPath = ReadonlyArray<string | number>;

export interface Location {
  path: string;
  step?: string;
  /** The part of the path below the step (or the whole path outside steps), to name the field in a message. */
  field: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(path: DocumentPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** `raw` is the document as YAML produced it, so a step is named even when it failed validation. */
export function locate(path: DocumentPath, raw: unknown): Location {
  const [head, index] = path;
  if (head === 'steps' && typeof index === 'number') {
    return { path: formatPath(path), step: stepLabel(index, raw), field: formatPath(path.slice(2)) };
  }
  if (head === 'close') return { path: formatPath(path), step: 'close', field: formatPath(path.slice(1)) };
  return { path: formatPath(path), field: formatPath(path) };
}

function stepLabel(index: number, raw: unknown): string {
  const steps = isRecord(raw) ? raw.steps : undefined;
  const step: unknown = Array.isArray(steps) ? steps[index] : undefined;
  const status = isRecord(step) ? step.status : undefined;
  if (typeof status !== 'string' || status.trim() === '') return `step ${index + 1}`;
  return `step ${index + 1} ${quote(status, 60)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
