/**
 * The SIR calls a case makes, each with the summary the Web UI shows for it. A call that cannot
 * succeed fails the case with the SIR exception's own failure type (see case-failure.ts).
 */
import { ApplicationFailure, TimeoutFailure, isCancellation, proxyActivities, proxyLocalActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { AddCaseCommentRequest, CaseSnapshot, MoveCaseRequest, MoveCaseResult, PhasegateActivities, ProveActorRequest, RetryMark } from '../activities';
import type { ChannelDeliveryResult, ChannelMessageUpdate } from '../src/domain/case/approval-message';
import type { ChannelDelivery } from '../src/domain/case/approval-notice';
import type { ActorVerdict } from '../src/domain/case/decision-attestation';
import { NOTIFY_ACTIVITY_OPTIONS } from '../src/domain/contract/notify-activity-options';
import { createCaseClientToken } from '../src/domain/case/playbook-input';
import { capCommentBody } from '../src/domain/sir-api/comment-body';
import type { TransitionRecord } from '../src/domain/case/state';
import { NON_RETRYABLE_SIR_ERROR_TYPES, SIR_CALL_MUST_QUEUE, failedTryMayHaveWritten } from '../src/domain/sir-api/errors';
import { type CaseContext, type LocalComment, flushPublished } from './case-context';
import { activityFailureCause, asCaseFailure } from './case-failure';
import { COMMENT_LOCAL_ACTIVITY_OPTIONS, SIR_ACTIVITY_OPTIONS, SIR_FIRST_RETRY_MS, SIR_LOCAL_ACTIVITY_OPTIONS, SIR_LONGEST_RETRY_AFTER_MS } from './sir-activity-options';
import type { CaseTarget } from '../src/domain/case/status';

const sir = proxyActivities<PhasegateActivities>(SIR_ACTIVITY_OPTIONS);
const sirLocal = proxyLocalActivities<PhasegateActivities>(SIR_LOCAL_ACTIVITY_OPTIONS);

function withSummary(summary: string) {
  return { ...SIR_ACTIVITY_OPTIONS, summary };
}

function localWithSummary(summary: string) {
  return { ...SIR_LOCAL_ACTIVITY_OPTIONS, summary };
}

/**
 * One SIR call. Cases since `local-sir-calls` try it first as a local activity; when that attempt
 * fails in a way another attempt could fix, the call goes on as a queued activity with the full retry
 * policy (and from then on every call of a case whose worker limits SIR calls globally is queued).
 * A refusal that no attempt can fix (Conflict, Validation…) is the queued call's answer too: thrown.
 */
async function localFirst<T>(ctx: CaseContext, local: () => Promise<T>, queued: (mark: RetryMark, localFailure?: unknown) => Promise<T>): Promise<T> {
  let afterLocalTry = false;
  let localFailure: unknown;
  if (ctx.localSirCalls) {
    if (!ctx.state.sirCallsQueued) {
      try {
        return await local();
      } catch (err) {
        if (!goesOnQueued(err)) throw err;
        localFailure = err;
        // The case may wait a while from here on: the Web UI shows where it stands meanwhile.
        flushPublished(ctx);
        if (mustQueue(err)) ctx.state.sirCallsQueued = true;
        else {
          // A SIR failure is backed off like any retry (Retry-After first); a refused local call is not one.
          await sleep(retryDelayAfter(err), { summary: 'Back off before retrying the SIR call' });
          afterLocalTry = true;
        }
      }
    }
    flushPublished(ctx);
  }
  // The mark only counts the queued call as a retry in phasegate_sir_calls; older cases never send it.
  return queued(afterLocalTry ? { afterLocalTry } : {}, localFailure);
}

/** SIR's Retry-After (at most the retry policy's longest interval), else the policy's first interval. */
function retryDelayAfter(err: unknown): number {
  const failure = activityFailureCause(err);
  const detail = failure instanceof ApplicationFailure ? (failure.details?.[0] as { retryAfterSeconds?: unknown } | undefined) : undefined;
  const retryAfterSeconds = detail?.retryAfterSeconds;
  return typeof retryAfterSeconds === 'number' && retryAfterSeconds > 0 ? Math.min(retryAfterSeconds * 1000, SIR_LONGEST_RETRY_AFTER_MS) : SIR_FIRST_RETRY_MS;
}

/**
 * A local activity's own failure arrives as it was thrown. Its timeout arrives wrapped in an
 * ActivityFailure when it happens, but bare when replayed from its marker: the decision must not
 * depend on the wrapping, or a replayed case would take another path.
 */
function goesOnQueued(err: unknown): boolean {
  if (isCancellation(err)) return false;
  const failure = activityFailureCause(err);
  if (failure instanceof ApplicationFailure) return !failure.nonRetryable && !NON_RETRYABLE_SIR_ERROR_TYPES.includes(failure.type ?? '');
  return failure instanceof TimeoutFailure;
}

/** Whether SIR may have applied the write whose local try failed with `err` (timeouts arrive wrapped or bare, see goesOnQueued). */
function localTryMayHaveWritten(err: unknown): boolean {
  const failure = activityFailureCause(err);
  if (failure instanceof TimeoutFailure) return failedTryMayHaveWritten({ timedOut: true });
  if (!(failure instanceof ApplicationFailure)) return failedTryMayHaveWritten({});
  const detail = failure.details?.[0] as { operation?: unknown; httpStatus?: unknown } | undefined;
  return failedTryMayHaveWritten({
    ...(failure.type && { type: failure.type }),
    ...(typeof detail?.operation === 'string' && { operation: detail.operation }),
    ...(typeof detail?.httpStatus === 'number' && { httpStatus: detail.httpStatus }),
  });
}

function mustQueue(err: unknown): boolean {
  const failure = activityFailureCause(err);
  return failure instanceof ApplicationFailure && failure.type === SIR_CALL_MUST_QUEUE;
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
    const caseId = input.caseId;
    return localFirst(
      ctx,
      () => sirLocal.getCase.executeWithOptions(localWithSummary(summary), [caseId]),
      (mark) => sir.getCase.executeWithOptions(withSummary(summary), mark.afterLocalTry ? [caseId, mark] : [caseId]),
    ).catch(failAs(summary));
  }
  if (!input.newCase) throw new TypeError('casePlaybook needs either caseId (adopt a case) or newCase (open one)');
  // The title may name hosts or people: the summary names the alert fingerprint instead.
  const summary = `CreateCase for alert ${input.fingerprint}`;
  // The token makes a queued call after a failed local attempt find the case that attempt may have opened.
  const request = { ...input.newCase, clientToken: createCaseClientToken(input.fingerprint) };
  const { caseId } = await localFirst(
    ctx,
    () => sirLocal.createCase.executeWithOptions(localWithSummary(summary), [request]),
    (mark) => sir.createCase.executeWithOptions(withSummary(summary), [{ ...request, ...mark }]),
  ).catch(failAs(summary));
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
  const request: MoveCaseRequest = {
    caseId,
    expected: { status: state.status ?? 'Submitted', resolverType: state.resolverType ?? 'Self' },
    to,
    // Cases between `local-sir-calls` and `own-writes-only` count any try finding the case at `to` as their own write.
    ...(ctx.localSirCalls && !ctx.ownWritesOnly && { mayHaveWritten: true }),
  };
  // Since `own-writes-only` only a try that may really have written counts so, else it is drift: the
  // queued call after a local try that failed after SIR may have acted (a timeout, a 5xx, a lost
  // connection; not a 429 or a refusal). A local try that runs again because its workflow task was
  // lost asks Temporal itself (the activity: the task's attempt).
  const mayHaveWritten = (localFailure: unknown): boolean => ctx.ownWritesOnly === true && localFailure !== undefined && localTryMayHaveWritten(localFailure);
  return localFirst(
    ctx,
    () => sirLocal.moveCase.executeWithOptions(localWithSummary(summary), [request]),
    (mark, localFailure) => sir.moveCase.executeWithOptions(withSummary(summary), [{ ...request, ...mark, ...(mayHaveWritten(localFailure) && { mayHaveWritten: true }) }]),
  ).catch(failAs(summary));
}

/**
 * Re-reads the SIR case to notice changes made outside phasegate. Best effort: a read that fails for a
 * couple of minutes is recorded as missed and tried again on the next event or timer, never failing the case.
 */
export async function readSirCase(ctx: CaseContext, summary: string): Promise<CaseSnapshot | undefined> {
  const caseId = ctx.state.caseId;
  if (!caseId) return undefined;
  return localFirst(
    ctx,
    () => sirLocal.getCase.executeWithOptions(localWithSummary(summary), [caseId]),
    (mark) => sir.getCase.executeWithOptions({ ...SIR_ACTIVITY_OPTIONS, scheduleToCloseTimeout: '2 minutes', summary }, mark.afterLocalTry ? [caseId, mark] : [caseId]),
  ).catch((err: unknown) => {
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
const PROOF_OPTIONS = { startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3, initialInterval: '200 milliseconds' } } as const;
const identityQueued = proxyActivities<PhasegateActivities>(PROOF_OPTIONS);

/**
 * Proof of who is behind a decision or request, checked by the worker (the decision key stays there).
 *
 * Message handlers run beside the main line, so cases since `proof-in-history` prove through a queued
 * activity: its result is an event in the history and reaches the workflow in the same workflow task
 * live and replayed. A local activity's result does not: Core may record its marker in one task and
 * hand the result over in the next, while a replay hands it over in the task of the marker. A decision
 * it allowed then cancelled, in the same task, the timer the gate had just started; replayed, that
 * timer was never sent, and the case stopped on a nondeterminism error (issue 18).
 */
export function proveActor(request: ProveActorRequest, options: { queued: boolean }): Promise<ActorVerdict> {
  const summary = `Check who ${request.act.kind === 'decide' ? 'decides' : 'asks'}: ${request.by}`;
  if (options.queued) return identityQueued.proveActor.executeWithOptions({ ...PROOF_OPTIONS, summary }, [request]);
  return identity.proveActor.executeWithOptions({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary }, [request]);
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
 *
 * In cases since `local-sir-calls`, a comment the main line asks for is first tried as a local
 * activity beside whatever the case does, and the main line joins the try at its next wait, before
 * it parks (joinLocalComments), deciding there what a failed try leads to: replayed, a local
 * activity's result reaches the workflow at another moment than it did live, so a coroutine that
 * issued commands on it would interleave them with the main line's differently. A message handler,
 * which may run while the main line is parked and so cannot be joined, sends its comment queued.
 */
export async function commentBestEffort(ctx: CaseContext, key: string, body: string, summary: string, options: { from?: 'handler' } = {}): Promise<void> {
  const caseId = ctx.state.caseId;
  if (!caseId) return;
  const request = { caseId, body: capCommentBody(body), clientToken: `${workflowInfo().workflowId}/${key}`.slice(-255) };
  if (ctx.localComments && !ctx.state.sirCallsQueued && options.from !== 'handler') {
    const comment: LocalComment = { request, summary, attempt: Promise.resolve() };
    comment.attempt = sirLocal.addCaseComment.executeWithOptions({ ...COMMENT_LOCAL_ACTIVITY_OPTIONS, summary }, [request]).then(
      () => undefined,
      (err: unknown) => void (comment.failure = err),
    );
    ctx.localComments.push(comment);
    return;
  }
  await queuedComment(ctx, request, summary);
}

/**
 * Main line only: waits for the local comment tries in the order they were started, and sends each
 * one that failed in a way another attempt could fix as a queued activity after its backoff. The
 * fallback's first command (its backoff timer, or the activity) is issued here, in the main line.
 */
export async function joinLocalComments(ctx: CaseContext, background: (work: Promise<void>) => void): Promise<void> {
  const comments = ctx.localComments;
  while (comments && comments.length > 0) {
    const comment = comments[0]!;
    await comment.attempt;
    comments.shift();
    if (comment.failure === undefined) continue;
    if (!goesOnQueued(comment.failure)) {
      recordMissed(ctx, comment.summary, comment.failure);
      continue;
    }
    if (mustQueue(comment.failure)) {
      ctx.state.sirCallsQueued = true;
      background(queuedComment(ctx, comment.request, comment.summary));
    } else {
      background(queuedCommentAfter(ctx, { ...comment.request, afterLocalTry: true }, comment.summary, retryDelayAfter(comment.failure)));
    }
  }
}

/** Its backoff timer is started at once, by the caller (the main line); the queued call follows it. */
async function queuedCommentAfter(ctx: CaseContext, request: AddCaseCommentRequest, summary: string, delayMs: number): Promise<void> {
  await sleep(delayMs, { summary: `Back off before retrying: ${summary}` }).catch(() => undefined);
  await queuedComment(ctx, request, summary);
}

async function queuedComment(ctx: CaseContext, request: AddCaseCommentRequest, summary: string): Promise<void> {
  await sir.addCaseComment
    .executeWithOptions({ ...SIR_ACTIVITY_OPTIONS, scheduleToCloseTimeout: '1 hour', summary }, [request])
    .then(
      () => undefined,
      (err: unknown) => recordMissed(ctx, summary, err),
    );
}

const notifications = proxyActivities<PhasegateActivities>(NOTIFY_ACTIVITY_OPTIONS);

/** Tells a channel about a gate; best effort, so a dead chat hook never holds up or fails a case. */
export async function notifyChannel(ctx: CaseContext, delivery: ChannelDelivery): Promise<void> {
  await deliverToChannel(ctx, delivery);
}

/** notifyChannel, answering where the message it posted lives when the channel keeps one (`slack-app`). */
export async function deliverToChannel(ctx: CaseContext, delivery: ChannelDelivery): Promise<ChannelDeliveryResult | undefined> {
  const summary = `Notify ${delivery.channel}: ${delivery.notice.event} #${delivery.notice.approvalId}`;
  return notifications.notifyChannel.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary }, [delivery]).then(
    (result) => result,
    (err: unknown) => {
      recordMissed(ctx, summary, err);
      return undefined;
    },
  );
}

/** Edits a gate's message so it tells where the gate stands; best effort like every notification. */
export async function updateChannelMessage(ctx: CaseContext, update: ChannelMessageUpdate): Promise<void> {
  const summary = `Update ${update.channel} message: ${update.event} #${update.notice.approvalId}`;
  await notifications.updateChannelMessage.executeWithOptions({ ...NOTIFY_ACTIVITY_OPTIONS, summary }, [update]).catch((err: unknown) => recordMissed(ctx, summary, err));
}
