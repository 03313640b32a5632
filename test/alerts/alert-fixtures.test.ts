/**
 * The shipped sample payloads (test/fixtures, written from AWS's documented formats) parse to the
 * exact Alert phasegate routes and opens cases from.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/domain/alert/alert';
import { parseAlert } from '../../src/domain/alert/parse';
import { REMOVE, fixture, patched } from './helpers';

function parsedAlert(body: unknown): Alert {
  const result = parseAlert(body);
  if (!result.ok) assert.fail(`expected the body to parse, got: ${result.error}`);
  return result.alert;
}

describe('alert fixtures', () => {
  it('a GuardDuty Finding event (high severity, access key resource, API call from outside AWS)', () => {
    assert.deepEqual(parsedAlert(fixture('guardduty-finding-event')), {
      source: 'guardduty',
      id: '5ec6c1b4e8a40b1a5d1e3c1b8e0f7a21',
      type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
      title: 'Credentials for instance role web-app-instance-role used from external IP address.',
      description:
        'Credentials created exclusively for an EC2 instance using instance role web-app-instance-role have been used from external IP address 203.0.113.77.',
      severity: 8,
      accountId: '111122223333',
      region: 'us-east-1',
      // resourceType AccessKey: the key, although the finding also describes the instance it belongs to.
      resourceId: 'ASIAIOSFODNN7EXAMPLE',
      // service.eventFirstSeen, not createdAt: the activity started before GuardDuty reported it.
      observedAt: '2024-05-01T10:02:11.000Z',
      threatActorIps: ['203.0.113.77'],
    } satisfies Alert);
  });

  it('a low-severity GuardDuty SSH brute-force finding (instance resource, inbound connection)', () => {
    assert.deepEqual(parsedAlert(fixture('guardduty-finding-low')), {
      source: 'guardduty',
      id: 'a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1',
      type: 'UnauthorizedAccess:EC2/SSHBruteForce',
      title: '198.51.100.23 is performing SSH brute force attacks against i-0fedcba9876543210.',
      description:
        '198.51.100.23 is performing SSH brute force attacks against i-0fedcba9876543210. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.',
      severity: 2,
      accountId: '111122223333',
      region: 'eu-west-1',
      resourceId: 'i-0fedcba9876543210',
      observedAt: '2024-05-02T06:10:27.000Z',
      threatActorIps: ['198.51.100.23'],
    } satisfies Alert);
  });

  it('a Security Hub Findings - Imported event (ASFF, Label HIGH / Normalized 70)', () => {
    assert.deepEqual(parsedAlert(fixture('securityhub-findings-imported')), {
      source: 'securityhub',
      id: 'arn:aws:securityhub:us-west-2:111122223333:security-control/EC2.19/finding/3f1c8a2e-9b4d-4c7e-a5f6-0d1e2f3a4b5c',
      type: 'Software and Configuration Checks/AWS Security Best Practices',
      title: 'Security groups should not allow unrestricted access to ports with high risk',
      description:
        'This control checks whether unrestricted incoming traffic for the security groups is accessible to the specified ports that have the highest risk. This control fails if any of the rules in a security group allow ingress traffic from 0.0.0.0/0 or ::/0 to those ports.',
      // Normalized 70 / 10: Label and Normalized agree, so the finer of the two is used.
      severity: 7,
      accountId: '111122223333',
      region: 'us-west-2',
      resourceId: 'arn:aws:ec2:us-west-2:111122223333:security-group/sg-0a1b2c3d4e5f67890',
      observedAt: '2024-05-03T13:58:02.518Z',
    } satisfies Alert);
  });

  it('a generic alert (observedAt normalised to UTC toISOString form, addresses kept as sent)', () => {
    assert.deepEqual(parsedAlert(fixture('generic-alert')), {
      source: 'generic',
      id: 'siem-2024-000123',
      type: 'Exfiltration:S3/AnomalousDownload',
      title: 'Unusual volume of S3 GetObject calls from an unfamiliar network',
      description:
        'The SIEM correlation rule s3-bulk-download fired: 48,213 GetObject calls against example-finance-reports within 15 minutes, from addresses never seen for this account.',
      severity: 6.5,
      accountId: '111122223333',
      region: 'eu-west-1',
      resourceId: 'arn:aws:s3:::example-finance-reports',
      observedAt: '2024-05-04T09:12:30.000Z',
      threatActorIps: ['203.0.113.7', '2001:db8::7'],
    } satisfies Alert);
  });
});

describe('GuardDuty: lenient on what phasegate only passes on', () => {
  it('a finding without title, description, resource or service still parses, with the type as title', () => {
    let body = fixture('guardduty-finding-low');
    for (const field of ['title', 'description', 'resource', 'service', 'createdAt', 'updatedAt']) body = patched(body, ['detail', field], REMOVE) as Record<string, unknown>;
    const alert = parsedAlert(body);
    assert.equal(alert.title, 'UnauthorizedAccess:EC2/SSHBruteForce');
    assert.equal(alert.description, '');
    assert.equal(alert.resourceId, undefined);
    assert.equal(alert.observedAt, undefined);
    assert.equal(alert.threatActorIps, undefined);
  });

  it('wrongly typed optional fields are skipped, not refused', () => {
    let body: unknown = fixture('guardduty-finding-low');
    body = patched(body, ['detail', 'title'], 42);
    body = patched(body, ['detail', 'resource', 'instanceDetails'], 'i-123');
    body = patched(body, ['detail', 'service', 'eventFirstSeen'], 'not a date');
    const alert = parsedAlert(body);
    assert.equal(alert.title, 'UnauthorizedAccess:EC2/SSHBruteForce');
    assert.equal(alert.resourceId, undefined);
    assert.equal(alert.observedAt, '2024-05-02T06:35:12.000Z', 'falls back to createdAt');
  });

  it('severities on the newer 1–10 float scale and the old 0.1 minimum are accepted as is', () => {
    for (const severity of [0.1, 1, 5.5, 9.9, 10]) {
      assert.equal(parsedAlert(patched(fixture('guardduty-finding-event'), ['detail', 'severity'], severity)).severity, severity);
    }
  });

  it('the region falls back to the EventBridge envelope when the finding lacks one', () => {
    assert.equal(parsedAlert(patched(fixture('guardduty-finding-low'), ['detail', 'region'], REMOVE)).region, 'eu-west-1');
  });

  it('remote addresses are threat actors only when the resource is the TARGET of inbound activity', () => {
    const outbound = patched(fixture('guardduty-finding-low'), ['detail', 'service', 'action', 'networkConnectionAction', 'connectionDirection'], 'OUTBOUND');
    assert.equal(parsedAlert(outbound).threatActorIps, undefined);
    const actor = patched(fixture('guardduty-finding-event'), ['detail', 'service', 'resourceRole'], 'ACTOR');
    assert.equal(parsedAlert(actor).threatActorIps, undefined);
  });

  it('port probes contribute every distinct prober', () => {
    const body = patched(fixture('guardduty-finding-low'), ['detail', 'service', 'action'], {
      actionType: 'PORT_PROBE',
      portProbeAction: {
        blocked: false,
        portProbeDetails: [
          { localPortDetails: { port: 22 }, remoteIpDetails: { ipAddressV4: '198.51.100.1' } },
          { localPortDetails: { port: 3389 }, remoteIpDetails: { ipAddressV4: '198.51.100.2' } },
          { localPortDetails: { port: 443 }, remoteIpDetails: { ipAddressV4: '198.51.100.1' } },
        ],
      },
    });
    assert.deepEqual(parsedAlert(body).threatActorIps, ['198.51.100.1', '198.51.100.2']);
  });

  it('the resource id follows resourceType: an S3 finding names the bucket, not the access key', () => {
    const body = patched(fixture('guardduty-finding-event'), ['detail', 'resource'], {
      resourceType: 'S3Bucket',
      accessKeyDetails: { accessKeyId: 'ASIAIOSFODNN7EXAMPLE' },
      s3BucketDetails: [{ name: 'example-finance-reports', arn: 'arn:aws:s3:::example-finance-reports' }],
    });
    assert.equal(parsedAlert(body).resourceId, 'example-finance-reports');
  });
});

describe('Security Hub: severity mapping', () => {
  const withSeverity = (severity: unknown): unknown => patched(fixture('securityhub-findings-imported'), ['detail', 'findings', 0, 'Severity'], severity);

  it('maps labels alone to 0 / 3 / 5 / 7.5 / 9.5', () => {
    const expected = { INFORMATIONAL: 0, LOW: 3, MEDIUM: 5, HIGH: 7.5, CRITICAL: 9.5 };
    for (const [Label, severity] of Object.entries(expected)) assert.equal(parsedAlert(withSeverity({ Label })).severity, severity, Label);
  });

  it('uses Normalized / 10 when alone or consistent with the label', () => {
    assert.equal(parsedAlert(withSeverity({ Normalized: 85 })).severity, 8.5);
    assert.equal(parsedAlert(withSeverity({ Label: 'CRITICAL', Normalized: 100 })).severity, 10);
    assert.equal(parsedAlert(withSeverity({ Label: 'INFORMATIONAL', Normalized: 0 })).severity, 0);
  });

  it('lets the label win when it disagrees with Normalized (a BatchUpdateFindings changed it)', () => {
    assert.equal(parsedAlert(withSeverity({ Label: 'CRITICAL', Normalized: 40 })).severity, 9.5);
  });

  it('reads remote addresses of inbound network activity and API callers, not of outbound connections', () => {
    let body = patched(fixture('securityhub-findings-imported'), ['detail', 'findings', 0, 'Network'], {
      Direction: 'IN',
      SourceIpV4: '198.51.100.9',
      DestinationIpV4: '10.0.0.5',
    });
    body = patched(body, ['detail', 'findings', 0, 'Action'], {
      ActionType: 'AWS_API_CALL',
      AwsApiCallAction: { Api: 'GetObject', RemoteIpDetails: { IpAddressV4: '203.0.113.44' } },
    });
    assert.deepEqual(parsedAlert(body).threatActorIps, ['203.0.113.44', '198.51.100.9']);

    const outbound = patched(body, ['detail', 'findings', 0, 'Network', 'Direction'], 'OUT');
    assert.deepEqual(parsedAlert(outbound).threatActorIps, ['203.0.113.44']);
  });

  it('takes the region from the resource, then the envelope, when the finding has no Region', () => {
    const noRegion = patched(fixture('securityhub-findings-imported'), ['detail', 'findings', 0, 'Region'], REMOVE);
    assert.equal(parsedAlert(noRegion).region, 'us-west-2');
    const noResourceRegion = patched(patched(noRegion, ['detail', 'findings', 0, 'Resources', 0, 'Region'], REMOVE), ['region'], 'eu-north-1');
    assert.equal(parsedAlert(noResourceRegion).region, 'eu-north-1');
  });
});
