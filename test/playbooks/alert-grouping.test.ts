/**
 * `group` and `maxNewCasesPerHour` in playbook files (issue 13): accepted and normalised, and each
 * wrong form refused with the field and the rule it breaks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlaybook } from '../../src/domain/playbook/schema';

const base = `name: grouping
case:
  title: "Alert {{alert.id}}"
  description: "{{alert.description}}"
steps:
  - status: Detection and Analysis
`;

describe('playbook group and maxNewCasesPerHour', () => {
  it('are absent unless given', () => {
    const result = parsePlaybook(base, 'g.yaml');
    assert.ok('playbook' in result);
    assert.equal('group' in result.playbook, false);
    assert.equal('maxNewCasesPerHour' in result.playbook, false);
  });

  it('normalise the window to milliseconds and keep the fields in order', () => {
    const result = parsePlaybook(`${base}group: {by: [accountId, type, resourceId, region, source], window: 1h}\nmaxNewCasesPerHour: 20\n`, 'g.yaml');
    assert.ok('playbook' in result, JSON.stringify(result));
    assert.deepEqual(result.playbook.group, { by: ['accountId', 'type', 'resourceId', 'region', 'source'], windowMs: 3_600_000 });
    assert.equal(result.playbook.maxNewCasesPerHour, 20);
  });

  it('accept the shortest window and the limits 1 and 1000', () => {
    for (const extra of ['group: {by: [type], window: 1m}', 'maxNewCasesPerHour: 1', 'maxNewCasesPerHour: 1000']) {
      assert.ok('playbook' in parsePlaybook(`${base}${extra}\n`, 'g.yaml'), extra);
    }
  });

  const broken: Array<[string, string, string, RegExp]> = [
    ['group: {by: [accountId, severity], window: 1h}', 'group.by[1]', 'bad-group-field', /"severity" is not an alert field to group by; the fields are source, type, accountId, region, resourceId/],
    ['group: {by: [], window: 1h}', 'group.by', 'no-group-fields', /at least one of/],
    ['group: {by: [type, type], window: 1h}', 'group.by[1]', 'duplicate-group-field', /repeats "type"/],
    ['group: {by: [type], window: 30s}', 'group.window', 'out-of-range', /at least 1m/],
    ['group: {by: [type], window: soon}', 'group.window', 'bad-duration', /./],
    ['group: {by: [type]}', 'group.window', 'bad-duration', /must be a duration such as/],
    ['group: {by: [type], window: 1h, size: 3}', 'group.size', 'unknown-field', /./],
    ['maxNewCasesPerHour: 0', 'maxNewCasesPerHour', 'out-of-range', /whole number from 1 to 1000/],
    ['maxNewCasesPerHour: 2.5', 'maxNewCasesPerHour', 'out-of-range', /whole number/],
    ['maxNewCasesPerHour: 1001', 'maxNewCasesPerHour', 'out-of-range', /found 1001/],
    ['maxNewCasesPerHour: many', 'maxNewCasesPerHour', 'wrong-type', /./],
  ];
  for (const [extra, path, rule, message] of broken) {
    it(`refuses ${extra} → ${path}: ${rule}`, () => {
      const result = parsePlaybook(`${base}${extra}\n`, 'g.yaml');
      assert.ok('errors' in result, `${extra} should be refused`);
      assert.deepEqual(result.errors.map((e) => [e.path, e.rule]), [[path, rule]]);
      assert.match(result.errors[0]!.message, message);
    });
  }
});
