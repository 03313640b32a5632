/**
 * The SIR calls of the frozen v4 loop, each a queued activity with the summary the Web UI shows for it.
 * A copy of what it used from workflows/case-operations.ts, case-failure.ts and sir-activity-options.ts
 * (never the local-first path of later cases), so a change to the live loop cannot change the
 * commands of a v1–v4 case. A call that cannot succeed fails the case with the SIR exception's own
 * failure type.
 */
import { ActivityFailure, type ActivityOptions, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { CaseSnapshot, PhasegateActivities } from '../../activities';
import { createCaseClientToken } from '../../src/domain/case/playbook-input';
import type { TransitionRecord } from '../../src/domain/case/state';
import type { CaseTarget } from '../../src/domain/case/status';
import { NON_RETRYABLE_SIR_ERROR_TYPES } from '../../src/domain/sir-api/errors';
import type { CaseContextV4 } from './case-context-v4';

/** Unlimited attempts: a throttled or degraded SIR API delays a case, never fails it. */
const SIR_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 20_000, nonRetryableErrorTypes: NON_RETRYABLE_SIR_ERROR_TYPES },
};

const sir = proxyActivities<PhasegateActivities>(SIR_ACTIVITY_OPTIONS);

function withSummary(summary: string): ActivityOptions {
  return { ...SIR_ACTIVITY_OPTIONS, summary };
}

/** The failure a SIR call's own failure becomes: the case fails with the SIR exception's type. */
function failAs(summary: string) {
  return (err: unknown): never => {
    const sirFailure = err instanceof ActivityFailure ? err.cause : err;
    if (sirFailure instanceof ApplicationFailure && sirFailure.type) {
      throw ApplicationFailure.create({
        type: sirFailure.type,
        message: `${summary} failed: ${sirFailure.message}`,
        nonRetryable: true,
        details: sirFailure.details ?? undefined,
        cause: err as Error,
      });
    }
    throw err;
  };
}

export async function openOrAdoptCase(ctx: CaseContextV4): Promise<CaseSnapshot> {
  const { input } = ctx;
  if (input.caseId) {
    const summary = `GetCase ${input.caseId}`;
    return sir.getCase.executeWithOptions(withSummary(summary), [input.caseId]).catch(failAs(summary));
  }
  if (!input.newCase) throw new TypeError('casePlaybook needs either caseId (adopt a case) or newCase (open one)');
  // The title may name hosts or people: the summary names the alert fingerprint instead.
  const summary = `CreateCase for alert ${input.fingerprint}`;
  const request = { ...input.newCase, clientToken: createCaseClientToken(input.fingerprint) };
  const { caseId } = await sir.createCase.executeWithOptions(withSummary(summary), [request]).catch(failAs(summary));
  return { caseId, caseStatus: 'Submitted', resolverType: input.newCase.resolverType };
}

/** Applies one status change on the SIR case and records it in the case state. */
export async function applyTarget(ctx: CaseContextV4, to: CaseTarget, who: { requestedBy: string; approvedBy?: string }): Promise<TransitionRecord> {
  const { state } = ctx;
  const caseId = state.caseId!;
  const from = state.status ?? 'Submitted';
  let record: TransitionRecord;
  if (to === 'Closed') {
    const summary = `CloseCase ${caseId}`;
    await sir.closeCase.executeWithOptions(withSummary(summary), [caseId]).catch(failAs(summary));
    record = { from, to, via: 'CloseCase', alreadyApplied: false, at: new Date().toISOString(), ...who };
  } else {
    const summary = `UpdateCaseStatus → ${to}`;
    const result = await sir.updateCaseStatus
      .executeWithOptions(withSummary(summary), [{ caseId, from, to, resolverType: state.resolverType }])
      .catch(failAs(summary));
    record = { from, to: result.caseStatus, via: 'UpdateCaseStatus', alreadyApplied: result.alreadyApplied, at: new Date().toISOString(), ...who };
  }
  state.transitions.push(record);
  state.status = record.to;
  return record;
}

/**
 * Mirrors an audit event to the SIR case. The token makes a retried or replayed comment land once;
 * `key` must be unique within the case (an approval id and a kind, say).
 */
export async function commentOnCase(ctx: CaseContextV4, key: string, body: string, summary: string): Promise<void> {
  const caseId = ctx.state.caseId;
  if (!caseId) return;
  const clientToken = `${workflowInfo().workflowId}/${key}`.slice(-255);
  await sir.addCaseComment.executeWithOptions(withSummary(summary), [{ caseId, body, clientToken }]).catch(failAs(summary));
}

/** Best effort: a dead webhook must not stop the case (the worker refuses URLs from workflow input). */
export async function notifyEscalation(url: string, payload: Record<string, unknown>, summary: string): Promise<void> {
  await sir.notifyEscalation
    .executeWithOptions({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary }, [{ url, payload }])
    .catch(() => undefined);
}
