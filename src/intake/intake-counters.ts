/**
 * The counters both doors (the API server and `phasegate intake`) export under the same names, so one
 * dashboard adds them up; `refused` says what a refusal means at that door.
 */
import { Counter, type Registry } from 'prom-client';
import type { SlotVerdict } from '../temporal/case-rate-limiter-client';

/**
 * Why an alert was refused, as a metric label: authentication and key scope (the API), then the
 * checks both doors share (alert-intake.ts).
 */
export const ALERT_REFUSAL_REASONS = [
  'missing_credentials',
  'ambiguous_credentials',
  'malformed_signature',
  'stale_signature',
  'bad_signature',
  'scheme_not_configured',
  'malformed_authorization',
  'unknown_key',
  'source_not_allowed',
  'empty_body',
  'malformed_json',
  'invalid_alert',
  'adoption_not_allowed',
  'no_playbook',
  'temporal_unavailable',
] as const;
export type AlertRefusalReason = (typeof ALERT_REFUSAL_REASONS)[number];

export const SIR_EVENT_OUTCOMES = ['signalled', 'ignored', 'refused'] as const;

export function alertCounters(registry: Registry, refused: string) {
  const counters = {
    alerts: new Counter({
      name: 'phasegate_alerts_total',
      help: `Alerts received, by outcome: accepted (new case), duplicate (joined a case), refused (${refused})`,
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    /** Alerts that joined a playbook's storm case because it was past maxNewCasesPerHour (issue 13). */
    stormAlerts: new Counter({
      name: 'phasegate_storm_alerts_total',
      help: 'Alerts that joined the hour storm case of their playbook, past its maxNewCasesPerHour',
      labelNames: ['playbook'] as const,
      registers: [registry],
    }),
    /** What this process asked the case-rate limiters: only alerts that would open a case ask, and none once an hour is known full (issue 18). */
    limiterRequests: new Counter({
      name: 'phasegate_case_limiter_requests_total',
      help: 'reserveCase updates this process sent to case-rate limiters, by playbook and answer (granted, already_granted, limit_reached)',
      labelNames: ['playbook', 'answer'] as const,
      registers: [registry],
    }),
    alertRefusals: new Counter({
      name: 'phasegate_alert_refusals_total',
      help: 'Alerts refused, by reason (authentication, key scope, validation, case adoption, routing, Temporal unreachable)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    sirEvents: new Counter({
      name: 'phasegate_sir_events_total',
      help: `SIR events (aws.security-ir) received, by outcome: signalled (passed to a case), ignored (nothing to do), refused (${refused})`,
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
  // Zeros from the start, so a rate() over a reason or outcome works before its first occurrence.
  for (const reason of ALERT_REFUSAL_REASONS) counters.alertRefusals.inc({ reason }, 0);
  for (const outcome of SIR_EVENT_OUTCOMES) counters.sirEvents.inc({ outcome }, 0);
  return counters;
}

/** The `answer` label of phasegate_case_limiter_requests_total. */
export function limiterAnswerLabel(verdict: SlotVerdict): string {
  return verdict.replace('-', '_');
}
