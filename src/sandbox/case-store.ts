/**
 * The sandbox's state: cases, their comments, and the clientTokens already answered. It enforces
 * only what keeps the state coherent (unique ids, creation order); the SIR rules live in
 * sir-service.ts, so this module knows nothing about HTTP or error shapes.
 */
import { randomInt } from 'node:crypto';
import type { CaseStatus, EngagementType, ResolverType } from '../domain/case/status';
import type { ImpactedAwsRegion, ThreatActorIp, Watcher } from '../sir/shapes';

export interface StoredCase {
  caseId: string;
  caseArn: string;
  title: string;
  description: string;
  caseStatus: CaseStatus;
  resolverType: ResolverType;
  engagementType: EngagementType;
  reportedIncidentStartDate: Date;
  impactedAccounts: string[];
  watchers: Watcher[];
  threatActorIpAddresses: ThreatActorIp[];
  impactedServices: string[];
  impactedAwsRegions: ImpactedAwsRegion[];
  tags: Record<string, string>;
  createdDate: Date;
  lastUpdatedDate: Date;
  closedDate?: Date;
}

export interface StoredComment {
  caseId: string;
  commentId: string;
  body: string;
  /** The principal that wrote it; the sandbox has one account, so its account id. */
  creator: string;
  createdDate: Date;
}

/** Operations whose `clientToken` makes them idempotent (reference §6). */
export type IdempotentOperation = 'CreateCase' | 'CreateCaseComment';

export interface ClientTokenRecord {
  /** Fingerprint of the request the token first came with; a replay must match it. */
  requestFingerprint: string;
  /** The caseId or commentId the first request produced. */
  resultId: string;
}

export interface CaseStoreSnapshot {
  cases: StoredCase[];
  comments: StoredComment[];
  clientTokens: Record<IdempotentOperation, Record<string, ClientTokenRecord>>;
}

/** CaseArn admits exactly 10 digits, although CaseId allows up to 32. */
const CASE_ID_MIN = 1_000_000_000;
const CASE_ID_MAX_EXCLUSIVE = 10_000_000_000;
export const COMMENT_ID_LIMIT = 999_999;

export class CaseStore {
  // Map iteration order is insertion order, which ListCases pages through.
  private readonly cases = new Map<string, StoredCase>();
  private readonly comments = new Map<string, StoredComment[]>();
  private readonly clientTokens: Record<IdempotentOperation, Map<string, ClientTokenRecord>> = {
    CreateCase: new Map(),
    CreateCaseComment: new Map(),
  };

  /** A fresh 10-digit id; random rather than sequential so ids from two sandbox runs rarely collide. */
  newCaseId(): string {
    for (;;) {
      const id = String(randomInt(CASE_ID_MIN, CASE_ID_MAX_EXCLUSIVE));
      if (!this.cases.has(id)) return id;
    }
  }

  insertCase(stored: StoredCase): void {
    if (this.cases.has(stored.caseId)) throw new Error(`case ${stored.caseId} already exists`);
    this.cases.set(stored.caseId, stored);
  }

  /** The live record: callers inside the sandbox mutate it in place; copy before handing it out. */
  findCase(caseId: string): StoredCase | undefined {
    return this.cases.get(caseId);
  }

  /** Cases in creation order. */
  allCases(): StoredCase[] {
    return [...this.cases.values()];
  }

  get caseCount(): number {
    return this.cases.size;
  }

  /** Comment ids count up per case from 000001, which keeps them unique without a lookup. */
  nextCommentId(caseId: string): string | undefined {
    const next = (this.comments.get(caseId)?.length ?? 0) + 1;
    return next > COMMENT_ID_LIMIT ? undefined : String(next).padStart(6, '0');
  }

  insertComment(comment: StoredComment): void {
    const existing = this.comments.get(comment.caseId);
    if (existing) existing.push(comment);
    else this.comments.set(comment.caseId, [comment]);
  }

  commentsOf(caseId: string): StoredComment[] {
    return [...(this.comments.get(caseId) ?? [])];
  }

  findClientToken(operation: IdempotentOperation, token: string): ClientTokenRecord | undefined {
    return this.clientTokens[operation].get(token);
  }

  rememberClientToken(operation: IdempotentOperation, token: string, record: ClientTokenRecord): void {
    this.clientTokens[operation].set(token, record);
  }

  clear(): void {
    this.cases.clear();
    this.comments.clear();
    for (const tokens of Object.values(this.clientTokens)) tokens.clear();
  }

  snapshot(): CaseStoreSnapshot {
    return structuredClone({
      cases: this.allCases(),
      comments: [...this.comments.values()].flat(),
      clientTokens: {
        CreateCase: Object.fromEntries(this.clientTokens.CreateCase),
        CreateCaseComment: Object.fromEntries(this.clientTokens.CreateCaseComment),
      },
    });
  }

  restore(snapshot: CaseStoreSnapshot): void {
    const copy = structuredClone(snapshot);
    this.clear();
    for (const stored of copy.cases) this.insertCase(stored);
    for (const comment of copy.comments) {
      if (!this.cases.has(comment.caseId)) throw new Error(`comment ${comment.commentId} belongs to unknown case ${comment.caseId}`);
      this.insertComment(comment);
    }
    for (const operation of ['CreateCase', 'CreateCaseComment'] as const) {
      for (const [token, record] of Object.entries(copy.clientTokens[operation])) this.rememberClientToken(operation, token, record);
    }
  }
}
