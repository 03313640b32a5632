/**
 * A gate's message in a chat channel that phasegate can edit (a `slack-app` channel: a Slack app's
 * bot posts it with Approve / Reject buttons). The message's id is kept on the pending approval, so
 * every later event of the gate (a counted approval, a reminder, the escalation, the decision, the
 * timeout, a withdrawal) edits that one message instead of posting another, and the message always
 * tells where the gate stands. Pure types: the workflow builds them, the notify activities render them.
 */
import type { ApprovalNotice, ApprovalNoticeEvent } from './approval-notice';
import type { DecisionKind, DecisionRecord } from './decision';

/** Where a posted message lives: the channel of the channels file, and Slack's own ids. */
export interface ChannelMessage {
  /** The channel's name in the channels file. */
  channel: string;
  /** Slack's conversation id the message was posted in (C…). */
  slackChannel: string;
  /** Slack's message timestamp, its id within the conversation. */
  ts: string;
}

/**
 * What happened to the gate. The notice events (opened, reminder, escalated, timed out) go to every
 * channel; the others only edit a message a channel already holds.
 */
export type ApprovalMessageEvent = ApprovalNoticeEvent | 'approval-counted' | 'approval-decided' | 'approval-withdrawn';

/** One person's decision as the message shows it. */
export interface MessageDecision {
  decision: DecisionKind;
  by: string;
  at: string;
  via: DecisionRecord['via'];
  comment?: string;
}

/** How the gate ended, once it has. */
export interface MessageOutcome {
  decision: DecisionKind | 'withdrawn';
  by: string[];
  at: string;
  reason?: string;
}

/** The input of the `updateChannelMessage` activity: the message to edit and the gate as it stands. */
export interface ChannelMessageUpdate {
  channel: string;
  message: Omit<ChannelMessage, 'channel'>;
  event: ApprovalMessageEvent;
  notice: ApprovalNotice;
  /** Every decision on this approval so far, in order. */
  decisions: MessageDecision[];
  /** Distinct approvals the gate needs in all. */
  minApprovers: number;
  outcome?: MessageOutcome;
}

/** What notifyChannel answers: the HTTP status, and for a posted message where it lives. */
export interface ChannelDeliveryResult {
  channel: string;
  status: number;
  message?: Omit<ChannelMessage, 'channel'>;
}

const COMMENT_SHOWN = 500;

/** The decisions on one approval, as a message shows them (comments cut to a chat-sized length). */
export function messageDecisions(decisions: readonly DecisionRecord[], approvalId: number): MessageDecision[] {
  return decisions
    .filter((d) => d.approvalId === approvalId)
    .map((d) => ({
      decision: d.decision,
      by: d.by,
      at: d.at,
      via: d.via,
      ...(d.comment !== undefined && { comment: d.comment.length > COMMENT_SHOWN ? `${d.comment.slice(0, COMMENT_SHOWN - 1)}…` : d.comment }),
    }));
}
