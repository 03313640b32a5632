/**
 * Output shapes as they travel: restJson1 without a timestampFormat trait sends timestamps as epoch
 * seconds in a JSON number, with the milliseconds as a fraction (reference §1). Optional members
 * that have no value are left out rather than sent as null, as AWS services do.
 */
import type { CaseStatus, EngagementType, ResolverType } from '../domain/case/status';
import type { ImpactedAwsRegion, ThreatActorIp, Watcher } from '../sir/shapes';
import type { StoredCase } from './case-store';

export type EpochSeconds = number;

export function toEpochSeconds(date: Date): EpochSeconds {
  return date.getTime() / 1000;
}

export interface GetCaseWireOutput {
  title: string;
  caseArn: string;
  description: string;
  caseStatus: CaseStatus;
  engagementType: EngagementType;
  reportedIncidentStartDate: EpochSeconds;
  impactedAwsRegions: ImpactedAwsRegion[];
  threatActorIpAddresses: ThreatActorIp[];
  impactedAccounts: string[];
  watchers: Watcher[];
  createdDate: EpochSeconds;
  lastUpdatedDate: EpochSeconds;
  resolverType: ResolverType;
  impactedServices: string[];
  closedDate?: EpochSeconds;
}

export interface ListCasesWireItem {
  caseId: string;
  lastUpdatedDate: EpochSeconds;
  title: string;
  caseArn: string;
  engagementType: EngagementType;
  caseStatus: CaseStatus;
  createdDate: EpochSeconds;
  closedDate?: EpochSeconds;
  resolverType: ResolverType;
}

export function getCaseOutput(stored: StoredCase): GetCaseWireOutput {
  return {
    title: stored.title,
    caseArn: stored.caseArn,
    description: stored.description,
    caseStatus: stored.caseStatus,
    engagementType: stored.engagementType,
    reportedIncidentStartDate: toEpochSeconds(stored.reportedIncidentStartDate),
    impactedAwsRegions: stored.impactedAwsRegions,
    threatActorIpAddresses: stored.threatActorIpAddresses,
    impactedAccounts: stored.impactedAccounts,
    watchers: stored.watchers,
    createdDate: toEpochSeconds(stored.createdDate),
    lastUpdatedDate: toEpochSeconds(stored.lastUpdatedDate),
    resolverType: stored.resolverType,
    impactedServices: stored.impactedServices,
    ...(stored.closedDate && { closedDate: toEpochSeconds(stored.closedDate) }),
  };
}

export function listCasesItem(stored: StoredCase): ListCasesWireItem {
  return {
    caseId: stored.caseId,
    lastUpdatedDate: toEpochSeconds(stored.lastUpdatedDate),
    title: stored.title,
    caseArn: stored.caseArn,
    engagementType: stored.engagementType,
    caseStatus: stored.caseStatus,
    createdDate: toEpochSeconds(stored.createdDate),
    ...(stored.closedDate && { closedDate: toEpochSeconds(stored.closedDate) }),
    resolverType: stored.resolverType,
  };
}
