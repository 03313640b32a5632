/**
 * What the six operations do to the state, with the SIR semantics the reference documents:
 * clientToken idempotency, the UpdateCaseStatus transition table (from src/domain, never re-typed),
 * CloseCase for every resolver type, and opaque-token pagination. Inputs arrive already validated.
 */
import { createHash } from 'node:crypto';
import { CLOSED, isCaseStatus, RESOLVER_TYPES, type CaseStatus, type ResolverType } from '../domain/case/status';
import { checkTransition } from '../domain/case/transitions';
import type { CreateCaseCommentInput, CreateCaseInput, ListCasesInput } from '../sir/shapes';
import type { CaseEvent } from './case-events';
import type { CaseStore, IdempotentOperation, StoredCase } from './case-store';
import { conflictException, resourceNotFound, serviceQuotaExceeded, validationException, SANDBOX_QUOTA_CODE } from './errors';
import type { UpdateCaseStatusInput } from './input-validation';
import { decodePageToken, encodePageToken, invalidPageToken } from './page-token';
import { canonicalJson } from './smithy-constraints';
import { getCaseOutput, listCasesItem, toEpochSeconds, type GetCaseWireOutput, type ListCasesWireItem } from './wire-format';

export type IllegalTransitionError = 'ConflictException' | 'ValidationException';

export interface SirServiceOptions {
  region: string;
  accountId: string;
  illegalTransitionError: IllegalTransitionError;
  /** Makes the current state durable; awaited before a change is acknowledged. */
  persist: () => Promise<void>;
  /** Where failures of persistence started outside a request (test hooks, reset) are reported. */
  onBackgroundError: (err: unknown) => void;
  /** Told of each change SIR publishes an event for that an API call made (a status change, a close, a new comment). */
  onCaseEvent?: (event: CaseEvent) => void;
}

/**
 * Who an event says made a change through the API. The sandbox has no IAM users, so it names the
 * signing key as an IAM user of its account; phasegate's server is told this value
 * (PHASEGATE_SIR_IDENTITY) to recognise the events its own calls caused.
 */
export function apiCallerPrincipal(accountId: string, accessKeyId: string): string {
  return `arn:aws:iam::${accountId}:user/${accessKeyId}`;
}

/** A change made outside the API: an analyst in the AWS console, or AWS itself. */
export interface OutOfBandChange {
  caseStatus?: CaseStatus;
  resolverType?: ResolverType;
}

const DEFAULT_PAGE_SIZE = 25;

export class SirService {
  constructor(
    private readonly store: CaseStore,
    private readonly options: SirServiceOptions,
  ) {}

  async createCase(input: CreateCaseInput): Promise<{ caseId: string }> {
    const { clientToken, ...request } = input;
    const normalized = {
      ...request,
      threatActorIpAddresses: request.threatActorIpAddresses ?? [],
      impactedServices: request.impactedServices ?? [],
      impactedAwsRegions: request.impactedAwsRegions ?? [],
      tags: request.tags ?? {},
    };
    const replayed = this.replay('CreateCase', clientToken, normalized, 'case');
    if (replayed) return { caseId: replayed };

    const now = new Date();
    const caseId = this.store.newCaseId();
    this.store.insertCase({
      ...normalized,
      caseId,
      caseArn: `arn:aws:security-ir:${this.options.region}:${this.options.accountId}:case/${caseId}`,
      caseStatus: 'Submitted',
      createdDate: now,
      lastUpdatedDate: now,
    });
    this.remember('CreateCase', clientToken, normalized, caseId);
    await this.options.persist();
    return { caseId };
  }

  getCase(caseId: string): GetCaseWireOutput {
    return getCaseOutput(this.requireCase(caseId));
  }

  async updateCaseStatus(
    { caseId, caseStatus }: UpdateCaseStatusInput,
    { illegalTransitionError = this.options.illegalTransitionError, accessKeyId }: { illegalTransitionError?: IllegalTransitionError; accessKeyId?: string } = {},
  ): Promise<{ caseStatus: typeof caseStatus }> {
    const stored = this.requireCase(caseId);
    const check = checkTransition(stored.caseStatus, caseStatus, { resolverType: stored.resolverType });
    if (!check.ok) {
      const message = `Cannot update the status of case ${caseId}: ${check.reason}`;
      switch (check.rule) {
        case 'case-closed':
          throw conflictException(message, caseId, 'case');
        case 'aws-supported-case':
          throw validationException('OTHER', message);
        default:
          // The docs do not say which error an illegal transition gets (reference §5), hence the option.
          throw illegalTransitionError === 'ConflictException'
            ? conflictException(message, caseId, 'case')
            : validationException('OTHER', message);
      }
    }
    stored.caseStatus = caseStatus;
    stored.lastUpdatedDate = new Date();
    await this.options.persist();
    this.publish('Case Updated', stored, accessKeyId);
    return { caseStatus };
  }

  async closeCase(caseId: string, { accessKeyId }: { accessKeyId?: string } = {}): Promise<{ caseStatus: CaseStatus; closedDate: number }> {
    const stored = this.requireCase(caseId);
    const check = checkTransition(stored.caseStatus, CLOSED);
    if (!check.ok) throw conflictException(`Cannot close case ${caseId}: ${check.reason}`, caseId, 'case');
    const now = new Date();
    stored.caseStatus = CLOSED;
    stored.closedDate = now;
    stored.lastUpdatedDate = now;
    await this.options.persist();
    this.publish('Case Closed', stored, accessKeyId);
    return { caseStatus: CLOSED, closedDate: toEpochSeconds(now) };
  }

  listCases({ nextToken, maxResults = DEFAULT_PAGE_SIZE }: ListCasesInput): { items: ListCasesWireItem[]; total: number; nextToken?: string } {
    const all = this.store.allCases();
    let start = 0;
    if (nextToken !== undefined) {
      const after = decodePageToken(nextToken);
      const index = all.findIndex((c) => c.caseId === after);
      if (index < 0) throw invalidPageToken('the case it continues from no longer exists');
      start = index + 1;
    }
    const page = all.slice(start, start + maxResults);
    const more = start + page.length < all.length;
    return {
      items: page.map(listCasesItem),
      total: all.length,
      ...(more && page.length > 0 && { nextToken: encodePageToken(page[page.length - 1]!.caseId) }),
    };
  }

  async createCaseComment({ caseId, body, clientToken }: CreateCaseCommentInput, { accessKeyId }: { accessKeyId?: string } = {}): Promise<{ commentId: string }> {
    const stored = this.requireCase(caseId);
    const request = { caseId, body };
    const replayed = this.replay('CreateCaseComment', clientToken, request, 'comment');
    if (replayed) return { commentId: replayed };

    const commentId = this.store.nextCommentId(caseId);
    if (commentId === undefined) {
      throw serviceQuotaExceeded(`Case ${caseId} has reached the maximum number of comments`, caseId, 'case', SANDBOX_QUOTA_CODE);
    }
    const now = new Date();
    this.store.insertComment({ caseId, commentId, body, creator: this.options.accountId, createdDate: now });
    stored.lastUpdatedDate = now;
    this.remember('CreateCaseComment', clientToken, request, commentId);
    await this.options.persist();
    // Only for a new comment: a replayed clientToken adds nothing, so SIR has nothing to announce.
    this.publish('Case Comment Added', stored, accessKeyId);
    return { commentId };
  }

  private publish(detailType: CaseEvent['detailType'], stored: StoredCase, accessKeyId: string | undefined): void {
    const updatedBy = accessKeyId === undefined ? this.options.accountId : apiCallerPrincipal(this.options.accountId, accessKeyId);
    this.options.onCaseEvent?.({ detailType, caseId: stored.caseId, caseArn: stored.caseArn, updatedBy });
  }

  /**
   * What the AWS responder workflow does to AWS-supported cases (Acknowledged, Ready to Close…).
   * No SIR operation does this, so it bypasses the transition table on purpose.
   */
  setStatusAsResponder(caseId: string, status: CaseStatus): CaseEvent | undefined {
    return this.changeOutOfBand(caseId, { caseStatus: status }, 'AWS Responder');
  }

  /**
   * A change an analyst makes in the AWS console (or AWS makes to a case it supports): any status,
   * Closed included, and either resolver type, bypassing the transition table and the one-way rule of
   * UpdateResolverType, since what is tested is how phasegate copes with whatever SIR then says.
   * Returns the event SIR would publish, or undefined when nothing changed.
   */
  changeOutOfBand(caseId: string, change: OutOfBandChange, updatedBy: string): CaseEvent | undefined {
    if (change.caseStatus !== undefined && !isCaseStatus(change.caseStatus)) throw new TypeError(`"${String(change.caseStatus)}" is not a SIR case status`);
    if (change.resolverType !== undefined && !RESOLVER_TYPES.includes(change.resolverType)) {
      throw new TypeError(`"${String(change.resolverType)}" is not a SIR resolver type`);
    }
    const stored = this.store.findCase(caseId);
    if (!stored) throw new Error(`the sandbox has no case ${caseId}`);
    const statusChanged = change.caseStatus !== undefined && change.caseStatus !== stored.caseStatus;
    const resolverChanged = change.resolverType !== undefined && change.resolverType !== stored.resolverType;
    if (!statusChanged && !resolverChanged) return undefined;

    const now = new Date();
    if (statusChanged) {
      stored.caseStatus = change.caseStatus!;
      if (stored.caseStatus === CLOSED) stored.closedDate ??= now;
      else delete stored.closedDate;
    }
    if (resolverChanged) stored.resolverType = change.resolverType!;
    stored.lastUpdatedDate = now;
    this.persistInBackground();
    // One event per change, as the console saves one edit: closing is the news when a case closes.
    const detailType = statusChanged && stored.caseStatus === CLOSED ? 'Case Closed' : 'Case Updated';
    return { detailType, caseId, caseArn: stored.caseArn, updatedBy };
  }

  reset(): void {
    this.store.clear();
    this.persistInBackground();
  }

  private requireCase(caseId: string): StoredCase {
    const stored = this.store.findCase(caseId);
    if (!stored) throw resourceNotFound(`Case ${caseId} does not exist`);
    return stored;
  }

  /**
   * The id an earlier request with this clientToken produced, if the token was seen with the same
   * request. The docs leave a token reused with a different request undefined (reference §6); a
   * ConflictException is what an idempotent API conventionally answers, and it surfaces the bug.
   */
  private replay(operation: IdempotentOperation, clientToken: string | undefined, request: object, resourceType: string): string | undefined {
    if (clientToken === undefined) return undefined;
    const prior = this.store.findClientToken(operation, clientToken);
    if (!prior) return undefined;
    if (prior.requestFingerprint === fingerprint(request)) return prior.resultId;
    throw conflictException(
      `clientToken ${JSON.stringify(clientToken)} was already used for a different ${operation} request (which produced ${resourceType} ${prior.resultId})`,
      prior.resultId,
      resourceType,
    );
  }

  private remember(operation: IdempotentOperation, clientToken: string | undefined, request: object, resultId: string): void {
    if (clientToken === undefined) return;
    this.store.rememberClientToken(operation, clientToken, { requestFingerprint: fingerprint(request), resultId });
  }

  private persistInBackground(): void {
    this.options.persist().catch(this.options.onBackgroundError);
  }
}

function fingerprint(request: object): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}
