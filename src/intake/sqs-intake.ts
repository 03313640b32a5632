/**
 * The SQS intake: alerts and SIR's own events from a queue that EventBridge rules target (each message
 * body is the EventBridge event), taken by the code POST /v1/alerts takes them with past its
 * authentication (event-intake.ts). Queue messages carry no credential of their sender, so an alert
 * from the queue may not adopt an existing SIR case (QUEUE_ADOPTION).
 *
 * Delivery rules, and why:
 * - A message is deleted only once Temporal has it: the case workflow started, or the running case
 *   signalled (a duplicate alert, a SIR event), or a SIR event found nothing to do. A crash in between
 *   leaves the message in the queue; when it comes back, its start finds the workflow
 *   `case-<fingerprint>` already there and joins it, so no case starts twice.
 * - A message the checks refuse (not JSON, not an alert, a case it may not adopt, no playbook, a
 *   malformed SIR event) is left alone: the queue delivers it again after its visibility timeout, and
 *   its redrive policy moves it to the dead-letter queue after maxReceiveCount receives. That keeps the
 *   decision where operators configure it, and gives a playbook fixed in the meantime a chance to take
 *   the alert.
 * - Temporal unreachable is no fault of the message: it is held (its visibility renewed while it is
 *   in hand) and retried with backoff, and no further batch is received meanwhile, so an outage does
 *   not spend the receives that would otherwise send good alerts to the dead-letter queue.
 * - stop() ends polling at once (an open long poll is aborted) and lets messages in hand finish.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { isTemporalUnavailable } from '../temporal/temporal-availability';
import { parseAlertJson } from './alert-intake';
import type { EventIntakeResult } from './event-intake';
import { limiterAnswerLabel } from './intake-counters';
import type { IntakeMetrics } from './intake-metrics';

export interface SqsIntakeOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Takes one message body: takeEvent from event-intake.ts, bound to a client, playbooks and QUEUE_ADOPTION. */
  take: (json: unknown) => Promise<EventIntakeResult>;
  logger: Logger;
  metrics: IntakeMetrics;
  /** Long-poll wait per ReceiveMessage, 1–20 s (SQS's maximum, and the cheapest). */
  waitTimeSeconds?: number;
  /** Messages per receive, 1–10 (SQS's maximum); they are handled concurrently. */
  batchSize?: number;
  /** Backoff while Temporal or SQS is unreachable. */
  retryDelayMs?: { initial: number; max: number };
}

export interface QueueSettings {
  queueArn?: string;
  visibilityTimeoutSeconds: number;
  /** From the queue's RedrivePolicy; undefined when it has none (poison messages then cycle forever). */
  maxReceiveCount?: number;
  deadLetterTargetArn?: string;
}

type HeldResult = EventIntakeResult | 'abandoned' | 'failed';

export class SqsIntake {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  private readonly logger: Logger;
  private readonly metrics: IntakeMetrics;
  private readonly waitTimeSeconds: number;
  private readonly batchSize: number;
  private readonly retry: { initial: number; max: number };
  private readonly stopController = new AbortController();
  private queue?: QueueSettings;
  private receiveError?: string;
  private temporalDown = false;

  constructor(private readonly options: SqsIntakeOptions) {
    this.sqs = options.sqs;
    this.queueUrl = options.queueUrl;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 20;
    this.batchSize = options.batchSize ?? 10;
    this.retry = options.retryDelayMs ?? { initial: 1_000, max: 30_000 };
  }

  get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Reads the queue's visibility timeout and redrive policy; fails when the queue or the credentials are wrong. */
  async describeQueue(): Promise<QueueSettings> {
    const { Attributes: attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout', 'RedrivePolicy'] }),
    );
    const settings: QueueSettings = { queueArn: attributes.QueueArn, visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? 30) };
    if (attributes.RedrivePolicy) {
      try {
        const policy = JSON.parse(attributes.RedrivePolicy) as { maxReceiveCount?: number | string; deadLetterTargetArn?: string };
        settings.maxReceiveCount = policy.maxReceiveCount === undefined ? undefined : Number(policy.maxReceiveCount);
        settings.deadLetterTargetArn = policy.deadLetterTargetArn;
      } catch {
        // An unreadable policy is SQS's business; we only lose the "goes to the DLQ next" log line.
      }
    }
    this.queue = settings;
    return settings;
  }

  health(): { ok: boolean; detail: string } {
    if (this.stopping) return { ok: false, detail: 'stopping' };
    if (this.receiveError) return { ok: false, detail: `ReceiveMessage fails: ${this.receiveError}` };
    if (this.temporalDown) return { ok: false, detail: 'Temporal is unreachable; messages in hand are held and retried' };
    return { ok: true, detail: this.queue ? 'polling' : 'starting' };
  }

  /** Polls until stop(); resolves once the messages in hand are finished. */
  async run(): Promise<void> {
    const queue = this.queue ?? (await this.describeQueue());
    let receiveFailures = 0;
    while (!this.stopping) {
      let messages: Message[];
      try {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: this.batchSize,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.stopController.signal },
        );
        messages = received.Messages ?? [];
        receiveFailures = 0;
        this.receiveError = undefined;
      } catch (err) {
        // Aborted by stop(): SQS keeps whatever it was about to hand us invisible until the timeout.
        if (this.stopping) break;
        receiveFailures += 1;
        this.metrics.receiveErrors.inc();
        this.receiveError = firstLine(err);
        const delay = this.backoff(receiveFailures);
        this.logger.warn({ err: this.receiveError, retryInMs: delay }, 'ReceiveMessage failed; retrying');
        await this.pause(delay);
        continue;
      }
      await Promise.all(messages.map((message) => this.handle(message, queue)));
    }
  }

  /** Stops polling now; run() resolves when the messages in hand are done. */
  stop(): void {
    this.stopController.abort();
  }

  private async handle(message: Message, queue: QueueSettings): Promise<void> {
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const log = this.logger.child({ messageId: message.MessageId, receiveCount });
    this.metrics.inFlight.inc();
    try {
      const body = parseAlertJson(message.Body ?? '');
      let result: HeldResult;
      if (body.ok) {
        const invisible = this.keepInvisible(message, queue, log);
        try {
          result = await this.takeHeld(body.json, log);
        } finally {
          await invisible.stop();
        }
      } else {
        result = { kind: 'alert', result: body };
      }

      if (result === 'abandoned') {
        this.metrics.messages.inc({ outcome: 'deferred' });
        // Stopping while Temporal is unreachable: let another intake (or our restart) take it at once.
        await this.changeVisibility(message, 0).catch(() => undefined);
        log.warn('stopping while Temporal is unreachable: message released to the queue');
        return;
      }
      if (result === 'failed') {
        this.metrics.messages.inc({ outcome: 'failed' });
        this.noteLastReceive(receiveCount, queue, log);
        return;
      }
      if (!result.result.ok) {
        const refusal = result.result;
        this.metrics.messages.inc({ outcome: 'refused' });
        if (result.kind === 'sir-event') {
          this.metrics.sirEvents.inc({ outcome: 'refused' });
        } else {
          this.metrics.alerts.inc({ outcome: 'refused' });
          this.metrics.alertRefusals.inc({ reason: refusal.reason });
        }
        const what = result.kind === 'sir-event' ? 'SIR event' : 'alert';
        // Paths only: the messages quote the alert, and alert contents stay out of the logs.
        log.warn(
          { reason: refusal.reason, paths: refusal.details.map((d) => d.path), maxReceiveCount: queue.maxReceiveCount },
          `${what} refused (${refusal.reason}); left for the queue's redrive policy`,
        );
        this.noteLastReceive(receiveCount, queue, log);
        return;
      }

      let done: { outcome: 'accepted' | 'duplicate' | 'signalled' | 'ignored'; fields: Record<string, unknown>; line: string };
      if (result.kind === 'sir-event') {
        const { answer } = result.result;
        const outcome = answer.ignored ? 'ignored' : 'signalled';
        this.metrics.sirEvents.inc({ outcome });
        done = {
          outcome,
          fields: { caseId: answer.caseId, detailType: answer.detailType, workflowId: answer.caseWorkflowId, reason: answer.reason },
          line: answer.ignored ? 'SIR event ignored' : 'SIR event passed to its case',
        };
      } else {
        const { accepted, playbook } = result.result;
        const outcome = accepted.duplicate ? 'duplicate' : 'accepted';
        this.metrics.alerts.inc({ outcome });
        if (accepted.storm) this.metrics.stormAlerts.inc({ playbook });
        if (result.result.limiter) this.metrics.limiterRequests.inc({ playbook, answer: limiterAnswerLabel(result.result.limiter) });
        done = { outcome, fields: { workflowId: accepted.caseWorkflowId, duplicate: accepted.duplicate, playbook }, line: accepted.duplicate ? 'alert joined its case' : 'case started' };
      }
      this.metrics.messages.inc({ outcome: done.outcome });
      try {
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } catch (err) {
        // Temporal has it; the message comes back after its timeout (an alert joins its case as a duplicate, an event re-reads the case).
        this.metrics.deleteErrors.inc();
        log.warn({ err: firstLine(err), ...done.fields }, 'DeleteMessage failed; the message will come back');
        return;
      }
      log.info(done.fields, done.line);
    } finally {
      this.metrics.inFlight.dec();
    }
  }

  /**
   * While an alert is being handed to Temporal, renews the message's visibility every half timeout.
   * A slow or retried hand-over would otherwise let the message come back, cost a receive, and after
   * enough of them reach the dead-letter queue with nothing wrong with it. Handing over usually takes
   * milliseconds, so the timer rarely fires.
   */
  private keepInvisible(message: Message, queue: QueueSettings, log: Logger): { stop(): Promise<void> } {
    const periodMs = Math.max(500, (queue.visibilityTimeoutSeconds * 1000) / 2);
    let renewing: Promise<unknown> = Promise.resolve();
    let warned = false;
    const timer = setInterval(() => {
      renewing = this.changeVisibility(message, Math.max(1, queue.visibilityTimeoutSeconds)).catch((err: unknown) => {
        if (!warned) log.warn({ err: firstLine(err) }, 'could not extend the message visibility');
        warned = true;
      });
    }, periodMs);
    return {
      // Waits for a renewal in flight, so it never lands after the delete or the release.
      stop: async () => {
        clearInterval(timer);
        await renewing;
      },
    };
  }

  /** Hands the body to Temporal, retrying with backoff for as long as Temporal is unreachable. */
  private async takeHeld(json: unknown, log: Logger): Promise<HeldResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.options.take(json);
        this.temporalDown = false;
        return result;
      } catch (err) {
        if (!isTemporalUnavailable(err)) {
          log.error({ err: firstLine(err) }, 'handing the alert to Temporal failed; left for the queue to deliver again');
          return 'failed';
        }
        this.temporalDown = true;
        this.metrics.temporalRetries.inc();
        if (this.stopping) return 'abandoned';
        const delay = this.backoff(attempt);
        log.warn({ attempt, retryInMs: delay, err: firstLine(err) }, 'Temporal is unreachable; holding the message and retrying');
        await this.pause(delay);
        if (this.stopping) return 'abandoned';
      }
    }
  }

  private noteLastReceive(receiveCount: number, queue: QueueSettings, log: Logger): void {
    if (queue.maxReceiveCount === undefined || receiveCount < queue.maxReceiveCount) return;
    this.metrics.deadLettered.inc();
    log.error(
      { maxReceiveCount: queue.maxReceiveCount, deadLetterQueue: queue.deadLetterTargetArn },
      'message refused on its last receive: the queue moves it to its dead-letter queue',
    );
  }

  private changeVisibility(message: Message, seconds: number): Promise<unknown> {
    return this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: seconds }));
  }

  private backoff(attempt: number): number {
    return Math.min(this.retry.max, this.retry.initial * 2 ** Math.min(attempt - 1, 20));
  }

  /** Sleeps, or less when stop() comes first. */
  private pause(ms: number): Promise<void> {
    const signal = this.stopController.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolvePause) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolvePause();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }
}

/** The region a queue URL names (https://sqs[-fips].<region>.amazonaws.com/…, or the legacy <region>.queue.amazonaws.com). */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  const match = /^sqs(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host) ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host);
  return match?.[1];
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split('\n')[0] ?? text;
}
