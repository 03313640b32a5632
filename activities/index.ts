import type { SirClient } from '../src/sir';
import { type IdentityOptions, createIdentityActivities } from './identity-activities';
import { createNotificationActivities, type NotificationActivityOptions } from './notification-activities';
import { createSirActivities } from './sir-activities';

export interface ActivityOptions {
  /** SIR calls are rate-limited across the task queue, so none may run as a local activity. */
  sirGlobalRateLimit?: boolean;
  /** How the worker proves who decided. */
  identity?: IdentityOptions;
  /** The worker's notification channels, when it has a channels file. */
  notifications?: NotificationActivityOptions;
}

/** Every activity a phasegate worker registers, built around one SIR client per process. */
export function createActivities(sir: SirClient, options: ActivityOptions = {}) {
  return { ...createSirActivities(sir, { globalRateLimit: options.sirGlobalRateLimit }), ...createNotificationActivities(options.notifications ?? {}), ...createIdentityActivities(options.identity ?? {}) };
}

export type PhasegateActivities = ReturnType<typeof createActivities>;

export { createSirActivities } from './sir-activities';
export type {
  AddCaseCommentRequest,
  CaseSnapshot,
  CreateCaseRequest,
  MoveCaseRequest,
  MoveCaseResult,
  SirActivities,
  UpdateCaseStatusRequest,
  UpdateCaseStatusResult,
} from './sir-activities';
export { createNotificationActivities } from './notification-activities';
export type { RetryMark } from './sir-call-metrics';
export type { EscalationNotice, NotificationActivityOptions } from './notification-activities';
export type { IdentityOptions, ProveActorRequest } from './identity-activities';
