/**
 * Grouping and case-rate limits (issues 13 and 18) on the real chain: a real server, the shared dev
 * server, a worker and the SIR sandbox. Alerts of one group and window share one case and one
 * CreateCase; the window opens with the group's first alert (whatever the alerts' own observedAt) and
 * a group whose window ended or whose case finished gets a new case; the case counts its members and
 * recognises exact repeats; past maxNewCasesPerHour alerts join the playbook's storm case for the hour
 * without asking the limiter again, and every alert posted is accounted to some case.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HOUR_MS, alertsIn } from '../../src/domain/alert/group';
import { caseRateLimiterId } from '../../src/domain/contract/case-rate-limiter';
import { reserveCaseSlot } from '../../src/temporal/case-rate-limiter-client';
import type { CaseState } from '../../src/domain/case/state';
import { stateQuery } from '../../src/domain/contract/messages';
import type { Playbook } from '../../src/domain/playbook/playbook';
import { startServerFixture, type ServerFixture } from '../helpers/server';
import { testPlaybook } from '../helpers/playbooks';
import { waitFor } from '../helpers/wait';

const run = randomBytes(4).toString('hex');
// A gate nobody decides keeps each case running (and taking alerts) until the test ends it.
const STEPS: Parameters<typeof testPlaybook>[1] = ['Detection and Analysis', { status: 'Containment, Eradication and Recovery', approval: { approvers: ['alice'], onTimeout: 'reject' } }];
const grouped: Playbook = {
  ...testPlaybook(`grouped-${run}`, STEPS, { match: { source: 'generic', type: `Grouped${run}:*` } }),
  group: { by: ['accountId', 'type', 'resourceId'], windowMs: HOUR_MS },
};
const limited: Playbook = {
  ...testPlaybook(`limited-${run}`, STEPS, { match: { source: 'generic', type: `Limited${run}:*` } }),
  group: { by: ['accountId', 'type', 'resourceId'], windowMs: HOUR_MS },
  maxNewCasesPerHour: 2,
};
// A window of seconds (playbook files ask for at least 1m), so a test can outlive it.
const WINDOW_MS = 4_000;
const windowed: Playbook = {
  ...testPlaybook(`windowed-${run}`, STEPS, { match: { source: 'generic', type: `Windowed${run}:*` } }),
  group: { by: ['accountId', 'type', 'resourceId'], windowMs: WINDOW_MS },
};
// Cases that finish on their own at once: opened, moved, closed.
const finishing: Playbook = {
  ...testPlaybook(`finishing-${run}`, ['Detection and Analysis'], { close: true, match: { source: 'generic', type: `Finishing${run}:*` } }),
  group: { by: ['accountId', 'type', 'resourceId'], windowMs: HOUR_MS },
};
const single: Playbook = testPlaybook(`single-${run}`, ['Detection and Analysis'], { close: true, match: { source: 'generic', type: `Single${run}:*` } });
const shared: Playbook = {
  ...testPlaybook(`shared-${run}`, STEPS, { match: { source: 'generic', type: `Shared${run}:*` } }),
  group: { by: ['accountId', 'type', 'resourceId'], windowMs: HOUR_MS },
  maxNewCasesPerHour: 1,
};
const gated: Playbook = {
  ...testPlaybook(`gated-${run}`, STEPS, { match: { source: 'generic', type: `Gated${run}:*` } }),
  group: { by: ['accountId', 'type', 'resourceId'], windowMs: HOUR_MS },
  maxNewCasesPerHour: 2,
};
/** A group case's workflow id: the group, then the UTC time its window opened (issue 18). */
const GROUP_CASE_ID = (playbook: string) => new RegExp(`^case-group-${playbook}-[0-9a-f]{32}-\\d{8}T\\d{9}Z$`);

interface Accepted {
  caseWorkflowId: string;
  runId: string;
  duplicate: boolean;
  storm?: boolean;
}

describe('grouped alerts and case-rate limits', { timeout: 240_000 }, () => {
  let fx: ServerFixture;
  // One observed time for every alert: the test's groups cannot straddle a window.
  const observedAt = new Date().toISOString();
  before(async () => {
    // The storm hour is the hour alerts are received in: do not start a minute before it turns.
    const toNextHour = HOUR_MS - (Date.now() % HOUR_MS);
    if (toNextHour < 90_000) await new Promise((resolve) => setTimeout(resolve, toNextHour + 1_000));
    fx = await startServerFixture({ extraPlaybooks: [grouped, limited, windowed, finishing, single, gated, shared] });
  });
  after(() => fx.close());

  const alert = (type: string, id: string, resourceId: string, at = observedAt) => ({
    id,
    type,
    title: `Test alert ${id}`,
    description: 'from the grouping test',
    severity: 5,
    accountId: '111122223333',
    region: 'eu-west-1',
    resourceId,
    observedAt: at,
  });

  /**
   * `resend` re-serialises the body: a byte-identical request within a second is a replay of one
   * request and answered from memory (routes/alerts.ts), while a resent alert is a new request.
   */
  const post = async (body: unknown, resend = false): Promise<Accepted> => {
    const response = await fx.postAlert(body, resend ? { raw: JSON.stringify(body, null, 2) } : {});
    assert.equal(response.status, 202, await response.clone().text());
    return (await response.json()) as Accepted;
  };

  const stateOf = (workflowId: string): Promise<CaseState> => fx.env.client.workflow.getHandle(workflowId).query(stateQuery);

  const createCasesFor = (workflowId: string): number =>
    fx.sandbox.sandbox.calls
      .list({ operation: 'CreateCase' })
      .filter((c) => c.statusCode === 201 && (c.requestBody as { clientToken: string }).clientToken === `phasegate:${workflowId.slice('case-'.length)}`).length;

  it('puts ten alerts of one group in one case with one CreateCase, and recognises two exact repeats', async () => {
    const type = `Grouped${run}:One`;
    const ids = Array.from({ length: 10 }, (_, i) => `one-${run}-${i}`);
    // Ten distinct alerts and two resends of them, all at once.
    const answers = await Promise.all([
      ...ids.map((id) => post(alert(type, id, 'i-0aaaaaaaaaaaaaaaa'))),
      ...[ids[3]!, ids[7]!].map((id) => post(alert(type, id, 'i-0aaaaaaaaaaaaaaaa'), true)),
    ]);

    assert.equal(new Set(answers.map((a) => a.caseWorkflowId)).size, 1);
    assert.equal(answers.filter((a) => !a.duplicate).length, 1);
    const workflowId = answers[0]!.caseWorkflowId;
    assert.match(workflowId, GROUP_CASE_ID(`grouped-${run}`));

    const state = await waitFor('all twelve alerts in the case', async () => {
      const s = await stateOf(workflowId);
      return s.caseId && alertsIn(s) === 12 ? s : undefined;
    });
    assert.equal(state.group?.kind, 'group');
    assert.equal(state.group?.members, 10);
    assert.equal(state.group?.repeats, 2);
    assert.deepEqual([...state.group.fingerprints].sort(), ids.map((id) => `generic-${id}`).sort());
    assert.equal(state.group?.firstSeen, observedAt);
    assert.equal(state.group?.lastSeen, observedAt);
    assert.equal(state.duplicateAlerts, 11);
    assert.equal(createCasesFor(workflowId), 1);
    // One comment at the first join; the other ten are counted for one comment after the window.
    assert.equal(state.duplicateWindow?.uncommented, 10);
    const comments = await waitFor('the first join comment', async () => {
      const found = fx.sandbox.sandbox.getComments(state.caseId!).filter((c) => /another alert of this group/.test(c.body));
      return found.length > 0 ? found : undefined;
    });
    assert.equal(comments.length, 1);
    await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('opens one case per group', async () => {
    const type = `Grouped${run}:Two`;
    const answers = await Promise.all(
      ['i-0bbbbbbbbbbbbbbbb', 'i-0cccccccccccccccc'].flatMap((resource) => [1, 2, 3].map((n) => post(alert(type, `two-${run}-${resource}-${n}`, resource)))),
    );
    const cases = [...new Set(answers.map((a) => a.caseWorkflowId))];
    assert.equal(cases.length, 2);
    assert.equal(answers.filter((a) => !a.duplicate).length, 2);
    for (const workflowId of cases) {
      const state = await waitFor('three alerts in the case', async () => {
        const s = await stateOf(workflowId);
        return s.caseId && alertsIn(s) === 3 ? s : undefined;
      });
      assert.deepEqual([state.group?.members, state.group?.repeats], [3, 0]);
      assert.equal(createCasesFor(workflowId), 1);
      await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
    }
  });

  it('past maxNewCasesPerHour sends alerts to one storm case, counted by group, losing none', async () => {
    const type = `Limited${run}:Storm`;
    const post4 = (resource: string, n: number, resend = false) => post(alert(type, `lim-${run}-${resource}-${n}`, resource), resend);
    // Two groups take the hour's two slots (one alert each first, so the order is known).
    const a1 = await post4('res-a', 1);
    const b1 = await post4('res-b', 1);
    assert.equal(a1.storm, undefined);
    assert.equal(b1.storm, undefined);
    // Then a burst: more of A and B (which have their slots), and three new groups (which do not).
    const burst = await Promise.all([
      post4('res-a', 2),
      post4('res-b', 2),
      post4('res-c', 1),
      post4('res-d', 1),
      post4('res-d', 2),
      post4('res-e', 1),
      post4('res-c', 1, true), // an exact repeat of an alert in the storm case
    ]);
    assert.deepEqual(
      burst.map((b) => b.storm === true),
      [false, false, true, true, true, true, true],
    );
    assert.equal(burst[0].caseWorkflowId, a1.caseWorkflowId);
    assert.equal(burst[1].caseWorkflowId, b1.caseWorkflowId);
    const stormId = burst[2].caseWorkflowId;
    assert.equal(stormId, `case-storm-limited-${run}-${Math.floor(Date.now() / HOUR_MS)}`);
    assert.equal(new Set(burst.slice(2).map((b) => b.caseWorkflowId)).size, 1);

    const storm = await waitFor('five alerts in the storm case', async () => {
      const s = await stateOf(stormId);
      return s.caseId && alertsIn(s) === 5 ? s : undefined;
    });
    assert.equal(storm.group?.kind, 'storm');
    assert.deepEqual([storm.group?.members, storm.group?.repeats], [4, 1]);
    assert.deepEqual(Object.values(storm.group.byGroup!).sort(), [1, 1, 2]);
    // Every alert is accounted: 9 posted = 2 + 2 in the group cases + 5 in the storm case.
    const inGroups = await Promise.all([a1, b1].map((a) => waitFor('two alerts in the group case', async () => {
      const s = await stateOf(a.caseWorkflowId);
      return s.caseId && alertsIn(s) === 2 ? alertsIn(s) : undefined;
    })));
    assert.equal(inGroups.reduce((x, y) => x + y, 0) + alertsIn(storm), 9);
    // At most the limit plus one SIR case for the playbook this hour.
    for (const id of [a1.caseWorkflowId, b1.caseWorkflowId, stormId]) assert.equal(createCasesFor(id), 1);
    const title = fx.sandbox.sandbox.getCase(storm.caseId!)?.title;
    assert.match(String(title), /^\[storm\] /);

    // The Web UI's summary says it is the storm case; /metrics shows the limit and the storm alerts.
    const description = await fx.env.client.workflow.getHandle(stormId).describe();
    assert.match(String(await description.staticSummary()), /^STORM case: playbook over 2 new cases\/hour/);
    const metrics = await (await fetch(`${fx.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`phasegate_storm_alerts_total\\{playbook="limited-${run}"\\} 5\\b`));
    assert.match(metrics, new RegExp(`phasegate_playbook_max_new_cases_per_hour\\{playbook="limited-${run}"\\} 2\\b`));

    for (const id of [a1.caseWorkflowId, b1.caseWorkflowId, stormId]) await fx.env.client.workflow.getHandle(id).terminate('test done');
  });
  const counted = (workflowId: string, n: number): Promise<CaseState> =>
    waitFor(`${n} alerts in ${workflowId}`, async () => {
      const s = await stateOf(workflowId);
      return s.caseId && alertsIn(s) === n ? s : undefined;
    });

  it('opens one case per group for alerts observed on both sides of an hour: 60 alerts in 3 groups, 3 cases', async () => {
    // The report: 60 findings in 3 groups sent across 12:00 UTC opened 6 cases (windows were epoch hours of observedAt).
    const type = `Grouped${run}:Boundary`;
    const sides = ['2026-11-30T11:59:40.000Z', '2026-11-30T12:00:20.000Z'];
    const resources = ['i-0d00000000000000a', 'i-0d00000000000000b', 'i-0d00000000000000c'];
    const alerts = resources.flatMap((resource) => Array.from({ length: 20 }, (_, n) => alert(type, `edge-${run}-${resource}-${n}`, resource, sides[n % 2])));
    const answers: Accepted[] = [];
    // Twenty at a time: both sides of the hour of every group are in flight together.
    for (let i = 0; i < alerts.length; i += 20) answers.push(...(await Promise.all(alerts.slice(i, i + 20).map((a) => post(a)))));

    const cases = [...new Set(answers.map((a) => a.caseWorkflowId))];
    assert.equal(cases.length, 3, `cases: ${cases.join(', ')}`);
    assert.equal(answers.filter((a) => !a.duplicate).length, 3);
    for (const workflowId of cases) {
      assert.match(workflowId, GROUP_CASE_ID(`grouped-${run}`));
      const state = await counted(workflowId, 20);
      assert.deepEqual([state.group?.members, state.group?.repeats], [20, 0]);
      // The alerts' own times are still what the case says it saw.
      assert.deepEqual([state.group?.firstSeen, state.group?.lastSeen], sides);
      assert.equal(createCasesFor(workflowId), 1);
      await fx.env.client.workflow.getHandle(workflowId).terminate('test done');
    }
  });

  it("opens a new case for an alert that arrives after its group's window, which began with the group's first alert", async () => {
    const type = `Windowed${run}:Late`;
    const post1 = (n: number) => post(alert(type, `late-${run}-${n}`, 'i-0eeeeeeeeeeeeeeee'));
    const first = await post1(1);
    const windowOpened = Date.now();
    assert.equal(first.duplicate, false);
    const inWindow = await post1(2);
    assert.deepEqual([inWindow.caseWorkflowId, inWindow.duplicate], [first.caseWorkflowId, true]);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowOpened + WINDOW_MS + 500 - Date.now())));
    const late = await post1(3);
    assert.notEqual(late.caseWorkflowId, first.caseWorkflowId);
    assert.equal(late.duplicate, false);
    for (const id of [first.caseWorkflowId, late.caseWorkflowId]) assert.match(id, GROUP_CASE_ID(`windowed-${run}`));
    const again = await post1(4);
    assert.deepEqual([again.caseWorkflowId, again.duplicate], [late.caseWorkflowId, true]);

    // The first case is still running (at its gate) and kept what arrived in its window; the new one has the rest.
    assert.equal((await fx.env.client.workflow.getHandle(first.caseWorkflowId).describe()).status.name, 'RUNNING');
    assert.deepEqual((await counted(first.caseWorkflowId, 2)).group?.fingerprints, [`generic-late-${run}-1`, `generic-late-${run}-2`]);
    assert.deepEqual((await counted(late.caseWorkflowId, 2)).group?.fingerprints, [`generic-late-${run}-3`, `generic-late-${run}-4`]);
    for (const id of [first.caseWorkflowId, late.caseWorkflowId]) {
      assert.equal(createCasesFor(id), 1);
      await fx.env.client.workflow.getHandle(id).terminate('test done');
    }
  });

  it('opens a new case for an alert of a group whose case has finished, where a single alert stays a duplicate', async () => {
    const type = `Finishing${run}:Done`;
    const first = await post(alert(type, `done-${run}-1`, 'i-0fffffffffffffff0'));
    assert.equal(first.duplicate, false);
    await fx.env.client.workflow.getHandle(first.caseWorkflowId).result();

    // Within the window, but the case is closed: the alert opens the next case instead of vanishing.
    const next = await post(alert(type, `done-${run}-2`, 'i-0fffffffffffffff0'));
    assert.equal(next.duplicate, false);
    assert.notEqual(next.caseWorkflowId, first.caseWorkflowId);
    assert.match(next.caseWorkflowId, GROUP_CASE_ID(`finishing-${run}`));
    await fx.env.client.workflow.getHandle(next.caseWorkflowId).result();
    const state = await stateOf(next.caseWorkflowId);
    assert.deepEqual([state.group?.members, state.group?.fingerprints], [1, [`generic-done-${run}-2`]]);
    assert.equal(state.phase, 'closed');
    // Two SIR cases: the next case's CreateCase token is its own, not the finished case's.
    assert.equal(createCasesFor(first.caseWorkflowId), 1);
    assert.equal(createCasesFor(next.caseWorkflowId), 1);
    assert.notEqual((await stateOf(first.caseWorkflowId)).caseId, state.caseId);

    // SPEC §3 for a single alert: its fingerprint never starts a second case, even once the first has finished.
    const lone = alert(`Single${run}:Done`, `lone-${run}`, 'i-0fffffffffffffff1');
    const opened = await post(lone);
    await fx.env.client.workflow.getHandle(opened.caseWorkflowId).result();
    const resent = await post(lone, true);
    assert.deepEqual([resent.caseWorkflowId, resent.duplicate], [opened.caseWorkflowId, true]);
  });

  /** What the server asked the playbook's limiter, by answer (phasegate_case_limiter_requests_total). */
  const limiterAsks = async (playbook: string) => {
    const metrics = await (await fetch(`${fx.url}/metrics`)).text();
    const asked = (answer: string) => Number(new RegExp(`phasegate_case_limiter_requests_total\\{playbook="${playbook}",answer="${answer}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    return { granted: asked('granted'), already_granted: asked('already_granted'), limit_reached: asked('limit_reached') };
  };

  it("asks the limiter only for alerts that would open a case, and not again once the hour is full", async () => {
    const type = `Gated${run}:Ask`;
    const post5 = (resource: string, n: number) => post(alert(type, `ask-${run}-${resource}-${n}`, resource));
    const a1 = await post5('res-a', 1);
    const b1 = await post5('res-b', 1);
    const c1 = await post5('res-c', 1);
    assert.deepEqual([a1.storm, b1.storm, c1.storm], [undefined, undefined, true]);

    // The limiter of the hour goes away: any alert that asked it again would start a new limiter run
    // (with every slot free) and open a case.
    const limiter = fx.env.client.workflow.getHandle(caseRateLimiterId(`gated-${run}`, Math.floor(Date.now() / HOUR_MS)));
    const limiterRun = (await limiter.describe()).runId;
    await limiter.terminate('test: nobody may ask it any more');

    const later = await Promise.all([post5('res-a', 2), post5('res-b', 2), post5('res-a', 3), post5('res-c', 2), post5('res-d', 1), post5('res-e', 1)]);
    assert.deepEqual(
      later.map((a) => [a.caseWorkflowId, a.storm === true]),
      [
        [a1.caseWorkflowId, false],
        [b1.caseWorkflowId, false],
        [a1.caseWorkflowId, false],
        [c1.caseWorkflowId, true],
        [c1.caseWorkflowId, true],
        [c1.caseWorkflowId, true],
      ],
    );
    const after = await limiter.describe();
    assert.deepEqual([after.runId, after.status.name], [limiterRun, 'TERMINATED']);
    // The server's own count of what it asked: two slots, the second the hour's last, so C never asked.
    assert.deepEqual(await limiterAsks(`gated-${run}`), { granted: 2, already_granted: 0, limit_reached: 0 });

    // Every alert is in a case: 3 in A, 2 in B, 4 in the storm case.
    await counted(a1.caseWorkflowId, 3);
    await counted(b1.caseWorkflowId, 2);
    await counted(c1.caseWorkflowId, 4);

    // A storm case that finished is not a dead end either: the next storm alert opens the next one.
    await fx.env.client.workflow.getHandle(c1.caseWorkflowId).terminate('test: an analyst closed the storm case');
    const f1 = await post5('res-f', 1);
    assert.equal(f1.storm, true);
    assert.equal(f1.duplicate, false);
    assert.equal(f1.caseWorkflowId, `${c1.caseWorkflowId}-2`);
    await counted(f1.caseWorkflowId, 1);
    for (const id of [a1.caseWorkflowId, b1.caseWorkflowId, f1.caseWorkflowId]) await fx.env.client.workflow.getHandle(id).terminate('test done');
  });

  it('remembers a refusal: once the limiter said the hour is full, the storm goes on without asking it', async () => {
    // Another server took the hour's only slot.
    const hour = Math.floor(Date.now() / HOUR_MS);
    const answer = await reserveCaseSlot(fx.env.client, fx.taskQueue, `shared-${run}`, 1, 'case-opened-by-another-server', new Date());
    assert.deepEqual(answer, { verdict: 'granted', lastSlot: true });
    const type = `Shared${run}:Full`;
    const x1 = await post(alert(type, `full-${run}-x-1`, 'res-x'));
    assert.equal(x1.storm, true);
    assert.deepEqual(await limiterAsks(`shared-${run}`), { granted: 0, already_granted: 0, limit_reached: 1 });

    await fx.env.client.workflow.getHandle(caseRateLimiterId(`shared-${run}`, hour)).terminate('test: nobody may ask it any more');
    const storm = await Promise.all(['x-2', 'y-1', 'z-1', 'z-2'].map((n) => post(alert(type, `full-${run}-${n}`, `res-${n[0]}`))));
    assert.deepEqual(storm.map((a) => [a.caseWorkflowId, a.storm]), storm.map(() => [x1.caseWorkflowId, true]));
    assert.deepEqual(await limiterAsks(`shared-${run}`), { granted: 0, already_granted: 0, limit_reached: 1 });
    await counted(x1.caseWorkflowId, 5);
    await fx.env.client.workflow.getHandle(x1.caseWorkflowId).terminate('test done');
  });
});
