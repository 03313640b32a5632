/**
 * zod building blocks shared by the alert schemas. zod checks the shapes (types, required and unknown
 * fields); every value rule here raises a custom issue whose message is a predicate about the field
 * ("must be …"), because alert/issues.ts puts the field's path next to it and the reader is whoever
 * wired a SIEM or an EventBridge rule to phasegate.
 *
 * Messages describe offending values by type and length, never by content: alert text may hold
 * personal data, and refusals end up in logs.
 */
import { z } from 'zod';
import { ISO_DATE_TIME_EXAMPLE, parseIsoDateTime } from './datetime';
import { count } from './issues';

type Problem<T> = (value: T) => string | undefined;

/** `schema` plus one value rule; the rule runs only on values of the right type. */
export function checked<T>(schema: z.ZodType<T>, problem: Problem<T>): z.ZodType<T> {
  return schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });
}

/** A string of `min`–`max` characters (UTF-16 units, as JSON senders count) that is not all blanks. */
export function text(min: number, max: number): z.ZodType<string> {
  return checked(z.string(), (value) => {
    if (min > 0 && value.trim().length === 0) return value.length === 0 ? 'must not be empty' : 'must not be blank';
    if (value.length < min) return `must be at least ${count(min, 'character')} (found ${value.length})`;
    if (value.length > max) return `must be at most ${max} characters (found ${value.length})`;
    return undefined;
  });
}

/** A string of at most `max` characters that matches `pattern`; `what` says what a valid one looks like. */
export function patterned(pattern: RegExp, max: number, what: string): z.ZodType<string> {
  return checked(z.string(), (value) => {
    if (value.length === 0) return `must not be empty: ${what}`;
    if (value.length > max) return `must be at most ${max} characters (found ${value.length})`;
    return pattern.test(value) ? undefined : `must be ${what}`;
  });
}

export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** SIR's AWSAccountId: exactly 12 digits; AWS zero-pads short ids, so a 10-digit id is refused, not padded. */
export const accountIdField = checked(z.string(), (value) =>
  ACCOUNT_ID_PATTERN.test(value)
    ? undefined
    : `must be a 12-digit AWS account id such as 111122223333 (found ${count(value.length, 'character')}${/^\d*$/.test(value) ? '' : ', not all digits'})`,
);

/** A finite number in [min, max]; `scale` explains the range to the sender. */
export function numberInRange(min: number, max: number, scale: string): z.ZodType<number> {
  return checked(z.number(), (value) => (value >= min && value <= max ? undefined : `must be ${scale} (found ${value})`));
}

/** An ISO-8601 date-time with a time zone, normalised to UTC `toISOString` form. */
export const isoDateTimeField = z.string().transform((value, ctx): string => {
  const date = parseIsoDateTime(value);
  if (date !== undefined) return date.toISOString();
  ctx.addIssue({
    code: 'custom',
    message: `must be an existing date and time in ISO-8601 form with a time zone, e.g. ${ISO_DATE_TIME_EXAMPLE}`,
  });
  return z.NEVER;
});

/** A list of at most `max` items. */
export function boundedArray<T>(item: z.ZodType<T>, max: number): z.ZodType<T[]> {
  return checked(z.array(item), (list) => (list.length <= max ? undefined : `must hold at most ${count(max, 'item')} (found ${list.length})`));
}
