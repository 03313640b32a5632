/**
 * Unsigned routes under /__sandbox for humans and scripts (curl, docker-compose health checks):
 * read the call log, arm faults, reset, and play the AWS responder. They are not part of the SIR API,
 * so they answer in the project's plain `{error, details}` style, not in AWS error shapes.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ALL_CASE_STATUSES, RESOLVER_TYPES, type CaseStatus, type ResolverType } from '../domain/case/status';
import { SIR_OPERATIONS } from '../sir/shapes';
import type { CallLog } from './call-log';
import type { CaseEvent, DeliveryState, EventDelivery } from './case-events';
import type { StoredCase } from './case-store';
import { faultSchema, faultTargetSchema, type FaultInjector } from './fault-injector';
import type { OutOfBandChange } from './sir-service';
export const ADMIN_PREFIX = '/__sandbox';

export interface AdminDependencies {
  calls: CallLog;
  faults: FaultInjector;
  getCase(caseId: string): StoredCase | undefined;
  setCaseStatus(caseId: string, status: CaseStatus): void;
  changeCase(caseId: string, change: CaseChange): Promise<CaseChangeResult>;
  eventDeliveries(): EventDelivery[];
  reset(): void;
}

const callsQuery = z.strictObject({
  operation: z.enum(['Unknown', ...SIR_OPERATIONS]).optional(),
  caseId: z.string().min(1).optional(),
});

const faultBody = z.looseObject({ operation: faultTargetSchema });

const caseStatusBody = z.strictObject({
  caseStatus: z.custom<CaseStatus>((v) => (ALL_CASE_STATUSES as readonly unknown[]).includes(v), {
    message: `must be one of: ${ALL_CASE_STATUSES.join(' | ')}`,
  }),
});

const caseChangeBody = z
  .strictObject({
    caseStatus: caseStatusBody.shape.caseStatus.optional(),
    resolverType: z.enum(RESOLVER_TYPES).optional(),
    // What SIR reports as detail.updatedBy: an account id, a principal ARN, or "AWS Responder".
    updatedBy: z.string().min(1).max(2048).optional(),
  })
  .refine((b) => b.caseStatus !== undefined || b.resolverType !== undefined, { message: 'give caseStatus, resolverType or both' });

export async function adminRoutes(app: FastifyInstance, deps: AdminDependencies): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/calls', async (request, reply) => {
    const query = callsQuery.safeParse(request.query);
    if (!query.success) return badRequest(reply, 'invalid query', query.error);
    return { calls: deps.calls.list(query.data) };
  });

  app.delete('/calls', async (_request, reply) => {
    deps.calls.clear();
    return reply.code(204).send();
  });

  app.get('/faults', async () => ({ faults: deps.faults.list() }));

  app.post('/faults', async (request, reply) => {
    const target = faultBody.safeParse(request.body);
    if (!target.success) return badRequest(reply, 'invalid fault', target.error);
    const { operation, ...rest } = target.data;
    const fault = faultSchema.safeParse(rest);
    if (!fault.success) return badRequest(reply, 'invalid fault', fault.error);
    deps.faults.inject(operation, fault.data);
    return reply.code(201).send({ operation, fault: fault.data });
  });

  app.delete('/faults', async (_request, reply) => {
    deps.faults.clear();
    return reply.code(204).send();
  });

  app.post('/reset', async (_request, reply) => {
    deps.reset();
    return reply.code(204).send();
  });

  app.post<{ Params: { caseId: string } }>('/cases/:caseId/status', async (request, reply) => {
    const body = caseStatusBody.safeParse(request.body);
    if (!body.success) return badRequest(reply, 'invalid case status', body.error);
    const { caseId } = request.params;
    if (!deps.getCase(caseId)) return reply.code(404).send({ error: `the sandbox has no case ${caseId}` });
    deps.setCaseStatus(caseId, body.data.caseStatus);
    return { caseId, caseStatus: body.data.caseStatus };
  });

  // The analyst's (or AWS's) console: changes the case outside the SIR API and publishes the event.
  app.patch<{ Params: { caseId: string } }>('/cases/:caseId', async (request, reply) => {
    const body = caseChangeBody.safeParse(request.body);
    if (!body.success) return badRequest(reply, 'invalid case change', body.error);
    const { caseId } = request.params;
    if (!deps.getCase(caseId)) return reply.code(404).send({ error: `the sandbox has no case ${caseId}` });
    return deps.changeCase(caseId, body.data);
  });

  app.get('/events', async () => ({ events: deps.eventDeliveries() }));

  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ error: `no sandbox admin route ${request.method} ${request.url}` }));

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'sandbox admin route failed');
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });
}

function badRequest(reply: FastifyReply, error: string, zodError: z.ZodError): FastifyReply {
  const details = zodError.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  return reply.code(400).send({ error, details });
}

export interface CaseChange extends OutOfBandChange {
  /** Default: the sandbox's account id (a customer analyst). */
  updatedBy?: string;
}

export interface CaseChangeResult {
  caseId: string;
  caseStatus: CaseStatus;
  resolverType: ResolverType;
  /** Absent when nothing changed (no event is published for that). */
  event?: { id?: string; detailType: CaseEvent['detailType']; delivery: DeliveryState | 'not-configured' };
}


