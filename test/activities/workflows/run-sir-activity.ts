/**
 * Test-only workflow: runs one SIR activity with the production retry policy (workflows/
 * sir-activity-options.ts), so a test sees exactly which failures Temporal retries and how often.
 * Two changes keep a test short and bounded: a 200 ms first backoff and at most 6 attempts.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SirActivities } from '../../../activities';
import { SIR_ACTIVITY_OPTIONS } from '../../../workflows/sir-activity-options';

export type SirActivityName = keyof SirActivities;

export const TEST_MAX_ATTEMPTS = 6;

const activities = proxyActivities<SirActivities>({
  ...SIR_ACTIVITY_OPTIONS,
  retry: { ...SIR_ACTIVITY_OPTIONS.retry, initialInterval: '200 ms', maximumAttempts: TEST_MAX_ATTEMPTS },
});

export async function runSirActivity(name: SirActivityName, args: unknown[]): Promise<unknown> {
  const activity = activities[name] as (...a: unknown[]) => Promise<unknown>;
  return activity(...args);
}
