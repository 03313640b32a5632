/**
 * The SIR calls a case makes, each with the summary the Web UI shows for it. A call that cannot
 * succeed fails the case with the SIR exception's own failure type (see case-failure.ts).
 */
import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { CaseSnapshot, MoveCaseResult, PhasegateActivities, ProveActorRequest } from '../activities';
import type { ChannelDelivery } from '../src/domain/approval-notice';
import type { ActorVerdict } from '../src/domain/decision-attestation';
import { NOTIFY_ACTIVITY_OPTIONS } from '../src/domain/notify-activity-options';
import { createCaseClientToken } from '../src/domain/case-playbook-input';
import { capCommentBody } from '../src/domain/comment-body';
import type { CaseTarget, TransitionRecord } from '../src/domain/case-state';
import type { CaseContext } from './case-context';
import { asCaseFailure } from './case-failure';
import { SIR_ACTIVITY_OPTIONS } from './sir-activity-options';

const sir = proxyActivities<PhasegateActivities>(SIR_ACTIVITY_OPTIONS);

function withSummary(summary: string) {
  return { ...SIR_ACTIVITY_OPTIONS, summary };
}

function failAs(summary: string) {
  return (err: unknown): never => {
    throw asCaseFailure(err, summary);
  };
}

export async function openOrAdoptCase(ctx: CaseContext): Promise<CaseSnapshot> {
  const { input } = ctx;
  if (input.caseId) {
    const summary = `GetCase ${input.caseId}`;
    return sir.getCase.executeWithOptions(withSummary(summary), [input.caseId]).catch(failAs(summary));
  }
  if (!input.newCase) throw new TypeError('casePlaybook needs either caseId (adopt a case) or newCase (open one)');
  // The title may name hosts or people: the summary names the alert fingerprint instead.
  const summary = `CreateCase for alert ${input.fingerprint}`;
  const { caseId } = await sir.createCase
    .executeWithOptions(withSummary(summary), [{ ...input.newCase, clientToken: createCaseClientToken(input.fingerprint) }])
    .catch(failAs(summary));
  return { caseId, caseStatus: 'Submitted', resolverType: input.newCase.resolverType };
}

/** Applies one status change on the SIR case and records it in the case state. */
export async function applyTarget(
  ctx: CaseContext,
  to: CaseTarget,
  who: { requestedBy: string; approvedBy?: string },
): Promise<TransitionRecord> {
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
 * Read before write (cases since `read-before-write`): one activity reads the case and moves it only
 * when SIR agrees with what the workflow believes; it answers `drifted` without writing otherwise, and
 * carries the lost-answer recovery of both write APIs.
 */
export async function moveSirCase(ctx: CaseContext, to: CaseTarget): Promise<MoveCaseResult> {
  const { state } = ctx;
  const caseId = state.caseId!;
  const summary = to === 'Closed' ? `GetCase, then CloseCase ${caseId}` : `GetCase, then UpdateCaseStatus → ${to}`;
  return sir.moveCase
    .executeWithOptions(withSummary(summary), [{ caseId, expected: { status: state.status ?? 'Submitted', resolverType: state.resolverType ?? 'Self' }, to }])
    .catch(failAs(summary));
}

/**
 * Re-reads the SIR case to notice changes made outside phasegate. Best effort: a read that fails for a
 * couple of minutes is recorded as missed and tried again on the next event or timer, never failing the case.
 */
export async function readSirCase(ctx: CaseContext, summary: string): Promise<CaseSnapshot | undefined> {
  const caseId = ctx.state.caseId;
  if (!caseId) return undefined;
  return sir.getCase
    .executeWithOptions({ ...SIR_ACTIVITY_OPTIONS, scheduleToCloseTimeout: '2 minutes', summary }, [caseId])
    .catch((err: unknown) => {
      recordMissed(ctx, summary, err);
      return undefined;
    });
}

/**
 * Mirrors an audit event to the SIR case. The token makes a retried or replayed comment land once;
 * `key` must be unique within the case (an approval id and a kind, say).
 */
export async function commentOnCase(ctx: CaseContext, key: string, body: string, summary: string): Promise<void> {
  const caseId = ctx.state.caseId;
  if (!caseId) return;
  const clientToken = `${workflowInfo().workflowId}/${key}`.slice(-255);
  await sir.addCaseComment.executeWithOptions(withSummary(summary), [{ caseId, body, clientToken }]).catch(failAs(summary));
}

export async function notifyEscalation(url: string, payload: Record<string, unknown>, summary: string): Promise<void> {
  // A notification is best effort: a dead webhook must not stop the case, so it has few attempts.
  await sir.notifyEscalation
    .executeWithOptions({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary }, [{ url, payload }])
    .catch(() => undefined);
}

const identity = proxyLocalActivities<PhasegateActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3, initialInterval: '200 milliseconds' },
});

/** Proof of who is behind a decision or request, checked by the worker (the decision key stays there). */
export function proveActor(request: ProveActorRequest): Promise<ActorVerdict> {
  return identity.proveActor.executeWithOptions(
    { startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary: `Check who ${request.act.kind === 'decide' ? 'decides' : 'asks'}: ${request.by}` },
    [request],
  );
}

const MISSED_KEPT = 20;

/** Keeps a short list of what could not be delivered, for the state query and the operator. */
export function recordMissed(ctx: CaseContext, what: string, err: unknown): void {
  const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  ctx.state.missed = [...(ctx.state.missed ?? []), `${what}: ${reason}`].slice(-MISSED_KEPT);
}

/**
 * A comment whose loss harms nothing (a decision audit, a duplicate alert, the start note): retried
 * like any SIR call for a while, then recorded as missed instead of failing the case.
 */
export async function commentBestEffort(ctx: CaseContext, key: string, body: string, summary: string): Promise<void> {
  const caseId = ctx.state.caseId;
  if (!caseId) return;
  const clientToken = `${workflowInfo().workflowId}/${key}`.slice(-255);
  await sir.addCaseComment
    .executeWithOptions({ ...SIR_ACTIVITY_OPTIONS, scheduleToCloseTimeout: '1 hour', summary }, [{ caseId, body: capCommentBody(body), clientToken }])
    .catch((err: unknown) => recordMissed(ctx, summary, err));
}

const notifications = proxyActivities<PhasegateActivities>(NOTIFY_ACTIVITY_OPTIONS);

/** Tells a channel about a gate; best effort, so a dead chat hook never holds up or fails a case. */
export async function notifyChannel(ctx: CaseContext, delivery: ChannelDelivery): Promise<void> {
  const summary = `Notify ${delivery.channel}: ${delivery.notice.event} #${delivery.notice.approvalId}`;
  await notifications.notifyChannel.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary }, [delivery]).catch((err: unknown) => recordMissed(ctx, summary, err));
}
