/**
 * An approval notice as a Slack incoming-webhook message: Block Kit blocks for people, and `text`
 * for notifications, screen readers and clients that do not render blocks. The case title comes from
 * alert fields, so everything from a notice is escaped: an alert must not be able to write
 * `<!channel>` into an IR channel.
 */
import type { ApprovalNotice } from '../domain/case/approval-notice';

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export type SlackText = { type: 'mrkdwn'; text: string } | { type: 'plain_text'; text: string; emoji?: boolean };

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

// Block Kit limits: header text 150, section text 3000, a section field 2000 characters.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;
const TITLE_MAX = 300;

const HEADLINE: Record<ApprovalNotice['event'], string> = {
  'approval-opened': 'Approval needed',
  'approval-reminder': 'Reminder: approval still needed',
  'approval-escalated': 'Escalated: approval needed',
  'approval-timed-out': 'Approval timed out',
};

const OUTCOME: Record<string, string> = { approve: 'approved by the timeout', reject: 'rejected by the timeout', escalate: 'escalated' };

export function slackMessage(notice: ApprovalNotice): SlackMessage {
  const headline = `${HEADLINE[notice.event]} on case ${notice.caseId}`;
  const decidable = notice.event !== 'approval-timed-out' || notice.outcome === 'escalate';
  const fields: SlackText[] = [
    field('Case', `${escape(notice.caseId)}${notice.severity !== undefined ? ` · severity ${notice.severity}` : ''}`),
    field('Move', `${escape(notice.from)} → ${escape(notice.target)}`),
    field('Approvers', escape(notice.approvers.join(', '))),
    field('Approvals still needed', String(notice.approvalsNeeded)),
  ];
  if (notice.deadline !== undefined) fields.push(field('Deadline', slackDate(notice.deadline)));
  if (notice.outcome !== undefined) fields.push(field('Outcome', escape(OUTCOME[notice.outcome] ?? notice.outcome)));

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(headline, HEADER_MAX), emoji: false } },
    { type: 'section', text: mrkdwn(`*${escape(cut(notice.title ?? `Case ${notice.caseId}`, TITLE_MAX))}*`, SECTION_MAX), fields },
  ];
  if (decidable) blocks.push({ type: 'section', text: mrkdwn(howToDecide(notice), SECTION_MAX) });
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        `phasegate · playbook ${escape(notice.playbook)} · approval #${notice.approvalId} · ${notice.event} ${slackDate(notice.at)} · workflow ${escape(notice.workflowId)}`,
        FIELD_MAX,
      ),
    ],
  });
  return { text: fallbackText(notice, headline, decidable), blocks };
}

function howToDecide(notice: ApprovalNotice): string {
  const body = JSON.stringify({ approvalId: notice.approvalId, decision: 'approve' });
  return [
    '*How to decide*',
    `\`phasegate approve ${notice.caseId} --approval ${notice.approvalId}\` (or \`phasegate reject …\`)`,
    `\`POST /v1/cases/${notice.caseId}/decisions ${escape(body)}\` (or \`"decision": "reject"\`)`,
  ].join('\n');
}

function fallbackText(notice: ApprovalNotice, headline: string, decidable: boolean): string {
  const parts = [
    `${headline}${notice.title !== undefined ? ` (${cut(notice.title, TITLE_MAX)})` : ''}: ${notice.from} → ${notice.target}.`,
    `Approvers: ${notice.approvers.join(', ')}; ${notice.approvalsNeeded} approval${notice.approvalsNeeded === 1 ? '' : 's'} still needed.`,
  ];
  if (notice.deadline !== undefined) parts.push(`Deadline ${notice.deadline}.`);
  if (notice.outcome !== undefined) parts.push(`Outcome: ${OUTCOME[notice.outcome] ?? notice.outcome}.`);
  if (decidable) parts.push(`Decide: phasegate approve ${notice.caseId} --approval ${notice.approvalId}`);
  return escape(cut(parts.join(' '), SECTION_MAX));
}

function field(label: string, value: string): SlackText {
  return mrkdwn(`*${label}*\n${value}`, FIELD_MAX);
}

function mrkdwn(text: string, max: number): SlackText {
  return { type: 'mrkdwn', text: cut(text, max) };
}

/** Shown in each reader's own time zone; the ISO text is the fallback for clients that cannot. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escape(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escape(iso)}>`;
}

/** The three characters Slack's mrkdwn gives meaning to, as Slack documents escaping them. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
