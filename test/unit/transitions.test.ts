import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_CASE_STATUSES, SELF_MANAGED_STATUSES } from '../../src/domain/case/status';
import {
  NEWER_SUBMITTED_TRANSITIONS,
  TRANSITIONS,
  allowedTargets,
  checkTransition,
  isAllowedTransition,
} from '../../src/domain/case/transitions';

// The table as SPEC §1 prints it, typed out again on purpose: the test must not read the code's table.
const SPEC_ALLOWED = new Set([
  'Submitted → Detection and Analysis',
  'Detection and Analysis → Containment, Eradication and Recovery',
  'Detection and Analysis → Post-incident Activities',
  'Containment, Eradication and Recovery → Detection and Analysis',
  'Containment, Eradication and Recovery → Post-incident Activities',
  'Post-incident Activities → Containment, Eradication and Recovery',
  'Post-incident Activities → Detection and Analysis',
]);

describe('transition table', () => {
  for (const from of SELF_MANAGED_STATUSES) {
    for (const to of SELF_MANAGED_STATUSES) {
      const key = `${from} → ${to}`;
      const expected = SPEC_ALLOWED.has(key);
      it(`${expected ? 'allows' : 'refuses'} ${key}`, () => {
        assert.equal(isAllowedTransition(from, to), expected);
        const check = checkTransition(from, to);
        assert.equal(check.ok, expected);
        if (check.ok) assert.equal(check.via, 'UpdateCaseStatus');
        else assert.match(check.reason, from === to ? /already in/ : /not an allowed UpdateCaseStatus transition/);
      });
    }
  }

  it('has exactly the 7 UpdateCaseStatus rules of the model', () => {
    assert.equal(TRANSITIONS.length, SPEC_ALLOWED.size);
  });

  it('never goes back to Submitted', () => {
    for (const from of SELF_MANAGED_STATUSES) assert.equal(isAllowedTransition(from, 'Submitted'), false);
  });

  it('closes from any open status only via CloseCase', () => {
    for (const from of ALL_CASE_STATUSES.filter((s) => s !== 'Closed')) {
      assert.deepEqual(checkTransition(from, 'Closed'), { ok: true, via: 'CloseCase' });
    }
  });

  it('refuses anything once the case is Closed', () => {
    for (const to of [...SELF_MANAGED_STATUSES, 'Closed' as const]) {
      const check = checkTransition('Closed', to);
      assert.equal(check.ok, false);
      assert.equal(!check.ok && check.rule, 'case-closed');
    }
  });

  it('refuses AWS-only statuses as UpdateCaseStatus targets', () => {
    for (const to of ['Acknowledged', 'Ready to Close'] as const) {
      const check = checkTransition('Detection and Analysis', to as never);
      assert.equal(check.ok, false);
      assert.equal(!check.ok && check.rule, 'unknown-status');
    }
  });

  it('refuses every UpdateCaseStatus on an AWS-supported case but lets it close', () => {
    const check = checkTransition('Submitted', 'Detection and Analysis', { resolverType: 'AWS' });
    assert.equal(check.ok, false);
    assert.equal(!check.ok && check.rule, 'aws-supported-case');
    assert.deepEqual(checkTransition('Acknowledged', 'Closed', { resolverType: 'AWS' }), { ok: true, via: 'CloseCase' });
  });

  it('extends with the newer Submitted rules by passing a bigger table', () => {
    const extended = [...TRANSITIONS, ...NEWER_SUBMITTED_TRANSITIONS];
    assert.equal(checkTransition('Submitted', 'Post-incident Activities').ok, false);
    assert.equal(checkTransition('Submitted', 'Post-incident Activities', { table: extended }).ok, true);
    assert.deepEqual(allowedTargets('Submitted', extended), [
      'Detection and Analysis',
      'Containment, Eradication and Recovery',
      'Post-incident Activities',
    ]);
  });

  it('names the allowed targets in its refusal', () => {
    const check = checkTransition('Submitted', 'Post-incident Activities');
    assert.equal(check.ok, false);
    assert.match(!check.ok ? check.reason : '', /allowed from "Submitted": "Detection and Analysis"/);
  });
});
