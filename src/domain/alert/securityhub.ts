/**
 * Security Hub findings as EventBridge delivers them (`source: aws.securityhub`, `detail-type:
 * Security Hub Findings - Imported`, `detail.findings`: ASFF findings), following
 * https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html.
 *
 * One finding per event. AWS documents that each event sends a single finding, and phasegate answers
 * with one case workflow per request, so a `findings` list of two or more is refused rather than
 * trimmed to its first entry: a silently dropped finding is a lost alert, whereas a refusal tells the
 * sender (a custom forwarder, usually) to send each finding as its own event. An empty list is refused
 * as well.
 *
 * Strict on `Id` (the fingerprint), `Types` (routing uses the first), `Severity` and `AwsAccountId`;
 * lenient on everything else, like the GuardDuty parser.
 */
import { z } from 'zod';
import type { Alert } from './alert';
import { MAX_THREAT_ACTOR_IPS } from './alert';
import { type DescribedProblem, issuesToProblems, problem } from './issues';
import { distinctTexts, firstDefined, readInstant, readPath, readText } from './lenient-read';
import { accountIdField, checked, numberInRange, text } from './schema-fields';

export const SECURITYHUB_EVENT_SOURCE = 'aws.securityhub';
export const SECURITYHUB_DETAIL_TYPE = 'Security Hub Findings - Imported';

export const SEVERITY_LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

/**
 * A label on phasegate's 0–10 scale: near the middle of the label's Normalized band (0, 1–39,
 * 40–69, 70–89, 90–100, divided by 10), with HIGH at 7.5 so that a HIGH finding meets a playbook's
 * `minSeverity: 7` the way a GuardDuty High (7.0–8.9) does, and CRITICAL at 9.5 for Critical (9–10).
 */
export const LABEL_SEVERITY: Readonly<Record<SeverityLabel, number>> = {
  INFORMATIONAL: 0,
  LOW: 3,
  MEDIUM: 5,
  HIGH: 7.5,
  CRITICAL: 9.5,
};

const severityLabel = checked(z.string(), (value) =>
  (SEVERITY_LABELS as readonly string[]).includes(value) ? undefined : `must be one of ${SEVERITY_LABELS.join(', ')}`,
);

const severity = checked(
  z.looseObject({
    Label: severityLabel.optional(),
    Normalized: numberInRange(0, 100, 'a number from 0 to 100').optional(),
  }),
  (value) =>
    value.Label === undefined && value.Normalized === undefined
      ? `must carry Label (${SEVERITY_LABELS.join(', ')}) or Normalized (0–100)`
      : undefined,
);

const asffFindingSchema = z.looseObject({
  // ASFF bounds Id at 512 characters; it is usually an ARN, which the fingerprint hashes.
  Id: text(1, 512),
  Types: checked(z.array(text(1, 512)), (types) =>
    types.length === 0 ? 'must name at least one finding type, e.g. "Software and Configuration Checks/AWS Security Best Practices"' : undefined,
  ),
  Severity: severity,
  AwsAccountId: accountIdField,
});

const findingsEventSchema = z.looseObject({
  detail: z.looseObject({
    findings: checked(z.array(z.unknown()), (findings) =>
      findings.length === 0
        ? 'must hold the finding; the list is empty'
        : findings.length > 1
          ? `must hold exactly one finding (found ${findings.length}): Security Hub sends one finding per event, and phasegate opens one case per finding, so send each finding as its own event`
          : undefined,
    ),
  }),
});

export type SecurityHubAlertParse = { ok: true; alert: Alert } | { ok: false; problems: DescribedProblem[] };

export function parseSecurityHubEvent(event: Record<string, unknown>): SecurityHubAlertParse {
  const envelope = findingsEventSchema.safeParse(event, { reportInput: true });
  if (!envelope.success) {
    return { ok: false, problems: issuesToProblems(envelope.error.issues, { base: [], subject: 'a Security Hub Findings - Imported event' }) };
  }
  const raw = envelope.data.detail.findings[0];
  const base = ['detail', 'findings', 0];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [problem(base, 'must be an ASFF finding (a JSON object)')] };
  }
  const parsed = asffFindingSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, { base, subject: 'an ASFF finding' }) };

  const { Id, Types, Severity, AwsAccountId } = parsed.data;
  const type = (Types[0] ?? '').trim();
  const region = readText(raw, ['Region'], 64) ?? readText(raw, ['Resources', 0, 'Region'], 64) ?? readText(event, ['region'], 64);
  const resourceId = readText(raw, ['Resources', 0, 'Id'], 2048);
  const observedAt = firstDefined(readInstant(raw, ['FirstObservedAt']), readInstant(raw, ['CreatedAt']), readInstant(raw, ['UpdatedAt']));
  const threatActorIps = asffRemoteIps(raw);

  return {
    ok: true,
    alert: {
      source: 'securityhub',
      id: Id.trim(),
      type,
      title: readText(raw, ['Title']) ?? type,
      description: readText(raw, ['Description']) ?? '',
      severity: asffSeverity(Severity.Label as SeverityLabel | undefined, Severity.Normalized),
      accountId: AwsAccountId,
      ...(region !== undefined && { region }),
      ...(resourceId !== undefined && { resourceId }),
      ...(observedAt !== undefined && { observedAt }),
      ...(threatActorIps.length > 0 && { threatActorIps }),
    },
  };
}

/**
 * Normalized / 10 when it agrees with the label (Security Hub fills in whichever of the two the
 * provider left out, so they normally agree and Normalized is the finer of them). When they disagree,
 * someone changed the label afterwards (BatchUpdateFindings), and Label is AWS's preferred
 * attribute, so the label's value wins.
 */
export function asffSeverity(label: SeverityLabel | undefined, normalized: number | undefined): number {
  if (normalized !== undefined && (label === undefined || labelOfNormalized(normalized) === label)) return normalized / 10;
  return label === undefined ? 0 : LABEL_SEVERITY[label];
}

/** Security Hub's own Normalized → Label bands. */
export function labelOfNormalized(normalized: number): SeverityLabel {
  if (normalized <= 0) return 'INFORMATIONAL';
  if (normalized < 40) return 'LOW';
  if (normalized < 70) return 'MEDIUM';
  if (normalized < 90) return 'HIGH';
  return 'CRITICAL';
}

/**
 * Remote addresses that acted against the resource: the callers of API calls, port probers, and
 * the remote end of INBOUND connections; for `Network`, the source of inbound traffic. Outbound
 * remotes are left out for the reason given in alert/guardduty.ts (they are victims or reached
 * infrastructure, not actors).
 */
function asffRemoteIps(finding: unknown): string[] {
  const action = readPath(finding, 'Action');
  const details: unknown[] = [readPath(action, 'AwsApiCallAction', 'RemoteIpDetails')];
  if (readText(action, ['NetworkConnectionAction', 'ConnectionDirection'], 20)?.toUpperCase() !== 'OUTBOUND') {
    details.push(readPath(action, 'NetworkConnectionAction', 'RemoteIpDetails'));
  }
  const probes = readPath(action, 'PortProbeAction', 'PortProbeDetails');
  if (Array.isArray(probes)) details.push(...probes.map((probe) => readPath(probe, 'RemoteIpDetails')));
  const addresses = details.flatMap((d) => [readPath(d, 'IpAddressV4'), readPath(d, 'IpAddressV6')]);
  if (readText(finding, ['Network', 'Direction'], 10)?.toUpperCase() === 'IN') {
    addresses.push(readPath(finding, 'Network', 'SourceIpV4'), readPath(finding, 'Network', 'SourceIpV6'));
  }
  return distinctTexts(addresses, 100, MAX_THREAT_ACTOR_IPS);
}
