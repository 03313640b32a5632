/**
 * SIR's own events (issue 12), whichever door they came through (POST /v1/alerts, or the SQS queue an
 * EventBridge rule fills): SIR publishes `aws.security-ir` events when a case changes, and each one is
 * handed to the running case that drives that SIR case as a `sirCaseChanged` signal, which makes it
 * re-read its SIR case and adopt a change made outside phasegate within seconds instead of at its next
 * slow re-read.
 *
 * A well-formed event is always taken, also when nothing is done with it (`ignored: true` and why): an
 * event for a case phasegate does not drive will never become deliverable, so the API answers 202 and
 * the intake deletes the message rather than have EventBridge or the queue try it again. A malformed
 * one is refused (400; left for the queue's redrive policy). Temporal errors are thrown, for the door
 * to answer 503 or hold the message.
 *
 * Events phasegate caused itself (its status changes and comments; `updatedBy` is one of
 * PHASEGATE_SIR_IDENTITY) are not signalled: they tell the case what it already knows, and every
 * phasegate comment would otherwise come back as a signal (a repeated alert → a comment → an event →
 * a signal…). Other events are not filtered here; the case coalesces them (any number of events
 * received while it is busy leads to one re-read).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AlertProblem } from '../domain/alert/issues';
import { sirCaseChangedSignal } from '../domain/contract/messages';
import { SIR_CASE_EVENTS, mayChangeCase, parseSirEvent } from '../domain/sir-api/event';
import { findRunningCaseBySirId } from '../temporal/case-commands';

export interface SirEventDeps {
  client: Client;
  /** `detail.updatedBy` values that are phasegate itself (PHASEGATE_SIR_IDENTITY). */
  ownIdentities: readonly string[];
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

export interface SirEventRefusal {
  ok: false;
  status: 400;
  reason: 'invalid_sir_event';
  error: string;
  details: AlertProblem[];
}

export type SirEventResult = { ok: true; answer: SirEventAnswer } | SirEventRefusal;

/** Passes one SIR event to the case it is about, or says why not. Throws what Temporal throws. */
export async function takeSirEvent(deps: SirEventDeps, json: unknown): Promise<SirEventResult> {
  const parsed = parseSirEvent(json);
  if (!parsed.ok) return { ok: false, status: 400, reason: 'invalid_sir_event', error: 'invalid SIR event', details: parsed.problems };
  const { eventId, detailType, caseId, updatedBy } = parsed.event;
  const base = { ...(eventId !== undefined && { eventId }), detailType, caseId };
  const ignored = (reason: string): SirEventResult => ({ ok: true, answer: { ...base, ignored: true, reason } });

  if (!mayChangeCase(detailType)) {
    return ignored(`"${detailType}" events do not change a case's status; phasegate acts on ${SIR_CASE_EVENTS.join(', ')}`);
  }
  if (updatedBy !== undefined && deps.ownIdentities.includes(updatedBy)) return ignored('the change was made by phasegate itself (PHASEGATE_SIR_IDENTITY)');
  const handle = await findRunningCaseBySirId(deps.client, caseId);
  if (!handle) return ignored(`no running phasegate case drives SIR case ${caseId}`);
  try {
    await handle.signal(sirCaseChangedSignal, {
      detailType,
      ...(updatedBy !== undefined && { updatedBy }),
      ...(eventId !== undefined && { eventId }),
      receivedAt: new Date().toISOString(),
    });
  } catch (err) {
    // The playbook ended between the query and the signal.
    if (err instanceof WorkflowNotFoundError) return ignored(`the phasegate case for SIR case ${caseId} has ended`);
    throw err;
  }
  return { ok: true, answer: { ...base, caseWorkflowId: handle.workflowId, ignored: false } };
}

/** PHASEGATE_SIR_IDENTITY: comma-separated `detail.updatedBy` values of phasegate's own SIR calls. */
export function parseSirIdentities(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
