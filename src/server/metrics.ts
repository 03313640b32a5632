/** Prometheus metrics of the HTTP side (GET /metrics). Worker metrics come from the Temporal Runtime. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { alertCounters } from '../intake/intake-counters';

export type AlertOutcome = 'accepted' | 'duplicate' | 'refused' | 'replayed';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly alertCounters = alertCounters(this.registry, '4xx');
  readonly alerts = this.alertCounters.alerts;
  readonly stormAlerts = this.alertCounters.stormAlerts;
  readonly limiterRequests = this.alertCounters.limiterRequests;
  readonly alertRefusals = this.alertCounters.alertRefusals;
  readonly sirEvents = this.alertCounters.sirEvents;

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
  }
}
