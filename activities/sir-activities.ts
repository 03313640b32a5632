/**
 * The SIR calls a case workflow makes. Each one is a thin adapter: call the client, map its errors.
 * Results carry only what workflows need, since everything returned lands in the workflow history.
 */
import { log } from '@temporalio/activity';
import type { CaseStatus, ResolverType, SelfManagedStatus } from '../src/domain/case-status';
import { checkTransition } from '../src/domain/transitions';
import type { NewCaseSpec } from '../src/domain/case-playbook-input';
import type { SirClient, SirOperation } from '../src/sir';
import { SirError } from '../src/sir';
import { measured } from './sir-call-metrics';
import { illegalTransitionFailure, sirFailure } from './sir-failure';

export interface CaseSnapshot {
  caseId: string;
  caseStatus?: CaseStatus;
  resolverType?: ResolverType;
  closedAt?: string;
}

export interface CreateCaseRequest extends NewCaseSpec {
  /** Derived from the alert fingerprint, so a retried or duplicated start opens one case. */
  clientToken: string;
}

export interface UpdateCaseStatusRequest {
  caseId: string;
  from: CaseStatus;
  to: SelfManagedStatus;
  resolverType?: ResolverType;
}

export interface UpdateCaseStatusResult {
  caseStatus: SelfManagedStatus;
  /** True when an earlier attempt had already applied the status (at-least-once delivery). */
  alreadyApplied: boolean;
}

export interface AddCaseCommentRequest {
  caseId: string;
  body: string;
  clientToken: string;
}

export function createSirActivities(sir: SirClient) {
  async function call<T>(operation: SirOperation, fn: () => Promise<T>): Promise<T> {
    try {
      return await measured(operation, fn);
    } catch (err) {
      throw sirFailure(err);
    }
  }

  return {
    createCase: async (request: CreateCaseRequest): Promise<{ caseId: string }> => {
      const { caseId } = await call('CreateCase', () =>
        sir.createCase({ ...request, reportedIncidentStartDate: new Date(request.reportedIncidentStartDate) }),
      );
      return { caseId };
    },

    getCase: async (caseId: string): Promise<CaseSnapshot> => {
      const found = await call('GetCase', () => sir.getCase(caseId));
      return {
        caseId,
        caseStatus: found.caseStatus,
        resolverType: found.resolverType,
        closedAt: found.closedDate?.toISOString(),
      };
    },

    updateCaseStatus: async (request: UpdateCaseStatusRequest): Promise<UpdateCaseStatusResult> => {
      const check = checkTransition(request.from, request.to, { resolverType: request.resolverType });
      if (!check.ok || check.via !== 'UpdateCaseStatus') {
        throw illegalTransitionFailure(
          `UpdateCaseStatus refused before calling SIR for case ${request.caseId}: ${check.ok ? 'use CloseCase' : check.reason}`,
        );
      }
      try {
        const out = await measured('UpdateCaseStatus', () => sir.updateCaseStatus(request.caseId, request.to));
        return { caseStatus: out.caseStatus ?? request.to, alreadyApplied: false };
      } catch (err) {
        if (err instanceof SirError && err.type === 'ConflictException') {
          // An earlier attempt may have succeeded with its response lost; then this is not a conflict.
          const current = await call('GetCase', () => sir.getCase(request.caseId));
          if (current.caseStatus === request.to) {
            log.info('UpdateCaseStatus already applied by an earlier attempt', { caseId: request.caseId, to: request.to });
            return { caseStatus: request.to, alreadyApplied: true };
          }
        }
        throw sirFailure(err);
      }
    },

    closeCase: async (caseId: string): Promise<CaseSnapshot> => {
      try {
        const out = await measured('CloseCase', () => sir.closeCase(caseId));
        return { caseId, caseStatus: out.caseStatus ?? 'Closed', closedAt: out.closedDate?.toISOString() };
      } catch (err) {
        if (err instanceof SirError && err.type === 'ConflictException') {
          const current = await call('GetCase', () => sir.getCase(caseId));
          if (current.caseStatus === 'Closed') {
            return { caseId, caseStatus: 'Closed', closedAt: current.closedDate?.toISOString() };
          }
        }
        throw sirFailure(err);
      }
    },

    addCaseComment: async (request: AddCaseCommentRequest): Promise<{ commentId: string }> => {
      const { commentId } = await call('CreateCaseComment', () => sir.createCaseComment(request));
      return { commentId };
    },
  };
}

export type SirActivities = ReturnType<typeof createSirActivities>;
