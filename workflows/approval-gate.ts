/**
 * A human gate before a phase change, once it is open: tell the playbook's channels, wait for the
 * decision (recorded by the message handlers through case/decision-rules.ts), remind, escalate or let the
 * clock decide as the playbook says. Deadlines live in the pending approval itself, so a case that
 * continues as new while it waits picks the gate up where it was.
 */
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import type { ApprovalNotice, ApprovalNoticeEvent } from '../src/domain/case/approval-notice';
import { gateFor } from '../src/domain/case/planner';
import { describeApprovers } from '../src/domain/case/rules';
import type { PendingApproval } from '../src/domain/case/state';
import type { ApprovalMessageEvent, MessageOutcome } from '../src/domain/case/approval-message';
import { TIMEOUT_ACTOR, approvalsNeeded, recordTimeout } from '../src/domain/case/decision-rules';
import { formatDuration } from '../src/domain/playbook/duration';
import type { ApprovalSpec } from '../src/domain/playbook/playbook';
import { tellChannel } from './approval-messages';
import { type CaseContext, publish } from './case-context';
import { commentBestEffort, notifyChannel, notifyEscalation } from './case-operations';

/** Only a timer shows up with a summary in the Web UI's event list; an open-ended gate re-arms it. */
const OPEN_ENDED_WAIT_MS = 10 * 365 * 24 * 3_600_000;

/** Waits until `done()` or the timeout; continues the case as new meanwhile when its history is long. */
export type CaseWait = (done: () => boolean, timeoutMs: number, summary: string) => Promise<boolean>;

export async function runGate(ctx: CaseContext, pending: PendingApproval, wait: CaseWait, background: (work: Promise<void>) => void): Promise<void> {
  // The step the gate was opened for: a playbook may name one status in several steps, each with its own gate.
  const spec = (pending.stepIndex !== undefined ? ctx.input.playbook.steps[pending.stepIndex]?.approval : undefined) ?? gateFor(ctx.input.playbook, pending.target).approval!;
  // The escalation round's own channels hear about it too (its event, reminders and timeout).
  const channels = (): Set<string> => new Set([...(spec.notify ?? []), ...(pending.escalated ? (spec.escalation?.notify ?? []) : [])]);
  // Cases since `slack-messages` keep the messages channels post and edit them on every later event.
  const messages = ctx.slackMessages === true;
  const tell = (event: ApprovalMessageEvent, outcome?: string, ended?: MessageOutcome): void => {
    for (const channel of channels()) {
      const noticeEvent: ApprovalNoticeEvent = event === 'approval-counted' || event === 'approval-decided' || event === 'approval-withdrawn' ? 'approval-opened' : event;
      if (messages) tellChannel(ctx, pending, channel, event, notice(ctx, pending, noticeEvent, outcome), background, ended);
      else background(notifyChannel(ctx, { channel, notice: notice(ctx, pending, noticeEvent, outcome) }));
    }
  };
  if (!pending.announced) {
    pending.announced = true;
    tell('approval-opened');
  }
  // A gate withdrawn because SIR changed outside phasegate (case/sir-drift.ts) is no longer the case's gate.
  const open = (): boolean => ctx.state.pendingApproval === pending;
  // A counted approval wakes the gate only where a message shows the quorum (or may, once posted).
  let counted = pending.approvedBy?.length ?? 0;
  const newlyCounted = (): boolean => messages && (pending.approvedBy?.length ?? 0) !== counted && mayHoldMessage(ctx, pending);
  while (!pending.decidedBy && open()) {
    const who = describeApprovers(pending.approvers);
    const needed = approvalsNeeded(pending);
    const quorum = (pending.minApprovers ?? 1) > 1 ? ` (${needed} more of ${pending.minApprovers} distinct approvers)` : '';
    publish(
      ctx,
      `Waiting for approval #${pending.approvalId} by ${who}${quorum} to move case ${ctx.state.caseId} to "${pending.target}"` +
        (pending.deadline ? `; deadline ${pending.deadline}${pending.escalated ? ' (escalated)' : ''}.` : ' (no deadline).'),
    );
    const deadline = pending.deadline ? Date.parse(pending.deadline) : undefined;
    const reminder = pending.nextReminderAt ? Date.parse(pending.nextReminderAt) : undefined;
    const wake = Math.min(deadline ?? Infinity, reminder ?? Infinity);
    const timeout = Number.isFinite(wake) ? Math.max(wake - Date.now(), 1) : OPEN_ENDED_WAIT_MS;
    const summary = `Waiting for approval #${pending.approvalId} by ${who}${pending.deadline ? '' : ' (no deadline)'}`;
    if (await wait(() => pending.decidedBy !== undefined || !open() || newlyCounted(), timeout, summary)) {
      if (pending.decidedBy !== undefined || !open()) break;
      counted = pending.approvedBy?.length ?? 0;
      tell('approval-counted');
      continue;
    }

    if (!open()) break;
    const now = Date.now();
    if (reminder !== undefined && now >= reminder) {
      pending.nextReminderAt = new Date(now + spec.remindEveryMs!).toISOString();
      tell('approval-reminder');
    }
    if (deadline !== undefined && now >= deadline) {
      if (!pending.escalated && spec.onTimeout === 'escalate' && spec.escalation) escalate(ctx, pending, spec, deadline, background, tell);
      else {
        const action = pending.escalated ? spec.escalation!.onTimeout : spec.onTimeout === 'escalate' ? 'reject' : spec.onTimeout;
        recordTimeout(ctx.state, action, new Date(now).toISOString(), { timeoutDecides: ctx.state.decisionOutcomes === true });
        tell('approval-timed-out', action, messages ? endedBy(ctx, pending) : undefined);
      }
    }
  }
  if (messages) tellEnd(ctx, pending, open(), tell);
  if (pending.decidedBy) recordDecisionLatency(ctx, pending);
}

/** The gate's last word on its messages: who decided what and when, or why it was withdrawn (a timeout said so itself). */
function tellEnd(ctx: CaseContext, pending: PendingApproval, open: boolean, tell: (event: ApprovalMessageEvent, outcome?: string, ended?: MessageOutcome) => void): void {
  const ended = endedBy(ctx, pending);
  if (!ended) return;
  if (!open && ended.decision === 'withdrawn') tell('approval-withdrawn', undefined, ended);
  else if (open && pending.decidedBy && !ended.by.includes(TIMEOUT_ACTOR)) tell('approval-decided', undefined, ended);
}

function endedBy(ctx: CaseContext, pending: PendingApproval): MessageOutcome | undefined {
  const outcome = ctx.state.approvalOutcomes?.find((o) => o.approvalId === pending.approvalId);
  return outcome && { decision: outcome.decision, by: [...outcome.by], at: outcome.at, ...(outcome.reason && { reason: outcome.reason }) };
}

/** A channel may hold a message of this gate: one is kept, or a first delivery that may bring one is under way. */
function mayHoldMessage(ctx: CaseContext, pending: PendingApproval): boolean {
  if ((pending.messages?.length ?? 0) > 0) return true;
  return ctx.messageChains !== undefined && ctx.messageChains.size > 0;
}

function escalate(
  ctx: CaseContext,
  pending: PendingApproval,
  spec: ApprovalSpec,
  firstDeadline: number,
  background: (work: Promise<void>) => void,
  tell: (event: ApprovalNoticeEvent) => void,
): void {
  const escalation = spec.escalation!;
  pending.escalated = true;
  pending.approvers = [...escalation.approvers];
  // The escalation round starts at the first deadline, not when this task ran.
  pending.deadline = escalation.timeoutMs !== undefined ? new Date(firstDeadline + escalation.timeoutMs).toISOString() : undefined;
  const body =
    `phasegate: approval #${pending.approvalId} to move to "${pending.target}" got no decision from ` +
    `${describeApprovers(spec.approvers)} within ${formatDuration(spec.timeoutMs!)}; escalated to ${describeApprovers(escalation.approvers)}.`;
  background(commentBestEffort(ctx, `approval-${pending.approvalId}-escalated`, body, `CreateCaseComment: escalated to ${describeApprovers(escalation.approvers)}`));
  // Only cases started before playbooks lost the URL form carry one; the worker refuses to send there
  // (notifyEscalation), and the call stays so that their histories replay.
  if (escalation.notifyUrl) {
    const { state } = ctx;
    background(
      notifyEscalation(
        escalation.notifyUrl,
        { event: 'approval-escalated', caseId: state.caseId, workflowId: state.workflowId, target: pending.target, approvers: escalation.approvers, approvalId: pending.approvalId },
        `Notify escalation to ${describeApprovers(escalation.approvers)}`,
      ),
    );
  }
  tell('approval-escalated');
}

function notice(ctx: CaseContext, pending: PendingApproval, event: ApprovalNoticeEvent, outcome?: string): ApprovalNotice {
  const { state, input } = ctx;
  return {
    event,
    caseId: state.caseId!,
    workflowId: workflowInfo().workflowId,
    approvalId: pending.approvalId,
    playbook: input.playbook.name,
    ...(input.newCase?.title !== undefined && { title: input.newCase.title }),
    ...(input.severity !== undefined && { severity: input.severity }),
    from: state.status ?? 'Submitted',
    target: pending.target,
    approvers: [...pending.approvers],
    approvalsNeeded: approvalsNeeded(pending),
    ...(pending.deadline && { deadline: pending.deadline }),
    ...(outcome && { outcome }),
    at: new Date().toISOString(),
  };
}

/** Time from the approval request to its decision, for the people who tune timeouts and rosters. */
function recordDecisionLatency(ctx: CaseContext, pending: PendingApproval): void {
  metricMeter
    .createHistogram('phasegate_decision_latency', 'int', 'ms', 'Time from an approval request to its decision')
    .record(Date.now() - Date.parse(pending.requestedAt), {
      playbook: ctx.input.playbook.name,
      decision: pending.decidedBy!.decision,
      decided_by: pending.decidedBy!.by.includes('phasegate-timeout') ? 'timeout' : 'human',
      escalated: pending.escalated,
    });
}
