/**
 * The CreateCase request for an alert that names no existing case: the playbook's templates filled
 * from the alert, then fitted to what SIR accepts (reference §2.1–2.3). Everything that could make
 * CreateCase answer ValidationException is settled here, before the workflow starts, because a
 * refused CreateCase fails the case workflow and the alert would get no case at all:
 *
 * - title 1–300 and description 1–8000 characters (Smithy counts code points): longer text is cut
 *   and ends in "…"; blank text falls back to the alert's own title, description or type;
 * - impactedAccounts: the alert's account, only when it is 12 digits;
 * - impactedAwsRegions: the alert's region, only when it is one of SIR's 36 AwsRegion values;
 * - threatActorIpAddresses: the alert's addresses in SIR's IPAddress form, others dropped
 *   (alert/ip-addresses.ts);
 * - reportedIncidentStartDate: when the alert's activity was first seen, never later than `now`.
 *
 * Alert text (which may name people or hosts) goes into this spec and nowhere else: no summaries,
 * search attributes or log lines are derived from it here.
 */
import type { Alert } from '../alert/alert';
import { MAX_THREAT_ACTOR_IPS } from '../alert/alert';
import { parseIsoDateTime } from '../alert/datetime';
import { sirIpAddresses } from '../alert/ip-addresses';
import { isSirAwsRegion } from '../sir-api/aws-regions';
import type { NewCaseSpec } from './playbook-input';
import type { Playbook } from '../playbook/playbook';
import { type CaseTemplateAlert, renderCaseTemplate } from '../playbook/template';

export const CASE_TITLE_MAX_LENGTH = 300;
export const CASE_DESCRIPTION_MAX_LENGTH = 8000;
const ELLIPSIS = '…';
// Not imported from alert/schema-fields.ts: that module pulls in zod, and this one must stay light
// enough for the workflow bundle.
const ACCOUNT_ID = /^\d{12}$/;

export function newCaseFromAlert(playbook: Playbook, alert: Alert, now: Date): NewCaseSpec {
  if (Number.isNaN(now.getTime())) throw new RangeError('newCaseFromAlert needs a valid `now`');
  const template = playbook.case;
  const fields = caseTemplateAlert(alert);

  // A title is one line: alert text with line breaks would otherwise spill into SIR's case list.
  const title = firstText(CASE_TITLE_MAX_LENGTH, oneLine(renderCaseTemplate(template.title, fields)), oneLine(alert.title), oneLine(alert.type)) ?? `${alert.source} alert`;
  const description =
    firstText(CASE_DESCRIPTION_MAX_LENGTH, renderCaseTemplate(template.description, fields), alert.description, alert.title, alert.type) ??
    `${alert.source} alert`;

  const region = alert.region?.trim().toLowerCase();
  const addresses = sirIpAddresses(alert.threatActorIps ?? [], MAX_THREAT_ACTOR_IPS);

  return {
    title,
    description,
    engagementType: template.engagementType,
    resolverType: template.resolverType,
    reportedIncidentStartDate: incidentStart(alert.observedAt, now),
    impactedAccounts: template.impactedAccountsFromAlert && alert.accountId !== undefined && ACCOUNT_ID.test(alert.accountId) ? [alert.accountId] : [],
    watchers: template.watchers.map((w) => ({ email: w.email, ...(w.name !== undefined && { name: w.name }), ...(w.jobTitle !== undefined && { jobTitle: w.jobTitle }) })),
    ...(template.impactedRegionsFromAlert && isSirAwsRegion(region) && { impactedAwsRegions: [{ region }] }),
    ...(addresses.length > 0 && { threatActorIpAddresses: addresses.map((ipAddress) => ({ ipAddress })) }),
  };
}

/** The `{{alert.<field>}}` values (CASE_TEMPLATE_FIELDS) of an alert. */
export function caseTemplateAlert(alert: Alert): CaseTemplateAlert {
  return {
    id: alert.id,
    source: alert.source,
    type: alert.type,
    title: alert.title,
    description: alert.description,
    severity: alert.severity,
    accountId: alert.accountId,
    region: alert.region,
    resourceId: alert.resourceId,
  };
}

/**
 * `text` trimmed and cut to at most `max` code points, ending in "…" when cut. Code points, because
 * Smithy's length trait counts them; cutting by UTF-16 units could also split an emoji in half.
 */
export function fitText(text: string, max: number): string {
  const trimmed = text.trim();
  const codePoints = Array.from(trimmed);
  if (codePoints.length <= max) return trimmed;
  return `${codePoints.slice(0, max - 1).join('')}${ELLIPSIS}`;
}

/** The first candidate with visible content, fitted to `max`. */
function firstText(max: number, ...candidates: string[]): string | undefined {
  const found = candidates.find((c) => c.trim().length > 0);
  return found === undefined ? undefined : fitText(found, max);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** The alert's first-seen time, or `now` when it has none, it is unreadable, or it lies in the future (clock skew). */
function incidentStart(observedAt: string | undefined, now: Date): string {
  const observed = observedAt === undefined ? undefined : parseIsoDateTime(observedAt);
  return observed !== undefined && observed.getTime() <= now.getTime() ? observed.toISOString() : now.toISOString();
}
