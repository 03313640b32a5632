/**
 * The inputs of the six operations as the SIR Smithy model constrains them (reference §2.1–§2.8),
 * and their decoding from the HTTP request. Patterns are copied from the model verbatim, quirks
 * included (see the IPAddress and AwsService notes): the sandbox should refuse what AWS refuses.
 */
import { ENGAGEMENT_TYPES, RESOLVER_TYPES, SELF_MANAGED_STATUSES, type SelfManagedStatus } from '../domain/case/status';
import type { CreateCaseCommentInput, CreateCaseInput, ListCasesInput, ValidationExceptionField } from '../sir/shapes';
import { fieldValidationFailed, validationException } from './errors';
import {
  decodeShape,
  isPlainObject,
  optional,
  required,
  type ListShape,
  type Member,
  type Shape,
  type StringShape,
  type StructureShape,
} from './smithy-constraints';
import { SIR_AWS_REGIONS } from '../domain/sir-api/aws-regions';


// No `$`: the model's CaseId pattern only anchors the start, so "1234567890abc" passes the pattern
// (and then simply names no case).
const CaseId: StringShape = { type: 'string', length: { min: 10, max: 32 }, pattern: /^\d{10,32}/ };
const ClientToken: StringShape = { type: 'string', length: { min: 1, max: 255 } };
const CaseTitle: StringShape = { type: 'string', length: { min: 1, max: 300 }, sensitive: true };
const CaseDescription: StringShape = { type: 'string', length: { min: 1, max: 8000 }, sensitive: true };
const CommentBody: StringShape = { type: 'string', length: { min: 1, max: 12000 }, sensitive: true };
const AWSAccountId: StringShape = { type: 'string', length: { min: 12, max: 12 }, pattern: /^[0-9]{12}$/ };
// ` -.` in the class is the range space..'.', so the model also admits !"#$%&'*+, here. Kept as is.
const AwsService: StringShape = { type: 'string', length: { min: 2, max: 50 }, pattern: /^[a-zA-Z0-9 -.():]+$/ };
const EmailAddress: StringShape = {
  type: 'string',
  length: { min: 6, max: 254 },
  pattern: /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*$/,
  sensitive: true,
};
const PersonName: StringShape = { type: 'string', length: { min: 1, max: 50 }, sensitive: true };
const JobTitle: StringShape = { type: 'string', length: { min: 1, max: 50 }, sensitive: true };
// Verbatim from the model (reference §11.7): IPv4, or 8-group IPv6 with UPPERCASE hex and no `::`
// compression, or 6 groups + IPv4. `^` binds to the first alternative only and `$` to the last one.
const IPAddress: StringShape = {
  type: 'string',
  pattern:
    /^(?:(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))|(?:(?:[A-F0-9]{1,4}:){7}[A-F0-9]{1,4})|(?:(?:[A-F0-9]{1,4}:){6}(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?))$/,
  sensitive: true,
};
const UserAgent: StringShape = { type: 'string', length: { min: 1, max: 500 } };
const NextToken: StringShape = { type: 'string', length: { max: 2000 } };

const structure = (members: Record<string, Member>): StructureShape => ({ type: 'structure', members });
const list = (member: Shape, length: ListShape['length'], uniqueItems = false): ListShape => ({ type: 'list', member, length, uniqueItems });

const Watcher = structure({ email: required(EmailAddress), name: optional(PersonName), jobTitle: optional(JobTitle) });
const ThreatActorIp = structure({ ipAddress: required(IPAddress), userAgent: optional(UserAgent) });
const ImpactedAwsRegion = structure({ region: required({ type: 'string', enum: SIR_AWS_REGIONS }) });

const CreateCaseRequest = structure({
  clientToken: optional(ClientToken),
  resolverType: required({ type: 'string', enum: RESOLVER_TYPES }),
  title: required(CaseTitle),
  description: required(CaseDescription),
  engagementType: required({ type: 'string', enum: ENGAGEMENT_TYPES }),
  reportedIncidentStartDate: required({ type: 'timestamp' }),
  impactedAccounts: required(list(AWSAccountId, { min: 0, max: 200 }, true)),
  watchers: required(list(Watcher, { min: 0, max: 30 }, true)),
  threatActorIpAddresses: optional(list(ThreatActorIp, { min: 0, max: 200 })),
  impactedServices: optional(list(AwsService, { min: 0, max: 600 }, true)),
  impactedAwsRegions: optional(list(ImpactedAwsRegion, { min: 0, max: 50 }, true)),
  tags: optional({ type: 'map', key: { type: 'string', length: { min: 1, max: 128 } }, value: { type: 'string', length: { min: 0, max: 256 } }, length: { max: 200 } }),
});

const CaseLabelRequest = structure({ caseId: required(CaseId) });

const UpdateCaseStatusRequest = structure({
  caseId: required(CaseId),
  // SelfManagedCaseStatus: `Closed` is not a member, so asking for it is an enum violation.
  caseStatus: required({ type: 'string', enum: SELF_MANAGED_STATUSES }),
});

const ListCasesRequest = structure({
  nextToken: optional(NextToken),
  maxResults: optional({ type: 'integer', range: { min: 1, max: 25 } }),
});

const CreateCaseCommentRequest = structure({
  caseId: required(CaseId),
  clientToken: optional(ClientToken),
  body: required(CommentBody),
});

export interface UpdateCaseStatusInput {
  caseId: string;
  caseStatus: SelfManagedStatus;
}

/** What an HTTP request carries for an operation: the `{caseId}` label (if any) and the raw body. */
export interface OperationRequest {
  caseId?: string;
  body: Buffer;
}

export function decodeCreateCase(request: OperationRequest): CreateCaseInput {
  return decode<CreateCaseInput>(CreateCaseRequest, readJsonBody(request.body));
}

/** GetCase and CloseCase: the label is the whole input, and any body is ignored. */
export function decodeCaseLabel(request: OperationRequest): string {
  return decode<{ caseId: string }>(CaseLabelRequest, { caseId: request.caseId }).caseId;
}

export function decodeUpdateCaseStatus(request: OperationRequest): UpdateCaseStatusInput {
  return decode<UpdateCaseStatusInput>(UpdateCaseStatusRequest, { ...readJsonBody(request.body), caseId: request.caseId });
}

export function decodeListCases(request: OperationRequest): ListCasesInput {
  return decode<ListCasesInput>(ListCasesRequest, readJsonBody(request.body));
}

export function decodeCreateCaseComment(request: OperationRequest): CreateCaseCommentInput {
  return decode<CreateCaseCommentInput>(CreateCaseCommentRequest, { ...readJsonBody(request.body), caseId: request.caseId });
}

/**
 * The JSON document of a restJson1 body. An empty body is an empty document (every member absent),
 * which is how a client sends an input whose members are all optional.
 */
export function readJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw validationException('CANNOT_PARSE', `Could not parse the request body as JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw validationException('CANNOT_PARSE', 'The request body must be a JSON object');
  return parsed;
}

function decode<T>(shape: StructureShape, document: Record<string, unknown>): T {
  const { value, errors } = decodeShape(shape, document);
  if (errors.length > 0) throw fieldValidationFailed(errors satisfies ValidationExceptionField[]);
  // decodeShape has checked every member against the shape T is written from.
  return value as T;
}
