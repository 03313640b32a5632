/**
 * The SIR side of the sandbox as a Fastify plugin: every request goes through the same pipeline as
 * at AWS — authenticate (SigV4), meet any injected fault, decode and validate, execute, answer — and
 * is written to the call log whatever its outcome.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SirOperation } from '../sir/shapes';
import type { CallLog } from './call-log';
import { conflictException, internalServerException, modelledErrorExample, SirHttpError, throttlingException, validationException } from './errors';
import type { FailureFault, FaultInjector, FaultPlan } from './fault-injector';
import { OPERATION_ROUTES, type OperationRoute } from './operation-routes';
import type { SigV4Verifier } from './sigv4-verifier';
import type { SirService } from './sir-service';

export interface SirApiDependencies {
  service: SirService;
  verifier: SigV4Verifier;
  faults: FaultInjector;
  calls: CallLog;
}

interface CallContext {
  seq: number;
  receivedAt: number;
  requestId: string;
  operation: SirOperation | 'Unknown';
  caseId?: string;
  requestBody?: unknown;
  accessKeyId?: string;
}

type Outcome = { statusCode: number; body: object } | { error: SirHttpError };

const EMPTY_BODY = Buffer.alloc(0);
const ROUTES_BY_KEY = new Map(OPERATION_ROUTES.map((route) => [routeKey(route.method, route.url), route]));

export async function sirApi(app: FastifyInstance, deps: SirApiDependencies): Promise<void> {
  // Keyed by request so no global FastifyRequest augmentation leaks into the rest of the project.
  const contexts = new WeakMap<FastifyRequest, CallContext>();

  // The signature covers the exact body bytes, so the body must reach the verifier unparsed,
  // whatever Content-Type the client sent (or none: the JS SDK sends none for GetCase and CloseCase).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const route = ROUTES_BY_KEY.get(routeKey(request.method, request.routeOptions.url));
    const context: CallContext = {
      seq: deps.calls.nextSeq(),
      receivedAt: Date.now(),
      requestId: randomUUID(),
      operation: route?.operation ?? 'Unknown',
      caseId: route ? (request.params as { caseId?: string }).caseId : undefined,
    };
    contexts.set(request, context);
    reply.header('x-amzn-RequestId', context.requestId);
  });

  // onSend sees every answer (success, refusal, Fastify's own errors) before any byte leaves, so a
  // test reading the log right after its response arrives always finds the entry.
  app.addHook('onSend', async (request, reply, payload) => {
    const context = contexts.get(request);
    if (context) {
      const errorType = reply.getHeader('x-amzn-ErrorType');
      deps.calls.record({
        seq: context.seq,
        at: context.receivedAt,
        operation: context.operation,
        ...(context.caseId !== undefined && { caseId: context.caseId }),
        statusCode: reply.statusCode,
        ...(typeof errorType === 'string' && { errorType }),
        requestId: context.requestId,
        ...(context.requestBody !== undefined && { requestBody: context.requestBody }),
        ...(context.accessKeyId !== undefined && { accessKeyId: context.accessKeyId }),
      });
      request.log.info(
        { operation: context.operation, caseId: context.caseId, statusCode: reply.statusCode, errorType, requestId: context.requestId },
        'SIR call',
      );
    }
    return payload;
  });

  // Cuts injected delays short when the sandbox closes, so close() never waits out a long latency fault.
  const closing = new AbortController();
  // Every delayed call listens on this signal until its delay ends (then the listener goes), so a
  // thousand slow calls in flight are a thousand listeners, not a leak.
  setMaxListeners(0, closing.signal);
  app.addHook('preClose', async () => closing.abort());

  const handle = async (route: OperationRoute | undefined, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const context = contexts.get(request)!;
    const body = Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
    context.requestBody = describeBody(body);

    const verification = await deps.verifier.verify({ method: request.method, url: request.raw.url ?? request.url, headers: request.raw.headersDistinct, body });
    context.accessKeyId = verification.accessKeyId;
    if (!verification.ok) return sendError(reply, verification.error);
    // Reference §9 suggests UNKNOWN_OPERATION for an unknown route; ValidationException is bound to
    // 400 in the model, and the SDKs dispatch on the type, so the status follows the type.
    // Authentication comes first, as at AWS: an anonymous caller learns nothing about the routes.
    if (!route) return sendError(reply, validationException('UNKNOWN_OPERATION', `No SIR operation is bound to ${request.method} ${pathOf(request)}`));

    const plan = deps.faults.take({ operation: route.operation, caseId: context.caseId });
    const outcome = await execute(route, plan, { caseId: context.caseId, body }, request);
    if (plan.latencyMs > 0) await sleep(plan.latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    if ('error' in outcome) return sendError(reply, outcome.error);
    return reply.code(outcome.statusCode).send(outcome.body);
  };

  const execute = async (route: OperationRoute, plan: FaultPlan, input: { caseId?: string; body: Buffer }, request: FastifyRequest): Promise<Outcome> => {
    const lostAnswer = plan.failure?.kind === 'internal' && plan.failure.afterApply === true;
    if (plan.failure && !lostAnswer) return { error: faultError(plan.failure, input.caseId) };
    let outcome: Outcome;
    try {
      outcome = { statusCode: route.successCode, body: await route.invoke(deps.service, input) };
    } catch (err) {
      outcome = { error: asSirError(err, request) };
    }
    // The operation ran (or was refused) but its answer is "lost": the client sees a 500 either way.
    return plan.failure ? { error: faultError(plan.failure, input.caseId) } : outcome;
  };

  for (const route of OPERATION_ROUTES) {
    app.route({ method: route.method, url: route.url, handler: (request, reply) => handle(route, request, reply) });
  }
  app.setNotFoundHandler((request, reply) => handle(undefined, request, reply));

  // Failures before the handler runs, i.e. Fastify refusing the body (too large, bad Content-Length).
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return sendError(reply, new SirHttpError('RequestEntityTooLargeException', 413, `Request body is larger than the sandbox accepts (${error.message})`));
    }
    if (status >= 400 && status < 500) return sendError(reply, validationException('CANNOT_PARSE', error.message));
    return sendError(reply, asSirError(error, request));
  });
}

function faultError(fault: FailureFault, caseId: string | undefined): SirHttpError {
  switch (fault.kind) {
    case 'throttle':
      return throttlingException('Rate exceeded (sandbox fault injection)', fault.retryAfterSeconds);
    case 'internal':
      return internalServerException('Internal server error (sandbox fault injection)', fault.retryAfterSeconds);
    case 'conflict':
      return conflictException('The case was modified concurrently (sandbox fault injection)', caseId ?? 'unknown', 'case');
    case 'error':
      return modelledErrorExample(fault.name, { caseId });
  }
}

function asSirError(err: unknown, request: FastifyRequest): SirHttpError {
  if (err instanceof SirHttpError) return err;
  // A bug or an I/O failure (e.g. the state file): the client gets the modelled 500, the details stay in the log.
  request.log.error({ err }, 'SIR sandbox operation failed');
  return internalServerException('An internal error occurred in the SIR sandbox');
}

function sendError(reply: FastifyReply, error: SirHttpError): FastifyReply {
  return reply.code(error.statusCode).headers(error.headers()).send(error.body());
}

/** What the call log shows of a body: the JSON document, the text when it is not JSON, nothing when empty. */
function describeBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function pathOf(request: FastifyRequest): string {
  const url = request.raw.url ?? request.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function routeKey(method: string, url: string | undefined): string {
  return `${method} ${url ?? ''}`;
}
