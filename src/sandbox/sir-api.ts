/**
 * The SIR side of the sandbox as a Fastify plugin: every request goes through the same pipeline as
 * at AWS — authenticate (SigV4), meet any injected fault, decode and validate, execute, answer — and
 * is written to the call log whatever its outcome.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SirOperation } from '../sir/shapes';
import type { CallLog } from './call-log';
import { authError, conflictException, internalServerException, modelledErrorExample, SirHttpError, throttlingException, validationException } from './errors';
import type { FailureFault, FaultInjector, FaultPlan } from './fault-injector';
import { OPERATION_ROUTES, type OperationRoute } from './operation-routes';
import type { SigV4Verifier } from './sigv4-verifier';
import type { SirService } from './sir-service';

export interface SirApiDependencies {
  service: SirService;
  verifier: SigV4Verifier;
  faults: FaultInjector;
  calls: CallLog;
  /** How far the sandbox's clock is off real time (a clock-skew fault); its Date header follows it. */
  clockOffsetMs: () => number;
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

/** What a front end in front of the service answers: any status, any body, no AWS request id. */
interface RawAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

type Outcome = { statusCode: number; body: object } | { error: SirHttpError } | { raw: RawAnswer } | { reset: true };

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
    // Node dates every answer itself; a skewed sandbox clock must show in the Date a client learns from.
    const offsetMs = deps.clockOffsetMs();
    if (offsetMs !== 0) reply.header('date', new Date(Date.now() + offsetMs).toUTCString());
  });

  const record = (request: FastifyRequest, context: CallContext, statusCode: number, errorType: string | undefined): void => {
    deps.calls.record({
      seq: context.seq,
      at: context.receivedAt,
      operation: context.operation,
      ...(context.caseId !== undefined && { caseId: context.caseId }),
      statusCode,
      ...(errorType !== undefined && { errorType }),
      requestId: context.requestId,
      ...(context.requestBody !== undefined && { requestBody: context.requestBody }),
      ...(context.accessKeyId !== undefined && { accessKeyId: context.accessKeyId }),
    });
    request.log.info({ operation: context.operation, caseId: context.caseId, statusCode, errorType, requestId: context.requestId }, 'SIR call');
  };

  // onSend sees every answer (success, refusal, Fastify's own errors) before any byte leaves, so a
  // test reading the log right after its response arrives always finds the entry.
  app.addHook('onSend', async (request, reply, payload) => {
    const context = contexts.get(request);
    if (context) {
      const errorType = reply.getHeader('x-amzn-ErrorType');
      record(request, context, reply.statusCode, typeof errorType === 'string' ? errorType : undefined);
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

    const plan = deps.faults.take({ operation: route.operation, caseId: context.caseId, accessKeyId: verification.accessKeyId });
    const outcome = await execute(route, plan, { caseId: context.caseId, body, accessKeyId: verification.accessKeyId }, request);
    if (plan.latencyMs > 0) await sleep(plan.latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    if ('error' in outcome) return sendError(reply, outcome.error);
    if ('raw' in outcome) {
      // A page from a proxy carries no AWS request id: the client must cope without one.
      reply.removeHeader('x-amzn-RequestId');
      return reply.code(outcome.raw.statusCode).headers(outcome.raw.headers).send(outcome.raw.body);
    }
    if ('reset' in outcome) {
      // No answer at all: the log entry (status 0) is written here, since onSend never runs.
      record(request, context, 0, undefined);
      reply.hijack();
      request.raw.socket.resetAndDestroy();
      return reply;
    }
    return reply.code(outcome.statusCode).send(outcome.body);
  };

  const execute = async (route: OperationRoute, plan: FaultPlan, input: { caseId?: string; body: Buffer; accessKeyId?: string }, request: FastifyRequest): Promise<Outcome> => {
    const lostAnswer = plan.failure !== undefined && 'afterApply' in plan.failure && plan.failure.afterApply === true;
    if (plan.failure && !lostAnswer) return faultOutcome(plan.failure, input.caseId);
    let outcome: Outcome;
    try {
      const options = {
        ...(plan.illegalTransitionError && { illegalTransitionError: plan.illegalTransitionError }),
        ...(input.accessKeyId !== undefined && { accessKeyId: input.accessKeyId }),
      };
      outcome = { statusCode: route.successCode, body: await route.invoke(deps.service, input, options) };
    } catch (err) {
      outcome = { error: asSirError(err, request) };
    }
    // The operation ran (or was refused) but its answer is "lost": the client sees the fault either way.
    return plan.failure ? faultOutcome(plan.failure, input.caseId) : outcome;
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

function faultOutcome(fault: FailureFault, caseId: string | undefined): Outcome {
  switch (fault.kind) {
    case 'throttle':
      return { error: throttlingException('Rate exceeded (sandbox fault injection)', fault.retryAfterSeconds) };
    case 'internal':
      return { error: internalServerException('Internal server error (sandbox fault injection)', fault.retryAfterSeconds) };
    case 'conflict':
      return { error: conflictException('The case was modified concurrently (sandbox fault injection)', caseId ?? 'unknown', 'case') };
    case 'error':
      return { error: modelledErrorExample(fault.name, { caseId }) };
    case 'expired-token':
      // AWS's front end words it so; the SDKs see a generic ExpiredTokenException.
      return { error: authError('ExpiredTokenException', 'The security token included in the request is expired') };
    case 'unmodelled':
      return { raw: unmodelledAnswer(fault) };
    case 'reset':
      return { reset: true };
  }
}

function unmodelledAnswer(fault: Extract<FailureFault, { kind: 'unmodelled' }>): RawAnswer {
  const reason = STATUS_CODES[fault.status] ?? 'Error';
  const headers: Record<string, string> = {};
  if (fault.errorType !== undefined) headers['x-amzn-ErrorType'] = fault.errorType;
  if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
  if (fault.body === 'json') {
    headers['content-type'] = 'application/json';
    const body = { message: `${reason} (sandbox fault injection)`, ...(fault.errorType !== undefined && { __type: fault.errorType }) };
    return { statusCode: fault.status, headers, body: JSON.stringify(body) };
  }
  // What nginx-style front ends send: a page for humans, nothing a client can parse.
  headers['content-type'] = 'text/html';
  const title = `${fault.status} ${reason}`;
  return { statusCode: fault.status, headers, body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n` };
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
