import type { SirClient } from '../src/sir';
import { type IdentityOptions, createIdentityActivities } from './identity-activities';
import { createNotificationActivities, type NotificationActivityOptions } from './notification-activities';
import { createSirActivities } from './sir-activities';
import { createStartActivities } from './start-activities';
import type { PlaybookCatalog } from '../src/domain/playbook/catalog';

export interface ActivityOptions {
  /** SIR calls are rate-limited across the task queue, so none may run as a local activity. */
  sirGlobalRateLimit?: boolean;
  /** How the worker proves who decided. */
  identity?: IdentityOptions;
  /** The worker's notification channels, when it has a channels file. */
  notifications?: NotificationActivityOptions;
  /** The worker's own playbooks: a case starts only with one of them (verifyStart). */
  playbooks?: PlaybookCatalog;
}

/** Every activity a phasegate worker registers, built around one SIR client per process. */
export function createActivities(sir: SirClient, options: ActivityOptions = {}) {
  const identity = options.identity ?? {};
  return {
    ...createSirActivities(sir, { globalRateLimit: options.sirGlobalRateLimit }),
    ...createNotificationActivities(options.notifications ?? {}),
    ...createIdentityActivities(identity),
    ...createStartActivities({ playbooks: options.playbooks, decisionKeys: identity.decisionKeys, trustTemporalAccess: identity.trustTemporalAccess }),
  };
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
export type { StartCheckOptions, VerifyStartRequest } from './start-activities';
