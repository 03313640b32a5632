/**
 * `POST /v1/alerts` bodies → the internal Alert (SPEC §3): an EventBridge GuardDuty Finding event, an
 * EventBridge Security Hub Findings - Imported event, or phasegate's generic alert. Refusals carry
 * every problem found, each with a path into the body as sent, so a sender fixes them in one go.
 *
 * Detection: a body with `detail-type` or `detail` is an EventBridge event and must be one of the
 * two supported kinds; anything else must be a generic alert. Unsupported EventBridge events (an
 * Inspector finding, a GuardDuty Runtime Monitoring event) are named as such rather than refused
 * field by field as a generic alert they were never meant to be.
 *
 * parseAlert never throws, for any value: the server can hand it whatever JSON.parse produced.
 */
import type { Alert } from './alert';
import { parseGenericAlert } from './generic';
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_EVENT_SOURCE, parseGuardDutyEvent } from './guardduty';
import { type AlertProblem, BODY_PATH, type DescribedProblem, describeValue, problem, quote } from './issues';
import { isJsonObject } from './lenient-read';
import { SECURITYHUB_DETAIL_TYPE, SECURITYHUB_EVENT_SOURCE, parseSecurityHubEvent } from './securityhub';

export type { AlertProblem } from './issues';

export type ParseAlertResult = { ok: true; alert: Alert } | { ok: false; error: string; details: AlertProblem[] };

/** The EventBridge events phasegate takes, by (source, detail-type). */
const SUPPORTED_EVENTS = [
  { source: GUARDDUTY_EVENT_SOURCE, detailType: GUARDDUTY_DETAIL_TYPE, label: 'GuardDuty finding event', parse: parseGuardDutyEvent },
  { source: SECURITYHUB_EVENT_SOURCE, detailType: SECURITYHUB_DETAIL_TYPE, label: 'Security Hub findings event', parse: parseSecurityHubEvent },
] as const;

const SUPPORTED_LIST = SUPPORTED_EVENTS.map((e) => `"${e.detailType}" from ${e.source}`).join(' or ');

/** How many problems the `error` summary spells out; `details` always has all of them. */
const SUMMARY_PROBLEMS = 3;

export function parseAlert(body: unknown): ParseAlertResult {
  try {
    return dispatch(body);
  } catch (err) {
    // Only a bug gets here; the body still gets a 4xx-shaped answer instead of a crashed request.
    const reason = err instanceof Error ? err.message : 'unknown error';
    return { ok: false, error: `the alert could not be checked: ${reason}`, details: [{ path: BODY_PATH, message: `could not be checked: ${reason}` }] };
  }
}

function dispatch(body: unknown): ParseAlertResult {
  if (!isJsonObject(body)) {
    return refuse('alert', [
      problem(
        [],
        `must be a JSON object (a generic alert, or an EventBridge event: ${SUPPORTED_LIST}), not ${describeValue(body)}`,
      ),
    ]);
  }
  if (!hasOwn(body, 'detail-type') && !hasOwn(body, 'detail')) {
    const generic = parseGenericAlert(body);
    return generic.ok ? generic : refuse('generic alert', generic.problems);
  }

  const source = body.source;
  const detailType = body['detail-type'];
  const envelopeProblems: DescribedProblem[] = [];
  if (typeof detailType !== 'string') {
    envelopeProblems.push(problem(['detail-type'], detailType === undefined ? 'is required in an EventBridge event' : `must be a string (found ${describeValue(detailType)})`));
  }
  if (typeof source !== 'string') {
    envelopeProblems.push(problem(['source'], source === undefined ? 'is required in an EventBridge event' : `must be a string (found ${describeValue(source)})`));
  }
  if (!isJsonObject(body.detail)) {
    envelopeProblems.push(problem(['detail'], body.detail === undefined ? 'is required in an EventBridge event' : `must be a JSON object (found ${describeValue(body.detail)})`));
  }
  if (envelopeProblems.length > 0) return refuse('EventBridge event', envelopeProblems);

  const supported = SUPPORTED_EVENTS.find((e) => e.source === source && e.detailType === detailType);
  if (supported === undefined) {
    const bySource = SUPPORTED_EVENTS.find((e) => e.source === source);
    const unsupported = bySource
      ? problem(['detail-type'], `${quote(String(detailType))} is not supported from ${bySource.source}; phasegate takes "${bySource.detailType}"`)
      : problem(['source'], `${quote(String(source))} is not a supported EventBridge source; phasegate takes ${SUPPORTED_LIST}`);
    return refuse('EventBridge event', [unsupported]);
  }
  const parsed = supported.parse(body);
  return parsed.ok ? parsed : refuse(supported.label, parsed.problems);
}

function refuse(what: string, problems: DescribedProblem[]): ParseAlertResult {
  // Defensive: a refusal always explains itself, even if a schema reported nothing usable.
  const list = problems.length > 0 ? problems : [problem([], 'was refused for an unknown reason')];
  const shown = list.slice(0, SUMMARY_PROBLEMS).map((p) => p.summary);
  const more = list.length > SUMMARY_PROBLEMS ? `; and ${list.length - SUMMARY_PROBLEMS} more problem${list.length - SUMMARY_PROBLEMS === 1 ? '' : 's'}` : '';
  return { ok: false, error: `invalid ${what}: ${shown.join('; ')}${more}`, details: list.map(({ path, message }) => ({ path, message })) };
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}
