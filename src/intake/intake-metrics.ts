/**
 * Prometheus metrics of `phasegate intake`, and the small HTTP endpoint that serves them with a
 * health check (the intake has no API of its own). Alert and SIR event outcomes and refusal reasons
 * carry the same names as the server's (intake-counters.ts), so one dashboard adds up both doors.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { alertCounters } from './intake-counters';

export const INTAKE_MESSAGE_OUTCOMES = ['accepted', 'duplicate', 'signalled', 'ignored', 'refused', 'deferred', 'failed'] as const;
export type IntakeMessageOutcome = (typeof INTAKE_MESSAGE_OUTCOMES)[number];

export class IntakeMetrics {
  readonly registry = new Registry();
  private readonly alertCounters = alertCounters(this.registry, 'left for the dead-letter queue');
  readonly alerts = this.alertCounters.alerts;
  readonly stormAlerts = this.alertCounters.stormAlerts;
  readonly limiterRequests = this.alertCounters.limiterRequests;
  readonly alertRefusals = this.alertCounters.alertRefusals;
  readonly sirEvents = this.alertCounters.sirEvents;

  readonly messages = new Counter({
    name: 'phasegate_intake_messages_total',
    help:
      'SQS messages handled, by outcome: accepted/duplicate (alerts, deleted), signalled/ignored (SIR events, deleted), refused (left for redrive), ' +
      'deferred (Temporal unreachable, kept for later), failed (unexpected error, left for redrive)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly deadLettered = new Counter({
    name: 'phasegate_intake_dead_lettered_total',
    help: "Messages refused on the receive that reached the queue's maxReceiveCount: the queue moves them to its dead-letter queue next",
    registers: [this.registry],
  });

  readonly deleteErrors = new Counter({
    name: 'phasegate_intake_delete_errors_total',
    help: 'Accepted messages whose DeleteMessage failed (they come back and join their case as duplicates)',
    registers: [this.registry],
  });

  readonly receiveErrors = new Counter({
    name: 'phasegate_intake_receive_errors_total',
    help: 'ReceiveMessage calls that failed (retried with backoff)',
    registers: [this.registry],
  });

  readonly temporalRetries = new Counter({
    name: 'phasegate_intake_temporal_retries_total',
    help: 'Attempts to hand an alert to Temporal that found it unreachable (the message is held and retried)',
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'phasegate_intake_messages_in_flight',
    help: 'Messages received and not yet deleted or released',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'phasegate_' });
    for (const outcome of ['accepted', 'duplicate', 'refused'] as const) this.alerts.inc({ outcome }, 0);
    for (const outcome of INTAKE_MESSAGE_OUTCOMES) this.messages.inc({ outcome }, 0);
  }
}

export interface MetricsEndpoint {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics and GET /healthz on host:port. `health` says whether the intake can do its job; it is
 * what a container healthcheck or a load balancer asks.
 */
export async function serveIntakeMetrics(
  address: string,
  metrics: IntakeMetrics,
  health: () => { ok: boolean; detail: string },
): Promise<MetricsEndpoint> {
  const { host, port } = parseAddress(address);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'metrics failed', details: [{ path: '/metrics', message: String(err) }] })),
      );
      return;
    }
    if (request.method === 'GET' && path === '/healthz') {
      const state = health();
      response.writeHead(state.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: state.ok, detail: state.detail }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found', details: [{ path: path ?? '/', message: 'GET /metrics or /healthz' }] }));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen());
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound ? bound.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    close: () => new Promise((resolveClose) => server.close(() => resolveClose())),
  };
}

export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`"${address}" is not host:port (e.g. 0.0.0.0:9465)`);
  return { host: match[1] ?? match[2]!, port };
}
