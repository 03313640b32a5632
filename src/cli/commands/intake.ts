/**
 * `phasegate intake --queue-url <url>`: alerts and SIR's own events from an SQS queue that EventBridge
 * rules target.
 * The path that needs no public endpoint and loses nothing while phasegate is down: the queue keeps
 * the events until an intake hands them to Temporal.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { AlertIntakeMemory } from '../../intake/alert-intake-memory';
import { QUEUE_ADOPTION } from '../../intake/alert-intake';
import { takeEvent } from '../../intake/event-intake';
import { parseSirIdentities } from '../../intake/sir-event-intake';
import { defaultPlaybookDir, loadPlaybooksOrThrow } from '../../config/playbook-directory';
import { TASK_QUEUE } from '../../domain/contract/temporal-names';
import { IntakeMetrics, parseAddress, serveIntakeMetrics } from '../../intake/intake-metrics';
import { SqsIntake, regionOfQueueUrl } from '../../intake/sqs-intake';
import { loadTemporalTarget } from '../../temporal/connection-config';
import { dataConverterFromEnv } from '../../temporal/data-converter';
import { createLogger } from '../logger';
import { runUntilStopped } from '../lifetime';
import { UsageError } from '../usage-error';

interface IntakeFlags {
  queueUrl?: string;
  waitTime: number;
  batchSize: number;
  metricsAddress?: string;
}

export function intakeCommand(): Command {
  return new Command('intake')
    .description('take alerts and SIR events from an SQS queue that EventBridge rules target (message body = the EventBridge event)')
    .option('--queue-url <url>', 'the queue to long-poll (default PHASEGATE_INTAKE_QUEUE_URL)')
    .option('--wait-time <seconds>', 'long-poll wait per receive, 1-20', intRange('--wait-time', 1, 20), 20)
    .option('--batch-size <n>', 'messages per receive, 1-10, handled concurrently', intRange('--batch-size', 1, 10), 10)
    .option('--metrics-address <host:port>', 'serve GET /metrics and /healthz here (default PHASEGATE_INTAKE_METRICS_ADDRESS; off when unset)')
    .action(async (flags: IntakeFlags) => {
      const queueUrl = flags.queueUrl ?? process.env.PHASEGATE_INTAKE_QUEUE_URL;
      if (!queueUrl) throw new UsageError('no queue: pass --queue-url <url> or set PHASEGATE_INTAKE_QUEUE_URL');
      if (!/^https?:\/\/[^/]+\/.+/.test(queueUrl)) throw new UsageError(`--queue-url must be a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), not "${queueUrl}"`);
      const metricsAddress = flags.metricsAddress ?? process.env.PHASEGATE_INTAKE_METRICS_ADDRESS;
      if (metricsAddress) {
        try {
          parseAddress(metricsAddress);
        } catch (err) {
          throw new UsageError(`--metrics-address / PHASEGATE_INTAKE_METRICS_ADDRESS: ${(err as Error).message}`);
        }
      }

      await runUntilStopped(async (lifetime) => {
        const logger = createLogger(process.env);
        const playbooks = (await loadPlaybooksOrThrow(defaultPlaybookDir(process.env))).map((p) => p.playbook);
        // SIR events that phasegate's own calls caused are left out, as the API leaves them out.
        const sirIdentities = parseSirIdentities(process.env.PHASEGATE_SIR_IDENTITY);
        const target = loadTemporalTarget(process.env);
        const connection = await connectWhenReachable(target.connectionOptions, lifetime.signal, logger);
        if (!connection) return; // stopped while Temporal was still unreachable: nothing was received
        lifetime.started('the Temporal connection', { stop: () => connection.close() });
        const client = new Client({ connection, namespace: target.namespace, dataConverter: dataConverterFromEnv(process.env) });
        warnOnceAboutNodeForAwsSdk(logger);
        const sqs = sqsClientFor(queueUrl, process.env);
        lifetime.started('the SQS client', { stop: () => sqs.destroy() });
        const metrics = new IntakeMetrics();
        const intakeDeps = { client, playbooks, taskQueue: TASK_QUEUE, memory: new AlertIntakeMemory() };
        const intake = new SqsIntake({
          sqs,
          queueUrl,
          take: (json) => takeEvent({ ...intakeDeps, sirIdentities }, json, QUEUE_ADOPTION),
          logger,
          metrics,
          waitTimeSeconds: flags.waitTime,
          batchSize: flags.batchSize,
        });
        let queue;
        try {
          queue = await intake.describeQueue();
        } catch (err) {
          throw new Error(`cannot read the queue ${queueUrl}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
        }
        if (queue.maxReceiveCount === undefined) {
          logger.warn({ queueUrl }, 'the queue has no redrive policy: a message no playbook takes is received again and again; give it a dead-letter queue');
        }
        const endpoint = metricsAddress ? await serveIntakeMetrics(metricsAddress, metrics, () => intake.health()) : undefined;
        if (endpoint) lifetime.started('the metrics endpoint', { stop: () => endpoint.close() });
        logger.info(
          {
            queueUrl,
            visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
            maxReceiveCount: queue.maxReceiveCount,
            deadLetterQueue: queue.deadLetterTargetArn,
            temporal: target.address,
            namespace: target.namespace,
            playbooks: playbooks.length,
            metrics: endpoint?.url,
          },
          'phasegate intake polling',
        );
        const running = intake.run();
        // On a signal: no new receives; the messages in hand are finished before the connection closes.
        lifetime.started('the intake', {
          stop: async () => {
            logger.info('stopping: no new receives; finishing the messages in hand');
            intake.stop();
            await running;
            logger.info('phasegate intake stopped');
          },
          ended: running,
        });
      });
    });
}

/**
 * The SQS client: the default credential chain; the queue URL's region when it names one (the queue
 * lives there whatever AWS_REGION says). An endpoint override (AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL:
 * a VPC endpoint, a proxy, a local SQS) must win over the queue URL's host, which the SDK would
 * otherwise prefer.
 */
export function sqsClientFor(queueUrl: string, env: NodeJS.ProcessEnv): SQSClient {
  const region = regionOfQueueUrl(queueUrl);
  const endpointOverride = Boolean(env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL);
  return new SQSClient({ ...(region ? { region } : {}), useQueueUrlAsEndpoint: !endpointOverride });
}

/**
 * The AWS SDK warns about Node < 22 with a seven-line process warning on stderr, which would break
 * the one-line error contract of the CLI; the same fact goes to the log as one structured line.
 */
function warnOnceAboutNodeForAwsSdk(logger: ReturnType<typeof createLogger>): void {
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) logger.warn({ node: process.versions.node }, 'AWS SDK for JavaScript releases after January 2027 need Node >= 22');
  }
}

/**
 * Waits for Temporal before the first receive: every receive counts toward the queue's
 * maxReceiveCount, so taking messages while they cannot be handed on would only age them.
 */
async function connectWhenReachable(
  options: ReturnType<typeof loadTemporalTarget>['connectionOptions'],
  stop: AbortSignal,
  logger: ReturnType<typeof createLogger>,
): Promise<Connection | undefined> {
  for (let attempt = 1; !stop.aborted; attempt += 1) {
    try {
      return await Connection.connect({ ...options, connectTimeout: 5_000 });
    } catch (err) {
      const delay = Math.min(30_000, 1_000 * 2 ** Math.min(attempt - 1, 5));
      logger.warn({ attempt, retryInMs: delay, err: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'Temporal is unreachable; waiting before polling the queue');
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, delay);
        stop.addEventListener('abort', () => {
          clearTimeout(timer);
          resolveWait();
        }, { once: true });
      });
    }
  }
  return undefined;
}

function intRange(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}, not "${value}".`);
    return n;
  };
}
