/**
 * A gate's messages (cases since the `slack-messages` patch). The workflow names channels, not their
 * kinds: a channel's answer to the gate's first notice says whether it posted a message phasegate can
 * edit (a `slack-app` channel answers with the message's `ts`). That message is kept on the pending
 * approval, and every later event of the gate edits it, so it shows the quorum so far, the reminder,
 * the escalation, and finally who decided what and when (or the timeout, or the withdrawal).
 *
 * Deliveries to a channel that holds a message, or whose first delivery may still bring one, run one
 * after the other, so an older edit never lands after a newer one; a channel that answered without a
 * message (a webhook, an incoming webhook) is told as before, each notice on its own. Each link of a
 * chain issues its command when a queued activity completes, which a replay sees at the same point
 * of the history as the live run did (unlike a local activity's result).
 */
import { type ApprovalMessageEvent, type ChannelMessage, messageDecisions, type MessageOutcome } from '../src/domain/case/approval-message';
import type { ApprovalNotice } from '../src/domain/case/approval-notice';
import type { PendingApproval } from '../src/domain/case/state';
import type { CaseContext } from './case-context';
import { deliverToChannel, notifyChannel, updateChannelMessage } from './case-operations';

const EDIT_ONLY: ReadonlySet<ApprovalMessageEvent> = new Set(['approval-counted', 'approval-decided', 'approval-withdrawn']);

export function isEditOnly(event: ApprovalMessageEvent): boolean {
  return EDIT_ONLY.has(event);
}

/**
 * Tells one channel about an event of the gate: edits the message it holds, or delivers the notice
 * (which posts the message, for a channel that keeps one). The notice and the decisions are taken
 * now, so each edit shows the gate as it stood at its event.
 */
export function tellChannel(
  ctx: CaseContext,
  pending: PendingApproval,
  channel: string,
  event: ApprovalMessageEvent,
  notice: ApprovalNotice,
  background: (work: Promise<void>) => void,
  outcome?: MessageOutcome,
): void {
  const chains = ctx.messageChains!;
  const told = ctx.toldChannels!;
  const key = `${pending.approvalId}/${channel}`;
  const held = (): ChannelMessage | undefined => pending.messages?.find((m) => m.channel === channel);
  const chain = chains.get(channel);
  if (!chain && !held()) {
    if (isEditOnly(event)) return;
    if (told.has(key)) {
      // This channel answered the gate without a message: it is told as before.
      background(notifyChannel(ctx, { channel, notice }));
      return;
    }
  }
  told.add(key);
  const decisions = messageDecisions(ctx.state.decisions, pending.approvalId);
  const link = (chain ?? Promise.resolve()).then(async () => {
    const message = held();
    if (message) {
      await updateChannelMessage(ctx, {
        channel,
        message: { slackChannel: message.slackChannel, ts: message.ts },
        event,
        notice,
        decisions,
        minApprovers: pending.minApprovers ?? 1,
        ...(outcome && { outcome }),
      });
      return;
    }
    if (isEditOnly(event)) return;
    const result = await deliverToChannel(ctx, { channel, notice });
    if (result?.message) pending.messages = [...(pending.messages ?? []), { channel, ...result.message }];
  });
  const tracked: Promise<void> = link.finally(() => {
    // A channel that holds no message once its deliveries are done leaves the chains: later notices go out as before.
    if (chains.get(channel) === tracked && !held()) chains.delete(channel);
  });
  chains.set(channel, tracked);
  background(tracked);
}
