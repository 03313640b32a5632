/**
 * GuardDuty findings as EventBridge delivers them (`source: aws.guardduty`, `detail-type: GuardDuty
 * Finding`, the finding in `detail`), following
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html and the finding
 * format reference.
 *
 * Strict on what phasegate decides with: `detail.id` (the fingerprint), `detail.type` (routing),
 * `detail.severity` (routing, the AlertSeverity search attribute) and `detail.accountId` (the impacted
 * account). Everything else is read leniently (alert/lenient-read.ts): GuardDuty keeps adding
 * resource and action kinds, and a new one must not turn findings away.
 */
import { z } from 'zod';
import type { Alert } from './alert';
import { ALERT_SEVERITY_MAX, ALERT_SEVERITY_MIN, MAX_THREAT_ACTOR_IPS } from './alert';
import { type DescribedProblem, issuesToProblems } from './issues';
import { distinctTexts, firstDefined, readInstant, readPath, readText } from './lenient-read';
import { accountIdField, numberInRange, text } from './schema-fields';

export const GUARDDUTY_EVENT_SOURCE = 'aws.guardduty';
export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';

// Finding ids are 32 hex characters today; the bound only keeps absurd input out.
const MAX_ID_LENGTH = 512;

const guardDutyEventSchema = z.looseObject({
  detail: z.looseObject({
    id: text(1, MAX_ID_LENGTH),
    type: text(1, 512),
    // Documented as 0.1–8.9 in older findings and 1.0–10.0 in newer ones (Critical, 2024), always
    // on the 0–10 scale phasegate uses, so it is taken as is.
    severity: numberInRange(ALERT_SEVERITY_MIN, ALERT_SEVERITY_MAX, 'a GuardDuty severity from 0 to 10'),
    accountId: accountIdField,
  }),
});

/**
 * Where each resource type keeps the identifier a responder would search for. The finding names its
 * resourceType, and that entry wins: an S3 finding also carries accessKeyDetails (whose key touched
 * the bucket), but the bucket is the resource.
 */
const RESOURCE_ID_PATHS: Record<string, Array<Array<string | number>>> = {
  Instance: [['instanceDetails', 'instanceId']],
  AccessKey: [['accessKeyDetails', 'accessKeyId']],
  S3Bucket: [['s3BucketDetails', 0, 'name'], ['s3BucketDetails', 0, 'arn']],
  EKSCluster: [['eksClusterDetails', 'name'], ['eksClusterDetails', 'arn']],
  ECSCluster: [['ecsClusterDetails', 'name'], ['ecsClusterDetails', 'arn']],
  RDSDBInstance: [['rdsDbInstanceDetails', 'dbInstanceIdentifier'], ['rdsDbInstanceDetails', 'dbInstanceArn']],
  Lambda: [['lambdaDetails', 'functionName'], ['lambdaDetails', 'functionArn']],
};

/** The service.action members that carry a `remoteIpDetails` (or a list of them, for port probes). */
const REMOTE_IP_ACTIONS = ['networkConnectionAction', 'awsApiCallAction', 'kubernetesApiCallAction', 'rdsLoginAttemptAction'];

export type GuardDutyAlertParse = { ok: true; alert: Alert } | { ok: false; problems: DescribedProblem[] };

export function parseGuardDutyEvent(event: Record<string, unknown>): GuardDutyAlertParse {
  const parsed = guardDutyEventSchema.safeParse(event, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, { base: [], subject: 'a GuardDuty finding' }) };

  const { id, type, severity, accountId } = parsed.data.detail;
  // Lenient fields are read from the body itself: zod's copy may have dropped odd keys.
  const detail = readPath(event, 'detail');
  const title = readText(detail, ['title']) ?? type.trim();
  const region = readText(detail, ['region'], 64) ?? readText(event, ['region'], 64);
  const resourceId = guardDutyResourceId(readPath(detail, 'resource'));
  // The start of the activity, not of GuardDuty's bookkeeping: eventFirstSeen when present.
  const observedAt = firstDefined(readInstant(detail, ['service', 'eventFirstSeen']), readInstant(detail, ['createdAt']), readInstant(detail, ['updatedAt']));
  const threatActorIps = guardDutyRemoteIps(readPath(detail, 'service'));

  return {
    ok: true,
    alert: {
      source: 'guardduty',
      id: id.trim(),
      type: type.trim(),
      title,
      description: readText(detail, ['description']) ?? '',
      severity,
      accountId,
      ...(region !== undefined && { region }),
      ...(resourceId !== undefined && { resourceId }),
      ...(observedAt !== undefined && { observedAt }),
      ...(threatActorIps.length > 0 && { threatActorIps }),
    },
  };
}

function guardDutyResourceId(resource: unknown): string | undefined {
  const resourceType = readText(resource, ['resourceType'], 100);
  const preferred = resourceType === undefined ? [] : (RESOURCE_ID_PATHS[resourceType] ?? []);
  // Unknown or missing resourceType: the first identifier any known section offers.
  const candidates = [...preferred, ...Object.values(RESOURCE_ID_PATHS).flat()];
  for (const path of candidates) {
    const value = readText(resource, path, 1000);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The remote addresses of the finding's action, when the remote party acted against us. When the
 * affected resource is the ACTOR, or the connection was OUTBOUND, the remote party is a victim (our
 * instance brute-forcing someone else's SSH) or infrastructure our resource reached (a mining pool,
 * a C&C server). Naming a victim as the threat actor on a SIR case would send responders after the
 * wrong party; reached infrastructure stays visible in the finding itself, so nothing is lost.
 */
function guardDutyRemoteIps(service: unknown): string[] {
  const role = readText(service, ['resourceRole'], 20);
  if (role !== undefined && role.toUpperCase() === 'ACTOR') return [];
  const action = readPath(service, 'action');
  const details: unknown[] = REMOTE_IP_ACTIONS.filter(
    (name) => name !== 'networkConnectionAction' || readText(action, [name, 'connectionDirection'], 20)?.toUpperCase() !== 'OUTBOUND',
  ).map((name) => readPath(action, name, 'remoteIpDetails'));
  const probes = readPath(action, 'portProbeAction', 'portProbeDetails');
  if (Array.isArray(probes)) details.push(...probes.map((probe) => readPath(probe, 'remoteIpDetails')));
  const addresses = details.flatMap((d) => [readPath(d, 'ipAddressV4'), readPath(d, 'ipAddressV6')]);
  return distinctTexts(addresses, 100, MAX_THREAT_ACTOR_IPS);
}
