import type { SirClient } from '../src/sir';
import { createNotificationActivities } from './notification-activities';
import { createSirActivities } from './sir-activities';

/** Every activity a phasegate worker registers, built around one SIR client per process. */
export function createActivities(sir: SirClient) {
  return { ...createSirActivities(sir), ...createNotificationActivities() };
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
export type { EscalationNotice } from './notification-activities';
