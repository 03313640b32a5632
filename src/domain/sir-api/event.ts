/**
 * AWS Security Incident Response's own EventBridge events (source `aws.security-ir`): what SIR
 * publishes when a case changes (`Case Updated`, `Case Closed`, `Case Comment Added`; `detail.caseId`,
 * `detail.updatedBy`). Both doors take them (POST /v1/alerts and the SQS intake); this module says
 * which bodies are such events and reads their envelope.
 */
import { z } from 'zod';
import type { AlertProblem } from '../alert/issues';

export const SIR_EVENT_SOURCE = 'aws.security-ir';

/** The detail-types that may mean the case's status or resolver type changed. */
export const SIR_CASE_EVENTS = ['Case Updated', 'Case Closed', 'Case Comment Added'] as const;

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

export interface SirEvent {
  eventId?: string;
  detailType: string;
  caseId: string;
  updatedBy?: string;
}

/** Whether a parsed body claims to be one of SIR's own events (its envelope is checked by parseSirEvent). */
export function isSirEvent(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { source?: unknown }).source === SIR_EVENT_SOURCE;
}

export function parseSirEvent(json: unknown): { ok: true; event: SirEvent } | { ok: false; problems: AlertProblem[] } {
  const parsed = envelope.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })),
    };
  }
  const { id, detail } = parsed.data;
  return {
    ok: true,
    event: { ...(id !== undefined && { eventId: id }), detailType: parsed.data['detail-type'], caseId: detail.caseId, ...(detail.updatedBy !== undefined && { updatedBy: detail.updatedBy }) },
  };
}

/** Whether an event of this detail-type can mean the case's status or resolver type changed. */
export function mayChangeCase(detailType: string): boolean {
  return (SIR_CASE_EVENTS as readonly string[]).includes(detailType);
}
