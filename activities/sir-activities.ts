/**
 * The SIR calls a case workflow makes. Each one is a thin adapter: call the client, map its errors.
 * Results carry only what workflows need, since everything returned lands in the workflow history.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { CLOSED, type CaseStatus, type ResolverType, type SelfManagedStatus } from '../src/domain/case/status';
import { checkTransition } from '../src/domain/case/transitions';
import { SIR_CALL_MUST_QUEUE } from '../src/domain/sir-api/errors';
import { capCommentBody } from '../src/domain/sir-api/comment-body';
import type { NewCaseSpec } from '../src/domain/case/playbook-input';
import type { GetCaseOutput, SirCallOptions, SirClient, SirOperation } from '../src/sir';
import { SirError } from '../src/sir';
import { type RetryMark, measured } from './sir-call-metrics';
import { illegalTransitionFailure, sirFailure } from './sir-failure';
import { inRetriedWorkflowTask } from './workflow-task-retry';

export interface CaseSnapshot {
  caseId: string;
  caseStatus?: CaseStatus;
  resolverType?: ResolverType;
  closedAt?: string;
}

export interface CreateCaseRequest extends NewCaseSpec, RetryMark {
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

/** What the workflow believes the case is, and where it wants it. */
export interface MoveCaseRequest extends RetryMark {
  caseId: string;
  expected: { status: CaseStatus; resolverType: ResolverType };
  /** A status UpdateCaseStatus accepts, or Closed (sent through CloseCase). */
  to: SelfManagedStatus | typeof CLOSED;
  /**
   * An earlier try of this move may have written, so finding the case already in `to` counts as the
   * move made: since `own-writes-only`, sent only on the queued call after a local try that failed
   * after SIR may have acted (a timeout, a 5xx, a lost connection); cases between `local-sir-calls`
   * and `own-writes-only` send it on every try.
   */
  mayHaveWritten?: boolean;
}

export type MoveCaseResult =
  /** `already-applied`: the case was found in `to` after an earlier attempt's write (its answer was lost). */
  | { outcome: 'moved' | 'already-applied'; caseStatus: CaseStatus; closedAt?: string }
  /** SIR says otherwise than the workflow believes (an analyst, AWS, or a concurrent move): nothing was written. */
  | { outcome: 'drifted'; actual: { status?: CaseStatus; resolverType?: ResolverType } };

export interface AddCaseCommentRequest extends RetryMark {
  caseId: string;
  body: string;
  clientToken: string;
}

export interface SirActivityOptions {
  /**
   * A task-queue-wide SIR rate limit is set (PHASEGATE_SIR_MAX_RPS). Temporal enforces it only on
   * queued activities, so a local attempt is refused before it reaches SIR and the case makes the call
   * through the queue: the limit holds across all workers.
   */
  globalRateLimit?: boolean;
}

export function createSirActivities(sir: SirClient, options: SirActivityOptions = {}) {
  async function call<T>(operation: SirOperation, fn: () => Promise<T>, mark?: RetryMark): Promise<T> {
    refuseLocalUnderGlobalLimit(operation);
    try {
      return await measured(operation, fn, mark);
    } catch (err) {
      throw sirFailure(err);
    }
  }

  /**
   * A cancelled or timed-out activity stops its SIR request: a local try that timed out must not
   * land after the queued call that took over from it (a late status change would undo a later one).
   */
  function cancellable(): SirCallOptions {
    return { abortSignal: Context.current().cancellationSignal };
  }

  function refuseLocalUnderGlobalLimit(operation: SirOperation): void {
    if (options.globalRateLimit && Context.current().info.isLocal) {
      throw ApplicationFailure.create({
        type: SIR_CALL_MUST_QUEUE,
        message: `${operation} not sent from a local activity: PHASEGATE_SIR_MAX_RPS limits SIR calls across the task queue, so the case queues its SIR calls`,
        // Expected on every case of such a worker: not logged or counted as an activity failure.
        category: ApplicationFailureCategory.BENIGN,
      });
    }
  }

  return {
    createCase: async ({ afterLocalTry, ...request }: CreateCaseRequest): Promise<{ caseId: string }> => {
      const { caseId } = await call(
        'CreateCase',
        () => sir.createCase({ ...request, reportedIncidentStartDate: new Date(request.reportedIncidentStartDate) }, cancellable()),
        { afterLocalTry },
      );
      return { caseId };
    },

    getCase: async (caseId: string, mark?: RetryMark): Promise<CaseSnapshot> => {
      const found = await call('GetCase', () => sir.getCase(caseId, cancellable()), mark);
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
        const out = await measured('UpdateCaseStatus', () => sir.updateCaseStatus(request.caseId, request.to, cancellable()));
        return { caseStatus: out.caseStatus ?? request.to, alreadyApplied: false };
      } catch (err) {
        if (isRefusalOfAppliedChange(err)) {
          // An earlier attempt may have succeeded with its response lost; then this is not a refusal.
          const current = await call('GetCase', () => sir.getCase(request.caseId, cancellable()));
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
        const out = await measured('CloseCase', () => sir.closeCase(caseId, cancellable()));
        return { caseId, caseStatus: out.caseStatus ?? 'Closed', closedAt: out.closedDate?.toISOString() };
      } catch (err) {
        if (isRefusalOfAppliedChange(err)) {
          const current = await call('GetCase', () => sir.getCase(caseId, cancellable()));
          if (current.caseStatus === 'Closed') {
            return { caseId, caseStatus: 'Closed', closedAt: current.closedDate?.toISOString() };
          }
        }
        throw sirFailure(err);
      }
    },

    /**
     * Read before write (issue 12): reads the case, and moves it only when SIR agrees with what the
     * workflow believes. The lost-answer recovery for both write APIs lives here, in one place.
     */
    moveCase: async (request: MoveCaseRequest): Promise<MoveCaseResult> => {
      const { caseId, expected, to } = request;
      const mark = { afterLocalTry: request.afterLocalTry };
      const found = await call('GetCase', () => sir.getCase(caseId, cancellable()), mark);
      const actual = { status: found.caseStatus, resolverType: found.resolverType };
      if (actual.resolverType !== expected.resolverType) return drifted(caseId, expected, actual);
      if (actual.status === to) {
        // Already there. When an earlier try of this move may have written, that is its own write whose
        // answer was lost (a 500, a reset, a timeout after SIR applied it): a retried attempt, the
        // queued call after a local try that may have written (mayHaveWritten), a local try whose
        // workflow task was lost and runs again. Otherwise, unless the workflow already believed it,
        // someone else moved the case (an analyst), and the workflow must hear about it.
        const info = Context.current().info;
        if (expected.status === to || info.attempt > 1 || request.mayHaveWritten || (info.isLocal && (await inRetriedWorkflowTask()))) return applied(to, found);
        return drifted(caseId, expected, actual);
      }
      if (actual.status !== expected.status) return drifted(caseId, expected, actual);

      const check = checkTransition(expected.status, to, { resolverType: expected.resolverType });
      if (!check.ok) throw illegalTransitionFailure(`moveCase refused before calling SIR for case ${caseId}: ${check.reason}`);
      const operation = check.via;
      try {
        if (operation === 'CloseCase') {
          const out = await measured(operation, () => sir.closeCase(caseId, cancellable()), mark);
          return { outcome: 'moved', caseStatus: out.caseStatus ?? CLOSED, closedAt: out.closedDate?.toISOString() };
        }
        const out = await measured(operation, () => sir.updateCaseStatus(caseId, to as SelfManagedStatus, cancellable()), mark);
        return { outcome: 'moved', caseStatus: out.caseStatus ?? to };
      } catch (err) {
        if (!isRefusalOfAppliedChange(err)) throw sirFailure(err);
        // Refused: either the case is already where we want it (whoever put it there in the instant
        // between our read and our write, the end state is the one asked for) or it moved elsewhere.
        const now = await call('GetCase', () => sir.getCase(caseId, cancellable()), mark);
        if (now.caseStatus === to) return applied(to, now);
        if (now.caseStatus !== expected.status || now.resolverType !== expected.resolverType) {
          return drifted(caseId, expected, { status: now.caseStatus, resolverType: now.resolverType });
        }
        throw sirFailure(err);
      }
    },

    addCaseComment: async (request: AddCaseCommentRequest): Promise<{ commentId: string }> => {
      // Older cases send bodies uncapped; the workflow caps them too, so a long one is never refused.
      const { caseId, body, clientToken, afterLocalTry } = request;
      const { commentId } = await call('CreateCaseComment', () => sir.createCaseComment({ caseId, clientToken, body: capCommentBody(body) }, cancellable()), { afterLocalTry });
      return { commentId };
    },
  };
}

export type SirActivities = ReturnType<typeof createSirActivities>;

/**
 * The answers SIR may give to a write that an earlier attempt already applied: UpdateCaseStatus X→X
 * is outside the transition table, and AWS does not document whether that is a ConflictException or
 * a ValidationException (the sandbox can answer either), so both send the activity to read the case.
 */
function isRefusalOfAppliedChange(err: unknown): err is SirError {
  return err instanceof SirError && (err.type === 'ConflictException' || err.type === 'ValidationException');
}

function applied(to: CaseStatus, found: GetCaseOutput): MoveCaseResult {
  return { outcome: 'already-applied', caseStatus: to, ...(to === CLOSED && found.closedDate ? { closedAt: found.closedDate.toISOString() } : {}) };
}

function drifted(caseId: string, expected: MoveCaseRequest['expected'], actual: { status?: CaseStatus; resolverType?: ResolverType }): MoveCaseResult {
  log.info('SIR case is not where the workflow believes it is; not moving it', { caseId, expected, actual });
  return { outcome: 'drifted', actual };
}
