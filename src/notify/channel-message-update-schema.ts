/**
 * The shape updateChannelMessage accepts (ChannelMessageUpdate, src/domain/case/approval-message.ts),
 * checked at the activity's door like a delivery (channel-delivery-schema.ts): a malformed update
 * would fail the same way on every retry, so it is refused once, saying which field is wrong.
 */
import { z } from 'zod';
import type { ApprovalMessageEvent, ChannelMessageUpdate } from '../domain/case/approval-message';
import { formatPath } from '../domain/playbook/location';
import { checkChannelDelivery } from './channel-delivery-schema';

const EVENTS: Record<ApprovalMessageEvent, true> = {
  'approval-opened': true,
  'approval-reminder': true,
  'approval-escalated': true,
  'approval-timed-out': true,
  'approval-counted': true,
  'approval-decided': true,
  'approval-withdrawn': true,
};

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 time');
const kind = z.enum(['approve', 'reject']);

const update = z.looseObject({
  channel: z.string().min(1),
  message: z.strictObject({ slackChannel: z.string().min(1).max(64), ts: z.string().regex(/^\d{1,12}\.\d{1,9}$/, 'must be a Slack message ts') }),
  event: z.enum(Object.keys(EVENTS) as [ApprovalMessageEvent, ...ApprovalMessageEvent[]]),
  notice: z.unknown(),
  decisions: z.array(z.looseObject({ decision: kind, by: z.string(), at: isoTime, via: z.string(), comment: z.string().optional() })),
  minApprovers: z.number().int().min(1),
  outcome: z.looseObject({ decision: z.enum(['approve', 'reject', 'withdrawn']), by: z.array(z.string()), at: isoTime, reason: z.string().optional() }).optional(),
});

/** The update, or every problem with it on one line. */
export function checkChannelMessageUpdate(value: unknown): { update: ChannelMessageUpdate } | { problem: string } {
  const parsed = update.safeParse(value);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${formatPath(issue.path.filter((p): p is string | number => typeof p !== 'symbol')) || '(input)'}: ${issue.message}`);
  const notice = checkChannelDelivery({ channel: (value as { channel?: unknown })?.channel, notice: (value as { notice?: unknown })?.notice });
  if ('problem' in notice) problems.push(notice.problem);
  return problems.length === 0 ? { update: value as ChannelMessageUpdate } : { problem: problems.join('; ') };
}
