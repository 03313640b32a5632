/**
 * Humans acting on cases over HTTP: decide on a pending approval, read a case, list cases. The
 * caller is always the bearer token's user.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import type { DecisionKeys } from '../../attestation/decision-keys';
import { ALL_CASE_STATUSES } from '../../domain/case/status';
import { CaseCommandError, type CaseCommandErrorKind, caseState, decide, findCase, listCases, requestTransition } from '../../temporal/case-commands';
import { authenticate } from '../bearer-auth';
import { sendError } from '../http-errors';
import type { ServerMetrics } from '../metrics';
import { sendTemporalUnavailable } from '../temporal-availability';
import type { UserDirectory } from '../../config/users';
import { zodDetails } from '../zod-details';
import type { CaseTarget } from '../../domain/case/status';

export interface CaseRouteDeps {
  client: Client;
  users?: UserDirectory;
  metrics: ServerMetrics;
  /** Attests to workers that this server authenticated the person; without it only workers that trust Temporal access take decisions. */
  decisionKeys?: DecisionKeys;
}

const decisionBody = z.strictObject({
  approvalId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  decision: z.enum(['approve', 'reject']),
  comment: z.string().min(1).max(2000).optional(),
});

const TARGETS = ALL_CASE_STATUSES.filter((s) => s !== 'Acknowledged' && s !== 'Ready to Close') as [string, ...string[]];

const transitionBody = z.strictObject({
  to: z.enum(TARGETS),
  reason: z.string().min(1).max(2000).optional(),
  /** Send the same id again to retry safely: the request is answered, not queued twice. */
  requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/).optional(),
});

const listQuery = z.strictObject({
  status: z.enum(ALL_CASE_STATUSES as [string, ...string[]]).optional(),
  awaitingApproval: z.enum(['true', 'false']).optional(),
  playbook: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/).optional(),
  includeFinished: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const caseRef = z.string().regex(/^(\d{10,32}|case-[A-Za-z0-9._:-]{1,200})$/, 'a SIR case id (10-32 digits) or a workflow id (case-…)');

const HTTP_STATUS: Record<CaseCommandErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
};

export function registerCaseRoutes(app: FastifyInstance, deps: CaseRouteDeps): void {
  /** The preamble of a command on a case: the token's user, the case reference and the body, or a 4xx already sent. */
  const commandOn = <T>(request: FastifyRequest<{ Params: { caseId: string } }>, reply: FastifyReply, schema: z.ZodType<T>) => {
    const user = authenticate(request, reply, deps.users);
    if (!user) return undefined;
    const ref = caseRef.safeParse(request.params.caseId);
    if (!ref.success) return void sendError(reply, 400, 'invalid case id', zodDetails(ref.error, 'caseId'));
    const body = parseJsonBody(request.body, schema);
    if (!body.ok) return void sendError(reply, 400, body.error, body.details);
    return { user, ref: ref.data, body: body.value };
  };

  app.post<{ Params: { caseId: string } }>('/v1/cases/:caseId/decisions', async (request, reply) => {
    const command = commandOn(request, reply, decisionBody);
    if (!command) return reply;
    const { user, ref } = command;
    const { approvalId, decision, comment } = command.body;
    try {
      const handle = await findCase(deps.client, ref);
      const attestation = deps.decisionKeys?.attest({ kind: 'decide', namespace: deps.client.options.namespace, workflowId: handle.workflowId, approvalId, decision, comment }, user.name, user.groups);
      // `groups` is read only by cases started before attested decisions (their frozen loop has no other way).
      const answer = await decide(handle, { approvalId, decision, ...(comment !== undefined && { comment }), by: user.name, groups: user.groups, ...(attestation && { attestation }) });
      deps.metrics.decisions.inc({ decision, result: 'accepted' });
      request.log.info({ caseRef: ref, by: user.name, decision, approvalId, result: answer.result }, 'decision recorded');
      return reply.code(200).send(answer);
    } catch (err) {
      deps.metrics.decisions.inc({ decision, result: 'refused' });
      return sendCaseCommandError(reply, err);
    }
  });

  app.post<{ Params: { caseId: string } }>('/v1/cases/:caseId/transitions', async (request, reply) => {
    const command = commandOn(request, reply, transitionBody);
    if (!command) return reply;
    const { user, ref } = command;
    const { reason } = command.body;
    const to = command.body.to as CaseTarget;
    const requestId = command.body.requestId ?? randomUUID();
    try {
      const handle = await findCase(deps.client, ref);
      const attestation = deps.decisionKeys?.attest({ kind: 'transition', namespace: deps.client.options.namespace, workflowId: handle.workflowId, to, requestId, reason }, user.name, user.groups);
      const answer = await requestTransition(handle, { to, requestId, ...(reason !== undefined && { reason }), by: user.name, groups: user.groups, ...(attestation && { attestation }) });
      request.log.info({ caseRef: ref, by: user.name, to, result: answer.result }, 'transition request taken');
      return reply.code(200).send(answer);
    } catch (err) {
      return sendCaseCommandError(reply, err);
    }
  });

  // Who the token belongs to, so a CLI can check `--by` before it acts.
  app.get('/v1/me', async (request, reply) => {
    const user = authenticate(request, reply, deps.users);
    if (!user) return reply;
    return reply.send({ name: user.name, groups: user.groups });
  });

  app.get<{ Params: { caseId: string } }>('/v1/cases/:caseId', async (request, reply) => {
    if (!authenticate(request, reply, deps.users)) return reply;
    const ref = caseRef.safeParse(request.params.caseId);
    if (!ref.success) return sendError(reply, 400, 'invalid case id', zodDetails(ref.error, 'caseId'));
    try {
      return reply.send(await caseState(deps.client, ref.data));
    } catch (err) {
      return sendCaseCommandError(reply, err);
    }
  });

  app.get('/v1/cases', async (request, reply) => {
    if (!authenticate(request, reply, deps.users)) return reply;
    const query = listQuery.safeParse(request.query);
    if (!query.success) return sendError(reply, 400, 'invalid query', zodDetails(query.error));
    const q = query.data;
    try {
      const cases = await listCases(deps.client, {
        status: q.status as (typeof ALL_CASE_STATUSES)[number] | undefined,
        awaitingApproval: q.awaitingApproval === undefined ? undefined : q.awaitingApproval === 'true',
        playbook: q.playbook,
        runningOnly: q.includeFinished !== 'true',
        limit: q.limit,
      });
      return reply.send({ cases });
    } catch (err) {
      return sendCaseCommandError(reply, err);
    }
  });
}

function sendCaseCommandError(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof CaseCommandError)) throw err;
  if (err.kind === 'unavailable') return sendTemporalUnavailable(reply, err);
  return sendError(reply, HTTP_STATUS[err.kind], err.message, [{ path: 'caseId', message: err.type }]);
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string; details: { path: string; message: string }[] };

function parseJsonBody<T>(raw: unknown, schema: z.ZodType<T>): Parsed<T> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return { ok: false, error: 'empty body', details: [{ path: '(body)', message: 'send a JSON object' }] };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return { ok: false, error: 'malformed JSON', details: [{ path: '(body)', message: (err as Error).message }] };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: 'invalid body', details: zodDetails(parsed.error) };
}
