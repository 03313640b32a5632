/**
 * restJson1 serialization for the SIR shapes, driven by a small description of each structure.
 *
 * Only modelled members cross the wire in either direction: callers may hand us wider objects (an
 * activity input spread into CreateCaseInput, say) and nothing unmodelled must reach the service, while
 * members the service adds later must not leak into values typed as our shapes. Decoding also checks
 * JSON types, so a surprising response fails here, with the member's path, instead of as an
 * `undefined` deep inside a workflow.
 */

export type Shape =
  | { readonly kind: 'string' }
  | { readonly kind: 'number' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'list'; readonly member: Shape }
  | { readonly kind: 'map'; readonly value: Shape }
  | StructureShape;

export interface StructureShape {
  readonly kind: 'structure';
  readonly members: Readonly<Record<string, Shape>>;
  /** Enforced when decoding only: on input the service is the authority on what is missing. */
  readonly required: readonly string[];
}

export const shape = {
  string: { kind: 'string' } as Shape,
  number: { kind: 'number' } as Shape,
  boolean: { kind: 'boolean' } as Shape,
  timestamp: { kind: 'timestamp' } as Shape,
  list: (member: Shape): Shape => ({ kind: 'list', member }),
  map: (value: Shape): Shape => ({ kind: 'map', value }),
  structure: (members: Record<string, Shape>, required: readonly string[] = []): StructureShape => ({
    kind: 'structure',
    members,
    required,
  }),
};

/** A value that does not fit its shape; `path` names the member, e.g. `items[2].createdDate`. */
export class WireCodecError extends Error {
  override readonly name = 'WireCodecError';

  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path || 'body'}: ${problem}`);
  }
}

/**
 * restJson1's default timestamp format. Fractions are kept (the JS SDK sends ms / 1000), so a Date
 * survives the round trip to the millisecond.
 */
export function dateToEpochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** Rounded like the AWS SDK does, so fractional seconds never turn into sub-millisecond drift. */
export function epochSecondsToDate(seconds: number): Date {
  return new Date(Math.round(seconds * 1000));
}

/**
 * The JSON form of `value`. Absent members (undefined or null) are dropped rather than sent as null,
 * which restJson1 services may reject or, worse, read as "clear this field".
 */
export function toWire(s: Shape, value: unknown, path = ''): unknown {
  if (value === undefined || value === null) return undefined;
  switch (s.kind) {
    case 'string':
      if (typeof value !== 'string') throw new WireCodecError(path, `expected a string, got ${describe(value)}`);
      return value;
    case 'number':
      // NaN and Infinity would serialize as null and silently change the request.
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new WireCodecError(path, `expected a finite number, got ${describe(value)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new WireCodecError(path, `expected a boolean, got ${describe(value)}`);
      return value;
    case 'timestamp':
      // An Invalid Date would serialize as null; a string would pass through unconverted.
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
        throw new WireCodecError(path, `expected a valid Date, got ${describe(value)}`);
      }
      return dateToEpochSeconds(value);
    case 'list':
      if (!Array.isArray(value)) throw new WireCodecError(path, `expected an array, got ${describe(value)}`);
      return value.map((item, i) => toWire(s.member, item, `${path}[${i}]`)).filter((item) => item !== undefined);
    case 'map': {
      const entries = objectEntries(value, path);
      const out: Record<string, unknown> = {};
      for (const [key, item] of entries) {
        const encoded = toWire(s.value, item, `${path}.${key}`);
        if (encoded !== undefined) defineMember(out, key, encoded);
      }
      return out;
    }
    case 'structure': {
      const source = asRecord(value, path);
      const out: Record<string, unknown> = {};
      for (const [name, memberShape] of Object.entries(s.members)) {
        const encoded = toWire(memberShape, ownMember(source, name), join(path, name));
        if (encoded !== undefined) out[name] = encoded;
      }
      return out;
    }
  }
}

/** Parses a JSON response body into `s`. An empty body is an empty structure, as in the AWS SDK. */
export function decodeBody(s: StructureShape, body: string): unknown {
  if (body.trim() === '') return fromWire(s, {});
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new WireCodecError('', 'not valid JSON');
  }
  return fromWire(s, parsed);
}

/** The typed form of a JSON value. Unmodelled members are dropped; null means absent. */
export function fromWire(s: Shape, value: unknown, path = ''): unknown {
  if (value === undefined || value === null) return undefined;
  switch (s.kind) {
    case 'string':
      if (typeof value !== 'string') throw new WireCodecError(path, `expected a string, got ${describe(value)}`);
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new WireCodecError(path, `expected a number, got ${describe(value)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new WireCodecError(path, `expected a boolean, got ${describe(value)}`);
      return value;
    case 'timestamp':
      return decodeTimestamp(value, path);
    case 'list':
      if (!Array.isArray(value)) throw new WireCodecError(path, `expected an array, got ${describe(value)}`);
      // Lists in this model are not sparse; the SDK drops null entries too.
      return value.map((item, i) => fromWire(s.member, item, `${path}[${i}]`)).filter((item) => item !== undefined);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of objectEntries(value, path)) {
        const decoded = fromWire(s.value, item, `${path}.${key}`);
        if (decoded !== undefined) defineMember(out, key, decoded);
      }
      return out;
    }
    case 'structure': {
      const source = asRecord(value, path);
      const out: Record<string, unknown> = {};
      for (const [name, memberShape] of Object.entries(s.members)) {
        const decoded = fromWire(memberShape, ownMember(source, name), join(path, name));
        if (decoded !== undefined) out[name] = decoded;
      }
      for (const name of s.required) {
        if (out[name] === undefined) throw new WireCodecError(join(path, name), 'required member is missing');
      }
      return out;
    }
  }
}

function decodeTimestamp(value: unknown, path: string): Date {
  // The SDK also accepts the number as a string; anything else (an ISO string included) is not epoch seconds.
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC.test(value) ? Number(value) : NaN;
  const date = Number.isFinite(seconds) ? epochSecondsToDate(seconds) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new WireCodecError(path, `expected epoch seconds, got ${describe(value)}`);
  }
  return date;
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireCodecError(path, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function objectEntries(value: unknown, path: string): [string, unknown][] {
  return Object.entries(asRecord(value, path));
}

/** Inherited properties (say `toString` when a caller passes a class instance) are never members. */
function ownMember(source: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(source, name) ? source[name] : undefined;
}

/** Map keys come from callers and responses; a key named `__proto__` must stay a plain key. */
function defineMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function join(path: string, member: string): string {
  return path ? `${path}.${member}` : member;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
