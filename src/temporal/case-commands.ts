/**
 * What humans do to a case, through Temporal: find it by SIR case id or workflow id, query its state,
 * decide on its pending approval, request a transition, list cases. The HTTP API and the CLI both call
 * these, and both turn a CaseCommandError into their own words (an HTTP code, a one-line reason).
 */
import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  type Client,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  isGrpcServiceError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { REFUSAL_TYPES } from '../domain/case/rules';
import type { CaseState } from '../domain/case/state';
import type { CaseStatus } from '../domain/case/status';
import {
  type DecisionAnswer,
  type TransitionAnswer,
  decideUpdate,
  stateQuery,
  transitionUpdate,
} from '../domain/contract/messages';
import { AlertSeverity, AwaitingApproval, PlaybookName, SirCaseId, SirCaseStatus } from '../domain/contract/search-attributes';
import { CASE_WORKFLOW_ID_PREFIX, CASE_WORKFLOW_TYPE } from '../domain/contract/temporal-names';
import type { casePlaybook } from '../../workflows';
import type { DecisionRequest, TransitionRequest } from '../domain/contract/message-payloads';

export type CaseCommandErrorKind = 'invalid' | 'not-found' | 'forbidden' | 'conflict' | 'unavailable';

export class CaseCommandError extends Error {
  constructor(
    readonly kind: CaseCommandErrorKind,
    /** The workflow's refusal type (NotAnApprover, NoApprovalPending…) or a kind of our own. */
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'CaseCommandError';
  }
}

export type CaseHandle = WorkflowHandle<typeof casePlaybook>;

const SIR_CASE_ID = /^\d{10,32}$/;

/**
 * A case is named by its SIR case id (what responders see in AWS) or its workflow id (`case-…`). The
 * SIR id is found through visibility, which trails a new case by a moment.
 */
export async function findCase(client: Client, ref: string): Promise<CaseHandle> {
  if (ref.startsWith(CASE_WORKFLOW_ID_PREFIX)) {
    const handle = client.workflow.getHandle<typeof casePlaybook>(ref);
    await handle.describe().catch((err: unknown) => {
      throw asCaseCommandError(err, ref);
    });
    return handle;
  }
  if (!SIR_CASE_ID.test(ref)) {
    throw new CaseCommandError('invalid', 'InvalidCaseRef', `"${ref}" is neither a SIR case id (10-32 digits) nor a workflow id (case-…)`);
  }
  let found: { workflowId: string; running: boolean } | undefined;
  try {
    for await (const wf of client.workflow.list({ query: `WorkflowType = '${CASE_WORKFLOW_TYPE}' AND SirCaseId = '${ref}'` })) {
      const running = wf.status.name === 'RUNNING';
      // A running workflow wins over finished ones; among equals the first listed (newest) wins.
      if (!found || (running && !found.running)) found = { workflowId: wf.workflowId, running };
    }
  } catch (err) {
    throw asCaseCommandError(err, ref);
  }
  if (!found) throw new CaseCommandError('not-found', 'CaseNotFound', `no phasegate case for SIR case ${ref}`);
  return client.workflow.getHandle<typeof casePlaybook>(found.workflowId);
}

/**
 * The running case that drives a SIR case, for SIR's own events (src/intake/sir-event-intake.ts); undefined
 * when no running case does (a case phasegate never drove, or whose playbook has ended).
 */
export async function findRunningCaseBySirId(client: Client, sirCaseId: string): Promise<CaseHandle | undefined> {
  if (!SIR_CASE_ID.test(sirCaseId)) return undefined;
  const query = `WorkflowType = '${CASE_WORKFLOW_TYPE}' AND SirCaseId = '${sirCaseId}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query, pageSize: 10 })) {
    return client.workflow.getHandle<typeof casePlaybook>(wf.workflowId);
  }
  return undefined;
}

/**
 * The case state, and for a move under way the progress of its SIR call (attempt, last error), which
 * only Temporal knows while the activity retries.
 */
export async function caseState(client: Client, ref: string): Promise<CaseState> {
  const handle = await findCase(client, ref);
  try {
    const state = await handle.query(stateQuery);
    if (state.move) {
      const { raw } = await handle.describe();
      const call = raw.pendingActivities?.find((a) => /^(updateCaseStatus|closeCase|moveCase)$/.test(a.activityType?.name ?? ''));
      if (call) {
        state.move.attempt = call.attempt ?? undefined;
        const message = call.lastFailure?.message;
        if (message) state.move.lastError = message;
      }
    }
    return state;
  } catch (err) {
    throw asCaseCommandError(err, ref);
  }
}

/**
 * The update id makes a repeated decision (a retried HTTP call, a CLI run again after an error) the
 * same update: Temporal answers it with the first outcome and it never reaches another gate.
 */
export function decisionUpdateId(request: Pick<DecisionRequest, 'approvalId' | 'by' | 'decision'>): string {
  return `decide-${request.approvalId}-${request.decision}-${request.by}`;
}

export function transitionUpdateId(requestId: string): string {
  return `transition-${requestId}`;
}

/** On a case found with findCase (the caller needed its workflow id first, to attest the act). */
export async function decide(handle: CaseHandle, request: DecisionRequest): Promise<DecisionAnswer> {
  const ref = handle.workflowId;
  const attempt = (updateId: string): Promise<DecisionAnswer> =>
    handle
      .executeUpdate(decideUpdate, { args: [request], updateId })
      .then((answer) => asDecisionAnswer(answer, request))
      .catch((err: unknown) => rethrowForUpdate(handle, err, ref));
  const updateId = decisionUpdateId(request);
  try {
    return await attempt(updateId);
  } catch (err) {
    // Temporal keeps a refusal under its update id for the rest of the run. One that can stop holding
    // (the person joined the gate's approvers when it escalated; a proof check that failed; someone
    // else sending this person's update id first) is asked once more under a fresh id; the case
    // answers a decision it already recorded with its first answer, so nothing is decided twice.
    if (!(err instanceof CaseCommandError) || !RECHECKED_REFUSALS.has(err.type)) throw err;
    return attempt(`${updateId}-${randomUUID()}`);
  }
}

const RECHECKED_REFUSALS: ReadonlySet<string> = new Set([REFUSAL_TYPES.notAnApprover, REFUSAL_TYPES.unprovenIdentity, REFUSAL_TYPES.proofUnavailable]);

export async function requestTransition(handle: CaseHandle, request: TransitionRequest & { requestId: string }): Promise<TransitionAnswer> {
  const ref = handle.workflowId;
  return handle
    .executeUpdate(transitionUpdate, { args: [request], updateId: transitionUpdateId(request.requestId) })
    .then((answer) => asTransitionAnswer(answer, request))
    .catch((err: unknown) => rethrowForUpdate(handle, err, ref));
}

/** Cases started before the `attested-decisions` patch answer with the bare state once the move is made. */
function asDecisionAnswer(answer: DecisionAnswer | CaseState, request: DecisionRequest): DecisionAnswer {
  if ('result' in answer) return answer;
  const record = answer.decisions.at(-1);
  return {
    approvalId: record?.approvalId ?? request.approvalId,
    decision: request.decision,
    by: request.by,
    target: record?.target ?? answer.pendingApproval?.target ?? 'Closed',
    result: request.decision === 'approve' ? 'approved' : 'rejected',
    approvalsNeeded: 0,
    next: request.decision === 'approve' ? 'moving' : 'staying',
    state: answer,
  };
}

function asTransitionAnswer(answer: TransitionAnswer | CaseState, request: TransitionRequest & { requestId: string }): TransitionAnswer {
  if ('result' in answer) return answer;
  const pending = answer.pendingApproval;
  return pending?.target === request.to
    ? { requestId: request.requestId, to: request.to, result: 'awaiting-approval', approvalId: pending.approvalId, duplicate: false, state: answer }
    : { requestId: request.requestId, to: request.to, result: 'moving', duplicate: false, state: answer };
}

/** Temporal answers "not found" to an update on a workflow that exists but has finished. */
async function rethrowForUpdate(handle: CaseHandle, err: unknown, ref: string): Promise<never> {
  if (err instanceof WorkflowNotFoundError) {
    const description = await handle.describe().catch(() => undefined);
    if (description && description.status.name !== 'RUNNING') {
      throw new CaseCommandError('conflict', REFUSAL_TYPES.caseClosed, `the playbook for case ${ref} has finished (${description.status.name.toLowerCase()})`);
    }
  }
  throw asCaseCommandError(err, ref);
}

export interface CaseListFilter {
  status?: CaseStatus;
  awaitingApproval?: boolean;
  playbook?: string;
  /** Only running cases unless false. */
  runningOnly?: boolean;
  limit?: number;
}

export interface CaseSummary {
  workflowId: string;
  runId: string;
  caseId?: string;
  status?: string;
  playbook?: string;
  awaitingApproval?: boolean;
  /** The approval a decision on this case must name, while one is pending. */
  approvalId?: number;
  severity?: number;
  execution: string;
  startedAt: string;
}

export function caseListQuery(filter: CaseListFilter): string {
  const clauses = [`WorkflowType = '${CASE_WORKFLOW_TYPE}'`];
  if (filter.runningOnly !== false) clauses.push(`ExecutionStatus = 'Running'`);
  if (filter.status) clauses.push(`SirCaseStatus = '${filter.status}'`);
  if (filter.awaitingApproval !== undefined) clauses.push(`AwaitingApproval = ${filter.awaitingApproval}`);
  if (filter.playbook) clauses.push(`PlaybookName = '${filter.playbook}'`);
  return clauses.join(' AND ');
}

export async function listCases(client: Client, filter: CaseListFilter = {}): Promise<CaseSummary[]> {
  const limit = filter.limit ?? 100;
  const cases: CaseSummary[] = [];
  try {
    for await (const wf of client.workflow.list({ query: caseListQuery(filter), pageSize: Math.min(limit, 100) })) {
      const attrs = wf.typedSearchAttributes;
      cases.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        caseId: attrs.get(SirCaseId),
        status: attrs.get(SirCaseStatus),
        playbook: attrs.get(PlaybookName),
        awaitingApproval: attrs.get(AwaitingApproval),
        severity: attrs.get(AlertSeverity),
        execution: wf.status.name,
        startedAt: wf.startTime.toISOString(),
      });
      if (cases.length >= limit) break;
    }
  } catch (err) {
    throw asCaseCommandError(err, 'case list');
  }
  await addPendingApprovalIds(client, cases);
  return cases;
}

/**
 * Visibility knows that a case waits, not which approval it waits on: ask the waiting ones, a few at a
 * time. A case that cannot answer (finished meanwhile, a worker restarting) is listed without an id.
 */
async function addPendingApprovalIds(client: Client, cases: CaseSummary[]): Promise<void> {
  const waiting = cases.filter((c) => c.awaitingApproval && c.execution === 'RUNNING');
  const ask = async (): Promise<void> => {
    for (let row = waiting.shift(); row; row = waiting.shift()) {
      const state = await client.workflow.getHandle(row.workflowId, row.runId).query(stateQuery).catch(() => undefined);
      const id = state?.pendingApproval && !state.pendingApproval.decidedBy ? state.pendingApproval.approvalId : undefined;
      if (id !== undefined) row.approvalId = id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, ask));
}

const FORBIDDEN: ReadonlySet<string> = new Set([REFUSAL_TYPES.notAnApprover, REFUSAL_TYPES.separationOfDuties, REFUSAL_TYPES.unprovenIdentity]);
const INVALID: ReadonlySet<string> = new Set([REFUSAL_TYPES.invalidRequest]);
const NOT_FOUND: ReadonlySet<string> = new Set([REFUSAL_TYPES.unknownApproval]);
const UNAVAILABLE: ReadonlySet<string> = new Set([REFUSAL_TYPES.proofUnavailable]);

/** Translates what Temporal answered into a command error; anything unrecognised is rethrown as is. */
export function asCaseCommandError(err: unknown, ref: string): CaseCommandError {
  if (err instanceof CaseCommandError) return err;
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const type = err.cause.type ?? 'Refused';
    const kind: CaseCommandErrorKind = FORBIDDEN.has(type)
      ? 'forbidden'
      : INVALID.has(type)
        ? 'invalid'
        : NOT_FOUND.has(type)
          ? 'not-found'
          : UNAVAILABLE.has(type)
            ? 'unavailable'
            : 'conflict';
    return new CaseCommandError(kind, type, err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) {
    return new CaseCommandError('not-found', 'CaseNotFound', `no phasegate case ${ref}`);
  }
  const grpc = grpcCode(err);
  if (grpc === GrpcStatus.NOT_FOUND && /already completed|completed/i.test(messageOf(err))) {
    return new CaseCommandError('conflict', REFUSAL_TYPES.caseClosed, `the playbook for case ${ref} has finished`);
  }
  if (grpc === GrpcStatus.NOT_FOUND) return new CaseCommandError('not-found', 'CaseNotFound', `no phasegate case ${ref}`);
  if (grpc === GrpcStatus.UNAVAILABLE || grpc === GrpcStatus.DEADLINE_EXCEEDED) {
    return new CaseCommandError('unavailable', 'TemporalUnavailable', `Temporal is unreachable: ${messageOf(err)}`);
  }
  if (grpc === GrpcStatus.FAILED_PRECONDITION && /query/i.test(messageOf(err))) {
    return new CaseCommandError('conflict', REFUSAL_TYPES.caseClosed, `case ${ref} cannot answer: ${messageOf(err)}`);
  }
  throw err;
}

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError || err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    if (isGrpcServiceError(cause)) return cause.code;
  }
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
