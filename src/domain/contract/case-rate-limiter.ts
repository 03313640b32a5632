/**
 * `maxNewCasesPerHour` (issue 13): one limiter workflow per playbook and hour holds the case workflow
 * ids that may open in that hour. The API servers and SQS intakes all ask it with an update, so the
 * count is exact across processes: Temporal runs one update at a time on one workflow.
 *
 * Only a granted new slot is written to its history. A case id already granted, and a request past the
 * limit, are answered by the update's validator, whose refusals leave no history: a storm of 10,000
 * alerts costs the limiter at most `limit` accepted updates.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { HOUR_MS } from '../alert/group';

export const CASE_RATE_LIMITER_TYPE = 'caseRateLimiter';

export interface CaseRateLimiterInput {
  playbook: string;
  /** Hour number (epoch ms / 1h) the limiter counts. */
  hour: number;
}

export interface ReserveCaseRequest {
  caseWorkflowId: string;
  /** The playbook's limit as the asking process has it (the latest file wins). */
  limit: number;
}

export interface ReserveCaseAnswer {
  granted: true;
  /** Slots used in the hour, this one included. */
  used: number;
}

export interface CaseRateLimiterState {
  playbook: string;
  hour: number;
  granted: string[];
}

/** Validator refusals (ApplicationFailure types) the caller reads as answers. */
export const RESERVE_REFUSALS = { alreadyGranted: 'CaseAlreadyGranted', limitReached: 'CaseRateLimitReached' } as const;

export const reserveCaseUpdate = defineUpdate<ReserveCaseAnswer, [ReserveCaseRequest]>('reserveCase');
export const limiterStateQuery = defineQuery<CaseRateLimiterState>('limiterState');

export function caseRateLimiterId(playbook: string, hour: number): string {
  return `limiter-${playbook}-${hour}`;
}

/**
 * The limiter ends an hour after its hour ends: late askers of that hour still find it, and no
 * process asks about an hour long past (they ask by the time they receive an alert).
 */
export function limiterEndsAt(hour: number): number {
  return (hour + 2) * HOUR_MS;
}
