/**
 * An approval notice as a signed JSON webhook: the body is `{event, ...notice}` and it carries
 * `X-Phasegate-Signature` made exactly as our own inbound webhook checks it (webhook-signature.ts), so
 * a receiver can verify it with the same few lines (or with phasegate's own verifier) and refuse a
 * replay older than five minutes.
 */
import { createHash } from 'node:crypto';
import type { ApprovalNotice } from '../domain/case/approval-notice';
import { SIGNATURE_HEADER, signWebhook } from '../server/webhook-signature';

/** Names this notice across retries: the signature changes per attempt, this header does not. */
export const DELIVERY_ID_HEADER = 'x-phasegate-delivery';
export const EVENT_HEADER = 'x-phasegate-event';

export function webhookMessage(notice: ApprovalNotice, signingSecret: string, nowSeconds?: number): { body: string; headers: Record<string, string> } {
  // `event` first, so a receiver that logs bodies can see what it got at a glance.
  const { event, ...rest } = notice;
  const body = JSON.stringify({ event, ...rest });
  return {
    body,
    headers: {
      [SIGNATURE_HEADER]: signWebhook(signingSecret, body, nowSeconds),
      [EVENT_HEADER]: notice.event,
      [DELIVERY_ID_HEADER]: deliveryId(notice),
    },
  };
}

/** The same workflow, approval, event and event time is the same notice, whichever attempt sends it. */
export function deliveryId(notice: ApprovalNotice): string {
  return createHash('sha256').update(JSON.stringify([notice.workflowId, notice.approvalId, notice.event, notice.at])).digest('hex').slice(0, 32);
}
