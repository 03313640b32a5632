/**
 * The shape notifyChannel accepts (ChannelDelivery, src/domain/case/approval-notice.ts), checked at the
 * activity's door: a malformed notice would fail the same way on every retry, so it is refused once
 * with a message that says which field is wrong. Unknown notice fields are kept, so a newer workflow
 * can add to the notice and webhook receivers see it.
 */
import { z } from 'zod';
import type { ApprovalNoticeEvent, ChannelDelivery } from '../domain/case/approval-notice';
import { ALL_CASE_STATUSES } from '../domain/case/status';
import { formatPath } from '../domain/playbook/location';

const EVENTS: Record<ApprovalNoticeEvent, true> = {
  'approval-opened': true,
  'approval-reminder': true,
  'approval-escalated': true,
  'approval-timed-out': true,
};

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO-8601 time');
const status = z.enum(ALL_CASE_STATUSES as [string, ...string[]]);

const notice = z.looseObject({
  event: z.enum(Object.keys(EVENTS) as [ApprovalNoticeEvent, ...ApprovalNoticeEvent[]]),
  caseId: z.string().min(1),
  workflowId: z.string().min(1),
  approvalId: z.number().int(),
  playbook: z.string().min(1),
  title: z.string().optional(),
  severity: z.number().optional(),
  from: status,
  target: status,
  approvers: z.array(z.string()),
  approvalsNeeded: z.number().int().min(0),
  deadline: isoTime.optional(),
  outcome: z.string().optional(),
  at: isoTime,
});

const channelDelivery = z.strictObject({ channel: z.string().min(1), notice });

/** The delivery, or every problem with it on one line. */
export function checkChannelDelivery(value: unknown): { delivery: ChannelDelivery } | { problem: string } {
  const parsed = channelDelivery.safeParse(value);
  if (parsed.success) return { delivery: value as ChannelDelivery };
  const problems = parsed.error.issues.map((issue) => {
    const path = formatPath(issue.path.filter((p): p is string | number => typeof p !== 'symbol'));
    return `${path || '(input)'}: ${issue.message}`;
  });
  return { problem: problems.join('; ') };
}
