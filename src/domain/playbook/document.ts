/**
 * The zod schema of a playbook file: its shape, and every check that needs one field only. Each such
 * check raises a custom issue tagged with its rule id (`params.rule`); messages are predicates about
 * the field ("must be …") because playbook/issues.ts prefixes the field's name. Checks that compare
 * fields with each other live in playbook/rules.ts and run on this schema's output.
 *
 * Objects are strict: an unknown key is nearly always a misspelt known one (`aprovers`), and ignoring
 * it would drop an approval gate without a word.
 */
import { z } from 'zod';
import { ENGAGEMENT_TYPES, RESOLVER_TYPES } from '../case/status';
import { type AlertGroupField, type AlertSource, GROUP_WINDOW_MIN_MS, SIR_RECHECK_MIN_MS, type TimeoutAction } from './playbook';
import { CHANNEL_NAME_RULE, isChannelName } from './channel-name';
import { explainBadDuration, formatDuration, parseDuration } from './duration';
import { quote } from './error';
import { checkStepStatus } from './step-status';
import { CASE_TEMPLATE_PLACEHOLDERS, findTemplateProblems } from './template';

// Records rather than arrays so that a new member of the domain type fails compilation here.
const ALERT_SOURCE_KEYS: Record<AlertSource | 'any', true> = { generic: true, guardduty: true, securityhub: true, any: true };
const TIMEOUT_ACTION_KEYS: Record<TimeoutAction, true> = { escalate: true, reject: true, approve: true };
const GROUP_FIELD_KEYS: Record<AlertGroupField, true> = { source: true, type: true, accountId: true, region: true, resourceId: true };

const keysOf = <K extends string>(record: Record<K, true>): [K, ...K[]] => Object.keys(record) as [K, ...K[]];

export const ALERT_SOURCES = keysOf(ALERT_SOURCE_KEYS);
export const TIMEOUT_ACTIONS = keysOf(TIMEOUT_ACTION_KEYS);
export const GROUP_FIELDS = keysOf(GROUP_FIELD_KEYS);
export const FROM_ALERT_CHOICES = ['fromAlert', 'none'] as const;
export const ON_REJECT_CHOICES = ['stay', 'close'] as const;

/** It becomes the PlaybookName search attribute and part of log lines: short, lowercase, no spaces. */
export const PLAYBOOK_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** The same alphabet the approval API accepts for a user (case/rules.ts), optionally as `group:<name>`. */
export const APPROVER_PATTERN = /^(?:group:)?[A-Za-z0-9._@-]{1,128}$/;
/** SIR's EmailAddress shape (Watcher.email), verbatim, so CreateCase never refuses a watcher we accepted. */
export const WATCHER_EMAIL_PATTERN = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*$/;

export const MAX_WATCHERS = 30;
/** Reminders more often than this would drown the channel they are meant to keep awake. */
export const MIN_REMIND_EVERY_MS = 60_000;
export const SEPARATE_FROM_CHOICES = ['requester'] as const;
export const MIN_SEVERITY_RANGE = { min: 0, max: 10 } as const;
/** The case-rate limiter keeps the case ids it granted in the hour in its state: keep that bounded. */
export const MAX_NEW_CASES_PER_HOUR = 1000;

type Problem<T> = (value: T) => string | undefined;

function checked<T>(schema: z.ZodType<T>, rule: string, problem: Problem<T>): z.ZodType<T> {
  return schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, params: { rule } });
  });
}

function text(min: number, max: number): z.ZodType<string> {
  return checked(z.string(), 'bad-length', (value) =>
    value.trim().length < min || value.length > max
      ? `must be ${min}–${max} characters${value.trim().length < min ? ' and not blank' : ''} (found ${value.length})`
      : undefined,
  );
}

function template(max: number): z.ZodType<string> {
  return checked(text(1, max), 'unknown-placeholder', (value) => {
    const problem = findTemplateProblems(value)[0];
    if (problem === undefined) return undefined;
    const what = problem.reason === 'unclosed' ? `has an unclosed placeholder "${problem.placeholder}"` : `uses the unknown placeholder ${problem.placeholder}`;
    return `${what}; the placeholders are ${CASE_TEMPLATE_PLACEHOLDERS.join(', ')}`;
  });
}

const duration = z.unknown().transform((value, ctx): number => {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: explainBadDuration(value), params: { rule: 'bad-duration' } });
  return z.NEVER;
});

const approverRef = checked(z.string(), 'bad-approver', (value) => {
  if (APPROVER_PATTERN.test(value)) return undefined;
  const asGroup = /^\s*group\s*:\s*(\S+)\s*$/i.exec(value);
  const hint = asGroup ? ` (for a group write "group:${asGroup[1]}")` : '';
  return `${quote(value)} is not a user name or group:<name>${hint}: names are 1–128 letters, digits and . _ @ -`;
});

/** A single approver may be written without brackets; the normalised form is always a list. */
const approvers = z
  .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(approverRef))
  .superRefine((list, ctx) => {
    if (list.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name at least one user or group:<name>', params: { rule: 'no-approvers' } });
    }
    list.forEach((ref, index) => {
      if (list.indexOf(ref) !== index) {
        ctx.addIssue({ code: 'custom', path: [index], message: `repeats ${quote(ref)}; remove the duplicate`, params: { rule: 'duplicate-approver' } });
      }
    });
  });

function looksLikeUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim());
}

const channelName = checked(z.string(), 'bad-channel', (value) => {
  if (isChannelName(value)) return undefined;
  // A pasted webhook URL is the likely mistake, and a Slack webhook URL is a secret: say where it goes.
  const hint = looksLikeUrl(value)
    ? "; URLs belong in the worker's channels file (PHASEGATE_CHANNELS), and the playbook names the channel"
    : '';
  return `${quote(value)} is not a channel name: ${CHANNEL_NAME_RULE}${hint}`;
});

/** Like approvers, one channel may be written without brackets; the normalised form is a list. */
const channels = z
  .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(channelName))
  .superRefine((list, ctx) => {
    if (list.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name at least one channel, or remove the key', params: { rule: 'no-channels' } });
    }
    list.forEach((name, index) => {
      if (list.indexOf(name) !== index) {
        ctx.addIssue({ code: 'custom', path: [index], message: `repeats ${quote(name)}; remove the duplicate`, params: { rule: 'duplicate-channel' } });
      }
    });
  });

/**
 * `escalation.notify` once also took one URL, which the worker POSTed to unsigned: wherever the
 * playbook (or anyone able to write a case's workflow input) pointed it. It names channels only now;
 * a URL there gets an error that says where it belongs instead, without repeating it (it may carry
 * a token).
 */
const escalationNotify = z.unknown().transform((value, ctx): string[] => {
  if (typeof value !== 'string' && !Array.isArray(value)) {
    const found = typeof value === 'number' || typeof value === 'boolean' ? `${typeof value} ${value}` : value === null ? 'an empty value' : 'a mapping';
    ctx.addIssue({ code: 'custom', message: `must be a list of channel names (found ${found})`, params: { rule: 'wrong-type' } });
    return z.NEVER;
  }
  if (typeof value === 'string' && looksLikeUrl(value)) {
    ctx.addIssue({
      code: 'custom',
      message:
        "is a URL, and phasegate no longer sends to URLs written in playbooks: add the endpoint to the worker's channels file (PHASEGATE_CHANNELS) as a signed webhook channel and name that channel here, e.g. notify: [soc-pager]",
      params: { rule: 'notify-url' },
    });
    return z.NEVER;
  }
  const parsed = channels.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/** The gate's protections an approving timeout may override, when the playbook says so (playbook/rules.ts). */
export const TIMEOUT_OVERRIDABLE = ['minApprovers', 'separateFrom'] as const;

/** Like approvers, one value may be written without brackets. */
const timeoutMayOverride = z
  .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(z.enum(TIMEOUT_OVERRIDABLE)))
  .superRefine((list, ctx) => {
    if (list.length === 0) ctx.addIssue({ code: 'custom', message: `must name ${TIMEOUT_OVERRIDABLE.join(' or ')}, or remove the key`, params: { rule: 'no-overrides' } });
    list.forEach((name, index) => {
      if (list.indexOf(name) !== index) ctx.addIssue({ code: 'custom', path: [index], message: `repeats ${quote(name)}; remove the duplicate`, params: { rule: 'duplicate-override' } });
    });
  });

const minApprovers = checked(z.number(), 'bad-min-approvers', (value) =>
  Number.isInteger(value) && value >= 1 ? undefined : `must be a whole number of at least 1: the distinct people needed (found ${value})`,
);

const remindEvery = duration.superRefine((ms, ctx) => {
  if (ms < MIN_REMIND_EVERY_MS) {
    ctx.addIssue({
      code: 'custom',
      message: `must be at least ${formatDuration(MIN_REMIND_EVERY_MS)} (found ${formatDuration(ms)}): reminders more often would drown the channel`,
      params: { rule: 'remind-too-often' },
    });
  }
});

const escalation = z.strictObject({
  approvers,
  timeout: duration.optional(),
  // `escalate` is accepted here only so that playbook/rules.ts can refuse it with a clear message.
  onTimeout: z.enum(TIMEOUT_ACTIONS).optional(),
  notify: escalationNotify.optional(),
});

const approval = z.strictObject({
  approvers,
  timeout: duration.optional(),
  onTimeout: z.enum(TIMEOUT_ACTIONS).optional(),
  escalation: escalation.optional(),
  minApprovers: minApprovers.optional(),
  separateFrom: z.enum(SEPARATE_FROM_CHOICES).optional(),
  timeoutMayOverride: timeoutMayOverride.optional(),
  notify: channels.optional(),
  remindEvery: remindEvery.optional(),
});

const stepStatus = z.string().transform((value, ctx) => {
  const check = checkStepStatus(value);
  if (check.ok) return check.status;
  ctx.addIssue({ code: 'custom', message: check.message, params: { rule: check.rule } });
  return z.NEVER;
});

const step = z.strictObject({ status: stepStatus, approval: approval.optional() });

/** `close: true` and `close: {}` both mean "close without an approval"; `close: false` means no close. */
const close = z.preprocess(
  (value) => (value === true ? {} : value === false ? undefined : value),
  z.strictObject({ approval: approval.optional() }).optional(),
);

const watcher = z.strictObject({
  email: checked(z.string(), 'bad-email', (value) =>
    value.length >= 6 && value.length <= 254 && WATCHER_EMAIL_PATTERN.test(value)
      ? undefined
      : `${quote(value)} is not an email address SIR accepts (6–254 characters, name@domain)`,
  ),
  name: text(1, 50).optional(),
  jobTitle: text(1, 50).optional(),
});

const watchers = z.array(watcher).superRefine((list, ctx) => {
  if (list.length > MAX_WATCHERS) {
    ctx.addIssue({ code: 'custom', message: `lists ${list.length} watchers; SIR allows at most ${MAX_WATCHERS}`, params: { rule: 'too-many-watchers' } });
  }
  const seen = new Set<string>();
  list.forEach((w, index) => {
    const key = w.email.toLowerCase();
    if (seen.has(key)) {
      ctx.addIssue({ code: 'custom', path: [index, 'email'], message: `repeats ${w.email}; SIR refuses duplicate watchers`, params: { rule: 'duplicate-watcher' } });
    }
    seen.add(key);
  });
});

const match = z.strictObject({
  source: z.enum(ALERT_SOURCES).optional(),
  type: text(1, 256).optional(),
  minSeverity: checked(z.number(), 'out-of-range', (value) =>
    value >= MIN_SEVERITY_RANGE.min && value <= MIN_SEVERITY_RANGE.max && Number.isFinite(value)
      ? undefined
      : `must be between ${MIN_SEVERITY_RANGE.min} and ${MIN_SEVERITY_RANGE.max}, the normalised alert severity scale (found ${value})`,
  ).optional(),
});

const caseTemplate = z.strictObject({
  title: template(300),
  description: template(8000),
  engagementType: z.enum(ENGAGEMENT_TYPES).optional(),
  resolverType: z.enum(RESOLVER_TYPES).optional(),
  watchers: watchers.optional(),
  impactedAccounts: z.enum(FROM_ALERT_CHOICES).optional(),
  impactedRegions: z.enum(FROM_ALERT_CHOICES).optional(),
});

const groupField = z.string().transform((value, ctx): AlertGroupField => {
  if ((GROUP_FIELDS as string[]).includes(value)) return value as AlertGroupField;
  ctx.addIssue({ code: 'custom', message: `${quote(value)} is not an alert field to group by; the fields are ${GROUP_FIELDS.join(', ')}`, params: { rule: 'bad-group-field' } });
  return z.NEVER;
});

/** `group: {by: [accountId, type, resourceId], window: 1h}` (issue 13). */
const group = z.strictObject({
  by: z.array(groupField).superRefine((list, ctx) => {
    if (list.length === 0) ctx.addIssue({ code: 'custom', message: `must name at least one of ${GROUP_FIELDS.join(', ')}`, params: { rule: 'no-group-fields' } });
    list.forEach((field, index) => {
      if (list.indexOf(field) !== index) ctx.addIssue({ code: 'custom', path: [index], message: `repeats ${quote(field)}; remove the duplicate`, params: { rule: 'duplicate-group-field' } });
    });
  }),
  window: checked(duration, 'out-of-range', (ms) =>
    ms >= GROUP_WINDOW_MIN_MS ? undefined : `must be at least ${formatDuration(GROUP_WINDOW_MIN_MS)}: a shorter window groups almost nothing`,
  ),
});

export const playbookDocumentSchema = z.strictObject({
  name: checked(z.string(), 'bad-name', (value) =>
    PLAYBOOK_NAME_PATTERN.test(value)
      ? undefined
      : `${quote(value)} must be 2–63 characters of lowercase letters, digits and "-", starting with a letter or digit (it becomes the PlaybookName search attribute)`,
  ),
  description: text(1, 4000).optional(),
  match: match.optional(),
  case: caseTemplate,
  steps: z.array(step).optional(),
  close,
  onReject: z.enum(ON_REJECT_CHOICES).optional(),
  sirRecheckEvery: checked(duration, 'out-of-range', (ms) =>
    ms >= SIR_RECHECK_MIN_MS ? undefined : `must be at least ${formatDuration(SIR_RECHECK_MIN_MS)}: each re-read is a SIR GetCase call`,
  ).optional(),
  group: group.optional(),
  maxNewCasesPerHour: checked(z.number(), 'out-of-range', (value) =>
    Number.isInteger(value) && value >= 1 && value <= MAX_NEW_CASES_PER_HOUR
      ? undefined
      : `must be a whole number from 1 to ${MAX_NEW_CASES_PER_HOUR}: the new SIR cases this playbook may open per hour (found ${value})`,
  ).optional(),
});

/** The file as validated, before defaults: playbook/rules.ts needs to know what the author omitted. */
export type PlaybookDocument = z.output<typeof playbookDocumentSchema>;
export type ApprovalDocument = z.output<typeof approval>;
