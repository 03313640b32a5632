/**
 * The HTTP bindings and shapes of the SIR operations in scope, as the Smithy model has them
 * (reference §2). This table is the only place that knows routes and success codes.
 */
import type { SirOperation } from './shapes';
import { shape, type StructureShape } from './wire-codec';

export interface OperationBinding {
  readonly method: 'GET' | 'POST';
  /** `{caseId}` is the only label in scope. */
  readonly route: string;
  /** Three of the six answer 201, which is easy to get wrong. */
  readonly successCode: 200 | 201;
  /** The body members; absent when the operation sends no body at all (and so no content-type). */
  readonly input?: StructureShape;
  readonly output: StructureShape;
}

const watcher = shape.structure({ email: shape.string, name: shape.string, jobTitle: shape.string }, ['email']);
const threatActorIp = shape.structure({ ipAddress: shape.string, userAgent: shape.string }, ['ipAddress']);
const impactedAwsRegion = shape.structure({ region: shape.string }, ['region']);
const strings = shape.list(shape.string);

const caseMetadataEntry = shape.structure({ key: shape.string, value: shape.string }, ['key', 'value']);

const listCasesItem = shape.structure(
  {
    caseId: shape.string,
    lastUpdatedDate: shape.timestamp,
    title: shape.string,
    caseArn: shape.string,
    engagementType: shape.string,
    caseStatus: shape.string,
    createdDate: shape.timestamp,
    closedDate: shape.timestamp,
    resolverType: shape.string,
    pendingAction: shape.string,
  },
  ['caseId'],
);

export const OPERATIONS: Readonly<Record<SirOperation, OperationBinding>> = {
  CreateCase: {
    method: 'POST',
    route: '/v1/create-case',
    successCode: 201,
    input: shape.structure({
      clientToken: shape.string,
      resolverType: shape.string,
      title: shape.string,
      description: shape.string,
      engagementType: shape.string,
      reportedIncidentStartDate: shape.timestamp,
      impactedAccounts: strings,
      watchers: shape.list(watcher),
      threatActorIpAddresses: shape.list(threatActorIp),
      impactedServices: strings,
      impactedAwsRegions: shape.list(impactedAwsRegion),
      tags: shape.map(shape.string),
    }),
    output: shape.structure({ caseId: shape.string }, ['caseId']),
  },
  GetCase: {
    method: 'GET',
    route: '/v1/cases/{caseId}/get-case',
    successCode: 200,
    output: shape.structure({
      title: shape.string,
      caseArn: shape.string,
      description: shape.string,
      caseStatus: shape.string,
      engagementType: shape.string,
      reportedIncidentStartDate: shape.timestamp,
      actualIncidentStartDate: shape.timestamp,
      impactedAwsRegions: shape.list(impactedAwsRegion),
      threatActorIpAddresses: shape.list(threatActorIp),
      pendingAction: shape.string,
      impactedAccounts: strings,
      watchers: shape.list(watcher),
      createdDate: shape.timestamp,
      lastUpdatedDate: shape.timestamp,
      closureCode: shape.string,
      resolverType: shape.string,
      impactedServices: strings,
      closedDate: shape.timestamp,
      caseMetadata: shape.list(caseMetadataEntry),
    }),
  },
  UpdateCaseStatus: {
    method: 'POST',
    route: '/v1/cases/{caseId}/update-case-status',
    successCode: 201,
    input: shape.structure({ caseStatus: shape.string }),
    output: shape.structure({ caseStatus: shape.string }),
  },
  CloseCase: {
    method: 'POST',
    route: '/v1/cases/{caseId}/close-case',
    successCode: 200,
    output: shape.structure({ caseStatus: shape.string, closedDate: shape.timestamp }),
  },
  ListCases: {
    method: 'POST',
    route: '/v1/list-cases',
    successCode: 200,
    input: shape.structure({ nextToken: shape.string, maxResults: shape.number }),
    output: shape.structure({ nextToken: shape.string, items: shape.list(listCasesItem), total: shape.number }),
  },
  CreateCaseComment: {
    method: 'POST',
    route: '/v1/cases/{caseId}/create-comment',
    successCode: 201,
    input: shape.structure({ clientToken: shape.string, body: shape.string }),
    output: shape.structure({ commentId: shape.string }, ['commentId']),
  },
};

/**
 * RFC 3986 percent-encoding of a label, as the AWS SDK does it: encodeURIComponent leaves `!'()*`
 * alone, which SigV4 canonicalization would encode, so they are encoded here too.
 */
export function encodeLabel(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
