/**
 * `sirRecheckEvery` (issue 12): how often a waiting case re-reads its SIR case where SIR's events do not
 * reach the API. Optional, a duration of at least one minute, normalised to milliseconds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlaybook } from '../../src/domain/playbook/schema';

const base = `name: recheck
case:
  title: "Alert {{alert.id}}"
  description: "{{alert.description}}"
steps:
  - status: Detection and Analysis
`;

describe('playbook sirRecheckEvery', () => {
  it('is absent unless given (the workflow then re-reads every 15 minutes)', () => {
    const result = parsePlaybook(base, 'recheck.yaml');
    assert.ok('playbook' in result);
    assert.equal('sirRecheckEveryMs' in result.playbook, false);
  });

  it('becomes milliseconds', () => {
    const result = parsePlaybook(`${base}sirRecheckEvery: 1h30m\n`, 'recheck.yaml');
    assert.ok('playbook' in result);
    assert.equal(result.playbook.sirRecheckEveryMs, 90 * 60_000);
  });

  it('refuses less than a minute, and what is not a duration, naming the field and the rule', () => {
    for (const [value, rule, message] of [
      ['30s', 'out-of-range', /at least 1m: each re-read is a SIR GetCase call/],
      ['often', 'bad-duration', /./],
    ] as const) {
      const result = parsePlaybook(`${base}sirRecheckEvery: ${value}\n`, 'recheck.yaml');
      assert.ok('errors' in result, `${value} should be refused`);
      assert.deepEqual(result.errors.map((e) => [e.path, e.rule]), [['sirRecheckEvery', rule]]);
      assert.match(result.errors[0]!.message, message);
    }
  });
});
