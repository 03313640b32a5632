/**
 * SIR's own events on POST /v1/alerts (issue 12): SIR publishes `aws.security-ir` events to EventBridge
 * when a case changes (`Case Updated`, `Case Closed`, `Case Comment Added`; `detail.caseId`,
 * `detail.updatedBy`), and a rule delivers them here like any alert. Each one is handed to the running
 * case that drives that SIR case as a `sirCaseChanged` signal, which makes it re-read its SIR case and
 * adopt a change made outside phasegate within seconds instead of at its next slow re-read.
 *
 * Every answer to a well-formed event is a 202, also when nothing is done with it (`ignored: true` and
 * why): EventBridge retries what is not accepted, and an event for a case phasegate does not drive
 * will never become deliverable. Only Temporal being unreachable answers 503, so the event comes again.
 *
 * Events phasegate caused itself (its status changes and comments; `updatedBy` is one of
 * PHASEGATE_SIR_IDENTITY) are not signalled: they tell the case what it already knows, and every
 * phasegate comment would otherwise come back as a signal (a repeated alert → a comment → an event →
 * a signal…). Other events are not filtered here; the case coalesces them (any number of events
 * received while it is busy leads to one re-read).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { sirCaseChangedSignal } from '../domain/messages';
import { findRunningCaseBySirId } from '../temporal/case-commands';
import { sendError } from './http-errors';
import type { ServerMetrics } from './metrics';
import { isTemporalUnavailable, sendTemporalUnavailable } from './temporal-availability';
import { zodDetails } from './zod-details';

export const SIR_EVENT_SOURCE = 'aws.security-ir';

/** The detail-types that may mean the case's status or resolver type changed. */
export const SIR_CASE_EVENTS = ['Case Updated', 'Case Closed', 'Case Comment Added'] as const;

export interface SirEventDeps {
  client: Client;
  /** `detail.updatedBy` values that are phasegate itself (PHASEGATE_SIR_IDENTITY). */
  ownIdentities: readonly string[];
  metrics: ServerMetrics;
}

export interface SirEventAnswer {
  eventId?: string;
  detailType: string;
  caseId: string;
  /** The case workflow that was told, when one was. */
  caseWorkflowId?: string;
  ignored: boolean;
  reason?: string;
}

/** EventBridge's envelope; other fields (account, region, resources, time…) are allowed and unused. */
const envelope = z.looseObject({
  source: z.literal(SIR_EVENT_SOURCE),
  'detail-type': z.string().min(1).max(256),
  id: z.string().max(256).optional(),
  detail: z.looseObject({
    caseId: z.string().regex(/^\d{10,32}$/, 'a SIR case id (10-32 digits)'),
    updatedBy: z.string().max(2048).optional(),
  }),
});

/** Whether a parsed alert body is one of SIR's own events. */
export function isSirEvent(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { source?: unknown }).source === SIR_EVENT_SOURCE;
}

/**
 * Answers one SIR event: 202 with what was done, 400 for a malformed one, 503 when Temporal is down.
 * `accepted` is told each 202 answer (for the replay cache).
 */
export async function handleSirEvent(reply: FastifyReply, deps: SirEventDeps, json: unknown, accepted: (answer: SirEventAnswer) => void): Promise<FastifyReply> {
  const parsed = envelope.safeParse(json);
  if (!parsed.success) {
    deps.metrics.sirEvents.inc({ outcome: 'refused' });
    return sendError(reply, 400, 'invalid SIR event', zodDetails(parsed.error));
  }
  const event = parsed.data;
  const detailType = event['detail-type'];
  const { caseId, updatedBy } = event.detail;
  const base = { ...(event.id !== undefined && { eventId: event.id }), detailType, caseId };
  const answer = (body: SirEventAnswer): FastifyReply => {
    deps.metrics.sirEvents.inc({ outcome: body.ignored ? 'ignored' : 'signalled' });
    accepted(body);
    return reply.code(202).send(body);
  };

  if (!(SIR_CASE_EVENTS as readonly string[]).includes(detailType)) {
    return answer({ ...base, ignored: true, reason: `"${detailType}" events do not change a case's status; phasegate acts on ${SIR_CASE_EVENTS.join(', ')}` });
  }
  if (updatedBy !== undefined && deps.ownIdentities.includes(updatedBy)) {
    return answer({ ...base, ignored: true, reason: 'the change was made by phasegate itself (PHASEGATE_SIR_IDENTITY)' });
  }
  try {
    const handle = await findRunningCaseBySirId(deps.client, caseId);
    if (!handle) return answer({ ...base, ignored: true, reason: `no running phasegate case drives SIR case ${caseId}` });
    try {
      await handle.signal(sirCaseChangedSignal, {
        detailType,
        ...(updatedBy !== undefined && { updatedBy }),
        ...(event.id !== undefined && { eventId: event.id }),
        receivedAt: new Date().toISOString(),
      });
    } catch (err) {
      // The playbook ended between the query and the signal.
      if (err instanceof WorkflowNotFoundError) return answer({ ...base, ignored: true, reason: `the phasegate case for SIR case ${caseId} has ended` });
      throw err;
    }
    reply.log.info({ caseId, detailType, workflowId: handle.workflowId }, 'SIR event passed to its case');
    return answer({ ...base, caseWorkflowId: handle.workflowId, ignored: false });
  } catch (err) {
    if (!isTemporalUnavailable(err)) throw err;
    deps.metrics.sirEvents.inc({ outcome: 'refused' });
    return sendTemporalUnavailable(reply, err);
  }
}

/** PHASEGATE_SIR_IDENTITY: comma-separated `detail.updatedBy` values of phasegate's own SIR calls. */
export function parseSirIdentities(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
