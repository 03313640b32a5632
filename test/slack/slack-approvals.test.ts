/**
 * Approving from Slack, end to end on loopback: the real phasegate server (src/server) and a real
 * worker on the shared dev server, a `slack-app` channel whose bot talks to the local Slack fake, and
 * clicks the fake sends signed exactly as Slack signs them. The gate's message is posted with
 * buttons and its ts kept on the case; a click decides through the attested path (the users file maps
 * the Slack user); the message then tells who decided what and when, or the quorum so far; replays,
 * forgeries, unmapped users and stale clicks decide nothing and say so. Secrets never reach a log line
 * or a workflow history.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { createLogger } from '../../src/cli/logger';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import type { CaseState } from '../../src/domain/case/state';
import { sirCaseChangedSignal, stateQuery } from '../../src/domain/contract/messages';
import type { ApprovalSpec } from '../../src/domain/playbook/playbook';
import { parseChannelsFile } from '../../src/notify/channels-file';
import { SlackApp } from '../../src/server/slack-app';
import { FAKE_TEAM, type FakeMessage, type SlackFake, startSlackFake } from '../../src/slack-fake';
import { caseWorkflowOptions } from '../../src/temporal/case-workflow-options';
import { casePlaybook } from '../../workflows';
import { testPlaybook } from '../helpers/playbooks';
import { type ServerFixture, startServerFixture } from '../helpers/server';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { waitFor } from '../helpers/wait';
import { Worker } from '@temporalio/worker';
import { workflowSource } from '../../src/temporal/workflow-bundle';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const SIGNING_SECRET = `slack-signing-${randomBytes(16).toString('hex')}`;
const BOT_TOKEN = `xoxb-${randomBytes(12).toString('hex')}`;
const LEADS = 'C0LEADS';
const CISO = 'C0CISO';

describe('approve from Slack (real server, worker and Slack fake on loopback)', { timeout: 240_000 }, () => {
  let fake: SlackFake;
  let fx: ServerFixture;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });

  before(async () => {
    fake = await startSlackFake({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      conversations: [LEADS, CISO],
      users: [
        { id: 'U0ALICE', name: 'alice' },
        { id: 'U0DAVE', name: 'dave', email: 'Dave@Example.com' },
        { id: 'U0ERIN', name: 'erin' },
        { id: 'U0BOB', name: 'bob' },
        { id: 'U0MALLORY', name: 'mallory', email: 'mallory@example.com' },
        { id: 'U0GUEST', name: 'guest', email: 'erin@example.com', guest: true },
        { id: 'U0UNCONFIRMED', name: 'unconfirmed', email: 'erin@example.com', emailConfirmed: false },
      ],
    });
    const channels = parseChannelsFile(
      `channels:
  - { name: leads-slack, type: slack-app, slackChannel: ${LEADS} }
  - { name: ciso-slack, type: slack-app, slackChannel: ${CISO}, tokenEnv: CISO_BOT }
`,
      'channels.yaml',
      { PHASEGATE_SLACK_BOT_TOKEN: BOT_TOKEN, CISO_BOT: BOT_TOKEN, PHASEGATE_SLACK_API_URL: fake.apiUrl },
    );
    const logger = createLogger({ PHASEGATE_LOG_LEVEL: 'debug' }, sink);
    fx = await startServerFixture({
      slack: new SlackApp({ signingSecrets: [SIGNING_SECRET], botToken: BOT_TOKEN, apiUrl: fake.apiUrl }),
      channels,
      logger,
      workerLogger: logger,
      extraUsers: [
        // Besides the fixture's token users (none of them mapped to Slack): email and Slack-id mappings.
        { name: 'dave', groups: ['ir-leads'], email: 'dave@example.com' },
        { name: 'erin', groups: ['ir-leads'], email: 'erin@example.com' },
        { name: 'frank', groups: ['ciso'], slack: { team: FAKE_TEAM, user: 'U0FRANK' } },
      ],
    });
    fake.setInteractivityUrl(`${fx.url}/v1/slack/interactions`);
  });
  after(async () => {
    await fx?.close();
    await fake?.close();
  });

  async function start(approval: ApprovalSpec): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `slack-${randomUUID()}`,
      playbook: testPlaybook('slack', [DA, { status: CER, approval: { notify: ['leads-slack'], ...approval } }]),
      severity: 8,
      newCase: { ...SAMPLE_CASE, title: 'Crypto-mining on <!channel> i-0abc', reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    // Started directly, with a playbook of this test's: the worker holds it, as if it were in its directory.
    fx.workerPlaybooks.add(input.playbook);
    return fx.env.client.workflow.start(casePlaybook, caseWorkflowOptions(input, fx.taskQueue));
  }

  /** The gate's message, once the case holds its ts. */
  async function gateMessage(handle: WorkflowHandle<typeof casePlaybook>): Promise<{ state: CaseState; message: FakeMessage }> {
    return waitFor('the gate message on the case', async () => {
      const state = await handle.query(stateQuery);
      const held = state.pendingApproval?.messages?.[0];
      const message = held && fake.workspace.message(held.slackChannel, held.ts);
      return message ? { state, message } : undefined;
    });
  }

  const text = (message: FakeMessage): string => JSON.stringify(message.versions.at(-1)!.blocks);
  const hasButtons = (message: FakeMessage): boolean => text(message).includes('phasegate-approve');
  const ephemeralsOf = (user: string): string[] => fake.workspace.ephemerals.filter((e) => e.user === user).map((e) => e.text);
  async function ephemeral(user: string, pattern: RegExp): Promise<string> {
    return waitFor(`an ephemeral answer to ${user} matching ${pattern}`, async () => ephemeralsOf(user).find((t) => pattern.test(t)), 20_000, {
      lastSeen: () => ephemeralsOf(user).join(' | '),
    });
  }
  /** A click, answered within Slack's 3 s. */
  async function click(user: string, action: 'approve' | 'reject' | 'reject-with-reason', ts: string, version: 'first' | 'latest' = 'latest') {
    const started = Date.now();
    const result = await fake.click({ user, action, ts, conversation: LEADS, version });
    assert.equal(result.status, 200, result.body);
    assert.ok(Date.now() - started < 3_000, `answered in ${Date.now() - started} ms`);
    return result;
  }

  it('posts the gate with buttons, keeps its ts on the case, and an approve click moves the case and rewrites the message', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { state, message } = await gateMessage(handle);
    assert.equal(message.conversation, LEADS);
    assert.deepEqual(state.pendingApproval!.messages, [{ channel: 'leads-slack', slackChannel: LEADS, ts: message.ts }]);
    assert.ok(hasButtons(message));
    const posted = text(message);
    assert.match(posted, new RegExp(`"value":"\\{\\\\"workflowId\\\\":\\\\"${handle.workflowId}\\\\",\\\\"approvalId\\\\":1\\}"`));
    assert.ok(posted.includes('&lt;!channel&gt;') && !posted.includes('<!channel>'), 'alert text cannot ping the channel');

    await click('U0DAVE', 'approve', message.ts);
    const moved = await waitFor('the move', async () => {
      const s = await handle.query(stateQuery);
      return s.status === CER ? s : undefined;
    });
    assert.deepEqual(
      moved.decisions.map((d) => [d.approvalId, d.decision, d.by, d.proof]),
      [[1, 'approve', 'dave', 'attested']],
      'dave decided as the users file maps his verified email, proven by the server',
    );
    await ephemeral('U0DAVE', /You approved approval #1/);
    const rewritten = await waitFor('the message rewritten', async () => (hasButtons(message) ? undefined : text(message)));
    assert.match(rewritten, /Approved: case \d+ moves to Containment/);
    assert.match(rewritten, /Approved by \*dave\*/);
  });

  it('a reject click rejects and the message says who rejected and when', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { message } = await gateMessage(handle);
    await click('U0DAVE', 'reject', message.ts);
    await waitFor('the rejection', async () => ((await handle.query(stateQuery)).approvalOutcomes?.[0]?.decision === 'reject' ? true : undefined));
    const rewritten = await waitFor('the message rewritten', async () => (hasButtons(message) ? undefined : text(message)));
    assert.match(rewritten, /Rejected: case \d+ does not move/);
    assert.match(rewritten, /Rejected by \*dave\* <!date\^\d+/);
    const state = await handle.query(stateQuery);
    assert.equal(state.status, DA);
    await handle.terminate('test done');
  });

  it('a quorum of two: the first click is counted on the message (buttons kept), the second decides', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject', minApprovers: 2 });
    const { message } = await gateMessage(handle);
    await click('U0DAVE', 'approve', message.ts);
    await ephemeral('U0DAVE', /counted.*1 more distinct approver needed/);
    const counted = await waitFor('the count on the message', async () => (/1 of 2: dave/.test(text(message)) ? text(message) : undefined));
    assert.ok(counted.includes('phasegate-approve'), 'the buttons stay while approvals are missing');

    // erin is mapped by email too, but only a confirmed member counts: the guest and the unconfirmed account do not.
    await click('U0GUEST', 'approve', message.ts);
    await ephemeral('U0GUEST', /UnmappedSlackUser.*guest account/);
    await click('U0UNCONFIRMED', 'approve', message.ts);
    await ephemeral('U0UNCONFIRMED', /UnmappedSlackUser.*not confirmed/);

    fake.workspace.users.push({ id: 'U0ERIN2', name: 'erin', email: 'erin@example.com' });
    await click('U0ERIN2', 'approve', message.ts);
    const decided = await waitFor('the decision on the message', async () => (hasButtons(message) ? undefined : text(message)));
    assert.match(decided, /approved by dave, erin/);
    const state = await waitFor('the move', async () => {
      const s = await handle.query(stateQuery);
      return s.status === CER ? s : undefined;
    });
    assert.deepEqual(state.decisions.map((d) => d.by), ['dave', 'erin']);
  });

  it('a replayed click decides nothing twice, and one older than five minutes is refused', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject', minApprovers: 2 });
    const { message } = await gateMessage(handle);
    const first = await click('U0DAVE', 'approve', message.ts);
    await waitFor('the first approval', async () => ((await handle.query(stateQuery)).decisions.length === 1 ? true : undefined));

    // The very same bytes again, inside the window: answered, counted once.
    const replay = await fake.send(first.sent);
    assert.equal(replay.status, 200);
    await waitFor('the second answer', async () => (ephemeralsOf('U0DAVE').filter((t) => /approval #1 .* is counted/.test(t)).length >= 2 ? true : undefined));
    let state = await handle.query(stateQuery);
    assert.equal(state.decisions.length, 1, 'the replay decided nothing more');
    assert.deepEqual(state.pendingApproval?.approvedBy, ['dave']);

    // The same click signed six minutes ago (as a captured request would be, later): 401.
    const stale = fake.sign(first.sent.body, { timestampSeconds: Math.floor(Date.now() / 1000) - 360 });
    const refused = await fake.send(stale);
    assert.equal(refused.status, 401);
    assert.match(refused.body, /s old \(limit 300 s\)/);
    state = await handle.query(stateQuery);
    assert.equal(state.decisions.length, 1);
    await handle.terminate('test done');
  });

  it('a forged signature, a missing one or a body changed after signing is 401 and decides nothing', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { message } = await gateMessage(handle);
    const payload = { type: 'block_actions', user: { id: 'U0DAVE', team_id: FAKE_TEAM }, team: { id: FAKE_TEAM }, actions: [{ action_id: 'phasegate-approve', value: JSON.stringify({ workflowId: handle.workflowId, approvalId: 1 }) }] };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

    const forged = await fake.send(fake.sign(body, { secret: 'not-the-signing-secret' }));
    assert.equal(forged.status, 401);
    assert.deepEqual(JSON.parse(forged.body), { error: 'invalid Slack signature', details: [{ path: 'x-slack-signature', message: "signature does not match the body with the app's signing secret" }] });

    const signed = fake.sign(body);
    const tampered = await fake.send({ ...signed, body: body.replace('U0DAVE', 'U0ALICE') });
    assert.equal(tampered.status, 401);

    const unsigned = await fetch(`${fx.url}/v1/slack/interactions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(unsigned.status, 401);
    assert.match(await unsigned.text(), /missing x-slack-signature header/);

    await new Promise((r) => setTimeout(r, 500));
    const state = await handle.query(stateQuery);
    assert.deepEqual([state.decisions.length, state.pendingApproval?.approvalId, state.refusalCount ?? 0], [0, 1, 0]);
    assert.ok(hasButtons(message));
    await handle.terminate('test done');
  });

  it('an unmapped Slack user and a mapped non-approver are refused by name of the rule, on the case too', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { message } = await gateMessage(handle);
    await click('U0MALLORY', 'approve', message.ts);
    const unmapped = await ephemeral('U0MALLORY', /Nothing was decided \(UnmappedSlackUser\)/);
    assert.match(unmapped, /slack: \{team, user\} or with their verified email/);
    await click('U0BOB', 'approve', message.ts);
    await ephemeral('U0BOB', /UnmappedSlackUser/);

    const refusals = await waitFor('the refusal on the case', async () => {
      const s = await handle.query(stateQuery);
      return s.refusals?.some((r) => r.type === 'UnmappedSlackUser') ? s.refusals : undefined;
    });
    assert.deepEqual(
      refusals.filter((r) => r.type === 'UnmappedSlackUser').map((r) => [r.by, r.what]),
      [
        [`slack:${FAKE_TEAM}/U0MALLORY`, 'approve #1 (slack)'],
        [`slack:${FAKE_TEAM}/U0BOB`, 'approve #1 (slack)'],
      ],
    );

    // frank is mapped by his Slack id, but ciso is not this gate's group: the case's own rule refuses him.
    fake.workspace.users.push({ id: 'U0FRANK', name: 'frank' });
    await click('U0FRANK', 'approve', message.ts);
    await ephemeral('U0FRANK', /Nothing was decided \(NotAnApprover\): frank is not an approver/);
    const state = await waitFor('the NotAnApprover refusal on the case', async () => {
      const s = await handle.query(stateQuery);
      return s.refusals?.some((r) => r.type === 'NotAnApprover' && r.by === 'frank') ? s : undefined;
    });
    assert.equal(state.decisions.length, 0);
    assert.ok(hasButtons(message), 'nothing changed on the message');
    await handle.terminate('test done');
  });

  it('a click on a decided gate changes nothing and says so', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { message } = await gateMessage(handle);
    await click('U0DAVE', 'reject', message.ts);
    await waitFor('the message rewritten', async () => (hasButtons(message) ? undefined : true));
    // erin still sees the message as first posted, buttons and all.
    fake.workspace.users.push({ id: 'U0ERIN3', name: 'erin', email: 'erin@example.com' });
    await click('U0ERIN3', 'approve', message.ts, 'first');
    const said = await ephemeral('U0ERIN3', /Nothing changed \(ApprovalNotPending\)/);
    assert.match(said, /approval #1 to move to "Containment, Eradication and Recovery" was rejected by dave/);
    const state = await handle.query(stateQuery);
    assert.deepEqual(state.decisions.map((d) => [d.by, d.decision]), [['dave', 'reject']]);
    await handle.terminate('test done');
  });

  it('Reject with a reason opens a modal; its submission rejects with that reason', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { message } = await gateMessage(handle);
    await click('U0DAVE', 'reject-with-reason', message.ts);
    const view = await waitFor('the modal', async () => fake.workspace.views.find((v) => v.user === 'U0DAVE' && String(v.view.private_metadata).includes(handle.workflowId)));
    assert.equal(view.view.callback_id, 'phasegate-reject-reason');

    const empty = await fake.submitReason('U0DAVE', '   ');
    assert.deepEqual(JSON.parse(empty.body), { response_action: 'errors', errors: { reason: 'Give a reason of 1 to 2000 characters.' } });
    const submitted = await fake.submitReason('U0DAVE', 'the instance is a honeypot');
    assert.equal(submitted.status, 200);
    assert.equal(submitted.body, '', 'an empty answer closes the modal');
    const state = await waitFor('the rejection', async () => {
      const s = await handle.query(stateQuery);
      return s.decisions.length === 1 ? s : undefined;
    });
    assert.deepEqual([state.decisions[0]!.decision, state.decisions[0]!.by, state.decisions[0]!.comment, state.decisions[0]!.proof], ['reject', 'dave', 'the instance is a honeypot', 'attested']);
    await ephemeral('U0DAVE', /You rejected approval #1/);
    const rewritten = await waitFor('the message rewritten', async () => (hasButtons(message) ? undefined : text(message)));
    assert.match(rewritten, /Rejected by \*dave\* .*: the instance is a honeypot/);
    await handle.terminate('test done');
  });

  it('reminds in the thread, edits the message on escalation (and posts to the escalation channel), and tells the timeout', async () => {
    const handle = await start({
      approvers: ['group:ir-leads'],
      timeoutMs: 3_000,
      remindEveryMs: 1_500,
      onTimeout: 'escalate',
      escalation: { approvers: ['group:ciso'], timeoutMs: 3_000, onTimeout: 'reject', notify: ['ciso-slack'] },
    });
    const { message } = await gateMessage(handle);
    const escalated = await waitFor('the escalation message', async () => fake.workspace.messages.find((m) => m.conversation === CISO && text(m).includes(handle.workflowId)), 20_000);
    assert.ok(hasButtons(escalated), 'the escalation channel gets a message it can decide from');
    const ended = await waitFor('the timeout on the message', async () => (/Approval timed out|rejected on timeout/.test(text(message)) && !hasButtons(message) ? text(message) : undefined), 30_000);
    assert.match(ended, /rejected on timeout, as the playbook says/);
    assert.ok(message.versions.some((v) => JSON.stringify(v.blocks).includes('Escalated: approval needed')), 'the leads saw the escalation');
    const replies = fake.workspace.messages.filter((m) => m.threadTs === message.ts);
    assert.ok(replies.length >= 1 && replies.every((r) => /^Reminder: approval #1/.test(r.versions[0]!.text)), `reminders in the thread: ${replies.length}`);
    await waitFor('the escalation message ended too', async () => (hasButtons(escalated) ? undefined : true));
  });

  it('says so on the message when the gate is withdrawn because the case moved in SIR', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { state, message } = await gateMessage(handle);
    // An analyst moves the case in the console to where the gate would have taken it: the move is moot.
    await fx.sandbox.sandbox.changeCase(state.caseId!, { caseStatus: CER, updatedBy: 'arn:aws:iam::123456789012:user/analyst' });
    await handle.signal(sirCaseChangedSignal, { detailType: 'Case Updated', updatedBy: 'arn:aws:iam::123456789012:user/analyst', receivedAt: new Date().toISOString() });
    const withdrawn = await waitFor('the withdrawal on the message', async () => (hasButtons(message) ? undefined : text(message)));
    assert.match(withdrawn, /Approval withdrawn on case \d+/);
    assert.match(withdrawn, /Withdrawn <!date\^\d+[^*]*:\* the case is already \\"Containment, Eradication and Recovery\\" in SIR/);
    // The case adopted SIR's status, which ends this playbook: the message holds the last word.
    await handle.result();
  });

  it('keeps the bot token and the signing secret out of every log line and workflow history', async () => {
    const handle = await start({ approvers: ['group:ir-leads'], onTimeout: 'reject' });
    const { message } = await gateMessage(handle);
    await click('U0DAVE', 'approve', message.ts);
    await waitFor('the message rewritten', async () => (hasButtons(message) ? undefined : true));
    assert.ok(logs.some((l) => l.includes('decision recorded from Slack')), 'the server logged the click');
    assert.ok(logs.some((l) => l.includes('message updated')), 'the worker logged the edit');
    for (const line of logs) {
      assert.ok(!line.includes(BOT_TOKEN) && !line.includes(SIGNING_SECRET) && !line.includes('/response/'), `a secret in: ${line}`);
    }
    const workflows = fx.env.client.workflow.list({ query: `TaskQueue = '${fx.taskQueue}'` });
    let seen = 0;
    for await (const wf of workflows) {
      const history = await fx.env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
      for (const secret of [BOT_TOKEN, SIGNING_SECRET, fake.apiUrl]) assert.equal(bytes.indexOf(secret), -1, `${secret.slice(0, 8)}… is in ${wf.workflowId}`);
      seen += 1;
    }
    assert.ok(seen >= 5, `checked ${seen} histories`);
  });

  it('replays every history these clicks made with the current workflow code, without a determinism error', async () => {
    const histories: Array<{ workflowId: string; history: temporal.api.history.v1.IHistory }> = [];
    for await (const wf of fx.env.client.workflow.list({ query: `TaskQueue = '${fx.taskQueue}'` })) {
      histories.push({ workflowId: wf.workflowId, history: await fx.env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory() });
    }
    assert.ok(histories.length >= 9, `histories: ${histories.length}`);
    const markers = (events: temporal.api.history.v1.IHistoryEvent[] | null | undefined): string[] =>
      (events ?? []).flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((p) => p.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')));
    // A new case records only the newest patch (code-version), which implies slack-messages.
    const marked = histories.filter(({ history }) => markers(history.events).some((m) => m.includes('code-version')));
    assert.equal(marked.length, histories.length, 'every case here runs under slack-messages (its code-version marker implies it)');
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(workflowSource(), histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
  });
});
