/**
 * A signed sample alert for first-time users: a high-severity GuardDuty finding in EventBridge form,
 * with a fresh finding id each time so every run opens a new case.
 */
import { randomBytes } from 'node:crypto';
import { signWebhook } from '../server/webhook-signature';

export function demoGuardDutyEvent(now: Date = new Date()): Record<string, unknown> {
  const findingId = randomBytes(16).toString('hex');
  const time = now.toISOString();
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: '111122223333',
    time,
    region: 'us-east-1',
    resources: [],
    detail: {
      schemaVersion: '2.0',
      accountId: '111122223333',
      region: 'us-east-1',
      partition: 'aws',
      id: findingId,
      arn: `arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/${findingId}`,
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      resource: {
        resourceType: 'AccessKey',
        accessKeyDetails: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE', userName: 'web-app-instance-role', userType: 'AssumedRole' },
        instanceDetails: { instanceId: 'i-0a1b2c3d4e5f67890', instanceType: 't3.medium' },
      },
      service: {
        serviceName: 'guardduty',
        detectorId: '12abc34d567e8fa901bc2d34e56789f0',
        action: {
          actionType: 'AWS_API_CALL',
          awsApiCallAction: { api: 'ListBuckets', serviceName: 's3.amazonaws.com', remoteIpDetails: { ipAddressV4: '203.0.113.77' } },
        },
        resourceRole: 'TARGET',
        eventFirstSeen: time,
        eventLastSeen: time,
        archived: false,
        count: 1,
      },
      severity: 8,
      createdAt: time,
      updatedAt: time,
      title: 'Credentials for instance role web-app-instance-role used from a remote AWS account.',
      description:
        'Credentials created exclusively for an EC2 instance using instance role web-app-instance-role have been used from IP address 203.0.113.77 outside AWS (phasegate demo alert).',
    },
  };
}

export interface DemoPostResult {
  status: number;
  body: unknown;
}

export async function postDemoAlert(apiUrl: string, secret: string): Promise<DemoPostResult> {
  const raw = JSON.stringify(demoGuardDutyEvent());
  const response = await fetch(new URL('/v1/alerts', apiUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-phasegate-signature': signWebhook(secret, raw) },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) };
}
