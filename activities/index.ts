import type { SirClient } from '../src/sir';
import { createNotificationActivities, type NotificationActivityOptions } from './notification-activities';
import { createSirActivities } from './sir-activities';

/**
 * Every activity a phasegate worker registers, built around one SIR client per process and, when the
 * worker has a channels file, its notification channels.
 */
export function createActivities(sir: SirClient, notifications: NotificationActivityOptions = {}) {
  return { ...createSirActivities(sir), ...createNotificationActivities(notifications) };
}

export type PhasegateActivities = ReturnType<typeof createActivities>;

export { createSirActivities } from './sir-activities';
export type {
  AddCaseCommentRequest,
  CaseSnapshot,
  CreateCaseRequest,
  SirActivities,
  UpdateCaseStatusRequest,
  UpdateCaseStatusResult,
} from './sir-activities';
export { createNotificationActivities } from './notification-activities';
export type { EscalationNotice, NotificationActivityOptions } from './notification-activities';
