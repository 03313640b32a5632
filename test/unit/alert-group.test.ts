/**
 * The pure parts of grouping (src/domain/alert/group.ts): what makes two alerts one group, how a
 * group's case is named by its window, and how a case keeps its members within bounds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/domain/alert/alert';
import { GROUP_MEMBERS_KEPT, OTHER_GROUPS, STORM_GROUPS_KEPT, addMember, alertTime, groupCaseFingerprint, groupId, startGroup, stormFingerprint } from '../../src/domain/alert/group';
import { FINGERPRINT_PATTERN } from '../../src/domain/alert/fingerprint';

const alert = (extra: Partial<Alert> = {}): Alert => ({
  source: 'guardduty',
  id: 'f1',
  type: 'Recon:EC2/Portscan',
  title: 't',
  description: '',
  severity: 5,
  accountId: '111122223333',
  resourceId: 'i-1',
  region: 'us-east-1',
  ...extra,
});
const spec = { by: ['accountId', 'type', 'resourceId'] as Array<'accountId' | 'type' | 'resourceId'>, windowMs: 3_600_000 };
const at = new Date('2026-11-30T09:30:00Z');

describe('groups and their case fingerprints', () => {
  it('name one group for alerts that differ only outside the grouped fields', () => {
    const a = groupId('pb', spec, alert());
    assert.equal(groupId('pb', spec, alert({ id: 'f2', severity: 9, region: 'eu-west-1', title: 'other', observedAt: '2020-01-01T00:00:00Z' })), a);
    assert.match(a, /^group-pb-[0-9a-f]{32}$/);
  });

  it('differ by a grouped field, the playbook, and a missing field versus an empty one', () => {
    const a = groupId('pb', spec, alert());
    for (const other of [
      groupId('pb', spec, alert({ resourceId: 'i-2' })),
      groupId('pb', spec, alert({ type: 'Recon:EC2/Other' })),
      groupId('pb2', spec, alert()),
      groupId('pb', spec, alert({ resourceId: undefined })),
    ]) assert.notEqual(other, a);
    assert.notEqual(groupId('pb', spec, alert({ resourceId: undefined })), groupId('pb', spec, alert({ resourceId: '' })));
    // Field boundaries are kept: ("ab", "c") is not ("a", "bc").
    const two = { by: ['type', 'resourceId'] as Array<'type' | 'resourceId'> };
    assert.notEqual(groupId('pb', two, alert({ type: 'ab', resourceId: 'c' })), groupId('pb', two, alert({ type: 'a', resourceId: 'bc' })));
  });

  it("name a group's case by the moment its window opened, to the millisecond, as a valid fingerprint", () => {
    const group = groupId('pb', spec, alert());
    const fingerprint = groupCaseFingerprint(group, new Date('2026-11-30T11:59:40.123Z'));
    assert.equal(fingerprint, `${group}-20261130T115940123Z`);
    assert.match(fingerprint, FINGERPRINT_PATTERN);
    assert.notEqual(groupCaseFingerprint(group, new Date('2026-11-30T11:59:40.124Z')), fingerprint);
  });

  it("keep the alert's own time for its members list, and name the storm cases of an hour", () => {
    assert.deepEqual(alertTime({ observedAt: '2026-01-01T00:00:00.000Z' }, at), new Date('2026-01-01T00:00:00.000Z'));
    assert.deepEqual(alertTime({}, at), at);
    assert.equal(stormFingerprint('pb', at), `storm-pb-${Math.floor(at.getTime() / 3_600_000)}`);
    assert.equal(stormFingerprint('pb', at, 1), stormFingerprint('pb', at));
    assert.equal(stormFingerprint('pb', at, 2), `storm-pb-${Math.floor(at.getTime() / 3_600_000)}-2`);
    assert.equal(stormFingerprint('pb', new Date('2026-11-30T09:59:59Z')), stormFingerprint('pb', at));
    assert.notEqual(stormFingerprint('pb', new Date('2026-11-30T10:00:00Z')), stormFingerprint('pb', at));
  });
});

describe('group members', () => {
  it('counts members and repeats, first and last seen, and the highest severity', () => {
    const group = startGroup('group', { fingerprint: 'a', severity: 3, at: '2026-11-30T09:10:00.000Z' });
    assert.equal(addMember(group, { fingerprint: 'b', severity: 8, at: '2026-11-30T09:05:00.000Z' }), 'member');
    assert.equal(addMember(group, { fingerprint: 'a', severity: 9, at: '2026-11-30T09:20:00.000Z' }), 'repeat');
    assert.deepEqual(
      { members: group.members, repeats: group.repeats, first: group.firstSeen, last: group.lastSeen, max: group.maxSeverity, kept: group.fingerprints },
      { members: 2, repeats: 1, first: '2026-11-30T09:05:00.000Z', last: '2026-11-30T09:20:00.000Z', max: 8, kept: ['a', 'b'] },
    );
  });

  it('keeps a bounded list of fingerprints and a bounded count by group, counting everything', () => {
    const group = startGroup('storm', { fingerprint: 'm0', at: 'x', group: 'g0' });
    for (let i = 1; i < 1000; i++) addMember(group, { fingerprint: `m${i}`, at: 'x', group: `g${i}` });
    assert.equal(group.members, 1000);
    assert.equal(group.fingerprints.length, GROUP_MEMBERS_KEPT);
    assert.equal(Object.keys(group.byGroup!).length, STORM_GROUPS_KEPT + 1);
    assert.equal(group.byGroup![OTHER_GROUPS], 1000 - STORM_GROUPS_KEPT);
    assert.equal(Object.values(group.byGroup!).reduce((a, b) => a + b, 0), 1000);
  });
});
