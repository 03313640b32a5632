/**
 * Turns zod issues into the `details` of a refused alert: a path into the body as it was sent
 * (`detail.severity`, `detail.findings[0].AwsAccountId`) and a message meant for the person wiring a
 * sender to phasegate. zod's own wording ("Invalid input: expected string, received undefined") is
 * replaced so every refusal says what to send instead.
 */
import type { z } from 'zod';
import type { PathSegment } from './lenient-read';
import { didYouMean } from '../playbook/suggest';

type Issue = z.core.$ZodIssue;

/** One problem with an alert body. `path` is BODY_PATH for the body as a whole. */
export interface AlertProblem {
  path: string;
  message: string;
}

/** The path of problems with the body as a whole, as the server's own refusals write it. */
export const BODY_PATH = '(body)';

/** A problem plus the one-line form used in the result's `error` summary. */
export interface DescribedProblem extends AlertProblem {
  summary: string;
}

export interface IssueContext {
  /** Where the validated value sits in the body, e.g. ['detail', 'findings', 0]. */
  base: PathSegment[];
  /** How the refused thing is named in messages, e.g. "a generic alert". */
  subject: string;
  /** For unknown-field messages: the fields the strict schema takes. */
  allowedKeys?: readonly string[];
}

/** What a required field holds, so the refusal doubles as documentation. */
const REQUIRED_HINTS: Record<string, string> = {
  id: "the alert's identity at its source",
  type: 'what kind of alert, e.g. "UnauthorizedAccess:EC2/SSHBruteForce"',
  title: 'a one-line summary',
  severity: 'a number from 0 (informational) to 10 (critical)',
  accountId: 'the 12-digit AWS account id',
  detail: 'the finding, as EventBridge delivers it',
  'detail-type': 'the EventBridge detail type, e.g. "GuardDuty Finding"',
  source: 'the EventBridge source, e.g. "aws.guardduty"',
  findings: 'a list holding the ASFF finding',
  Id: "the finding's ASFF Id",
  Types: 'a list of ASFF finding types, e.g. ["TTPs/Initial Access"]',
  Severity: 'an object with Label (INFORMATIONAL … CRITICAL) or Normalized (0–100)',
  AwsAccountId: 'the 12-digit AWS account id',
};

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a list',
};

export function issuesToProblems(issues: readonly Issue[], context: IssueContext): DescribedProblem[] {
  return issues.flatMap((issue) => issueToProblems(issue, context));
}

function issueToProblems(issue: Issue, context: IssueContext): DescribedProblem[] {
  const local = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const segments = [...context.base, ...local];
  const at = (message: string): DescribedProblem => problem(segments, message);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = context.allowedKeys ?? [];
      return issue.keys.map((key) => {
        const named = `unknown field ${quote(key)}${didYouMean(key, allowed)}`;
        // The summary names the field without repeating the list of allowed ones for every key.
        return { path: formatPath([...segments, key]), message: `${named}; ${context.subject} takes only ${allowed.join(', ')}`, summary: named };
      });
    }
    case 'invalid_type': {
      const name = local.length > 0 ? local[local.length - 1] : undefined;
      if (issue.input === undefined) {
        const hint = typeof name === 'string' && Object.prototype.hasOwnProperty.call(REQUIRED_HINTS, name) ? REQUIRED_HINTS[name] : undefined;
        return [at(`is required${hint === undefined ? '' : `: ${hint}`}`)];
      }
      return [at(`must be ${NOUNS[issue.expected] ?? issue.expected} (found ${describeValue(issue.input)})`)];
    }
    case 'custom':
      return [at(issue.message)];
    default:
      // Shapes this module does not word itself; zod's message is still accurate.
      return [at(`is not valid: ${issue.message}`)];
  }
}

/** A problem found outside zod (dispatch, envelope rules), in the same form. */
export function problem(segments: PathSegment[], message: string): DescribedProblem {
  const path = formatPath(segments);
  return path === '' ? { path: BODY_PATH, message, summary: `the body ${message}` } : { path, message, summary: `${path} ${message}` };
}

/**
 * `detail.findings[0].AwsAccountId`: dots between names, brackets around indexes, and quoted
 * brackets (`["odd key"]`) for names that would not read back unambiguously.
 */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment.length > 100 ? `${segment.slice(0, 100)}…` : segment)}]`;
  }
  return out;
}

/** A field name for a message: quoted, control characters escaped, long names cut. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
}

/** The kind of a refused value, never its content (it may be personal data). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return value.length === 0 ? 'an empty string' : `a string of ${count(value.length, 'character')}`;
    case 'number':
      return Number.isFinite(value) ? `the number ${value}` : String(value);
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** `1 character`, `2 characters`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
