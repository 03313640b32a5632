/**
 * Records workflow histories of representative casePlaybook runs (and of the case-rate limiter and an
 * alert group window) into test/histories/, for the replay tests that guard against non-deterministic
 * changes. Run it when the workflow changes on purpose (behind `patched()`), and keep the old files:
 * they are what running cases look like.
 *
 *   node --import tsx scripts/record-histories.ts <prefix>      e.g. v2
 *   PHASEGATE_RECORD_DIR=/tmp/try node --import tsx scripts/record-histories.ts try   (a dry run)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { CasePlaybookInput } from '../src/domain/case/playbook-input';
import type { CaseState } from '../src/domain/case/state';
import { decideUpdate, approveSignal, duplicateAlertSignal, recordRefusalSignal, requestTransitionSignal, sirCaseChangedSignal, stateQuery, transitionUpdate } from '../src/domain/contract/messages';
import { parseChannelsFile } from '../src/notify/channels-file';
import { startSlackFake } from '../src/slack-fake';
import type { Playbook } from '../src/domain/playbook/playbook';
import { SANDBOX_DEFAULT_CREDENTIALS, startSandbox } from '../src/sandbox';
import { SirClient } from '../src/sir';
import { DecisionKeys } from '../src/attestation/decision-keys';
import { PlaybookCatalog } from '../src/domain/playbook/catalog';
import { openGroupWindow } from '../src/temporal/alert-group-window-client';
import { type StartAttester, caseWorkflowOptions } from '../src/temporal/case-workflow-options';
import { startDevServer } from '../src/temporal/dev-server';
import { locateTemporalCli } from '../src/temporal/temporal-cli';
import { createPhasegateWorker } from '../src/temporal/worker';
import { caseRateLimiter, casePlaybook } from '../workflows';
import { caseRateLimiterId, reserveCaseUpdate } from '../src/domain/contract/case-rate-limiter';

const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';
const PIA = 'Post-incident Activities';
// PHASEGATE_RECORD_DIR records elsewhere, to try the scenarios without touching the kept sets.
const OUT = process.env.PHASEGATE_RECORD_DIR ?? resolve(__dirname, '..', 'test', 'histories');

const base = (name: string, steps: Playbook['steps'], extra: Partial<Playbook> = {}): Playbook => ({
  name,
  match: { source: 'any' },
  case: {
    title: 'Recorded case {{alert.id}}',
    description: 'Recorded for replay tests',
    engagementType: 'Security Incident',
    resolverType: 'Self',
    watchers: [],
    impactedAccountsFromAlert: true,
    impactedRegionsFromAlert: true,
  },
  steps,
  onReject: 'stay',
  ...extra,
});

const GATED = base(
  'gated',
  [
    { status: DA },
    { status: CER, approval: { approvers: ['alice'], onTimeout: 'reject' } },
    { status: PIA, approval: { approvers: ['group:ir-leads'], onTimeout: 'reject' } },
  ],
  { close: { approval: { approvers: ['alice'], onTimeout: 'reject' } } },
);

async function main(): Promise<void> {
  const prefix = process.argv[2];
  if (!prefix) throw new Error('usage: record-histories.ts <prefix>');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cli = await locateTemporalCli({});
  const server = await startDevServer({ cliPath: cli.path });
  const sandbox = await startSandbox({ port: 0 });
  const sir = new SirClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: SANDBOX_DEFAULT_CREDENTIALS });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = `record-${randomUUID()}`;
  // Since slack-messages (v9 on): a slack-app channel whose bot posts to the local Slack fake.
  const botToken = `xoxb-${randomUUID()}`;
  const slack = await startSlackFake({ signingSecret: randomUUID(), botToken, users: [], conversations: ['C0RECORD'] });
  const channels = parseChannelsFile('channels:\n  - { name: leads-slack, type: slack-app, slackChannel: C0RECORD }\n', 'recording', {
    PHASEGATE_SLACK_BOT_TOKEN: botToken,
    PHASEGATE_SLACK_API_URL: slack.apiUrl,
  });
  // Recorded as `phasegate dev` runs: Temporal access trusted, groups from a users file, decision keys
  // shared with the API, and the worker's playbook directory holding every playbook started below.
  const groups: Record<string, string[]> = { carol: ['ir-leads'], erin: ['ir-leads'], frank: ['ciso'] };
  const decisionKeys = new DecisionKeys([randomBytes(32).toString('hex')]);
  const playbooks = new PlaybookCatalog();
  const worker = await createPhasegateWorker({
    connection: native,
    namespace: 'default',
    sir,
    taskQueue,
    identity: { trustTemporalAccess: true, groupsOf: (name) => groups[name], decisionKeys },
    channels,
    playbooks,
  });
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });

  const start = (playbook: Playbook, extra: Partial<CasePlaybookInput> = {}, options: { own?: boolean; attester?: StartAttester } = {}) => {
    if (options.own !== false) playbooks.add(playbook);
    return client.workflow.start(
      casePlaybook,
      caseWorkflowOptions(
        {
          fingerprint: `recorded-${randomUUID()}`,
          playbook,
          severity: 7.5,
          newCase: {
            title: 'Recorded case',
            description: 'Recorded for replay tests',
            engagementType: 'Security Incident',
            resolverType: 'Self',
            reportedIncidentStartDate: '2026-11-20T10:00:00.000Z',
            impactedAccounts: ['111122223333'],
            watchers: [],
          },
          ...extra,
        },
        taskQueue,
        options.attester,
      ),
    );
  };
  const pending = async (handle: WorkflowHandle, target: string): Promise<CaseState> => {
    for (;;) {
      const state = await handle.query(stateQuery);
      if (state.pendingApproval?.target === target || (target === 'idle' && state.phase === 'awaiting-request')) return state;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // Decisions name their approval; the answer comes before the move, so wait for the next gate after it.
  const decide = async (handle: WorkflowHandle, decision: 'approve' | 'reject', by: string, comment?: string): Promise<void> => {
    const { pendingApproval } = await handle.query(stateQuery);
    await handle.executeUpdate(decideUpdate, { args: [{ approvalId: pendingApproval!.approvalId, decision, by, ...(comment && { comment }) }] });
  };
  const save = async (name: string, handle: WorkflowHandle): Promise<void> => {
    await handle.result().catch(() => undefined);
    const file = join(OUT, `${prefix}-${name}.json`);
    await writeFile(file, historyToJSON(await handle.fetchHistory()));
    console.log(`recorded ${file}`);
  };

  /** Every run of a case that continued as new, oldest first, each in a file of its own. */
  const saveRuns = async (name: string, handle: WorkflowHandle): Promise<void> => {
    await handle.result().catch(() => undefined);
    const runs: Array<{ runId: string; startTime: Date }> = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push({ runId: wf.runId, startTime: wf.startTime });
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    for (const [i, run] of runs.entries()) {
      const file = join(OUT, `${prefix}-${name}-run${i + 1}.json`);
      await writeFile(file, historyToJSON(await client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory()));
      console.log(`recorded ${file}`);
    }
  };

  await worker.runUntil(async () => {
    // 1. Every phase, approvals by update and by signal, closed.
    const happy = await start(GATED);
    await pending(happy, CER);
    await decide(happy, 'approve', 'alice', 'contain');
    const pia = await pending(happy, PIA);
    await happy.signal(approveSignal, { approvalId: pia.pendingApproval!.approvalId, by: 'carol' });
    await pending(happy, 'Closed');
    await decide(happy, 'approve', 'alice');
    await save('happy-path', happy);

    // 2. Rejection, a human loop back to Detection and Analysis, and forward again.
    const loop = await start(GATED, { continueAsNewAfterEvents: 10_000 });
    await pending(loop, CER);
    await decide(loop, 'approve', 'alice');
    await pending(loop, PIA);
    await decide(loop, 'reject', 'erin');
    await pending(loop, 'idle');
    await loop.executeUpdate(transitionUpdate, { args: [{ to: DA, by: 'erin', reason: 'persistence', requestId: 'erin-1' }] });
    await pending(loop, CER);
    await decide(loop, 'approve', 'alice');
    await pending(loop, PIA);
    await loop.terminate('recording done');
    await save('reject-and-loop-back', loop);

    // 3. Approval timeouts: escalation after 1 s, approved on the escalation's own timeout.
    const timeouts = await start(
      base('timeouts', [
        { status: DA },
        {
          status: CER,
          approval: {
            approvers: ['alice'],
            timeoutMs: 1_000,
            onTimeout: 'escalate',
            escalation: { approvers: ['group:ciso'], timeoutMs: 1_000, onTimeout: 'approve' },
          },
        },
      ]),
    );
    await save('timeout-escalate-approve', timeouts);

    // 4. An AWS-supported case an alert adopted (on the authority it names): no UpdateCaseStatus, closed on approval.
    const { caseId } = await sir.createCase({
      clientToken: randomUUID(),
      resolverType: 'AWS',
      title: 'AWS-supported',
      description: 'Recorded',
      engagementType: 'Investigation',
      reportedIncidentStartDate: new Date('2026-11-20T10:00:00Z'),
      impactedAccounts: [],
      watchers: [],
    });
    const aws = await start(GATED, { caseId, newCase: undefined, adoption: { by: 'key:recorder', at: '2026-11-20T10:00:00.000Z' } });
    await pending(aws, 'Closed');
    await decide(aws, 'approve', 'alice');
    await save('aws-supported-close', aws);

    // 5. Cancelled while waiting for approval.
    const cancelled = await start(GATED);
    await pending(cancelled, CER);
    await cancelled.cancel();
    await save('cancelled', cancelled);

    // 6. A two-person gate with four-eyes: a refused self-approval, one approval counted, then the second.
    const quorum = await start(
      base('quorum', [
        { status: DA },
        { status: CER, approval: { approvers: ['group:ir-leads', 'alice'], onTimeout: 'reject', minApprovers: 2, separateFrom: 'requester' } },
      ]),
    );
    await pending(quorum, CER);
    await decide(quorum, 'reject', 'carol');
    await pending(quorum, 'idle');
    await quorum.executeUpdate(transitionUpdate, { args: [{ to: CER, by: 'carol', requestId: 'carol-1' }] });
    await quorum.signal(approveSignal, { approvalId: 2, by: 'carol' });
    await decide(quorum, 'approve', 'erin');
    await decide(quorum, 'approve', 'alice');
    await save('quorum-four-eyes', quorum);

    // Since read-before-write (v6 on): the sandbox plays the analyst in the console.
    const analyst = 'arn:aws:iam::123456789012:user/analyst';
    const event = (detailType: string) => ({ detailType, updatedBy: analyst, receivedAt: new Date().toISOString() });
    const until = async (handle: WorkflowHandle, test: (s: CaseState) => boolean): Promise<CaseState> => {
      for (;;) {
        const state = await handle.query(stateQuery);
        if (test(state)) return state;
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    // 7. Drift: an approval lands after the analyst moved the case on (the move reads first and adopts
    //    it), a SIR event makes the waiting case re-read, and the case is finally closed in the console.
    const drift = await start(GATED);
    const driftCase = (await pending(drift, CER)).caseId!;
    await sandbox.changeCase(driftCase, { caseStatus: PIA, updatedBy: analyst });
    await decide(drift, 'approve', 'alice');
    await until(drift, (s) => s.driftCount === 1 && s.pendingApproval?.target === 'Closed');
    await sandbox.changeCase(driftCase, { caseStatus: DA, updatedBy: analyst });
    await drift.signal(sirCaseChangedSignal, event('Case Updated'));
    await until(drift, (s) => s.driftCount === 2);
    await sandbox.changeCase(driftCase, { caseStatus: 'Closed', updatedBy: analyst });
    await drift.signal(sirCaseChangedSignal, event('Case Closed'));
    await save('drift-adopted', drift);

    // 8. The slow re-read timer, repeated alerts coalesced, a gate withdrawn as moot, then closed.
    const recheck = await start({ ...GATED, sirRecheckEveryMs: 1_000 });
    const recheckCase = (await pending(recheck, CER)).caseId!;
    for (let i = 0; i < 5; i++) await recheck.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    await until(recheck, (s) => s.duplicateAlerts === 5);
    await new Promise((r) => setTimeout(r, 2_500)); // two re-reads that find nothing new
    await sandbox.changeCase(recheckCase, { caseStatus: CER, updatedBy: analyst });
    await pending(recheck, PIA);
    await decide(recheck, 'approve', 'carol');
    await pending(recheck, 'Closed');
    await decide(recheck, 'approve', 'alice');
    await save('recheck-and-duplicates', recheck);

    // Since grouped-alerts (v7 on, issue 13).
    // 9. A grouped case: members join with their own fingerprints, one is an exact repeat; then closed.
    const at = new Date().toISOString();
    const first = { fingerprint: 'generic-member-0', severity: 5, at };
    const groupPlaybook = { ...GATED, name: 'grouped', group: { by: ['accountId', 'type'], windowMs: 3_600_000 } } satisfies Playbook;
    const grouped = await start(groupPlaybook, { fingerprint: `group-grouped-${randomUUID().replace(/-/g, '')}-1`, group: { kind: 'group', first } });
    await pending(grouped, CER);
    for (const fingerprint of ['generic-member-1', 'generic-member-2', 'generic-member-1', 'generic-member-3']) {
      await grouped.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString(), member: { fingerprint, severity: 6, at: new Date().toISOString() } });
    }
    await until(grouped, (s) => s.group?.members === 4 && s.group.repeats === 1);
    await decide(grouped, 'approve', 'alice');
    await pending(grouped, PIA);
    await decide(grouped, 'approve', 'carol');
    await pending(grouped, 'Closed');
    await decide(grouped, 'approve', 'alice');
    await save('grouped-members', grouped);

    // 10. The case-rate limiter of a playbook and hour: two slots granted, then asked again and over.
    const hour = Math.floor(Date.now() / 3_600_000);
    const limiter = await client.workflow.start(caseRateLimiter, { taskQueue, workflowId: caseRateLimiterId(`recorded-${randomUUID()}`, hour), args: [{ playbook: 'recorded', hour }] });
    for (const caseWorkflowId of ['case-a', 'case-b', 'case-a', 'case-c']) {
      await limiter.executeUpdate(reserveCaseUpdate, { args: [{ caseWorkflowId, limit: 2 }] }).catch(() => undefined);
    }
    await limiter.terminate('recording done');
    await save('case-rate-limiter', limiter);

    // Since local-sir-calls (v8 on, issue 14): SIR calls are local activities first.
    // 11. The first move is throttled (Retry-After: 1): the case backs off on a timer and makes the
    //     call as a queued activity; the start comment is too slow for its local try and goes on queued.
    sandbox.faults.inject('UpdateCaseStatus', { kind: 'throttle', count: 1, retryAfterSeconds: 1 });
    sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 3_000, count: 1 });
    const fallback = await start(GATED);
    const fallbackCase = (await pending(fallback, CER)).caseId!;
    while (sandbox.getComments(fallbackCase).length === 0) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000)); // the queued comment's own answer
    await decide(fallback, 'approve', 'alice');
    await pending(fallback, PIA);
    await fallback.terminate('recording done');
    await save('local-call-falls-back', fallback);

    // 12. Only the start comment is slow: the move succeeds at once and the case parks while the
    //     comment's local try times out; the main line then sends it queued (review of v8: the order
    //     of commands must not depend on when a local activity's result arrives).
    sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 3_000, count: 1 });
    const slowComment = await start(GATED);
    const slowCase = (await pending(slowComment, CER)).caseId!;
    while (sandbox.getComments(slowCase).length === 0) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_500)); // the queued comment's own answer
    await decide(slowComment, 'approve', 'alice');
    await pending(slowComment, PIA);
    await slowComment.terminate('recording done');
    await save('slow-start-comment', slowComment);

    // Since proof-in-history (v9 on, issue 18): message handlers prove who decided by a queued activity.
    // 13. A decision signal held over by continue-as-new: the run past its threshold cannot end while a
    //     repeat's slow comment keeps a handler busy, holds the approval for the next run, and that run
    //     proves it first thing, beside the gate's new timer (the shape that stranded a case before).
    sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 3_000, count: 1 });
    const held = await start(GATED, { continueAsNewAfterEvents: 25 });
    await pending(held, CER);
    sandbox.faults.clear();
    sandbox.faults.inject('CreateCaseComment', { kind: 'latency', ms: 4_000, count: 1 });
    for (let i = 0; i < 12; i++) await held.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
    while (((await held.fetchHistory()).events?.length ?? 0) < 25) await new Promise((r) => setTimeout(r, 100));
    await held.signal(approveSignal, { approvalId: 1, by: 'alice', comment: 'held over' });
    await pending(held, PIA);
    await held.terminate('recording done');
    await saveRuns('decision-held-over', held);

    // 14. A transition request arrives while the case makes a slow local SIR call (the move after an
    //     approval): its proof is queued beside the move and taken once the move's task is done.
    const duringCall = await start(GATED);
    await pending(duringCall, CER);
    sandbox.faults.inject('UpdateCaseStatus', { kind: 'latency', ms: 3_000, count: 1 });
    const { pendingApproval: gate } = await duringCall.query(stateQuery);
    const deciding = duringCall.executeUpdate(decideUpdate, { args: [{ approvalId: gate!.approvalId, decision: 'approve', by: 'alice' }] });
    await new Promise((r) => setTimeout(r, 500)); // the move's local try is under way
    await duringCall.signal(requestTransitionSignal, { to: DA, by: 'erin', reason: 'more to look at', requestId: 'erin-during-call' });
    await deciding;
    // Taken or refused (a request while a move is under way may be either): its proof was made either way.
    await until(duringCall, (s) => s.takenRequests?.some((t) => t.requestId === 'erin-during-call') === true || (s.refusals ?? []).some((r) => r.by === 'erin'));
    await duringCall.terminate('recording done');
    await save('decision-during-local-call', duringCall);

    // 15. A decision arrives while the case re-reads SIR on its slow timer (a slow GetCase).
    const duringRead = await start({ ...GATED, sirRecheckEveryMs: 1_000 });
    await pending(duringRead, CER);
    sandbox.faults.inject('GetCase', { kind: 'latency', ms: 2_500, count: 1 });
    await new Promise((r) => setTimeout(r, 1_500)); // the re-read is under way
    await duringRead.signal(approveSignal, { approvalId: 1, by: 'alice', comment: 'during the re-read' });
    await pending(duringRead, PIA);
    await duringRead.terminate('recording done');
    await save('decision-during-re-read', duringRead);

    // Since group windows (issue 18): a group's window is a workflow of its own, alertGroupWindow.
    // 16. A window opened with its start delay and ending on its own when the delay is over.
    const window = await openGroupWindow(client, taskQueue, { playbook: 'grouped', group: `group-grouped-${randomUUID().replace(/-/g, '')}`, by: ['accountId', 'type'], windowMs: 2_000 });
    await save('alert-group-window', client.workflow.getHandle(window.group, window.runId));

    // Since issue 18 (v9 on): adopt-from-status, own-writes-only and decision-outcomes.
    // 17. An alert names a SIR case an analyst already moved to Containment: the playbook goes on from
    //     there (the Post-incident gate, then close), never back to Detection and Analysis.
    const { caseId: adoptedCase } = await sir.createCase({
      clientToken: randomUUID(),
      resolverType: 'Self',
      title: 'Adopted in Containment',
      description: 'Recorded',
      engagementType: 'Security Incident',
      reportedIncidentStartDate: new Date('2026-11-20T10:00:00Z'),
      impactedAccounts: [],
      watchers: [],
    });
    await sandbox.changeCase(adoptedCase, { caseStatus: DA, updatedBy: analyst });
    await sandbox.changeCase(adoptedCase, { caseStatus: CER, updatedBy: analyst });
    const adopted = await start(GATED, { caseId: adoptedCase, newCase: undefined });
    await pending(adopted, PIA);
    await decide(adopted, 'approve', 'carol');
    await pending(adopted, 'Closed');
    await decide(adopted, 'approve', 'alice');
    await save('adopt-from-status', adopted);

    // 18. A two-person gate approved by one, then by its timeout: the clock is the decider and the
    //     approval it counted stays partial.
    const partial = await start(
      base('timeout-decider', [
        { status: DA },
        { status: CER, approval: { approvers: ['alice', 'group:ir-leads'], minApprovers: 2, timeoutMs: 3_000, onTimeout: 'approve' } },
      ]),
    );
    await pending(partial, CER);
    await decide(partial, 'approve', 'alice', 'contain');
    await save('timeout-decider', partial);

    // 19. An analyst moves the case to the very target its approved move is for: drift, not phasegate's move.
    const sameTarget = await start(GATED);
    const sameTargetCase = (await pending(sameTarget, CER)).caseId!;
    await sandbox.changeCase(sameTargetCase, { caseStatus: CER, updatedBy: analyst });
    await decide(sameTarget, 'approve', 'alice');
    await until(sameTarget, (s) => s.driftCount === 1 && s.pendingApproval?.target === PIA);
    await sameTarget.terminate('recording done');
    await save('analyst-moved-to-target', sameTarget);

    // Since slack-messages (v9 on, issue 19): a gate told to a slack-app channel keeps its message's ts
    // and edits it: the message posted, a reminder (edit and thread reply), one approval counted (edit),
    // an unmapped Slack user's click recorded, the second approval deciding (edit), then the next gate.
    // 20. A Slack gate with a quorum of two.
    const slackGate = await start(
      base('slack-gate', [
        { status: DA },
        { status: CER, approval: { approvers: ['group:ir-leads', 'alice'], onTimeout: 'reject', minApprovers: 2, notify: ['leads-slack'], remindEveryMs: 1_000 } },
        { status: PIA, approval: { approvers: ['alice'], onTimeout: 'reject', notify: ['leads-slack'] } },
      ]),
    );
    await until(slackGate, (s) => (s.pendingApproval?.messages?.length ?? 0) > 0);
    while (!slack.workspace.messages.some((m) => m.threadTs)) await new Promise((r) => setTimeout(r, 100)); // a reminder in the thread
    await slackGate.signal(recordRefusalSignal, { by: 'slack:T0RECORD/U0NOBODY', what: 'approve #1 (slack)', type: 'UnmappedSlackUser', message: 'not mapped' });
    await decide(slackGate, 'approve', 'carol');
    while (!slack.workspace.messages.some((m) => m.versions.some((v) => JSON.stringify(v.blocks).includes('1 of 2: carol')))) await new Promise((r) => setTimeout(r, 100));
    await decide(slackGate, 'approve', 'alice');
    await pending(slackGate, PIA);
    while (!slack.workspace.messages.some((m) => m.versions.some((v) => JSON.stringify(v.blocks).includes('approved by carol, alice')))) await new Promise((r) => setTimeout(r, 100));
    await until(slackGate, (s) => (s.pendingApproval?.messages?.length ?? 0) > 0); // the next gate's own message
    await slackGate.terminate('recording done');
    await save('slack-gate', slackGate);

    // Since verified-start (v9 on, issue 18): the worker checks each start before any SIR call.
    // 21. A start carrying an edit of a known playbook without its gates: refused (UnverifiedStart).
    const gateFree = { ...GATED, steps: GATED.steps.map(({ status }) => ({ status })), close: {} } satisfies Playbook;
    const refused = await start(gateFree, {}, { own: false });
    await save('start-refused', refused);

    // 22. An alert adopting a SIR case as the API server starts it: who allowed the adoption, and the
    //     server's start attestation over it; then one gate.
    const attestedCase = (
      await sir.createCase({
        clientToken: randomUUID(),
        resolverType: 'Self',
        title: 'Adopted',
        description: 'Recorded',
        engagementType: 'Investigation',
        reportedIncidentStartDate: new Date('2026-11-20T10:00:00Z'),
        impactedAccounts: [],
        watchers: [],
      })
    ).caseId;
    const attested = await start(
      GATED,
      { caseId: attestedCase, newCase: undefined, adoption: { by: 'key:recorder', at: new Date().toISOString() } },
      { attester: { namespace: 'default', keys: decisionKeys } },
    );
    await pending(attested, CER);
    await decide(attested, 'approve', 'alice');
    await pending(attested, PIA);
    await attested.terminate('recording done');
    await save('adopted-with-attestation', attested);

    // Since code-version (v10 on, issue 20): a case says which code path it runs (PhasegateCodeVersion),
    // in its first run's first upsert. 23. A case that continues as new at its gate: its next run
    // carries the answer (no patch marker, no new upsert of the attribute), then is approved and closes.
    const versioned = await start(GATED, { continueAsNewAfterEvents: 30 });
    await pending(versioned, CER);
    const versionedRun = (await versioned.describe()).runId;
    while ((await versioned.describe()).runId === versionedRun) {
      await versioned.signal(duplicateAlertSignal, { receivedAt: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 200));
    }
    await pending(versioned, CER);
    await decide(versioned, 'approve', 'alice');
    await pending(versioned, PIA);
    await versioned.terminate('recording done');
    await saveRuns('code-version-carried', versioned);
  });

  await native.close();
  await client.connection.close();
  await sandbox.close();
  await slack.close();
  await server.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
