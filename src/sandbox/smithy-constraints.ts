/**
 * A small interpreter for the Smithy constraint traits the SIR model uses (required, length, pattern,
 * range, enum, uniqueItems), so the operation inputs in input-validation.ts read like the model and
 * every violation is reported, not just the first: a client fixing a request wants the whole list.
 *
 * Decoding goes with validation because restJson1 fixes how JSON maps to the model: absent and null
 * optional members are the same thing, unknown members are ignored, timestamps are epoch seconds.
 */
import type { ValidationExceptionField } from '../sir/shapes';

export type Shape = StringShape | IntegerShape | TimestampShape | ListShape | MapShape | StructureShape;

export interface StringShape {
  type: 'string';
  length?: LengthTrait;
  /** Applied with RegExp.test, i.e. unanchored, as Smithy patterns are (ECMA-262 search semantics). */
  pattern?: RegExp;
  enum?: readonly string[];
  /** Smithy @sensitive: the value never appears in messages. */
  sensitive?: boolean;
}

export interface IntegerShape {
  type: 'integer';
  range?: { min?: number; max?: number };
}

export interface TimestampShape {
  type: 'timestamp';
}

export interface ListShape {
  type: 'list';
  member: Shape;
  length?: LengthTrait;
  uniqueItems?: boolean;
}

export interface MapShape {
  type: 'map';
  key: StringShape;
  value: Shape;
  length?: LengthTrait;
}

export interface StructureShape {
  type: 'structure';
  members: Readonly<Record<string, Member>>;
}

export interface Member {
  shape: Shape;
  required?: boolean;
}

export interface LengthTrait {
  min?: number;
  max?: number;
}

export const required = (shape: Shape): Member => ({ shape, required: true });
export const optional = (shape: Shape): Member => ({ shape });

/**
 * Validates `value` against `shape` and returns it decoded (timestamps as Date, null and unknown
 * members dropped) together with every violation found. The decoded value is only meaningful when
 * `errors` is empty.
 */
export function decodeShape(shape: Shape, value: unknown, path = ''): { value: unknown; errors: ValidationExceptionField[] } {
  const errors: ValidationExceptionField[] = [];
  const decoded = visit(shape, value, path, errors);
  return { value: decoded, errors };
}

function visit(shape: Shape, value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  switch (shape.type) {
    case 'string':
      return visitString(shape, value, path, errors);
    case 'integer':
      return visitInteger(shape, value, path, errors);
    case 'timestamp':
      return visitTimestamp(value, path, errors);
    case 'list':
      return visitList(shape, value, path, errors);
    case 'map':
      return visitMap(shape, value, path, errors);
    case 'structure':
      return visitStructure(shape, value, path, errors);
  }
}

function visitStructure(shape: StructureShape, value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  if (!isPlainObject(value)) {
    errors.push(violation(path, value, 'Member must be a structure (JSON object)', false));
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(shape.members)) {
    const memberPath = path ? `${path}.${name}` : name;
    const memberValue = Object.prototype.hasOwnProperty.call(value, name) ? value[name] : undefined;
    if (memberValue === undefined || memberValue === null) {
      if (member.required) errors.push({ name: memberPath, message: `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null` });
      continue;
    }
    out[name] = visit(member.shape, memberValue, memberPath, errors);
  }
  return out;
}

function visitString(shape: StringShape, value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  const sensitive = shape.sensitive ?? false;
  if (typeof value !== 'string') {
    errors.push(violation(path, value, 'Member must be a string', sensitive));
    return undefined;
  }
  // One violation per member, as smithy-rs servers report it: the fieldList names each bad field once.
  const problem =
    checkLength(shape.length, codePointLength(value)) ??
    (shape.enum && !shape.enum.includes(value) ? `Member must satisfy enum value set: [${shape.enum.join(', ')}]` : undefined) ??
    (shape.pattern && !shape.pattern.test(value) ? `Member must satisfy regular expression pattern: ${shape.pattern.source}` : undefined);
  if (problem) errors.push(violation(path, value, problem, sensitive));
  return value;
}

function visitInteger(shape: IntegerShape, value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push(violation(path, value, 'Member must be an integer', false));
    return undefined;
  }
  const { min, max } = shape.range ?? {};
  if (min !== undefined && value < min) errors.push(violation(path, value, `Member must have value greater than or equal to ${min}`, false));
  else if (max !== undefined && value > max) errors.push(violation(path, value, `Member must have value less than or equal to ${max}`, false));
  return value;
}

function visitTimestamp(value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  // restJson1's default timestampFormat is epoch-seconds, a JSON number; a fraction carries the
  // milliseconds. ISO strings are what the docs' examples show, and exactly what must be refused.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    errors.push(violation(path, value, 'Member must be a timestamp in epoch seconds (a JSON number)', false));
    return undefined;
  }
  const date = new Date(Math.round(value * 1000));
  if (Number.isNaN(date.getTime())) {
    errors.push(violation(path, value, 'Member must be a representable timestamp', false));
    return undefined;
  }
  return date;
}

function visitList(shape: ListShape, value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  if (!Array.isArray(value)) {
    errors.push(violation(path, value, 'Member must be a list (JSON array)', false));
    return undefined;
  }
  const lengthProblem = checkLength(shape.length, value.length);
  if (lengthProblem) errors.push({ name: path, message: `Value at '${path}' failed to satisfy constraint: ${lengthProblem}` });
  const out = value.map((item, index) => {
    const itemPath = `${path}[${index}]`;
    // The model's lists are not @sparse, so a null element is an error rather than "absent".
    if (item === null || item === undefined) {
      errors.push({ name: itemPath, message: `Value null at '${itemPath}' failed to satisfy constraint: Member must not be null` });
      return undefined;
    }
    return visit(shape.member, item, itemPath, errors);
  });
  if (shape.uniqueItems && !lengthProblem) {
    const duplicates = duplicateIndices(value);
    if (duplicates.length > 0) {
      errors.push({
        name: path,
        message: `Value with repeated values at indices [${duplicates.join(', ')}] at '${path}' failed to satisfy constraint: Member must have unique values`,
      });
    }
  }
  return out;
}

function visitMap(shape: MapShape, value: unknown, path: string, errors: ValidationExceptionField[]): unknown {
  if (!isPlainObject(value)) {
    errors.push(violation(path, value, 'Member must be a map (JSON object)', false));
    return undefined;
  }
  const entries = Object.entries(value);
  const lengthProblem = checkLength(shape.length, entries.length);
  if (lengthProblem) errors.push({ name: path, message: `Value at '${path}' failed to satisfy constraint: ${lengthProblem}` });
  const out: Record<string, unknown> = {};
  for (const [key, entryValue] of entries) {
    // JSON-quoted so keys holding dots, brackets or spaces still give an unambiguous path.
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    const keyProblem = checkLength(shape.key.length, codePointLength(key));
    if (keyProblem) errors.push({ name: entryPath, message: `Map key at '${entryPath}' failed to satisfy constraint: ${keyProblem}` });
    if (entryValue === null || entryValue === undefined) {
      errors.push({ name: entryPath, message: `Value null at '${entryPath}' failed to satisfy constraint: Member must not be null` });
      continue;
    }
    out[key] = visit(shape.value, entryValue, entryPath, errors);
  }
  return out;
}

function checkLength(trait: LengthTrait | undefined, length: number): string | undefined {
  if (!trait) return undefined;
  if (trait.min !== undefined && length < trait.min) return `Member must have length greater than or equal to ${trait.min}`;
  if (trait.max !== undefined && length > trait.max) return `Member must have length less than or equal to ${trait.max}`;
  return undefined;
}

/** Smithy counts string length in Unicode scalar values, not UTF-16 code units. */
function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

function violation(path: string, value: unknown, constraint: string, sensitive: boolean): ValidationExceptionField {
  const shown = sensitive || !isPrintable(value) ? '' : ` ${JSON.stringify(value)}`;
  return { name: path, message: `Value${shown} at '${path}' failed to satisfy constraint: ${constraint}` };
}

function isPrintable(value: unknown): boolean {
  return (typeof value === 'string' && value.length <= 256) || typeof value === 'number' || typeof value === 'boolean';
}

function duplicateIndices(items: readonly unknown[]): number[] {
  const firstSeen = new Map<string, number>();
  const duplicates = new Set<number>();
  items.forEach((item, index) => {
    const key = canonicalJson(item);
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, index);
    } else {
      duplicates.add(first).add(index);
    }
  });
  return [...duplicates].sort((a, b) => a - b);
}

/** JSON with object keys sorted, so structurally equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
