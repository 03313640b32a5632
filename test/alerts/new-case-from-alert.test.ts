/**
 * The CreateCase request built from a playbook and an alert: templates filled, then fitted to SIR's
 * limits so that CreateCase never refuses it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Alert } from '../../src/domain/alert/alert';
import { parseAlert } from '../../src/domain/alert/parse';
import { SIR_AWS_REGIONS } from '../../src/domain/sir-api/aws-regions';
import { createCaseClientToken } from '../../src/domain/case/playbook-input';
import { alertFingerprint } from '../../src/domain/alert/fingerprint';
import { fitText, newCaseFromAlert } from '../../src/domain/case/new-case-from-alert';
import { decodeCreateCase } from '../../src/sandbox/input-validation';
import type { NewCaseSpec } from '../../src/domain/case/playbook-input';
import { fixture, shippedPlaybooks, testAlert, testPlaybook } from './helpers';

const NOW = new Date('2024-06-01T12:00:00.000Z');
const codePoints = (text: string): number => Array.from(text).length;

/** Throws the sandbox's ValidationException when SIR's model would refuse the request. */
function assertCreateCaseAccepts(spec: NewCaseSpec, alert: Alert): void {
  const wire = {
    ...spec,
    clientToken: createCaseClientToken(alertFingerprint(alert)),
    // restJson1 timestamps are epoch seconds.
    reportedIncidentStartDate: Date.parse(spec.reportedIncidentStartDate) / 1000,
  };
  assert.doesNotThrow(() => decodeCreateCase({ body: Buffer.from(JSON.stringify(wire)) }), JSON.stringify(wire).slice(0, 500));
}

describe('newCaseFromAlert with the shipped playbooks', () => {
  const shipped = shippedPlaybooks();
  const highSeverity = shipped.find((p) => p.name === 'guardduty-high-severity')!;
  const nist = shipped.find((p) => p.name === 'nist-800-61-default')!;

  it('opens a Security Incident for the high-severity GuardDuty fixture, scoped to its account and region', () => {
    const parsed = parseAlert(fixture('guardduty-finding-event'));
    assert.ok(parsed.ok);
    const spec = newCaseFromAlert(highSeverity, parsed.alert, NOW);
    assert.deepEqual(spec, {
      title: 'GuardDuty UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS in 111122223333 (us-east-1)',
      description: [
        'GuardDuty finding 5ec6c1b4e8a40b1a5d1e3c1b8e0f7a21, severity 8.',
        'Type: UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        'Account: 111122223333  Region: us-east-1',
        'Resource: ASIAIOSFODNN7EXAMPLE',
        '',
        'Credentials for instance role web-app-instance-role used from external IP address.',
        'Credentials created exclusively for an EC2 instance using instance role web-app-instance-role have been used from external IP address 203.0.113.77.',
      ].join('\n'),
      engagementType: 'Security Incident',
      resolverType: 'Self',
      reportedIncidentStartDate: '2024-05-01T10:02:11.000Z',
      impactedAccounts: ['111122223333'],
      watchers: [],
      impactedAwsRegions: [{ region: 'us-east-1' }],
      threatActorIpAddresses: [{ ipAddress: '203.0.113.77' }],
    } satisfies NewCaseSpec);
    assertCreateCaseAccepts(spec, parsed.alert);
  });

  it('opens an Investigation from the default playbook for the Security Hub fixture', () => {
    const parsed = parseAlert(fixture('securityhub-findings-imported'));
    assert.ok(parsed.ok);
    const spec = newCaseFromAlert(nist, parsed.alert, NOW);
    assert.equal(spec.title, 'securityhub alert Software and Configuration Checks/AWS Security Best Practices (severity 7)');
    assert.equal(spec.engagementType, 'Investigation');
    assert.deepEqual(spec.impactedAwsRegions, [{ region: 'us-west-2' }]);
    assert.equal(spec.threatActorIpAddresses, undefined);
    assert.match(spec.description, /^Opened by phasegate from alert arn:aws:securityhub:/);
    assertCreateCaseAccepts(spec, parsed.alert);
  });

  it('passes the generic fixture’s IPv6 address on in the form SIR accepts', () => {
    const parsed = parseAlert(fixture('generic-alert'));
    assert.ok(parsed.ok);
    const spec = newCaseFromAlert(nist, parsed.alert, NOW);
    assert.deepEqual(spec.threatActorIpAddresses, [{ ipAddress: '203.0.113.7' }, { ipAddress: '2001:DB8:0:0:0:0:0:7' }]);
    assertCreateCaseAccepts(spec, parsed.alert);
  });

  it('every alert at all yields a request the SIR model accepts', () => {
    const text = (max: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength: max });
    const alert: fc.Arbitrary<Alert> = fc.record(
      {
        source: fc.constantFrom<Alert['source']>('generic', 'guardduty', 'securityhub'),
        id: fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }),
        type: text(600),
        title: fc.oneof(text(50), text(2000), fc.string({ unit: 'grapheme', minLength: 290, maxLength: 400 })),
        description: fc.oneof(text(100), fc.string({ unit: 'grapheme', minLength: 7990, maxLength: 9000 })),
        severity: fc.double({ min: 0, max: 10, noNaN: true }),
        accountId: fc.oneof(fc.stringMatching(/^\d{12}$/), text(15)),
        region: fc.oneof(fc.constantFrom(...SIR_AWS_REGIONS, 'us-gov-west-1', 'US-EAST-1', ' eu-west-1 '), text(20)),
        resourceId: text(300),
        observedAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), text(30)),
        threatActorIps: fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), text(40)), { maxLength: 250 }),
      },
      { requiredKeys: ['source', 'id', 'type', 'title', 'description', 'severity'] },
    );
    const playbooks = [
      ...shipped,
      testPlaybook('echo', {}, { title: '{{alert.title}}{{alert.description}}', description: '{{alert.description}}{{alert.description}}' }),
      testPlaybook('blank', {}, { title: '{{alert.resourceId}}', description: '{{alert.region}}' }),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...playbooks), alert, (playbook, a) => {
        const spec = newCaseFromAlert(playbook, a, NOW);
        assert.ok(spec.title.trim().length > 0 && codePoints(spec.title) <= 300);
        assert.ok(spec.description.trim().length > 0 && codePoints(spec.description) <= 8000);
        assertCreateCaseAccepts(spec, a);
      }),
      { numRuns: 400 },
    );
  });
});

describe('SIR length limits', () => {
  const titleOnly = testPlaybook('t', {}, { title: '{{alert.title}}', description: '{{alert.description}}' });

  it('cuts a long title to exactly 300 characters ending in an ellipsis', () => {
    const title = `Brute force ${'x'.repeat(1000)}`;
    const spec = newCaseFromAlert(titleOnly, testAlert({ title }), NOW);
    assert.equal(spec.title.length, 300);
    assert.ok(spec.title.endsWith('…'));
    assert.equal(spec.title.slice(0, 299), title.slice(0, 299));
  });

  it('leaves a title of exactly 300 characters alone', () => {
    const title = 'y'.repeat(300);
    assert.equal(newCaseFromAlert(titleOnly, testAlert({ title }), NOW).title, title);
  });

  it('cuts a long description to exactly 8000 characters', () => {
    const spec = newCaseFromAlert(titleOnly, testAlert({ description: 'd'.repeat(20_000) }), NOW);
    assert.equal(spec.description.length, 8000);
    assert.ok(spec.description.endsWith('…'));
  });

  it('counts code points, as SIR does, and never splits a surrogate pair', () => {
    const spec = newCaseFromAlert(titleOnly, testAlert({ title: '🔥'.repeat(400) }), NOW);
    assert.equal(codePoints(spec.title), 300);
    assert.equal(spec.title, `${'🔥'.repeat(299)}…`);
    assert.equal(fitText('😀😀😀', 2), '😀…');
  });

  it('keeps the title on one line', () => {
    assert.equal(newCaseFromAlert(titleOnly, testAlert({ title: 'line one\r\n\tline two' }), NOW).title, 'line one line two');
  });

  it('falls back to the alert’s own text when the template renders blank', () => {
    const blank = testPlaybook('blank', {}, { title: '{{alert.resourceId}}', description: '  {{alert.region}}  ' });
    const spec = newCaseFromAlert(blank, testAlert({ title: 'SSH brute force', description: 'Guessing.' }), NOW);
    assert.equal(spec.title, 'SSH brute force');
    assert.equal(spec.description, 'Guessing.');
    const bare = newCaseFromAlert(blank, testAlert({ title: ' ', description: '' }), NOW);
    assert.equal(bare.title, 'UnauthorizedAccess:EC2/SSHBruteForce', 'then the type');
    assert.equal(bare.description, 'UnauthorizedAccess:EC2/SSHBruteForce');
  });
});

describe('impacted accounts, regions and threat actors', () => {
  const playbook = testPlaybook('p');

  it('records the alert’s region only when it is one of SIR’s 36 AwsRegion values', () => {
    const regionOf = (region: string | undefined): NewCaseSpec['impactedAwsRegions'] => newCaseFromAlert(playbook, testAlert({ region }), NOW).impactedAwsRegions;
    assert.deepEqual(regionOf('eu-west-1'), [{ region: 'eu-west-1' }]);
    assert.deepEqual(regionOf(' US-EAST-1 '), [{ region: 'us-east-1' }], 'case and spacing are not meaningful');
    assert.equal(regionOf('us-gov-west-1'), undefined, 'GovCloud is not in the enum');
    assert.equal(regionOf('moon-base-1'), undefined);
    assert.equal(regionOf(''), undefined);
    assert.equal(regionOf(undefined), undefined);
  });

  it('records the account only when it is 12 digits', () => {
    assert.deepEqual(newCaseFromAlert(playbook, testAlert({ accountId: '111122223333' }), NOW).impactedAccounts, ['111122223333']);
    assert.deepEqual(newCaseFromAlert(playbook, testAlert({ accountId: '1111' }), NOW).impactedAccounts, []);
    assert.deepEqual(newCaseFromAlert(playbook, testAlert(), NOW).impactedAccounts, []);
  });

  it('leaves accounts and regions out when the playbook says none', () => {
    const none = testPlaybook('none', {}, { impactedAccountsFromAlert: false, impactedRegionsFromAlert: false });
    const spec = newCaseFromAlert(none, testAlert({ accountId: '111122223333', region: 'eu-west-1' }), NOW);
    assert.deepEqual(spec.impactedAccounts, []);
    assert.equal(spec.impactedAwsRegions, undefined);
  });

  it('keeps addresses SIR accepts, rewrites IPv6 into its form, and drops the rest', () => {
    const threatActorIps = ['203.0.113.7', 'not-an-ip', '2001:db8::7', '999.1.1.1', '203.0.113.7', 'fe80::1%eth0', '198.51.100.300', ' 198.51.100.4 ', '::ffff:203.0.113.9'];
    const spec = newCaseFromAlert(playbook, testAlert({ threatActorIps }), NOW);
    assert.deepEqual(spec.threatActorIpAddresses, [
      { ipAddress: '203.0.113.7' },
      { ipAddress: '2001:DB8:0:0:0:0:0:7' },
      { ipAddress: '198.51.100.4' },
      { ipAddress: '0:0:0:0:0:FFFF:203.0.113.9' },
    ]);
  });

  it('sends at most 200 addresses, and none at all when no address is usable', () => {
    const many = Array.from({ length: 300 }, (_, i) => `198.51.${Math.floor(i / 256)}.${i % 256}`);
    assert.equal(newCaseFromAlert(playbook, testAlert({ threatActorIps: many }), NOW).threatActorIpAddresses?.length, 200);
    assert.equal(newCaseFromAlert(playbook, testAlert({ threatActorIps: ['x', 'y'] }), NOW).threatActorIpAddresses, undefined);
  });

  it('copies the playbook’s watchers and its engagement and resolver types', () => {
    const watchers = [{ email: 'ir-lead@example.com', name: 'IR Lead' }, { email: 'soc@example.com' }];
    const withWatchers = testPlaybook('w', {}, { watchers, engagementType: 'Investigation', resolverType: 'AWS' });
    const spec = newCaseFromAlert(withWatchers, testAlert(), NOW);
    assert.deepEqual(spec.watchers, watchers);
    assert.notEqual(spec.watchers, watchers, 'a copy, not the playbook’s own list');
    assert.equal(spec.engagementType, 'Investigation');
    assert.equal(spec.resolverType, 'AWS');
  });
});

describe('reported incident start', () => {
  const playbook = testPlaybook('p');
  const startOf = (observedAt: string | undefined): string => newCaseFromAlert(playbook, testAlert({ observedAt }), NOW).reportedIncidentStartDate;

  it('is when the alert’s activity was first seen', () => assert.equal(startOf('2024-05-01T10:02:11.000Z'), '2024-05-01T10:02:11.000Z'));
  it('is now when the alert does not say', () => assert.equal(startOf(undefined), NOW.toISOString()));
  it('is now when the alert’s time is unreadable', () => assert.equal(startOf('last Tuesday'), NOW.toISOString()));
  it('is now, not the future, when the sender’s clock runs ahead', () => assert.equal(startOf('2024-06-01T12:05:00Z'), NOW.toISOString()));
  it('refuses an invalid `now` instead of sending "Invalid Date"', () => assert.throws(() => newCaseFromAlert(playbook, testAlert(), new Date(NaN)), RangeError));
});

describe('the AwsRegion list', () => {
  it('has the 36 values of the model, and the sandbox validates against exactly it', () => {
    assert.equal(SIR_AWS_REGIONS.length, 36);
    assert.equal(new Set(SIR_AWS_REGIONS).size, 36);
    assert.ok(!SIR_AWS_REGIONS.some((r) => r.startsWith('us-gov-')));
    const createCase = (region: string) => ({
      body: Buffer.from(
        JSON.stringify({
          resolverType: 'Self',
          title: 't',
          description: 'd',
          engagementType: 'Investigation',
          reportedIncidentStartDate: 1_700_000_000,
          impactedAccounts: [],
          watchers: [],
          impactedAwsRegions: [{ region }],
        }),
      ),
    });
    for (const region of SIR_AWS_REGIONS) assert.doesNotThrow(() => decodeCreateCase(createCase(region)), region);
    assert.throws(() => decodeCreateCase(createCase('us-gov-west-1')));
  });
});
