/**
 * Turns zod's issues into PlaybookErrors that say which rule was broken and what to write instead.
 * zod's own wording ("Invalid input: expected string, received undefined") is replaced because the
 * readers are incident responders editing YAML, not TypeScript developers.
 */
import { z } from 'zod';
import { PlaybookError, quote } from './error';
import { type DocumentPath, type Location, locate } from './location';
import { STEP_STATUSES } from './step-status';
import { didYouMean } from './suggest';

type Issue = z.core.$ZodIssue;

/** What a missing field is for, so the message doubles as documentation. */
const REQUIRED_FIELD_HINTS: Record<string, string> = {
  name: 'a short id such as guardduty-high-severity',
  case: 'how to open the SIR case: at least title and description',
  title: 'the case title template, e.g. "GuardDuty {{alert.type}} in {{alert.accountId}}"',
  description: 'the case description template, e.g. "{{alert.description}}"',
  status: `the status this step moves the case to: ${STEP_STATUSES.map((s) => `"${s}"`).join(', ')}`,
  approvers: 'users or group:<name> who may decide',
  email: "the watcher's email address",
};

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of "key: value" lines',
};

export function issuesToErrors(issues: readonly Issue[], file: string, raw: unknown, schema: z.core.$ZodType): PlaybookError[] {
  return issues.flatMap((issue) => issueToErrors(issue, file, raw, schema));
}

function issueToErrors(issue: Issue, file: string, raw: unknown, schema: z.core.$ZodType): PlaybookError[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const at = (rule: string, message: string, where: DocumentPath = path): PlaybookError => {
    const loc = locate(where, raw);
    return new PlaybookError({ file, path: loc.path, ...(loc.step !== undefined && { step: loc.step }), rule, message });
  };
  const loc = locate(path, raw);
  const subject = subjectOf(loc);

  switch (issue.code) {
    case 'custom': {
      const rule: unknown = issue.params?.rule;
      return [at(typeof rule === 'string' ? rule : 'invalid', `${subject} ${issue.message}`)];
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(schema, path);
      return issue.keys.map((key) =>
        at(
          'unknown-field',
          `unknown field ${quote(key)}${didYouMean(key, allowed)}; ${subject} takes ${allowed.join(', ') || 'no fields'}`,
          [...path, key],
        ),
      );
    }
    case 'invalid_type':
      return [typeError(issue, path, at, subject)];
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const found = typeof issue.input === 'string' ? issue.input : '';
      return [
        at(
          'bad-value',
          `${subject} ${describeValue(issue.input)} is not one of ${values.join(', ')}${didYouMean(found, issue.values.map(String))}`,
        ),
      ];
    }
    case 'too_small':
    case 'too_big':
      return [at('out-of-range', `${subject} ${issue.message.replace(/^Too (small|big): /, '')}`)];
    default:
      return [at('invalid', `${subject}: ${issue.message}`)];
  }
}

function typeError(
  issue: z.core.$ZodIssueInvalidType,
  path: DocumentPath,
  at: (rule: string, message: string) => PlaybookError,
  subject: string,
): PlaybookError {
  const key = path[path.length - 1];
  if (issue.input === undefined && typeof key === 'string') {
    const hint = REQUIRED_FIELD_HINTS[key];
    const parent = subjectOf(locate(path.slice(0, -1), undefined));
    return at('missing-field', `${parent} needs "${key}"${hint ? `: ${hint}` : ''}`);
  }
  if (path.length === 0) {
    return at('wrong-type', `a playbook file must be one YAML mapping with name, case and steps (found ${describeValue(issue.input)})`);
  }
  // zod reports NaN and ±Infinity (YAML's .nan and .inf) as "not a number".
  const nonFinite = issue.expected === 'number' && typeof issue.input === 'number';
  const expected = nonFinite ? 'a finite number' : (EXPECTED[issue.expected] ?? issue.expected);
  const isStep = path.length === 2 && path[0] === 'steps';
  const hint = isStep ? ' such as "- status: Detection and Analysis"' : issue.input === null ? ' or remove the key' : '';
  return at('wrong-type', `${subject} must be ${expected}${hint} (found ${describeValue(issue.input)})`);
}

function subjectOf(loc: Location): string {
  if (loc.field !== '') return loc.field;
  if (loc.step === 'close') return 'close';
  if (loc.step !== undefined) return 'the step';
  return 'the playbook';
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return value === undefined ? 'nothing' : typeof value;
}

/** The keys the schema allows at `path`, for "did you mean" on unknown fields. */
function allowedKeysAt(schema: z.core.$ZodType, path: DocumentPath): string[] {
  let current = unwrap(schema);
  for (const segment of path) {
    if (current instanceof z.ZodObject && typeof segment === 'string') current = unwrap(current.shape[segment] as z.core.$ZodType | undefined);
    else if (current instanceof z.ZodArray && typeof segment === 'number') current = unwrap(current.element);
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Looks through optional() and preprocess()/transform() pipes to the schema that shapes the value. */
function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  for (let depth = 0; depth < 10 && current !== undefined; depth++) {
    if (current instanceof z.ZodOptional) current = current.unwrap();
    else if (current instanceof z.ZodPipe) current = current.out instanceof z.ZodTransform ? current.in : current.out;
    else break;
  }
  return current;
}
