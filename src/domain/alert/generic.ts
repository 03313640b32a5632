/**
 * The generic alert: phasegate's own JSON format for senders that are neither GuardDuty nor Security
 * Hub (a SIEM rule, a script, another detector). It is strict, unknown fields included: a misspelt
 * `sevrity` silently ignored would route a critical alert as a missing-severity one, so the sender
 * hears about it instead.
 *
 * ```json
 * { "id": "siem-2024-000123", "type": "Exfiltration/S3", "title": "…", "severity": 7.5,
 *   "description": "…", "accountId": "111122223333", "region": "eu-west-1",
 *   "resourceId": "arn:aws:s3:::bucket", "observedAt": "2024-05-01T12:34:56Z",
 *   "caseId": "8403556009", "threatActorIps": ["203.0.113.7"] }
 * ```
 */
import { z } from 'zod';
import type { Alert } from './alert';
import { ALERT_SEVERITY_MAX, ALERT_SEVERITY_MIN, MAX_THREAT_ACTOR_IPS } from './alert';
import { type DescribedProblem, issuesToProblems } from './issues';
import { accountIdField, boundedArray, isoDateTimeField, numberInRange, patterned, text } from './schema-fields';

/** Letters, digits and `. _ : / -`: enough for UUIDs, ARNs-ish and SIEM ids, nothing that needs escaping in logs. */
export const GENERIC_ID_PATTERN = /^[A-Za-z0-9._:/-]+$/;
/** SIR's CaseId: 10–32 digits (anchored here, unlike the model, so trailing junk is refused). */
export const CASE_ID_PATTERN = /^\d{10,32}$/;

export const genericAlertSchema = z.strictObject({
  id: patterned(GENERIC_ID_PATTERN, 200, 'letters, digits and . _ : / - only (1–200 characters)'),
  type: text(1, 200),
  title: text(1, 300),
  description: text(0, 8000).optional(),
  severity: numberInRange(ALERT_SEVERITY_MIN, ALERT_SEVERITY_MAX, 'a number from 0 (informational) to 10 (critical)'),
  accountId: accountIdField.optional(),
  region: text(1, 64).optional(),
  resourceId: text(1, 1000).optional(),
  observedAt: isoDateTimeField.optional(),
  caseId: patterned(CASE_ID_PATTERN, 32, 'a SIR case id: 10–32 digits').optional(),
  // An IPv6 address with an embedded IPv4 one is at most 45 characters; 100 leaves room for zone ids.
  threatActorIps: boundedArray(text(1, 100), MAX_THREAT_ACTOR_IPS).optional(),
});

export const GENERIC_ALERT_FIELDS: readonly string[] = Object.keys(genericAlertSchema.shape);

export type GenericAlertParse = { ok: true; alert: Alert } | { ok: false; problems: DescribedProblem[] };

export function parseGenericAlert(body: Record<string, unknown>): GenericAlertParse {
  const parsed = genericAlertSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      problems: issuesToProblems(parsed.error.issues, { base: [], subject: 'a generic alert', allowedKeys: GENERIC_ALERT_FIELDS }),
    };
  }
  const { id, type, title, description, severity, accountId, region, resourceId, observedAt, caseId, threatActorIps } = parsed.data;
  return {
    ok: true,
    alert: {
      source: 'generic',
      id,
      type: type.trim(),
      title: title.trim(),
      description: description ?? '',
      severity,
      ...(accountId !== undefined && { accountId }),
      ...(region !== undefined && { region: region.trim() }),
      ...(resourceId !== undefined && { resourceId: resourceId.trim() }),
      ...(observedAt !== undefined && { observedAt }),
      ...(caseId !== undefined && { caseId }),
      ...(threatActorIps !== undefined && { threatActorIps: threatActorIps.map((ip) => ip.trim()) }),
    },
  };
}
