import type { SirClient } from '../src/sir';
import { type IdentityOptions, createIdentityActivities } from './identity-activities';
import { createNotificationActivities } from './notification-activities';
import { createSirActivities } from './sir-activities';

export interface ActivityOptions {
  identity?: IdentityOptions;
}

/** Every activity a phasegate worker registers, built around one SIR client per process. */
export function createActivities(sir: SirClient, options: ActivityOptions = {}) {
  return { ...createSirActivities(sir), ...createNotificationActivities(), ...createIdentityActivities(options.identity ?? {}) };
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
export type { IdentityOptions, ProveActorRequest } from './identity-activities';
