/**
 * The intake's memory of what Temporal told it (src/intake/alert-intake-memory.ts): it must forget a
 * window when the window ends, a full hour when the hour ends or the limit is raised, and only the run
 * of a window that was closed; and it must stay bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOUR_MS } from '../../src/domain/alert/group';
import { AlertIntakeMemory } from '../../src/intake/alert-intake-memory';
import type { GroupWindow } from '../../src/temporal/alert-group-window-client';

const T0 = Date.parse('2026-11-30T11:59:40.000Z');

function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const windowOf = (runId: string, openedAt: number, lengthMs = 60_000): GroupWindow => ({
  group: 'group-pb-0123',
  runId,
  openedAt: new Date(openedAt),
  endsAt: new Date(openedAt + lengthMs),
  caseFingerprint: `group-pb-0123-${runId}`,
});

describe('the intake memory', () => {
  it('opens a group window once for concurrent alerts, keeps it until it ends, then asks again', async () => {
    const time = clock();
    const memory = new AlertIntakeMemory(100, time.now);
    let opened = 0;
    const open = async () => windowOf(`run-${++opened}`, time.now());
    const [a, b, c] = await Promise.all([memory.groupWindow('group-pb-0123', open), memory.groupWindow('group-pb-0123', open), memory.groupWindow('group-pb-0123', open)]);
    assert.equal(opened, 1);
    assert.deepEqual([a.runId, b.runId, c.runId], ['run-1', 'run-1', 'run-1']);
    time.advance(59_999);
    assert.equal((await memory.groupWindow('group-pb-0123', open)).runId, 'run-1');
    time.advance(1);
    assert.equal((await memory.groupWindow('group-pb-0123', open)).runId, 'run-2');
    assert.equal(opened, 2);
  });

  it('forgets a window only for the run that was closed, and never a failed open', async () => {
    const time = clock();
    const memory = new AlertIntakeMemory(100, time.now);
    const first = await memory.groupWindow('group-pb-0123', async () => windowOf('run-1', time.now()));
    memory.forgetGroupWindow({ group: first.group, runId: 'run-0' }); // an older run: the known one stays
    assert.equal((await memory.groupWindow('group-pb-0123', async () => windowOf('run-x', time.now()))).runId, 'run-1');
    memory.forgetGroupWindow(first);
    assert.equal((await memory.groupWindow('group-pb-0123', async () => windowOf('run-2', time.now()))).runId, 'run-2');

    const other = 'group-pb-4567';
    await assert.rejects(memory.groupWindow(other, () => Promise.reject(new Error('Temporal unreachable'))));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await memory.groupWindow(other, async () => ({ ...windowOf('run-3', time.now()), group: other }))).runId, 'run-3');
  });

  it('knows an hour is full at the limit it was refused at, until the hour ends or the limit is raised', () => {
    const time = clock();
    const memory = new AlertIntakeMemory(100, time.now);
    const hour = Math.floor(T0 / HOUR_MS);
    assert.equal(memory.hourFull('pb', hour, 20), false);
    memory.rememberFullHour('pb', hour, 20);
    assert.equal(memory.hourFull('pb', hour, 20), true);
    assert.equal(memory.hourFull('pb', hour, 10), true);
    assert.equal(memory.hourFull('pb', hour, 21), false, 'a raised limit may have free slots');
    assert.equal(memory.hourFull('other', hour, 20), false);
    time.advance(20_000); // 12:00:00: the next hour
    assert.equal(memory.hourFull('pb', hour, 20), false);
  });

  it('remembers running cases and the storm case of the hour, within its bound', () => {
    const time = clock();
    const memory = new AlertIntakeMemory(3, time.now);
    for (const id of ['case-a', 'case-b', 'case-c', 'case-d']) memory.caseRunning(id, `run-${id}`);
    assert.equal(memory.runningCase('case-a'), undefined, 'the oldest entry made room');
    assert.equal(memory.runningCase('case-d'), 'run-case-d');
    memory.caseNotRunning('case-d');
    assert.equal(memory.runningCase('case-d'), undefined);

    const hour = Math.floor(T0 / HOUR_MS);
    assert.equal(memory.stormGeneration('pb', hour), 1);
    memory.rememberStormGeneration('pb', hour, 3);
    assert.equal(memory.stormGeneration('pb', hour), 3);
    time.advance(HOUR_MS);
    assert.equal(memory.stormGeneration('pb', hour), 1);
  });
});
