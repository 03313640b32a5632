/**
 * Grouping and case-rate limits (issue 13) on the real chain: a real server, the shared dev server, a
 * worker and the SIR sandbox. Alerts of one group and window share one case and one CreateCase; the
 * case counts its members and recognises exact repeats; past maxNewCasesPerHour alerts join the
 * playbook's storm case for the hour, and every alert posted is accounted to some case.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HOUR_MS, alertsIn } from '../../src/domain/alert-group';
import type { CaseState } from '../../src/domain/case-state';
import { stateQuery } from '../../src/domain/messages';
import type { Playbook } from '../../src/domain/playbook';
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
    fx = await startServerFixture({ extraPlaybooks: [grouped, limited] });
  });
  after(() => fx.close());

  const alert = (type: string, id: string, resourceId: string) => ({
    id,
    type,
    title: `Test alert ${id}`,
    description: 'from the grouping test',
    severity: 5,
    accountId: '111122223333',
    region: 'eu-west-1',
    resourceId,
    observedAt,
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
    assert.match(workflowId, new RegExp(`^case-group-grouped-${run}-[0-9a-f]{32}-\\d+$`));

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
});
