/**
 * Approvers are told: a gate with notification channels tells them when it opens, reminds them,
 * escalates (to the escalation's own channels too) and times out, through a real worker on the dev
 * server, to a signed webhook receiver and a Slack-shaped one on loopback. A dead channel never holds
 * up or fails the case; the miss is recorded.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ApprovalNotice } from '../../src/domain/case/approval-notice';
import type { CasePlaybookInput } from '../../src/domain/case/playbook-input';
import { stateQuery } from '../../src/domain/contract/messages';
import type { ApprovalSpec } from '../../src/domain/playbook/playbook';
import { parseChannelsFile } from '../../src/notify/channels-file';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../src/server/webhook-signature';
import { casePlaybook } from '../../workflows';
import { decideOn, statusOf } from '../helpers/decisions';
import { type HttpReceiver, startReceiver } from '../helpers/http-receiver';
import { testPlaybook } from '../helpers/playbooks';
import { SAMPLE_CASE } from '../helpers/sir-sandbox';
import { startWorkerFixture, testCaseOptions } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const SECRET = `whsec_${randomUUID()}`;
/** The worker also holds the secret POST /v1/alerts accepts; notices must never be signed with it. */
const INBOUND_SECRET = `whsec_inbound_${randomUUID()}`;
const DA = 'Detection and Analysis';
const CER = 'Containment, Eradication and Recovery';

describe('approvers are told (real worker, loopback receivers)', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let taskQueue: string;
  let close: () => Promise<void>;
  let pager: HttpReceiver;
  let leads: HttpReceiver;
  let ciso: HttpReceiver;

  before(async () => {
    [pager, leads, ciso] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
    const channels = parseChannelsFile(
      `channels:
  - { name: soc-pager, type: webhook, url: "${pager.url}/phasegate" }
  - { name: leads-slack, type: slack, urlEnv: LEADS_SLACK }
  - { name: ciso-pager, type: webhook, url: "${ciso.url}/ciso" }
  - { name: dead, type: webhook, url: "http://127.0.0.1:9/nothing" }
`,
      'channels.yaml',
      { LEADS_SLACK: `${leads.url}/services/T0/B0/x`, PHASEGATE_NOTIFY_SECRET: SECRET, PHASEGATE_WEBHOOK_SECRET: INBOUND_SECRET },
    );
    ({ env, taskQueue, close } = await startWorkerFixture('notifications', 'dev', undefined, channels));
  });
  after(async () => {
    await close();
    await Promise.all([pager.close(), leads.close(), ciso.close()]);
  });

  async function start(approval: ApprovalSpec): Promise<WorkflowHandle<typeof casePlaybook>> {
    const input: CasePlaybookInput = {
      fingerprint: `notify-${randomUUID()}`,
      playbook: testPlaybook('notify', [DA, { status: CER, approval }]),
      severity: 8,
      newCase: { ...SAMPLE_CASE, reportedIncidentStartDate: SAMPLE_CASE.reportedIncidentStartDate.toISOString() },
    };
    return env.client.workflow.start(casePlaybook, testCaseOptions(input, taskQueue));
  }

  const notices = (receiver: HttpReceiver, workflowId: string): ApprovalNotice[] =>
    receiver.requests.map((r) => JSON.parse(r.rawBody.toString('utf8')) as ApprovalNotice & { workflowId: string }).filter((n) => n.workflowId === workflowId);

  it('tells the channels when the gate opens, reminds, escalates (to the escalation channels too) and times out', async () => {
    const handle = await start({
      approvers: ['group:ir-leads'],
      timeoutMs: 5_000,
      onTimeout: 'escalate',
      notify: ['soc-pager', 'leads-slack'],
      remindEveryMs: 2_000,
      escalation: { approvers: ['group:ciso'], timeoutMs: 3_000, onTimeout: 'reject', notify: ['ciso-pager'] },
    });
    const events = await waitFor('the timeout notice', async () => {
      const seen = notices(pager, handle.workflowId).map((n) => n.event);
      return seen.includes('approval-timed-out') ? seen : undefined;
    }, 30_000);
    assert.equal(events[0], 'approval-opened');
    assert.ok(events.filter((e) => e === 'approval-reminder').length >= 2, `reminders: ${events.join(', ')}`);
    assert.ok(events.indexOf('approval-escalated') > events.indexOf('approval-reminder'));
    assert.equal(events.at(-1), 'approval-timed-out');

    const opened = notices(pager, handle.workflowId)[0]!;
    const state = await handle.query(stateQuery);
    assert.deepEqual(
      [opened.caseId, opened.approvalId, opened.target, opened.from, opened.approvers, opened.approvalsNeeded, opened.severity, opened.playbook],
      [state.caseId, 1, CER, DA, ['group:ir-leads'], 1, 8, 'notify'],
    );
    assert.ok(opened.deadline, 'the deadline travels with the notice');
    const timedOut = notices(pager, handle.workflowId).at(-1)!;
    assert.equal(timedOut.outcome, 'reject');
    // Signed the way our own inbound webhook is verified, with notifications' own secret: what a
    // receiver got does not pass as an alert.
    for (const request of pager.requests) {
      assert.deepEqual(verifyWebhookSignature(request.headers[SIGNATURE_HEADER] as string, request.rawBody, [SECRET]), { ok: true });
      assert.equal(verifyWebhookSignature(request.headers[SIGNATURE_HEADER] as string, request.rawBody, [INBOUND_SECRET]).ok, false);
    }
    // The escalation's own channel hears from the escalation on, not before.
    const cisoEvents = notices(ciso, handle.workflowId).map((n) => n.event);
    assert.equal(cisoEvents[0], 'approval-escalated');
    assert.ok(!cisoEvents.includes('approval-opened'));
    // Slack got text and blocks naming the case and how to decide.
    const slack = leads.requests.map((r) => JSON.parse(r.rawBody.toString('utf8')) as { text: string; blocks: unknown[] }).find((m) => m.text.includes(state.caseId!));
    assert.ok(slack && slack.blocks.length > 0, 'a Slack message about this case');
    assert.match(JSON.stringify(slack), /phasegate approve .* --approval 1/);
  });

  it('never lets a dead channel hold up or fail the case, and records the miss', async () => {
    const handle = await start({ approvers: ['alice'], onTimeout: 'reject', notify: ['dead', 'nobody-configured'] });
    await waitFor('the gate', async () => ((await handle.query(stateQuery)).pendingApproval ? true : undefined));
    await decideOn(handle, 'approve', 'alice');
    const done = await statusOf(handle, CER);
    assert.equal(done.status, CER);
    const missed = await waitFor('the unknown channel on record', async () => {
      const s = await handle.query(stateQuery);
      return s.missed?.some((m) => m.includes('nobody-configured')) ? s.missed : undefined;
    });
    assert.match(missed.join('\n'), /Notify nobody-configured: approval-opened #1/);
    await handle.terminate('test done');
  });
});
