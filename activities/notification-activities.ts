/**
 * The optional escalation hook of a playbook: a JSON POST to a URL the security team controls
 * (a chat webhook, a paging bridge). Only ids, statuses and approver names are sent.
 */
import { ApplicationFailure } from '@temporalio/common';

export interface EscalationNotice {
  url: string;
  payload: Record<string, unknown>;
}

export function createNotificationActivities() {
  return {
    notifyEscalation: async (notice: EscalationNotice): Promise<void> => {
      const response = await fetch(notice.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'phasegate' },
        body: JSON.stringify(notice.payload),
        signal: AbortSignal.timeout(8_000),
      });
      if (!response.ok) {
        throw ApplicationFailure.create({
          type: 'NotificationFailed',
          message: `escalation hook answered HTTP ${response.status}`,
          nonRetryable: response.status >= 400 && response.status < 500 && response.status !== 429,
        });
      }
    },
  };
}
