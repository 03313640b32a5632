/**
 * Which playbook takes an alert: the shipped playbooks as an operator gets them, then synthetic
 * sets for the specificity rules and the no-match explanation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Alert } from '../../src/domain/alert/alert';
import { parseAlert } from '../../src/domain/alert/parse';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { globMatches, routeAlert } from '../../src/domain/playbook/routing';
import { type FixtureName, fixture, patched, shippedPlaybooks, testAlert, testPlaybook } from './helpers';

function alertOf(body: unknown): Alert {
  const result = parseAlert(body);
  if (!result.ok) assert.fail(result.error);
  return result.alert;
}

function routedName(playbooks: Playbook[], alert: Alert): string {
  const result = routeAlert(playbooks, alert);
  if (!result.ok) assert.fail(result.reason);
  return result.playbook.name;
}

describe('routing with the shipped playbooks', () => {
  const shipped = shippedPlaybooks();

  it('ships the two playbooks these tests expect', () => {
    assert.deepEqual(shipped.map((p) => p.name).sort(), ['guardduty-high-severity', 'nist-800-61-default']);
  });

  const cases: Array<[string, FixtureName, string]> = [
    ['GuardDuty severity 8', 'guardduty-finding-event', 'guardduty-high-severity'],
    ['GuardDuty severity 2', 'guardduty-finding-low', 'nist-800-61-default'],
    ['Security Hub HIGH (not a GuardDuty alert)', 'securityhub-findings-imported', 'nist-800-61-default'],
    ['a generic alert', 'generic-alert', 'nist-800-61-default'],
  ];
  for (const [name, file, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(routedName(shipped, alertOf(fixture(file))), expected));
  }

  it('GuardDuty severity 7 is high (the boundary is inclusive), 6.9 is not', () => {
    assert.equal(routedName(shipped, alertOf(patched(fixture('guardduty-finding-low'), ['detail', 'severity'], 7))), 'guardduty-high-severity');
    assert.equal(routedName(shipped, alertOf(patched(fixture('guardduty-finding-low'), ['detail', 'severity'], 6.9))), 'nist-800-61-default');
  });

  it('every parsable alert finds a playbook, because the default takes any source', () => {
    fc.assert(
      fc.property(fc.constantFrom<Alert['source']>('generic', 'guardduty', 'securityhub'), fc.string({ minLength: 1 }), fc.double({ min: 0, max: 10, noNaN: true }), (source, type, severity) => {
        assert.equal(routeAlert(shipped, testAlert({ source, type, severity })).ok, true);
      }),
    );
  });
});

describe('specificity', () => {
  const catchAll = testPlaybook('default', { source: 'any' });
  const guardDuty = testPlaybook('guardduty', { source: 'guardduty' });
  const unauthorized = testPlaybook('unauthorized', { source: 'guardduty', type: 'UnauthorizedAccess:*' });
  const unauthorizedEc2 = testPlaybook('unauthorized-ec2', { source: 'guardduty', type: 'UnauthorizedAccess:EC2/*' });
  const sshExact = testPlaybook('ssh-exact', { source: 'guardduty', type: 'UnauthorizedAccess:EC2/SSHBruteForce' });
  const sshSuffix = testPlaybook('ssh-suffix', { source: 'guardduty', type: 'UnauthorizedAccess:EC2/SSHBruteForce*' });
  const high = testPlaybook('guardduty-high', { source: 'guardduty', minSeverity: 7 });
  const critical = testPlaybook('guardduty-critical', { source: 'guardduty', minSeverity: 9 });
  const typeOnly = testPlaybook('ssh-any-source', { type: 'UnauthorizedAccess:EC2/SSHBruteForce' });
  const all = [catchAll, guardDuty, unauthorized, unauthorizedEc2, sshExact, sshSuffix, high, critical, typeOnly];

  const ssh = testAlert({ type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 5 });

  it('an exact type beats a glob with the same literal prefix, which beats shorter prefixes', () => {
    assert.equal(routedName(all, ssh), 'ssh-exact');
    assert.equal(routedName(all.filter((p) => p !== sshExact), ssh), 'ssh-suffix');
    assert.equal(routedName([catchAll, guardDuty, unauthorized, unauthorizedEc2], ssh), 'unauthorized-ec2');
    assert.equal(routedName([catchAll, guardDuty, unauthorized], ssh), 'unauthorized');
  });

  it('a named source beats a type pattern under `any` (source is compared first)', () => {
    assert.equal(routedName([typeOnly, guardDuty], ssh), 'guardduty');
    assert.equal(routedName([typeOnly, catchAll], ssh), 'ssh-any-source');
    assert.equal(routedName([typeOnly, guardDuty], testAlert({ source: 'generic', type: ssh.type })), 'ssh-any-source');
  });

  it('a type pattern beats a minimum severity; between severities the higher threshold wins', () => {
    assert.equal(routedName([unauthorized, high], testAlert({ type: ssh.type, severity: 8 })), 'unauthorized');
    assert.equal(routedName([guardDuty, high, critical], testAlert({ severity: 9.5 })), 'guardduty-critical');
    assert.equal(routedName([guardDuty, high, critical], testAlert({ severity: 8 })), 'guardduty-high');
    assert.equal(routedName([guardDuty, high, critical], testAlert({ severity: 2 })), 'guardduty');
  });

  it('equally specific playbooks resolve by name, whatever the order they were loaded in', () => {
    const b = testPlaybook('b-playbook', { source: 'guardduty' });
    const a = testPlaybook('a-playbook', { source: 'guardduty' });
    assert.equal(routedName([b, a], testAlert()), 'a-playbook');
    assert.equal(routedName([a, b], testAlert()), 'a-playbook');
  });

  it('the choice does not depend on the order of the playbook list', () => {
    const alerts = [ssh, testAlert({ severity: 9.5 }), testAlert({ type: 'Recon:EC2/PortProbeUnprotectedPort', severity: 7 }), testAlert({ source: 'generic', type: ssh.type })];
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (shuffled) => {
        for (const alert of alerts) assert.equal(routedName(shuffled, alert), routedName(all, alert));
      }),
    );
  });

  it('an absent match takes every alert, as `source: any` does', () => {
    assert.equal(routedName([testPlaybook('bare')], testAlert({ source: 'securityhub', severity: 0 })), 'bare');
  });
});

describe('no matching playbook', () => {
  const high = testPlaybook('guardduty-high-severity', { source: 'guardduty', minSeverity: 7 });

  it('names the alert and why each playbook refused it', () => {
    const result = routeAlert([high], testAlert({ type: 'X', severity: 3 }));
    assert.deepEqual(result, { ok: false, reason: 'no playbook matches source guardduty, type "X", severity 3.0: guardduty-high-severity needs severity ≥ 7' });
  });

  it('lists every playbook, by name, with its first unmet condition', () => {
    const recon = testPlaybook('recon', { type: 'Recon:*' });
    const hub = testPlaybook('hub', { source: 'securityhub' });
    const result = routeAlert([recon, high, hub], testAlert({ type: 'Impact:S3/Deletion', severity: 4.5 }));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(
      result.reason,
      'no playbook matches source guardduty, type "Impact:S3/Deletion", severity 4.5: guardduty-high-severity needs severity ≥ 7; hub needs source securityhub; recon needs a type matching "Recon:*"',
    );
  });

  it('says so when no playbooks are loaded', () => {
    assert.deepEqual(routeAlert([], testAlert({ severity: 10 })), { ok: false, reason: 'no playbook matches source guardduty, type "UnauthorizedAccess:EC2/SSHBruteForce", severity 10.0: no playbooks are loaded' });
  });

  it('quotes and cuts the alert type, which comes from the sender', () => {
    const result = routeAlert([high], testAlert({ type: `evil\n${'t'.repeat(500)}`, severity: 1 }));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.ok(!result.reason.includes('\n'));
    assert.ok(result.reason.length < 250, result.reason);
  });
});

describe('type globs', () => {
  const table: Array<[string, string, boolean]> = [
    ['*', '', true],
    ['*', 'anything at all', true],
    ['UnauthorizedAccess:*', 'UnauthorizedAccess:EC2/SSHBruteForce', true],
    ['UnauthorizedAccess:*', 'unauthorizedaccess:EC2/SSHBruteForce', false],
    ['UnauthorizedAccess:*', 'Recon:UnauthorizedAccess:EC2', false],
    ['*SSHBruteForce', 'UnauthorizedAccess:EC2/SSHBruteForce', true],
    ['*SSHBruteForce', 'UnauthorizedAccess:EC2/SSHBruteForce2', false],
    ['*:EC2/*', 'Recon:EC2/PortProbeUnprotectedPort', true],
    ['*:EC2/*', 'Recon:IAMUser/MaliciousIPCaller', false],
    ['Backdoor:EC2/C&CActivity.B', 'Backdoor:EC2/C&CActivity.B', true],
    ['Backdoor:EC2/C&CActivity.B', 'Backdoor:EC2/C&CActivityxB', false],
    ['CryptoCurrency:EC2/BitcoinTool.B!DNS', 'CryptoCurrency:EC2/BitcoinTool.B!DNS', true],
    ['a(b)+', 'a(b)+', true],
    ['a(b)+', 'abb', false],
    ['a**b', 'ab', true],
    ['a*b*c', 'a-b-b-c', true],
    ['a*b*c', 'a-c-b', false],
    ['', '', true],
    ['', 'x', false],
  ];
  for (const [pattern, text, expected] of table) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => assert.equal(globMatches(pattern, text), expected));
  }

  it('agrees with an anchored regex built from the pattern', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '.', ':');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }).map((c) => c.join('')), fc.array(fc.constantFrom('a', 'b', '.', ':'), { maxLength: 10 }).map((c) => c.join('')), (pattern, text) => {
        const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
        assert.equal(globMatches(pattern, text), regex.test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('stays fast on patterns that make backtracking regexes explode', () => {
    const started = Date.now();
    assert.equal(globMatches(`${'*a'.repeat(20)}b`, 'a'.repeat(5000)), false);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });
});
