/** Prometheus metrics of the HTTP side (GET /metrics). Worker metrics come from the Temporal Runtime. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type AlertOutcome = 'accepted' | 'duplicate' | 'refused' | 'replayed';

/**
 * Why an alert was refused, as a metric label: authentication and key scope (the route), then the
 * checks the route and the SQS intake share (src/server/alert-intake.ts).
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
  'no_playbook',
  'temporal_unavailable',
] as const;
export type AlertRefusalReason = (typeof ALERT_REFUSAL_REASONS)[number];

/**
 * The alert counters both doors (the API server and `phasegate intake`) export under the same names,
 * so one dashboard adds them up; `refused` says what a refusal means at that door.
 */
export function alertCounters(registry: Registry, refused: string) {
  return {
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
    alertRefusals: new Counter({
      name: 'phasegate_alert_refusals_total',
      help: 'Alerts refused, by reason (authentication, key scope, validation, routing, Temporal unreachable)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly alertCounters = alertCounters(this.registry, '4xx');
  readonly alerts = this.alertCounters.alerts;
  readonly stormAlerts = this.alertCounters.stormAlerts;
  readonly alertRefusals = this.alertCounters.alertRefusals;

  readonly requests = new Counter({
    name: 'phasegate_http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'code'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'phasegate_http_request_duration_seconds',
    help: 'HTTP request latency by route and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly caseRateLimit = new Gauge({
    name: 'phasegate_playbook_max_new_cases_per_hour',
    help: 'The maxNewCasesPerHour of each playbook that has one',
    labelNames: ['playbook'] as const,
    registers: [this.registry],
  });

  /** Which credential let alerts in: `key` is the keys-file name, so a rotation shows when an old key falls silent. */
  readonly alertSenders = new Counter({
    name: 'phasegate_alert_senders_total',
    help: 'Authenticated alert requests, by scheme (signature, api-key, basic) and key name',
    labelNames: ['scheme', 'key'] as const,
    registers: [this.registry],
  });

  readonly sirEvents = new Counter({
    name: 'phasegate_sir_events_total',
    help: 'SIR events (aws.security-ir) received, by outcome: signalled (passed to a case), ignored (202, nothing to do), refused',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'phasegate_decisions_total',
    help: 'Decisions posted to the API, by decision and result',
    labelNames: ['decision', 'result'] as const,
    registers: [this.registry],
  });

  readonly slackInteractions = new Counter({
    name: 'phasegate_slack_interactions_total',
    help: 'Slack interactivity requests (button clicks, modal submissions), by outcome: decided, refused (the case\'s rules), unmapped (no phasegate user), modal (reason dialog opened), ignored, invalid, unauthenticated (signature), failed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Cases waiting for a human right now, counted by Temporal visibility at scrape time (the
   * AwaitingApproval search attribute), so every server reports the same cluster-wide number.
   */
  watchPendingApprovals(count: () => Promise<number>): void {
    new Gauge({
      name: 'phasegate_approvals_pending',
      help: 'Running cases waiting for an approval decision',
      registers: [this.registry],
      async collect() {
        // Temporal unreachable: keep the last value; /healthz is where that outage shows.
        await count().then(
          (n) => this.set(n),
          () => undefined,
        );
      },
    });
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'phasegate_' });
    for (const outcome of ['accepted', 'duplicate', 'refused', 'replayed'] as const) this.alerts.inc({ outcome }, 0);
    // Zeros from the start, so a rate() over a refusal reason works before its first occurrence.
    for (const reason of ALERT_REFUSAL_REASONS) this.alertRefusals.inc({ reason }, 0);
    for (const outcome of ['signalled', 'ignored', 'refused'] as const) this.sirEvents.inc({ outcome }, 0);
  }
}
