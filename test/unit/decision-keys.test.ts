/** The API's attestation of who decided, and the worker's check of it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecisionKeys } from '../../src/attestation/decision-keys';
import type { AttestedAct } from '../../src/domain/case/decision-attestation';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
const ACT: AttestedAct = { kind: 'decide', namespace: 'prod', workflowId: 'case-x', approvalId: 3, decision: 'approve', comment: 'contain' };
const NOW = new Date('2026-11-30T10:00:00Z');

describe('decision keys', () => {
  it('verifies what it attested, with the groups from the users file', () => {
    const keys = new DecisionKeys([KEY_A]);
    const attestation = keys.attest(ACT, 'alice', ['ir-leads'], NOW);
    assert.deepEqual(keys.verify(ACT, 'alice', attestation, NOW), { ok: true, by: 'alice', groups: ['ir-leads'], proof: 'attested' });
    assert.ok(!JSON.stringify(attestation).includes(KEY_A), 'the key never travels');
  });

  it('refuses an attestation used for another act, person, group list or comment', () => {
    const keys = new DecisionKeys([KEY_A]);
    const attestation = keys.attest(ACT, 'alice', ['ir-leads'], NOW);
    for (const [act, by] of [
      [{ ...ACT, approvalId: 4 }, 'alice'],
      [{ ...ACT, decision: 'reject' }, 'alice'],
      [{ ...ACT, comment: 'other' }, 'alice'],
      [{ ...ACT, workflowId: 'case-y' }, 'alice'],
      [{ ...ACT, namespace: 'staging' }, 'alice'],
      [ACT, 'mallory'],
    ] as Array<[AttestedAct, string]>) {
      const verdict = keys.verify(act, by, attestation, NOW);
      assert.equal(verdict.ok, false, JSON.stringify(act));
    }
    const widened = keys.verify(ACT, 'alice', { ...attestation, groups: ['ir-leads', 'ciso'] }, NOW);
    assert.equal(widened.ok, false);
    const transition = keys.attest({ kind: 'transition', namespace: 'prod', workflowId: 'case-x', to: 'Closed', requestId: 'r1' }, 'alice', [], NOW);
    assert.equal(keys.verify({ kind: 'transition', namespace: 'prod', workflowId: 'case-x', to: 'Closed', requestId: 'r2' }, 'alice', transition, NOW).ok, false);
  });

  it('honours an attestation for ten minutes only', () => {
    const keys = new DecisionKeys([KEY_A]);
    const attestation = keys.attest(ACT, 'alice', [], NOW);
    assert.equal(keys.verify(ACT, 'alice', attestation, new Date(NOW.getTime() + 9 * 60_000)).ok, true);
    const stale = keys.verify(ACT, 'alice', attestation, new Date(NOW.getTime() + 11 * 60_000));
    assert.equal(stale.ok, false);
    assert.match((stale as { message: string }).message, /outside the 10 minutes/);
  });

  it('rotates: the first key signs, every key verifies; an unknown key is named by its id only', () => {
    const old = new DecisionKeys([KEY_A]).attest(ACT, 'alice', [], NOW);
    const rotated = new DecisionKeys([KEY_B, KEY_A]);
    assert.equal(rotated.verify(ACT, 'alice', old, NOW).ok, true);
    assert.notEqual(rotated.attest(ACT, 'alice', [], NOW).keyId, old.keyId);
    const verdict = new DecisionKeys([KEY_B]).verify(ACT, 'alice', old, NOW);
    assert.equal(verdict.ok, false);
    assert.ok(!(verdict as { message: string }).message.includes(KEY_A));
  });

  it('refuses short keys and reads PHASEGATE_DECISION_KEYS', () => {
    assert.throws(() => new DecisionKeys(['short']), /at least 32 characters/);
    assert.equal(DecisionKeys.fromEnv({}), undefined);
    assert.ok(DecisionKeys.fromEnv({ PHASEGATE_DECISION_KEYS: `${KEY_A}, ${KEY_B}` }));
  });
});
