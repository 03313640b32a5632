/**
 * The sandbox's side of SIR's EventBridge events (source `aws.security-ir`): what SIR publishes when a
 * case changes, so phasegate can be tested on the whole chain (sandbox → API → Temporal → worker)
 * without AWS. Each event is an EventBridge envelope POSTed to one configured URL and signed with
 * phasegate's webhook scheme (X-Phasegate-Signature), which is what POST /v1/alerts authenticates.
 *
 * Delivery is best effort, as it must be for a test double that plays a remote service: a few quick
 * tries, then the event is recorded as failed; it never holds up the change that caused it. (At AWS
 * delivery is durable through EventBridge rules and SQS; that durability is not emulated.)
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { signWebhook, SIGNATURE_HEADER } from '../server/webhook-signature';

/** The case events SIR publishes that the sandbox emits (reference §13). */
export type CaseEventType = 'Case Updated' | 'Case Closed' | 'Case Comment Added';

export const CASE_EVENT_SOURCE = 'aws.security-ir';

/** What changed, before it is wrapped in an envelope. */
export interface CaseEvent {
  detailType: CaseEventType;
  caseId: string;
  caseArn: string;
  /** Who made the change: an account id, an IAM principal, or `AWS Responder` (as SIR reports it). */
  updatedBy: string;
}

/** EventBridge's envelope (event structure reference), as a rule target receives it. */
export interface CaseEventEnvelope {
  version: '0';
  id: string;
  'detail-type': CaseEventType;
  source: typeof CASE_EVENT_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { caseId: string; updatedBy: string };
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface EventDelivery {
  event: CaseEventEnvelope;
  state: DeliveryState;
  attempts: number;
  /** The last HTTP status or network error, for humans reading GET /__sandbox/events. */
  lastResult?: string;
}

export interface CaseEventSinkOptions {
  url: string;
  /** The webhook secret the receiver checks (PHASEGATE_WEBHOOK_SECRET); never logged. */
  secret: string;
  accountId: string;
  region: string;
  /** Where failed deliveries are reported. */
  onDeliveryProblem: (message: string) => void;
  /** Waits before the 2nd, 3rd… try; default 200 ms and 1 s (three tries in about 1.2 s plus the requests). */
  retryDelaysMs?: readonly number[];
  /** Budget of one POST; default 2 s. */
  requestTimeoutMs?: number;
}

/** How many deliveries GET /__sandbox/events keeps, newest last. */
const KEPT_DELIVERIES = 100;

export class CaseEventSink {
  private readonly kept: EventDelivery[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly closing = new AbortController();

  constructor(private readonly options: CaseEventSinkOptions) {}

  /** Starts delivering `event` in the background; the promise settles when delivery is done or given up. */
  emit(event: CaseEvent): { envelope: CaseEventEnvelope; settled: Promise<EventDelivery> } {
    const envelope: CaseEventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': event.detailType,
      source: CASE_EVENT_SOURCE,
      account: this.options.accountId,
      // EventBridge writes whole seconds, e.g. 2023-05-12T01:30:00Z.
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [event.caseArn],
      detail: { caseId: event.caseId, updatedBy: event.updatedBy },
    };
    const delivery: EventDelivery = { event: envelope, state: 'pending', attempts: 0 };
    this.kept.push(delivery);
    if (this.kept.length > KEPT_DELIVERIES) this.kept.splice(0, this.kept.length - KEPT_DELIVERIES);
    const settled = this.deliver(delivery).then(() => delivery);
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    return { envelope, settled };
  }

  /** Copies of the recent deliveries, oldest first. */
  deliveries(): EventDelivery[] {
    return structuredClone(this.kept);
  }

  /** Forgets the recent deliveries (those under way still complete). */
  clearHistory(): void {
    this.kept.length = 0;
  }

  /** Stops retrying and waits for the requests under way to end (they are aborted). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(delivery: EventDelivery): Promise<void> {
    const body = JSON.stringify(delivery.event);
    const delays = this.options.retryDelaysMs ?? [200, 1_000];
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) {
        const aborted = await sleep(delays[attempt - 1], false, { signal: this.closing.signal }).catch(() => true);
        if (aborted) break;
      }
      delivery.attempts = attempt + 1;
      const outcome = await this.post(body);
      delivery.lastResult = outcome.result;
      if (outcome.ok) {
        delivery.state = 'delivered';
        return;
      }
      if (!outcome.retry) break;
    }
    delivery.state = 'failed';
    this.options.onDeliveryProblem(
      `could not deliver SIR event ${delivery.event['detail-type']} for case ${delivery.event.detail.caseId} to ${redactUrl(this.options.url)} after ${delivery.attempts} tries: ${delivery.lastResult ?? 'not sent'}`,
    );
  }

  private async post(body: string): Promise<{ ok: boolean; retry: boolean; result: string }> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'phasegate-sir-sandbox',
          // Signed per try, so a late retry is not refused as a stale timestamp.
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, body),
        },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.requestTimeoutMs ?? 2_000), this.closing.signal]),
      });
      // Read to the end so the connection can be reused; the content does not matter.
      await response.arrayBuffer().catch(() => undefined);
      const result = `HTTP ${response.status}`;
      if (response.ok) return { ok: true, retry: false, result };
      // A refusal (bad signature, unknown shape) will be refused again; a busy or broken receiver may recover.
      const retry = response.status >= 500 || response.status === 408 || response.status === 429;
      return { ok: false, retry, result };
    } catch (err) {
      return { ok: false, retry: true, result: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
  }
}

/** A URL for messages: a query string or user info may carry a token. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}
