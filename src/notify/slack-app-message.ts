/**
 * A gate's message in a `slack-app` channel, as Block Kit: the facts of the incoming-webhook message
 * (slack-message.ts) plus Approve / Reject / Reject-with-reason buttons while the gate is open, and,
 * as the gate moves on, the decisions so far (the quorum count), then who decided what and when (or
 * the timeout, or the withdrawal) in place of the buttons. Everything from a notice is escaped: an
 * alert must not be able to write `<!channel>` into an IR channel.
 */
import type { KnownBlock, MrkdwnElement } from '@slack/types';
import type { ApprovalMessageEvent, ChannelMessageUpdate, MessageDecision, MessageOutcome } from '../domain/case/approval-message';
import type { ApprovalNotice } from '../domain/case/approval-notice';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REJECT_WITH_REASON, DECIDE_BLOCK_ID, gateValue } from './slack-app-actions';
import { escape } from './slack-message';

export interface SlackAppMessage {
  text: string;
  blocks: KnownBlock[];
}

/** The gate as the message shows it: a new notice has no decisions yet. */
export interface GateView {
  event: ApprovalMessageEvent;
  notice: ApprovalNotice;
  decisions: MessageDecision[];
  /** Distinct approvals the gate needs in all; a first post knows only how many are still needed. */
  minApprovers?: number;
  outcome?: MessageOutcome;
}

const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const TITLE_MAX = 300;

export function gateViewOf(notice: ApprovalNotice): GateView {
  return { event: notice.event, notice, decisions: [] };
}

export function gateViewOfUpdate(update: ChannelMessageUpdate): GateView {
  return { event: update.event, notice: update.notice, decisions: update.decisions, minApprovers: update.minApprovers, ...(update.outcome && { outcome: update.outcome }) };
}

export function slackAppMessage(view: GateView): SlackAppMessage {
  const { notice } = view;
  const open = isOpen(view);
  const headline = headlineOf(view);
  const approvals = view.decisions.filter((d) => d.decision === 'approve' && d.via !== 'timeout');
  const fields: MrkdwnElement[] = [
    field('Case', `${escape(notice.caseId)}${notice.severity !== undefined ? ` · severity ${notice.severity}` : ''}`),
    field('Move', `${escape(notice.from)} → ${escape(notice.target)}`),
    field('Approvers', escape(notice.approvers.join(', '))),
    view.minApprovers === undefined
      ? field('Approvals still needed', String(notice.approvalsNeeded))
      : field('Approvals', `${approvals.length} of ${view.minApprovers}${approvals.length > 0 ? `: ${escape(approvals.map((d) => d.by).join(', '))}` : ''}`),
  ];
  if (notice.deadline !== undefined && open) fields.push(field('Deadline', slackDate(notice.deadline)));

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(headline, HEADER_MAX), emoji: false } },
    { type: 'section', text: mrkdwn(`*${escape(cut(notice.title ?? `Case ${notice.caseId}`, TITLE_MAX))}*`, SECTION_MAX), fields },
  ];
  if (view.decisions.length > 0) blocks.push({ type: 'section', text: mrkdwn(view.decisions.map(decisionLine).join('\n'), SECTION_MAX) });
  if (view.outcome) blocks.push({ type: 'section', text: mrkdwn(outcomeLine(view.outcome, notice), SECTION_MAX) });
  if (open) {
    const value = gateValue({ workflowId: notice.workflowId, approvalId: notice.approvalId });
    blocks.push({
      type: 'actions',
      block_id: DECIDE_BLOCK_ID,
      elements: [
        { type: 'button', action_id: ACTION_APPROVE, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
        { type: 'button', action_id: ACTION_REJECT, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value },
        { type: 'button', action_id: ACTION_REJECT_WITH_REASON, text: { type: 'plain_text', text: 'Reject with reason…' }, value },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `phasegate · playbook ${escape(notice.playbook)} · approval #${notice.approvalId} · ${view.event} ${slackDate(notice.at)} · workflow ${escape(notice.workflowId)}`,
        FIELD_MAX,
      ),
    ],
  });
  return { text: escape(cut(fallbackText(view, headline, approvals.length), SECTION_MAX)), blocks };
}

/** A short reply in the message's thread, so a reminder notifies people (an edit alone does not). */
export function reminderReply(notice: ApprovalNotice): string {
  return escape(`Reminder: approval #${notice.approvalId} to move case ${notice.caseId} to "${notice.target}" still needs ${notice.approvalsNeeded} approval${notice.approvalsNeeded === 1 ? '' : 's'} from ${notice.approvers.join(', ')}.`);
}

function isOpen(view: GateView): boolean {
  if (view.outcome) return false;
  return view.event !== 'approval-decided' && view.event !== 'approval-withdrawn' && view.event !== 'approval-timed-out';
}

function headlineOf(view: GateView): string {
  const { notice } = view;
  const on = `on case ${notice.caseId}`;
  if (view.outcome) {
    switch (view.outcome.decision) {
      case 'approve':
        return `Approved: case ${notice.caseId} moves to ${notice.target}`;
      case 'reject':
        return `Rejected: case ${notice.caseId} does not move to ${notice.target}`;
      case 'withdrawn':
        return `Approval withdrawn ${on}`;
    }
  }
  switch (view.event) {
    case 'approval-reminder':
      return `Reminder: approval still needed ${on}`;
    case 'approval-escalated':
      return `Escalated: approval needed ${on}`;
    case 'approval-timed-out':
      return `Approval timed out ${on}`;
    default:
      return `Approval needed ${on}`;
  }
}

function decisionLine(decision: MessageDecision): string {
  const verb = decision.decision === 'approve' ? ':white_check_mark: Approved' : ':x: Rejected';
  const who = decision.via === 'timeout' ? 'by the timeout' : `by *${escape(decision.by)}*`;
  const comment = decision.comment ? `: ${escape(decision.comment)}` : '';
  return `${verb} ${who} ${slackDate(decision.at)}${comment}`;
}

function outcomeLine(outcome: MessageOutcome, notice: ApprovalNotice): string {
  const when = slackDate(outcome.at);
  const byTimeout = outcome.by.includes('phasegate-timeout');
  switch (outcome.decision) {
    case 'approve':
      return `*Decided ${when}:* approved ${byTimeout ? 'on timeout, as the playbook says' : `by ${escape(outcome.by.join(', '))}`}; phasegate moves the case to "${escape(notice.target)}". Nothing more to decide here.`;
    case 'reject':
      return `*Decided ${when}:* rejected ${byTimeout ? 'on timeout, as the playbook says' : `by ${escape(outcome.by.join(', '))}`}; the case stays "${escape(notice.from)}". Nothing more to decide here.`;
    case 'withdrawn':
      return `*Withdrawn ${when}:* ${escape(outcome.reason ?? 'the case changed outside phasegate')}. Nothing to decide here.`;
  }
}

function fallbackText(view: GateView, headline: string, approved: number): string {
  const { notice } = view;
  const parts = [`${headline}${notice.title !== undefined ? ` (${cut(notice.title, TITLE_MAX)})` : ''}: ${notice.from} → ${notice.target}.`];
  if (view.outcome) parts.push(`${view.outcome.decision === 'withdrawn' ? 'Withdrawn' : 'Decided'} at ${view.outcome.at}${view.outcome.by.length > 0 && view.outcome.decision !== 'withdrawn' ? ` by ${view.outcome.by.join(', ')}` : ''}.`);
  else if (view.minApprovers === undefined) parts.push(`Approvers: ${notice.approvers.join(', ')}; ${notice.approvalsNeeded} approval${notice.approvalsNeeded === 1 ? '' : 's'} still needed.`);
  else parts.push(`Approvers: ${notice.approvers.join(', ')}; ${approved} of ${view.minApprovers} approvals.`);
  return parts.join(' ');
}

function field(label: string, value: string): MrkdwnElement {
  return mrkdwn(`*${label}*\n${value}`, FIELD_MAX);
}

function mrkdwn(text: string, max: number): MrkdwnElement {
  return { type: 'mrkdwn', text: cut(text, max) };
}

/** Shown in each reader's own time zone; the ISO text is the fallback for clients that cannot. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escape(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escape(iso)}>`;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
