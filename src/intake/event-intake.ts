/**
 * The one code path both doors take with an authenticated, parsed body (POST /v1/alerts after its
 * credential and key scope are checked; `phasegate intake` for each queue message): SIR's own events
 * go to the case they are about (sir-event-intake.ts), everything else is an alert (alert-intake.ts).
 * The doors differ only in how they answer: an HTTP status, or deleting the message or leaving it to
 * the queue's redrive policy.
 */
import { isSirEvent } from '../domain/sir-api/event';
import { type AdoptionPermission, type AlertIntakeDeps, type AlertIntakeResult, acceptAlert } from './alert-intake';
import { type SirEventResult, takeSirEvent } from './sir-event-intake';

export interface EventIntakeDeps extends AlertIntakeDeps {
  /** `detail.updatedBy` values of SIR events phasegate caused itself (PHASEGATE_SIR_IDENTITY). */
  sirIdentities: readonly string[];
}

export type EventIntakeResult = { kind: 'alert'; result: AlertIntakeResult } | { kind: 'sir-event'; result: SirEventResult };

/** Takes one body. Refusals are returned; Temporal errors are thrown (503, or the message held). */
export async function takeEvent(deps: EventIntakeDeps, json: unknown, adoption: AdoptionPermission): Promise<EventIntakeResult> {
  if (isSirEvent(json)) return { kind: 'sir-event', result: await takeSirEvent({ client: deps.client, ownIdentities: deps.sirIdentities }, json) };
  return { kind: 'alert', result: await acceptAlert(deps, json, adoption) };
}
