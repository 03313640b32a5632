/**
 * Whether a playbook step may name a status. Steps are UpdateCaseStatus targets, so only the
 * self-managed wire values qualify, spelled exactly; the refusals say what to write instead.
 */
import { AWS_MANAGED_STATUSES, CLOSED, SELF_MANAGED_STATUSES, type SelfManagedStatus } from '../case/status';
import { quote } from './error';
import { closestMatch, didYouMean } from './suggest';

export type StepStatusCheck = { ok: true; status: SelfManagedStatus } | { ok: false; rule: string; message: string };

const INITIAL_STATUS = SELF_MANAGED_STATUSES[0];

/** What a step may move a case to: every self-managed status but the one a case is opened in. */
export const STEP_STATUSES: readonly SelfManagedStatus[] = SELF_MANAGED_STATUSES.filter((s) => s !== INITIAL_STATUS);

const quoted = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(', ');

export function checkStepStatus(value: string): StepStatusCheck {
  if ((STEP_STATUSES as readonly string[]).includes(value)) return { ok: true, status: value as SelfManagedStatus };
  const meant = closestMatch(value, [...SELF_MANAGED_STATUSES, ...AWS_MANAGED_STATUSES]) ?? value;
  const hint = meant === value ? '' : ` (read as "${meant}")`;
  if (meant === CLOSED) {
    return {
      ok: false,
      rule: 'closed-as-step',
      message: `${quote(value)}${hint} cannot be a step: cases are closed with CloseCase, not UpdateCaseStatus; remove this step and add a top-level "close:" (with an approval if closing needs one)`,
    };
  }
  if ((AWS_MANAGED_STATUSES as readonly string[]).includes(meant)) {
    return {
      ok: false,
      rule: 'aws-managed-status',
      message: `${quote(value)}${hint} is a status only AWS sets; phasegate can move a case to ${quoted(STEP_STATUSES)}, or close it with a top-level "close:"`,
    };
  }
  if (meant === INITIAL_STATUS) {
    return {
      ok: false,
      rule: 'submitted-as-step',
      message: `${quote(value)}${hint} cannot be a step: every case is opened in "${INITIAL_STATUS}" and no transition leads back to it; remove this step`,
    };
  }
  return {
    ok: false,
    rule: 'unknown-status',
    message: `${quote(value)} is not a SIR case status${didYouMean(value, STEP_STATUSES)}; write one of ${quoted(STEP_STATUSES)} exactly as spelled here`,
  };
}
