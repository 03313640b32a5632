/**
 * Request and response shapes of the SIR operations phasegate uses, as the Smithy model defines them.
 * Timestamps are `Date` here; on the wire they are epoch seconds (restJson1 default).
 */
import type { CaseStatus, EngagementType, ResolverType, SelfManagedStatus } from '../domain/case/status';

export interface Watcher {
  email: string;
  name?: string;
  jobTitle?: string;
}

export interface ThreatActorIp {
  ipAddress: string;
  userAgent?: string;
}

export interface ImpactedAwsRegion {
  region: string;
}

export interface CreateCaseInput {
  clientToken?: string;
  resolverType: ResolverType;
  title: string;
  description: string;
  engagementType: EngagementType;
  reportedIncidentStartDate: Date;
  impactedAccounts: string[];
  watchers: Watcher[];
  threatActorIpAddresses?: ThreatActorIp[];
  impactedServices?: string[];
  impactedAwsRegions?: ImpactedAwsRegion[];
  tags?: Record<string, string>;
}

export interface CreateCaseOutput {
  caseId: string;
}

export interface CaseMetadataEntry {
  key: string;
  value: string;
}

export interface GetCaseOutput {
  title?: string;
  caseArn?: string;
  description?: string;
  caseStatus?: CaseStatus;
  engagementType?: EngagementType;
  reportedIncidentStartDate?: Date;
  actualIncidentStartDate?: Date;
  impactedAwsRegions?: ImpactedAwsRegion[];
  threatActorIpAddresses?: ThreatActorIp[];
  pendingAction?: 'Customer' | 'None';
  impactedAccounts?: string[];
  watchers?: Watcher[];
  createdDate?: Date;
  lastUpdatedDate?: Date;
  closureCode?: 'Investigation Completed' | 'Not Resolved' | 'False Positive' | 'Duplicate';
  resolverType?: ResolverType;
  impactedServices?: string[];
  closedDate?: Date;
  caseMetadata?: CaseMetadataEntry[];
}

export interface UpdateCaseStatusOutput {
  caseStatus?: SelfManagedStatus;
}

export interface CloseCaseOutput {
  caseStatus?: CaseStatus;
  closedDate?: Date;
}

export interface ListCasesInput {
  nextToken?: string;
  maxResults?: number;
}

export interface ListCasesItem {
  caseId: string;
  lastUpdatedDate?: Date;
  title?: string;
  caseArn?: string;
  engagementType?: EngagementType;
  caseStatus?: CaseStatus;
  createdDate?: Date;
  closedDate?: Date;
  resolverType?: ResolverType;
  pendingAction?: 'Customer' | 'None';
}

export interface ListCasesOutput {
  nextToken?: string;
  items: ListCasesItem[];
  total?: number;
}

export interface CreateCaseCommentInput {
  caseId: string;
  body: string;
  clientToken?: string;
}

export interface CreateCaseCommentOutput {
  commentId: string;
}

export interface ValidationExceptionField {
  name: string;
  message: string;
}

/** The SIR operations in scope, by their Smithy names (used in call logs, metrics and fault injection). */
export const SIR_OPERATIONS = [
  'CreateCase',
  'GetCase',
  'UpdateCaseStatus',
  'CloseCase',
  'ListCases',
  'CreateCaseComment',
] as const;
export type SirOperation = (typeof SIR_OPERATIONS)[number];
