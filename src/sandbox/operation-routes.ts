/**
 * The HTTP bindings of the six operations (Smithy @http traits, reference §2): method, URI and the
 * success code, which is 201 for CreateCase, UpdateCaseStatus and CreateCaseComment. Each binding
 * decodes its input and calls the service, so a route is the whole story of one operation.
 */
import type { SirOperation } from '../sir/shapes';
import {
  decodeCaseLabel,
  decodeCreateCase,
  decodeCreateCaseComment,
  decodeListCases,
  decodeUpdateCaseStatus,
  type OperationRequest,
} from './input-validation';
import type { IllegalTransitionError, SirService } from './sir-service';

/** Per-call settings that fault injection may change. */
export interface InvokeOptions {
  illegalTransitionError?: IllegalTransitionError;
  /** Who signed the call: the events a change publishes name this key's principal as updatedBy. */
  accessKeyId?: string;
}

export interface OperationRoute {
  operation: SirOperation;
  method: 'GET' | 'POST';
  /** Fastify syntax; `:caseId` is the model's `{caseId}` label. */
  url: string;
  successCode: 200 | 201;
  invoke(service: SirService, request: OperationRequest, options: InvokeOptions): object | Promise<object>;
}

export const OPERATION_ROUTES: readonly OperationRoute[] = [
  {
    operation: 'CreateCase',
    method: 'POST',
    url: '/v1/create-case',
    successCode: 201,
    invoke: (service, request) => service.createCase(decodeCreateCase(request)),
  },
  {
    operation: 'GetCase',
    method: 'GET',
    url: '/v1/cases/:caseId/get-case',
    successCode: 200,
    invoke: (service, request) => service.getCase(decodeCaseLabel(request)),
  },
  {
    operation: 'UpdateCaseStatus',
    method: 'POST',
    url: '/v1/cases/:caseId/update-case-status',
    successCode: 201,
    invoke: (service, request, options) => service.updateCaseStatus(decodeUpdateCaseStatus(request), options),
  },
  {
    operation: 'CloseCase',
    method: 'POST',
    url: '/v1/cases/:caseId/close-case',
    successCode: 200,
    invoke: (service, request, options) => service.closeCase(decodeCaseLabel(request), options),
  },
  {
    operation: 'ListCases',
    method: 'POST',
    url: '/v1/list-cases',
    successCode: 200,
    invoke: (service, request) => service.listCases(decodeListCases(request)),
  },
  {
    operation: 'CreateCaseComment',
    method: 'POST',
    url: '/v1/cases/:caseId/create-comment',
    successCode: 201,
    invoke: (service, request, options) => service.createCaseComment(decodeCreateCaseComment(request), options),
  },
];
